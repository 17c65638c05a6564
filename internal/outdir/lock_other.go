//go:build !unix

package outdir

import (
	"errors"
	"os"
)

// errBusy is the error of a lock another process holds.
var errBusy = errors.New("locked")

// lock is a no-op where flock is not available: the lock file still tells
// a second run's user which process holds the directory.
func lock(*os.File) error { return nil }

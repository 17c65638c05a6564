//go:build unix

package outdir

import (
	"errors"
	"os"
	"syscall"
)

// errBusy is the error of a lock another process holds.
var errBusy = syscall.EWOULDBLOCK

// lock takes an exclusive advisory lock on f without waiting.
func lock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EAGAIN) {
		return errBusy
	}
	return err
}

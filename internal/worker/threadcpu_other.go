//go:build !unix

package worker

import "time"

// threadCPU cannot read a thread's CPU time here: the extra work falls
// back to wall-clock time.
func threadCPU() (time.Duration, bool) { return 0, false }

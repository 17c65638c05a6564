package live

import (
	"runtime"
	"syscall"
)

// lowerPriority moves the calling goroutine onto a thread of its own at
// the lowest CPU priority (nice 19): on a busy machine it gets only the
// CPU time the measured workers and the harness leave. The thread ends
// with the goroutine.
func lowerPriority() {
	runtime.LockOSThread()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}

//go:build unix && !linux

package runner

import "syscall"

// workerProcAttr puts a worker in its own process group, so a Ctrl-C at the
// terminal reaches only the harness. Without a parent-death signal on this
// system, a worker notices its harness is gone when its stdin closes.
func workerProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

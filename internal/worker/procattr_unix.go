//go:build unix && !linux

package worker

import "syscall"

// procAttr puts a worker in its own process group, so a Ctrl-C at the
// terminal reaches only the harness. Without a parent-death signal on this
// system, a worker notices its harness is gone when its stdin closes.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

//go:build linux

package worker

import "syscall"

// procAttr puts a worker in its own process group, so a Ctrl-C at the
// terminal reaches only the harness, which stops its children itself; and asks
// the kernel to kill the worker when the harness dies, even by SIGKILL.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

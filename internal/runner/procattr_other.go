//go:build !unix

package runner

import "syscall"

// workerProcAttr leaves a worker in the harness's process group: this
// system has neither process groups nor a parent-death signal, so a worker
// notices its harness is gone when its stdin closes.
func workerProcAttr() *syscall.SysProcAttr { return nil }

//go:build !unix

package worker

import "syscall"

// procAttr leaves a worker in the harness's process group: this
// system has neither process groups nor a parent-death signal, so a worker
// notices its harness is gone when its stdin closes.
func procAttr() *syscall.SysProcAttr { return nil }

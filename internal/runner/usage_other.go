//go:build !unix

package runner

import "syscall"

// readUsage is not measured on this system: resource figures read zero.
func readUsage() usage { return usage{} }

// ownProcessGroup leaves a child in the harness's process group.
func ownProcessGroup() *syscall.SysProcAttr { return nil }

//go:build !windows

package atomicfile

func syncUnsupported(error) bool { return false }

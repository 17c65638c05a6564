//go:build windows

package atomicfile

// syncUnsupported is true for every error: Windows cannot sync a directory
// handle, and a rename there is already durable once it returns.
func syncUnsupported(error) bool { return true }

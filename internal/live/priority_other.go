//go:build !linux

package live

// lowerPriority does nothing where a thread's priority cannot be set on
// its own.
func lowerPriority() {}

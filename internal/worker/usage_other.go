//go:build !unix

package worker

// ReadUsage is not measured on this system: resource figures read zero.
func ReadUsage() Usage { return Usage{} }

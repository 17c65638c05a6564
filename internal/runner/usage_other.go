//go:build !unix

package runner

// readUsage is not measured on this system: resource figures read zero.
func readUsage() usage { return usage{} }

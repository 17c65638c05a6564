//go:build !linux

package worker

// affinity is unknown outside Linux.
func affinity() []int { return nil }

//go:build !linux

package worker

// peakRSS is not available here: getrusage's figure is used.
func peakRSS() (int64, bool) { return 0, false }

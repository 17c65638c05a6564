//go:build !linux

package worker

// readTicks is not available on this system: the machine's CPU counters
// come from Linux's /proc/stat.
func readTicks() (cpuTicks, bool) { return cpuTicks{}, false }

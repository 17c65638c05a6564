//go:build linux

package worker

import (
	"os"
	"time"
)

// readTicks reads the machine's CPU counters from /proc/stat.
func readTicks() (cpuTicks, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTicks{}, false
	}
	defer f.Close()
	t, err := parseStat(f)
	if err != nil {
		return cpuTicks{}, false
	}
	t.at = time.Now()
	return t, true
}

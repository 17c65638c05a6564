//go:build linux

package worker

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// peakRSS returns the peak resident set size of this process's own memory,
// VmHWM in /proc/self/status. getrusage's ru_maxrss is no use for it on
// Linux: it keeps the peak of the memory the process had before exec, which
// for a worker started by the harness is the harness's own peak.
func peakRSS() (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		v, ok := strings.CutPrefix(s.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}

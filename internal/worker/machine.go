package worker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Machine is how the whole machine's CPUs spent a measured window, as the
// kernel counts it (/proc/stat on Linux): CPU-seconds of every process,
// this one included, and CPU-seconds the hypervisor gave to other guests
// while this machine had work (steal).
type Machine struct {
	Busy  float64 `json:"busy"`
	Steal float64 `json:"steal"`
	// Wall is the time between the two readings, in seconds: the window
	// and the end of the jobs in flight when it closed.
	Wall float64 `json:"wall"`
	// CPUs is how many CPUs the kernel counted.
	CPUs int `json:"cpus"`
}

// cpuTicks are the kernel's cumulative CPU counters, summed over all CPUs,
// in its clock ticks.
type cpuTicks struct {
	busy, idle, steal uint64
	cpus              int
	at                time.Time
}

// errNoCPULine reports a /proc/stat without its aggregate "cpu" line.
var errNoCPULine = errors.New("no aggregate cpu line")

// parseStat reads the aggregate counters of /proc/stat from r: the "cpu"
// line's user, nice, system, idle, iowait, irq, softirq and steal columns
// (guest time is already counted in user and nice), and the number of
// "cpuN" lines.
func parseStat(r io.Reader) (cpuTicks, error) {
	var t cpuTicks
	found := false
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			t.cpus++
			continue
		}
		if len(f) < 5 {
			return cpuTicks{}, fmt.Errorf("cpu line has %d columns, want at least 4 counters", len(f)-1)
		}
		var v [8]uint64
		for i := 0; i < len(v) && i+1 < len(f); i++ {
			n, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return cpuTicks{}, fmt.Errorf("cpu line column %d: %w", i+1, err)
			}
			v[i] = n
		}
		t.busy = v[0] + v[1] + v[2] + v[5] + v[6]
		t.idle = v[3] + v[4]
		t.steal = v[7]
		found = true
	}
	if err := s.Err(); err != nil {
		return cpuTicks{}, err
	}
	if !found {
		return cpuTicks{}, errNoCPULine
	}
	return t, nil
}

// machineBetween is the machine's CPU use from a to b, in CPU-seconds
// over the wall time between the two readings: each counter's share of
// all ticks, times the CPUs, times that time (so the kernel's tick rate
// does not matter). ok is false when nothing was counted.
func machineBetween(a, b cpuTicks) (m Machine, ok bool) {
	if b.busy < a.busy || b.idle < a.idle || b.steal < a.steal || b.cpus == 0 {
		return Machine{}, false
	}
	busy, idle, steal := b.busy-a.busy, b.idle-a.idle, b.steal-a.steal
	total := float64(busy + idle + steal)
	wall := b.at.Sub(a.at).Seconds()
	if total == 0 || !(wall > 0) {
		return Machine{}, false
	}
	scale := float64(b.cpus) * wall / total
	return Machine{Busy: float64(busy) * scale, Steal: float64(steal) * scale, Wall: wall, CPUs: b.cpus}, true
}

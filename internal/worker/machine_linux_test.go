//go:build linux

package worker

import (
	"testing"
	"time"
)

// TestReadTicksLinux reads this machine's counters twice around a short
// spin: the spin's CPU shows among the busy time.
func TestReadTicksLinux(t *testing.T) {
	a, ok := readTicks()
	if !ok {
		t.Fatal("readTicks: /proc/stat unreadable on Linux")
	}
	end := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(end) {
	}
	b, ok := readTicks()
	if !ok {
		t.Fatal("readTicks: second reading failed")
	}
	m, ok := machineBetween(a, b)
	if !ok {
		t.Fatalf("machineBetween(%+v, %+v): not ok", a, b)
	}
	if m.CPUs < 1 || m.Busy < 0.05 || m.Busy > float64(m.CPUs)*0.5 {
		t.Errorf("machine %+v: want at least the spin's 0.2 CPU-seconds (less a tick) and at most all CPUs for 0.2 s", m)
	}
}

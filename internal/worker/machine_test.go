package worker

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       cpuTicks
		err        bool
	}{
		{
			name: "two CPUs",
			text: "cpu  100 5 20 800 10 1 2 30 7 0\ncpu0 50 2 10 400 5 0 1 15 3 0\ncpu1 50 3 10 400 5 1 1 15 4 0\nintr 1 2 3\n",
			// busy = user+nice+system+irq+softirq; idle = idle+iowait; guest is inside user
			want: cpuTicks{busy: 100 + 5 + 20 + 1 + 2, idle: 800 + 10, steal: 30, cpus: 2},
		},
		{
			name: "an old kernel without steal",
			text: "cpu 10 0 5 100 0\ncpu0 10 0 5 100 0\n",
			want: cpuTicks{busy: 15, idle: 100, cpus: 1},
		},
		{name: "no cpu line", text: "intr 1\n", err: true},
		{name: "a bad counter", text: "cpu 10 x 5 100\n", err: true},
		{name: "too few counters", text: "cpu 10 0 5\n", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(strings.NewReader(tc.text))
			if tc.err {
				if err == nil {
					t.Fatalf("parseStat = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("parseStat = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMachineBetween(t *testing.T) {
	t0 := time.Unix(1000, 0)
	a := cpuTicks{busy: 1000, idle: 5000, steal: 10, cpus: 2, at: t0}
	// Two seconds on two CPUs: 400 ticks at 100 Hz, of which 250 busy,
	// 140 idle and 10 stolen.
	b := cpuTicks{busy: 1250, idle: 5140, steal: 20, cpus: 2, at: t0.Add(2 * time.Second)}
	m, ok := machineBetween(a, b)
	if !ok {
		t.Fatal("machineBetween: not ok")
	}
	if math.Abs(m.Busy-2.5) > 1e-9 || math.Abs(m.Steal-0.1) > 1e-9 || m.CPUs != 2 || m.Wall != 2 {
		t.Errorf("machineBetween = %+v, want 2.5 CPU-seconds busy, 0.1 stolen, 2 CPUs", m)
	}
	for name, bad := range map[string]cpuTicks{
		"counters went back": {busy: 900, idle: 5140, cpus: 2, at: b.at},
		"no time passed":     {busy: 1250, idle: 5140, steal: 20, cpus: 2, at: t0},
		"nothing counted":    {busy: 1000, idle: 5000, steal: 10, cpus: 2, at: b.at},
	} {
		if m, ok := machineBetween(a, bad); ok {
			t.Errorf("%s: machineBetween = %+v, want not ok", name, m)
		}
	}
}

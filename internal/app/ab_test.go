package app

import (
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
)

// TestStoredGate: the gate an A/B run was made with is rebuilt from
// results.json as the flags gave it.
func TestStoredGate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gate  *results.Gate
		gates map[metric.Metric]bool
		tol   float64 // of throughput
		fail  bool
	}{
		{"none kept", nil, map[metric.Metric]bool{metric.Throughput: true, metric.P50: true, metric.CPUPerJob: false}, 0.05, false},
		{"fail-on", &results.Gate{FailOn: "throughput:-3%,cpu_per_job:+5%"}, map[metric.Metric]bool{metric.P50: true, metric.CPUPerJob: true}, 0.03, false},
		{"gate-only", &results.Gate{FailOn: "throughput:-3%,cpu_per_job:+5%", GateOnly: true, FailOnInconclusive: true},
			map[metric.Metric]bool{metric.P50: false, metric.CPUPerJob: true, metric.Throughput: true}, 0.03, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := storedGate(&results.Run{Gate: tc.gate})
			if err != nil {
				t.Fatal(err)
			}
			for m, want := range tc.gates {
				if g.Gates(m) != want {
					t.Errorf("gates %s: %v, want %v", m, g.Gates(m), want)
				}
			}
			if g.Tolerance(metric.Throughput) != tc.tol || g.FailOnInconclusive != tc.fail {
				t.Errorf("throughput tolerance %v, fail on inconclusive %v", g.Tolerance(metric.Throughput), g.FailOnInconclusive)
			}
		})
	}
	if _, err := storedGate(&results.Run{Gate: &results.Gate{FailOn: "nope:5%"}}); err == nil {
		t.Error("a stored gate naming an unknown metric was accepted")
	}
}

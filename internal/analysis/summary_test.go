package analysis

import (
	"testing"

	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
)

// checkRun is a closed-loop run with the default thresholds, recorded on a
// machine with cpus logical CPUs.
func checkRun(cpus int) *results.Run {
	return &results.Run{
		Scenario: results.Scenario{
			Model:  "closed",
			Load:   results.Load{Repeats: 2},
			Checks: results.Checks{MaxErrorRate: 0.01, LittleTolerance: 0.10, MinJobs: 100},
		},
		Environment: results.Environment{LogicalCPUs: cpus},
	}
}

func TestChecks(t *testing.T) {
	cell := func(gomaxprocs, workers int, tput, mean float64, jobs, errs int64, repeats int) results.Cell {
		c := results.Cell{Params: results.Params{GOMAXPROCS: gomaxprocs, Workers: workers, Replicas: 1}}
		for range repeats {
			c.Repeats = append(c.Repeats, results.Repeat{
				Jobs: jobs, Errors: errs, Throughput: tput, Latency: results.Latency{Mean: mean},
				ErrorSamples: []string{"boom"},
			})
		}
		return c
	}
	for _, tc := range []struct {
		name string
		cpus int
		c    results.Cell
		want string // a warning kind that must appear
		not  string // a warning kind that must not
	}{
		{"little holds", 2, cell(1, 4, 80, 0.05, 1000, 0, 2), "few-repeats", "littles-law"},
		{"little broken", 2, cell(1, 4, 40, 0.05, 1000, 0, 2), "littles-law", "error-rate"},
		{"errors", 2, cell(1, 4, 80, 0.05, 1000, 50, 2), "error-rate", "few-jobs"},
		{"few jobs", 2, cell(1, 4, 80, 0.05, 10, 0, 2), "few-jobs", "error-rate"},
		{"recorded CPUs fit", 4, cell(4, 4, 80, 0.05, 1000, 0, 2), "few-repeats", "oversubscribed"},
		{"recorded CPUs exceeded", 2, cell(4, 4, 80, 0.05, 1000, 0, 2), "oversubscribed", "error-rate"},
		{"unmeasured cell", 2, cell(1, 4, 80, 0.05, 1000, 0, 0), "", "few-repeats"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := checkRun(tc.cpus)
			run.Cells = []results.Cell{tc.c}
			ws := Summarize(run)[0].Warnings
			kinds := map[string]bool{}
			for _, w := range ws {
				kinds[w.Kind] = true
			}
			if tc.want != "" && !kinds[tc.want] {
				t.Errorf("warnings %+v lack %q", ws, tc.want)
			}
			if kinds[tc.not] {
				t.Errorf("warnings %+v include %q", ws, tc.not)
			}
		})
	}
}

func TestSummarizeMergesHistograms(t *testing.T) {
	run := checkRun(2)
	c := results.Cell{Params: results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1}}
	for i := range 3 {
		h := metrics.NewHistogram()
		for v := int64(1); v <= 100; v++ {
			_ = h.RecordValue(v * int64(1000*(i+1)))
		}
		c.Repeats = append(c.Repeats, results.Repeat{Jobs: 100, Throughput: float64(10 * (i + 1)), Histogram: results.HistogramOf(h)})
	}
	run.Cells = []results.Cell{c}
	s := Summarize(run)[0]
	if got := s.LatencyHistogram().TotalCount(); got != 300 {
		t.Errorf("merged histogram holds %d values, want 300", got)
	}
	if s.Throughput != 20 || s.Jobs != 300 {
		t.Errorf("throughput %v, jobs %d; want the median 20 and the total 300", s.Throughput, s.Jobs)
	}
}

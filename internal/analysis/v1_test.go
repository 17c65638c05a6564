package analysis

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// v1Cell is a cell's summary as a schema_version 1 file stored it, computed
// while measuring.
type v1Cell struct {
	Jobs         int64               `json:"jobs"`
	Errors       int64               `json:"errors"`
	Throughput   float64             `json:"throughput"`
	ThroughputCI Interval            `json:"throughput_ci"`
	Latency      results.Latency     `json:"latency"`
	LatencyCI    map[string]Interval `json:"latency_ci"`
	OfferedRate  float64             `json:"offered_rate"`
	Makespan     float64             `json:"makespan"`
	MakespanCI   Interval            `json:"makespan_ci"`
	Stages       results.Stages      `json:"stages"`
	Resources    results.Resources   `json:"resources"`
	Histogram    *results.Histogram  `json:"histogram"`
	Warnings     []Warning           `json:"warnings"`
}

// TestSummarizeReproducesV1 recomputes every cell figure of real schema
// version 1 runs from their repeats and finds what the run stored.
func TestSummarizeReproducesV1(t *testing.T) {
	for _, name := range []string{"v1-batch.json", "v1-closed.json"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "results", "testdata", name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var stored struct {
				Cells []v1Cell `json:"cells"`
			}
			if err := json.Unmarshal(data, &stored); err != nil {
				t.Fatal(err)
			}
			run, err := results.Decode(path, data)
			if err != nil {
				t.Fatal(err)
			}
			got := Summarize(run)
			if len(got) != len(stored.Cells) {
				t.Fatalf("%d cells, stored %d", len(got), len(stored.Cells))
			}
			for i, want := range stored.Cells {
				g := got[i]
				have := v1Cell{
					Jobs: g.Jobs, Errors: g.Errors, Throughput: g.Throughput, ThroughputCI: g.ThroughputCI,
					Latency: g.Latency, LatencyCI: g.LatencyCI, OfferedRate: g.OfferedRate,
					Makespan: g.Makespan, MakespanCI: g.MakespanCI, Stages: g.Stages, Resources: g.Resources,
					Warnings: g.Warnings,
				}
				wantH, gotH := want.Histogram.HDR(), g.LatencyHistogram()
				want.Histogram = nil
				// A cell's jobs per CPU-second is now its throughput over its
				// CPU used, the medians' ratio; v1 stored the median of the
				// repeats' ratios, which differs within the repeats' spread.
				if j := g.Throughput / g.CPU; math.Abs(g.Resources.JobsPerCPUSecond-j) > 1e-9*j ||
					math.Abs(j/want.Resources.JobsPerCPUSecond-1) > 0.05 {
					t.Errorf("cell %d: jobs per CPU-second %v, throughput/CPU %v, v1's median %v", i, g.Resources.JobsPerCPUSecond, j, want.Resources.JobsPerCPUSecond)
				}
				have.Resources.JobsPerCPUSecond = want.Resources.JobsPerCPUSecond
				if !sameFigures(have, want) {
					t.Errorf("cell %d (%s):\n got %+v\nwant %+v", i, g.Params, have, want)
				}
				if !gotH.Equals(wantH) {
					t.Errorf("cell %d: merged histogram differs from the stored one", i)
				}
			}
		})
	}
}

// sameFigures compares two summaries, allowing float rounding in the last
// places (sums over repeats).
func sameFigures(a, b v1Cell) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return near(x, y)
}

func near(x, y any) bool {
	switch x := x.(type) {
	case float64:
		y, ok := y.(float64)
		return ok && (x == y || math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y)))
	case map[string]any:
		y, ok := y.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !near(v, y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := y.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !near(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(x, y)
}

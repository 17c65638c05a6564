package gobench

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/param"
)

func read(t *testing.T, path string) *Import {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	imp, err := Read(f, Options{File: path, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

// Each benchmark is a block, each -cpu value a cell at that GOMAXPROCS,
// each -count a repeat; ns/op turns into throughput, and the units with
// no place in the record are listed.
func TestRead(t *testing.T) {
	imp := read(t, "testdata/sum.txt")
	run := imp.Run
	var blocks []string
	for _, b := range run.Scenario.Blocks {
		blocks = append(blocks, b.Name+"="+b.Summary)
	}
	// Two packages share BenchmarkSum/n=1000: their blocks and names
	// say which is which.
	if got := strings.Join(blocks, " "); got != "sum_Sum_n_1000=example.com/sum.BenchmarkSum/n=1000 Hash=example.com/sum.BenchmarkHash other_Sum_n_1000=example.com/other.BenchmarkSum/n=1000" {
		t.Errorf("blocks: %s", got)
	}
	var cells []string
	for _, c := range run.Cells {
		cells = append(cells, c.Params.String())
	}
	if len(run.Cells) != 5 || run.Cells[2].Params.GOMAXPROCS != 4 || len(run.Cells[2].Repeats) != 3 || run.Cells[3].Params.GOMAXPROCS != 2 {
		t.Fatalf("cells: %v", cells)
	}
	r := run.Cells[1].Repeats[0]
	if r.Throughput != 2e6 || r.Jobs != 2000000 || math.Abs(r.Elapsed-1) > 1e-9 || r.HasLatency() || r.Benchmark.Name != "Sum/n=1000-2" {
		t.Errorf("repeat %+v", r)
	}
	if len(r.Benchmark.Values) != 3 || r.Benchmark.Values[0].Unit != "ns/op" || r.Benchmark.Values[0].Value != 500 || r.Benchmark.Values[1].Unit != "B/op" {
		t.Errorf("values kept as %+v", r.Benchmark.Values)
	}
	var units []string
	for _, u := range imp.Unplaced {
		units = append(units, u.Unit+": "+strings.Join(u.Benchmarks, ", "))
	}
	if got := strings.Join(units, "; "); got != "B/op: example.com/sum.BenchmarkSum/n=1000; allocs/op: example.com/sum.BenchmarkSum/n=1000; hits/op: example.com/sum.BenchmarkHash" {
		t.Errorf("unplaced: %s", got)
	}
	if len(imp.Skipped) != 1 || imp.Skipped[0] != "OnlyBytes" {
		t.Errorf("skipped %v", imp.Skipped)
	}
	if run.Environment.OS != "linux" || run.Environment.CPUModel != "Test CPU @ 2.00GHz" || run.Scenario.WorkloadOf().Name != Workload {
		t.Errorf("environment %+v, workload %s", run.Environment, run.Scenario.WorkloadOf().Name)
	}
	if run.Baseline() != 0 {
		t.Errorf("baseline %+v at %d", run.Scenario.Baseline, run.Baseline())
	}
}

// The analysis draws what a scenario's run gets: the speedup with
// GOMAXPROCS, median of the repeats, and fits; no latency.
func TestAnalysis(t *testing.T) {
	a := analysis.Analyze(read(t, "testdata/sum.txt").Run)
	for _, s := range a.Series {
		if s.Dim != param.GOMAXPROCS.Name || len(s.Points) != 3 {
			continue
		}
		// Medians: 1000, 500 and 300 ns/op.
		if sp := s.Points[1].Speedup.Value; math.Abs(sp-2) > 1e-9 {
			t.Errorf("speedup at GOMAXPROCS 2: %v, want 2", sp)
		}
		if sp := s.Points[2].Speedup.Value; math.Abs(sp-1000.0/300) > 1e-9 {
			t.Errorf("speedup at GOMAXPROCS 4: %v, want %v", sp, 1000.0/300)
		}
		if !math.IsNaN(a.Cells[s.Points[0].Cell].Latency.P50) {
			t.Error("an imported cell has a latency")
		}
		return
	}
	t.Errorf("no GOMAXPROCS series of three points: %+v", a.Series)
}

func TestReadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		opt            Options
	}{
		{"nothing", "PASS\nok x 1s\n", "no benchmark results", Options{}},
		{"no time per operation", "BenchmarkX 10 5 B/op\n", "none with a time per operation", Options{}},
		{"a bad name", "BenchmarkX 10 5 ns/op\n", "name", Options{Name: "a b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Read(strings.NewReader(""), Options{}); !errors.Is(err, ErrNoResults) {
		t.Errorf("empty input: %v", err)
	}
}

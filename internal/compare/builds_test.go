package compare

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
)

// abRunOf makes an A/B run of one cell (workers=4) with the given
// throughputs per round for base and head; a NaN marks a failed repeat.
func abRunOf(base, head []float64) *results.Run {
	run := &results.Run{
		Scenario: results.Scenario{Name: "t", Model: "closed"},
		Builds:   []results.Build{{Name: "base"}, {Name: "head"}},
	}
	for _, b := range []struct {
		name string
		xs   []float64
	}{{"base", base}, {"head", head}} {
		c := results.Cell{Params: results.Params{GOMAXPROCS: 1, Workers: 4, Replicas: 1, Build: b.name}}
		for i, x := range b.xs {
			r := results.Repeat{Index: i, Throughput: x, Jobs: 100}
			if math.IsNaN(x) {
				r = results.Repeat{Index: i, Failure: "worker crashed"}
			}
			c.Repeats = append(c.Repeats, r)
		}
		run.Cells = append(run.Cells, c)
	}
	for i := range run.Cells[0].Repeats {
		for c := range run.Cells {
			run.Order = append(run.Order, results.Step{Cell: c, Repeat: i})
		}
	}
	return run
}

func TestSplitBuilds(t *testing.T) {
	run := abRunOf([]float64{1, 2}, []float64{3, 4})
	base, head, err := SplitBuilds(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Cells) != 1 || base.Cells[0].Params.Build != "" || base.Cells[0].Repeats[1].Throughput != 2 ||
		head.Cells[0].Repeats[0].Throughput != 3 || len(head.Order) != 2 || head.Order[1].Cell != 0 {
		t.Errorf("split into base %+v and head %+v", base.Cells, head.Cells)
	}
	plain := &results.Run{Cells: []results.Cell{{Params: results.Params{Workers: 1}}}}
	var ue *UnusableError
	if _, _, err := SplitBuilds(plain); !errors.As(err, &ue) || !strings.Contains(err.Error(), "no build dimension") {
		t.Errorf("a run without builds: %v", err)
	}
	three := abRunOf(nil, nil)
	three.Cells[0].Params.Build, three.Cells[1].Params.Build = "a", "b"
	three.Cells = append(three.Cells, results.Cell{Params: results.Params{Build: "c"}})
	if _, _, err := SplitBuilds(three); !errors.As(err, &ue) || !strings.Contains(err.Error(), "a, b, c") {
		t.Errorf("three unnamed builds: %v", err)
	}
}

// TestBuildRounds: the builds' repeats are paired by round (repeat index),
// a failed repeat leaves its round's value NaN, and a cell measured by one
// build only is unpaired.
func TestBuildRounds(t *testing.T) {
	run := abRunOf([]float64{100, math.NaN(), 102}, []float64{90, 91, 92})
	// Stored out of round order: pairing goes by index, not position.
	head := run.Cells[1].Repeats
	head[0], head[2] = head[2], head[0]
	run.Cells = append(run.Cells, results.Cell{Params: results.Params{GOMAXPROCS: 1, Workers: 8, Replicas: 1, Build: "head"},
		Repeats: []results.Repeat{{Index: 0, Throughput: 5, Jobs: 10}}})
	in, err := BuildRounds(run)
	if err != nil {
		t.Fatal(err)
	}
	var tp *Rounds
	for i := range in.Rounds {
		if in.Rounds[i].Metric == metric.Throughput {
			tp = &in.Rounds[i]
		}
	}
	if tp == nil {
		t.Fatalf("no throughput rounds in %+v", in.Rounds)
	}
	if len(tp.Base) != 3 || tp.Base[0] != 100 || !math.IsNaN(tp.Base[1]) || tp.Base[2] != 102 ||
		tp.Head[0] != 90 || tp.Head[1] != 91 || tp.Head[2] != 92 {
		t.Errorf("throughput by round: base %v, head %v; want [100 NaN 102] and [90 91 92]", tp.Base, tp.Head)
	}
	if len(in.Unpaired) != 1 || in.Unpaired[0].Side != "head" || !strings.Contains(in.Unpaired[0].Key.Label, "workers=8") {
		t.Errorf("unpaired %+v, want the workers=8 cell on head", in.Unpaired)
	}
}

// TestBuildRoundsKeepsEveryRound: a pair found worse and then measured
// again is judged on all of its rounds: the evidence of the first ones is
// kept, not replaced by the later ones alone.
func TestBuildRoundsKeepsEveryRound(t *testing.T) {
	base := []float64{100, 101, 99, 100, 102, 98, 100, 101, 100, 99, 101, 100}
	head := []float64{90, 91, 89, 90, 92, 88, 90, 91, 90, 89, 91, 90}
	run := abRunOf(base, head)
	for i := range run.Cells {
		for j := range run.Cells[i].Repeats {
			if j >= 8 {
				run.Cells[i].Repeats[j].Round = results.RoundConfirm
			}
		}
	}
	in, err := BuildRounds(run)
	if err != nil {
		t.Fatal(err)
	}
	gate, _ := ParseFailOn("throughput:-5%")
	gate.Only = []metric.Metric{metric.Throughput}
	res, err := ComparePaired(in, Options{Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Rows[0]
	if r.Rounds != 12 || r.Verdict != Worse {
		t.Errorf("%s after %d rounds, want worse after 12", r.Verdict, r.Rounds)
	}
}

// TestABFindingsTellTheGate: the findings of an A/B run lead with the
// gate's verdict per cell, so a regression in one cell is not summarised
// by the baseline cell's "no clear change"; no lesson compares the builds
// at one cell.
func TestABFindingsTellTheGate(t *testing.T) {
	flat := []float64{120, 121, 119, 120, 122, 118, 120, 121, 120, 119, 121, 120}
	slow := make([]float64, len(flat))
	for i, x := range flat {
		slow[i] = 4 * x * (0.9 + 0.01*float64(i%3)) // 9% down, CPU-bound cell
	}
	run := abRunOf(flat, flat) // workers=4: the baseline, I/O-bound, unchanged
	cpu := abRunOf(scaled(flat, 4), slow)
	for i := range cpu.Cells {
		cpu.Cells[i].Params.Workers = 32
	}
	run.Cells = append(run.Cells, cpu.Cells...)
	run.Scenario.Baseline = results.Params{GOMAXPROCS: 1, Workers: 4, Replicas: 1, Build: "base"}
	run.Gate = &results.Gate{FailOn: "throughput:-5%", GateOnly: true}
	a := Analyze(run)
	if len(a.Findings) < 3 {
		t.Fatalf("no comparison of the builds (%v), findings %q", a.Warnings, a.Findings)
	}
	if f := a.Findings[0]; !strings.HasPrefix(f, "The A/B gate fails") {
		t.Errorf("first finding %q, want the gate's failure", f)
	}
	text := strings.Join(a.Findings, "\n")
	if !strings.Contains(text, "workers=32 replicas=1: throughput worse 0.9") || !strings.Contains(text, "workers=4 replicas=1: throughput same") {
		t.Errorf("findings do not give each cell's verdict:\n%s", text)
	}
	for _, l := range a.Lessons {
		if l.Dim == "build" {
			t.Errorf("a lesson compares the builds at one cell: %s", l.Sentence)
		}
	}
}

func scaled(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = k * x
	}
	return out
}

// slicedRunOf is abRunOf with every repeat a slice of a sliced run: with
// throughput, CPU per job and the session's peak RSS, and the latency
// fields zero, as a slice leaves them; plain is the same run unsliced,
// with latencies.
func slicedRunOf(base, head []float64) (sliced, plain *results.Run) {
	mk := func(slice bool) *results.Run {
		run := abRunOf(base, head)
		for ci := range run.Cells {
			for i := range run.Cells[ci].Repeats {
				r := &run.Cells[ci].Repeats[i]
				r.Resources = results.Resources{JobsPerCPUSecond: 500, MaxRSS: 40 << 20}
				if slice {
					r.Slice = &results.Slice{Session: i / 10, Pair: i % 10, Length: 0.1, CPU: 0.05}
					continue
				}
				r.Latency = results.Latency{Mean: 0.03, P50: 0.03, P90: 0.04, P99: 0.05, P999: 0.06, Max: 0.07}
				r.Stages = results.Stages{"fetch": 0.02, "decode": 0.005}
				h := metrics.NewHistogram()
				_ = h.RecordValue(30_000) // µs
				r.Histogram = results.HistogramOf(h)
			}
		}
		return run
	}
	return mk(true), mk(false)
}

// TestSlicedRepeatsHaveNoLatency: a sliced run's comparison has rows for
// throughput and CPU per job only, and says latency was not measured; its
// cells' latency and stages are absent (NaN), not zero, and the analysis
// warns of it; the same run unsliced keeps them all.
func TestSlicedRepeatsHaveNoLatency(t *testing.T) {
	xs := make([]float64, 20)
	for i := range xs {
		xs[i] = 100 + float64(i%3)
	}
	sliced, plain := slicedRunOf(xs, xs)
	for _, tc := range []struct {
		name    string
		run     *results.Run
		metrics []metric.Metric
		note    bool
	}{
		{"sliced", sliced, []metric.Metric{metric.Throughput, metric.CPUPerJob}, true},
		{"whole windows", plain, []metric.Metric{metric.Throughput, metric.P50, metric.P90, metric.P99, metric.CPUPerJob, metric.RSS}, false},
	} {
		res, err := CompareBuilds(tc.run, Gate{})
		if err != nil {
			t.Fatal(err)
		}
		var got []metric.Metric
		for _, r := range res.Rows {
			if len(got) == 0 || got[len(got)-1] != r.Metric {
				got = append(got, r.Metric)
			}
		}
		if !slices.Equal(got, tc.metrics) {
			t.Errorf("%s: rows for %v, want %v", tc.name, got, tc.metrics)
		}
		if has := slices.Contains(res.Warnings, analysis.SlicesNote); has != tc.note {
			t.Errorf("%s: comparison warns of slices %v, want %v: %q", tc.name, has, tc.note, res.Warnings)
		}
		a := Analyze(tc.run)
		warned := false
		for _, w := range a.Warnings {
			warned = warned || w.Kind == "slices"
		}
		if warned != tc.note {
			t.Errorf("%s: analysis warns of slices %v, want %v", tc.name, warned, tc.note)
		}
		for _, c := range a.Cells {
			absent := math.IsNaN(c.Latency.P50) && math.IsNaN(c.Latency.P99) && math.IsNaN(c.Latency.Mean) && math.IsNaN(c.Stages["fetch"]) && c.LatencyHistogram().TotalCount() == 0
			if c.Sliced != tc.note || absent != tc.note {
				t.Errorf("%s: cell %s sliced %v, p50 %v, fetch %v, histogram %v", tc.name, c.Params, c.Sliced, c.Latency.P50, c.Stages["fetch"], c.LatencyHistogram().TotalCount() > 0)
			}
			if !(c.Throughput > 0) || !(c.Resources.JobsPerCPUSecond > 0) {
				t.Errorf("%s: cell %s lost its throughput %v or CPU per job %v", tc.name, c.Params, c.Throughput, c.Resources.JobsPerCPUSecond)
			}
			for _, w := range c.Warnings {
				if w.Kind == "few-jobs" && tc.note {
					t.Errorf("%s: cell %s warns of unresolved percentiles: %s", tc.name, c.Params, w.Message)
				}
			}
		}
	}
}

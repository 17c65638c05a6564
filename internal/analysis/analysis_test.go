package analysis

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// Stage profiles: I/O-bound jobs spend most of their time fetching.
var (
	ioStages  = results.Stages{Fetch: 0.045, Decode: 0.002, Resize: 0.002, Encode: 0.001}
	cpuStages = results.Stages{Fetch: 0.001, Decode: 0.003, Resize: 0.005, Encode: 0.001}
)

// cellSpec describes a cell for mkRun.
type cellSpec struct {
	block                         string
	gomaxprocs, workers, replicas int
	rate                          float64
	method                        string
	tput, p50                     float64 // median throughput, p50 in seconds
	makespan                      float64 // batch only
	stages                        results.Stages
	repeats                       int // 0 means 3
}

// mkCell builds a cell whose repeats scatter ±1% around the medians.
func mkCell(s cellSpec) results.Cell {
	c := results.Cell{
		Params: results.Params{Block: s.block, GOMAXPROCS: s.gomaxprocs, Workers: s.workers, Replicas: s.replicas, Rate: s.rate, Method: s.method},
	}
	lat := results.Latency{Mean: s.p50 * 1.05, P50: s.p50, P90: s.p50 * 1.3, P99: s.p50 * 1.6, P999: s.p50 * 2, Max: s.p50 * 3}
	n := s.repeats
	if n == 0 {
		n = 3
	}
	for i := range n {
		d := 1 + 0.01*float64(i-n/2)
		r := results.Repeat{Index: i, Throughput: s.tput * d, Latency: lat, Makespan: s.makespan / d, Stages: s.stages}
		r.Latency.P50 = s.p50 / d
		r.Jobs = 100
		if s.makespan > 0 {
			r.Jobs = 5
		}
		c.Repeats = append(c.Repeats, r)
	}
	return c
}

func mkRun(model string, base results.Params, specs ...cellSpec) *results.Run {
	run := &results.Run{SchemaVersion: results.SchemaVersion}
	run.Scenario.Model = load.Model(model)
	run.Scenario.Baseline = base
	if model == "batch" {
		run.Scenario.Load.Jobs = 5
	}
	for _, s := range specs {
		if s.replicas == 0 {
			s.replicas = 1
		}
		run.Cells = append(run.Cells, mkCell(s))
	}
	return run
}

var base111 = results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1}

func hasFinding(a *Analysis, want string) bool {
	for _, f := range a.Findings {
		if f == want {
			return true
		}
	}
	return false
}

func warningKinds(a *Analysis) string {
	var k []string
	for _, w := range a.Warnings {
		k = append(k, w.Kind)
	}
	return strings.Join(k, ",")
}

func TestRatiosLessonWording(t *testing.T) {
	run := mkRun("closed", base111,
		cellSpec{gomaxprocs: 1, workers: 1, tput: 120, p50: 2, stages: cpuStages},
		cellSpec{gomaxprocs: 2, workers: 1, tput: 180, p50: 1, stages: cpuStages},
		cellSpec{gomaxprocs: 4, workers: 1, tput: 2412.3, p50: 0.0506, stages: cpuStages},
	)
	a := Analyze(run)
	if a.Baseline != 0 || len(a.Ratios) != 3 {
		t.Fatalf("baseline %d, %d ratios", a.Baseline, len(a.Ratios))
	}
	tests := []struct {
		cell            int
		thrText, latTxt string
		thr, lat        float64
	}{
		{0, "Scalability (throughput) = 120/120 = 1.00x", "Performance (latency) = 2s/2s = 1.00x", 1, 1},
		{1, "Scalability (throughput) = 180/120 = 1.50x", "Performance (latency) = 2s/1s = 2.00x", 1.5, 2},
		// Operands carry the digits the ratio needs: 2410/120 would be 20.08, 2.0s/51ms 39.2.
		{2, "Scalability (throughput) = 2412/120 = 20.1x", "Performance (latency) = 2s/50.6ms = 39.5x", 2412.3 / 120, 2 / 0.0506},
	}
	for _, tt := range tests {
		r := a.Ratios[tt.cell]
		if r.Cell != tt.cell || r.Throughput.Text != tt.thrText || r.Latency.Text != tt.latTxt {
			t.Errorf("cell %d: %q / %q", tt.cell, r.Throughput.Text, r.Latency.Text)
		}
		if math.Abs(r.Throughput.Value-tt.thr) > 1e-12 || math.Abs(r.Latency.Value-tt.lat) > 1e-12 {
			t.Errorf("cell %d: values %v %v", tt.cell, r.Throughput.Value, r.Latency.Value)
		}
		if r.Throughput.Conf != 0.95 || !(r.Throughput.Lo <= r.Throughput.Value && r.Throughput.Value <= r.Throughput.Hi) {
			t.Errorf("cell %d: interval %+v", tt.cell, r.Throughput)
		}
	}
	if r := a.Ratios[1].Throughput; r.Num != 180 || r.Den != 120 {
		t.Errorf("Num/Den = %v/%v", r.Num, r.Den)
	}
	if r := a.Ratios[1].Latency; r.Num != 2 || r.Den != 1 {
		t.Errorf("latency Num/Den = %v/%v", r.Num, r.Den)
	}
}

func TestSeriesAndClasses(t *testing.T) {
	tests := []struct {
		name      string
		run       *results.Run
		series    []string // "dim|label|n points"
		classes   []string // "concurrency/latency -> performance/scalability"
		sentences []string // prefixes of each class sentence
		findings  []string // exact findings that must be present
		fitted    []bool   // USL fitted per series
	}{
		{
			name: "workers I/O-bound linear",
			run: mkRun("closed", base111,
				cellSpec{gomaxprocs: 1, workers: 1, tput: 20, p50: 0.050, stages: ioStages},
				cellSpec{gomaxprocs: 1, workers: 2, tput: 39.6, p50: 0.0503, stages: ioStages},
				cellSpec{gomaxprocs: 1, workers: 4, tput: 78, p50: 0.0505, stages: ioStages},
				cellSpec{gomaxprocs: 1, workers: 8, tput: 152, p50: 0.051, stages: ioStages},
			),
			series:    []string{"workers|gomaxprocs=1, replicas=1|4"},
			classes:   []string{"high/low -> high/high"},
			sentences: []string{"I/O-bound: throughput grows with workers (7.60x at 8 workers vs 1 worker, near-linear for 8x the workers) while latency shows no clear change (p50 50 ms vs 51 ms) — high concurrency, low latency: performance and scalability high."},
			findings: []string{
				"Scalability (concurrency), workers 1 → 8: Scalability (throughput) = 152/20 = 7.60x, near-linear for 8x the workers; latency shows no clear change (p50 50 ms vs 51 ms).",
			},
			fitted: []bool{true},
		},
		{
			name: "workers CPU-bound saturated",
			run: mkRun("closed", base111,
				cellSpec{gomaxprocs: 1, workers: 1, tput: 100, p50: 0.010, stages: cpuStages},
				cellSpec{gomaxprocs: 1, workers: 2, tput: 101, p50: 0.020, stages: cpuStages},
				cellSpec{gomaxprocs: 1, workers: 4, tput: 100, p50: 0.040, stages: cpuStages},
				cellSpec{gomaxprocs: 1, workers: 8, tput: 99, p50: 0.080, stages: cpuStages},
			),
			series:    []string{"workers|gomaxprocs=1, replicas=1|4"},
			classes:   []string{"low/high -> poor/poor"},
			sentences: []string{"CPU-bound: throughput shows no clear change with workers (0.99x at 8 workers vs 1 worker) and latency rises 8.0x (p50 10 ms → 80 ms)"},
			findings:  []string{"Scalability (concurrency), workers 1 → 8: Scalability (throughput) = 99/100 = 0.99x, no clear change for 8x the workers; latency rises 8.0x (p50 10 ms → 80 ms)."},
			fitted:    []bool{true},
		},
		{
			name: "gomaxprocs CPU-bound",
			run: mkRun("closed", results.Params{GOMAXPROCS: 1, Workers: 4, Replicas: 1},
				cellSpec{gomaxprocs: 1, workers: 4, tput: 100, p50: 0.040, stages: cpuStages},
				cellSpec{gomaxprocs: 2, workers: 4, tput: 190, p50: 0.021, stages: cpuStages},
				cellSpec{gomaxprocs: 4, workers: 4, tput: 250, p50: 0.016, stages: cpuStages},
			),
			series:    []string{"gomaxprocs|workers=4, replicas=1|3"},
			classes:   []string{"high/low -> high/high"},
			sentences: []string{"CPU-bound: throughput grows with GOMAXPROCS (2.50x at GOMAXPROCS=4 vs GOMAXPROCS=1, below linear for 4x the GOMAXPROCS)"},
			findings:  []string{"Scalability (scale up), GOMAXPROCS 1 → 4 with 4 workers: Scalability (throughput) = 250/100 = 2.50x, below linear for 4x the GOMAXPROCS; latency falls 2.5x (p50 40 ms → 16 ms)."},
			fitted:    []bool{true},
		},
		{
			name: "gomaxprocs I/O-bound",
			run: mkRun("closed", results.Params{GOMAXPROCS: 1, Workers: 8, Replicas: 1},
				cellSpec{gomaxprocs: 1, workers: 8, tput: 150, p50: 0.052, stages: ioStages},
				cellSpec{gomaxprocs: 2, workers: 8, tput: 151, p50: 0.052, stages: ioStages},
			),
			series:   []string{"gomaxprocs|workers=8, replicas=1|2"},
			classes:  []string{"low/low -> good/limited"},
			findings: []string{"Scalability (scale up), GOMAXPROCS 1 → 2 with 8 workers: Scalability (throughput) = 151/150 = 1.01x, no clear change for 2x the GOMAXPROCS; latency shows no clear change (p50 52 ms vs 52 ms): the jobs wait on I/O, so more cores add little."},
			fitted:   []bool{false},
		},
		{
			name: "low concurrency low latency",
			run: mkRun("closed", base111,
				cellSpec{gomaxprocs: 1, workers: 1, tput: 100, p50: 0.010, stages: cpuStages},
				cellSpec{gomaxprocs: 2, workers: 1, tput: 101, p50: 0.010, stages: cpuStages},
			),
			series:    []string{"gomaxprocs|workers=1, replicas=1|2"},
			classes:   []string{"low/low -> good/limited"},
			sentences: []string{"CPU-bound: throughput shows no clear change with GOMAXPROCS (1.01x at GOMAXPROCS=2 vs GOMAXPROCS=1) and latency shows no clear change (p50 10 ms vs 10 ms) — low concurrency, low latency: performance good, scalability limited: raising GOMAXPROCS adds no clear throughput."},
			fitted:    []bool{false},
		},
		{
			name: "matrix gomaxprocs x workers",
			run: func() *results.Run {
				var specs []cellSpec
				for _, g := range []int{1, 2} {
					for _, w := range []int{1, 2, 4, 8} {
						tput := 100 * float64(min(w, g)) * (1 + 0.1*float64(w))
						specs = append(specs, cellSpec{gomaxprocs: g, workers: w, tput: tput, p50: 0.01 * float64(w) / float64(min(w, g)), stages: cpuStages})
					}
				}
				return mkRun("closed", base111, specs...)
			}(),
			series: []string{
				"workers|gomaxprocs=1, replicas=1|4",
				"workers|gomaxprocs=2, replicas=1|4",
				"gomaxprocs|workers=1, replicas=1|2",
				"gomaxprocs|workers=2, replicas=1|2",
				"gomaxprocs|workers=4, replicas=1|2",
				"gomaxprocs|workers=8, replicas=1|2",
			},
			classes: []string{
				"low/high -> poor/poor", "low/high -> poor/poor",
				// At 4 and 8 workers on 2 cores jobs wait for the CPU: mean
				// latency is more than twice the work, so latency is high.
				"low/low -> good/limited", "high/low -> high/high", "high/high -> variable/variable", "high/high -> variable/variable",
			},
			findings: []string{"Scalability (scale up), GOMAXPROCS 1 → 2 with 8 workers: Scalability (throughput) = 360/180 = 2.00x, near-linear for 2x the GOMAXPROCS; latency falls 2.0x (p50 80 ms → 40 ms): the CPU-bound jobs run in parallel."},
			fitted:   []bool{true, true, false, false, false, false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Analyze(tt.run)
			if len(a.Series) != len(tt.series) {
				t.Fatalf("%d series, want %d: %+v", len(a.Series), len(tt.series), a.Series)
			}
			for i, s := range a.Series {
				got := s.Dim + "|" + s.Label + "|" + string(rune('0'+len(s.Points)))
				if got != tt.series[i] {
					t.Errorf("series %d = %q, want %q", i, got, tt.series[i])
				}
				for j := 1; j < len(s.Points); j++ {
					if s.Points[j].N <= s.Points[j-1].N {
						t.Errorf("series %d points not sorted", i)
					}
				}
				if (s.USL != nil) != tt.fitted[i] || (s.Amdahl != nil) != tt.fitted[i] {
					t.Errorf("series %d fitted = %v, want %v", i, s.USL != nil, tt.fitted[i])
				}
			}
			if len(a.Classes) != len(tt.classes) {
				t.Fatalf("%d classes, want %d", len(a.Classes), len(tt.classes))
			}
			for i, c := range a.Classes {
				got := c.Concurrency + "/" + c.Latency + " -> " + c.Performance + "/" + c.Scalability
				if got != tt.classes[i] || c.Series != i {
					t.Errorf("class %d = %q (series %d), want %q", i, got, c.Series, tt.classes[i])
				}
				if i < len(tt.sentences) && !strings.HasPrefix(c.Sentence, tt.sentences[i]) {
					t.Errorf("class %d sentence\n got %q\nwant %q...", i, c.Sentence, tt.sentences[i])
				}
			}
			for _, f := range tt.findings {
				if !hasFinding(a, f) {
					t.Errorf("missing finding %q in\n%s", f, strings.Join(a.Findings, "\n"))
				}
			}
		})
	}
}

func TestSpeedupAndEfficiency(t *testing.T) {
	run := mkRun("closed", base111,
		cellSpec{gomaxprocs: 1, workers: 2, tput: 40, p50: 0.05, stages: ioStages},
		cellSpec{gomaxprocs: 1, workers: 8, tput: 120, p50: 0.05, stages: ioStages},
		cellSpec{gomaxprocs: 1, workers: 4, tput: 80, p50: 0.05, stages: ioStages},
	)
	a := Analyze(run)
	if len(a.Series) != 1 {
		t.Fatalf("series: %+v", a.Series)
	}
	pts := a.Series[0].Points
	wantN := []float64{2, 4, 8}
	wantSpeedup := []float64{1, 2, 3}
	wantEff := []float64{1, 1, 0.75}
	for i, p := range pts {
		if p.N != wantN[i] || p.Speedup.Value != wantSpeedup[i] || p.Efficiency != wantEff[i] {
			t.Errorf("point %d: N %v speedup %v efficiency %v", i, p.N, p.Speedup.Value, p.Efficiency)
		}
	}
	if pts[2].Cell != 1 || pts[2].Label != "8" || pts[2].Speedup.Text != "Scalability (throughput) = 120/40 = 3.00x" {
		t.Errorf("point: %+v", pts[2])
	}
}

func TestBatchFinding(t *testing.T) {
	run := mkRun("batch", base111,
		cellSpec{gomaxprocs: 1, workers: 1, tput: 5 / 1.52, p50: 0.9, makespan: 1.52, stages: ioStages},
		cellSpec{gomaxprocs: 1, workers: 5, tput: 5 / 0.31, p50: 0.30, makespan: 0.31, stages: ioStages},
	)
	a := Analyze(run)
	want := "Scalability (concurrency), workers 1 → 5: 5 jobs in 310 ms with 5 workers vs 1.52 s with 1 worker: Scalability (makespan) = 1.52s/310ms = 4.90x, near-linear for 5x the workers; the batch takes about the time of one job."
	if !hasFinding(a, want) {
		t.Errorf("missing %q in\n%s", want, strings.Join(a.Findings, "\n"))
	}
	if got := a.Ratios[1].Latency.Text; got != "Performance (latency) = 1.52s/310ms = 4.90x" {
		t.Errorf("batch latency ratio = %q", got)
	}
}

func TestMethodFinding(t *testing.T) {
	base := results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1, Method: "naive"}
	run := mkRun("closed", base,
		cellSpec{gomaxprocs: 1, workers: 1, method: "fast", tput: 306, p50: 0.0031, stages: cpuStages},
		cellSpec{gomaxprocs: 1, workers: 1, method: "naive", tput: 90, p50: 0.011, stages: cpuStages},
	)
	a := Analyze(run)
	if len(a.Series) != 1 || a.Series[0].Dim != param.Method.Name || a.Series[0].Points[0].Label != "naive" {
		t.Fatalf("series: %+v", a.Series)
	}
	if len(a.Classes) != 0 {
		t.Errorf("method series should not be classified")
	}
	want := "Performance (method), naive → fast: Performance (latency) = 11ms/3.1ms = 3.55x, faster with the same resources; throughput 3.40x."
	if !hasFinding(a, want) {
		t.Errorf("missing %q in\n%s", want, strings.Join(a.Findings, "\n"))
	}
	if e := a.Series[0].Points[1].Efficiency; e != 0 {
		t.Errorf("method efficiency = %v, want 0", e)
	}
}

func TestRateFinding(t *testing.T) {
	base := results.Params{GOMAXPROCS: 1, Workers: 8, Replicas: 1, Rate: 100}
	run := mkRun("open", base,
		cellSpec{gomaxprocs: 1, workers: 8, rate: 100, tput: 99.5, p50: 0.051, stages: ioStages},
		cellSpec{gomaxprocs: 1, workers: 8, rate: 200, tput: 152, p50: 1.2, stages: ioStages},
	)
	a := Analyze(run)
	want := "Load curve: throughput follows the offered rate up to 100/s (p50 51 ms); past it the system saturates: at 200/s it delivers 152 jobs/s of 200/s offered (76%) and p50 is 1.2 s: jobs queue (mean latency 1.26 s against 50 ms of work)."
	if !hasFinding(a, want) {
		t.Errorf("missing %q in\n%s", want, strings.Join(a.Findings, "\n"))
	}
}

func TestUSLPeakFinding(t *testing.T) {
	f := &Fit{Sigma: 0.05, Kappa: 0.01, Lambda: 50} // peak near sqrt(0.95/0.01) = 9.7
	var specs []cellSpec
	for _, w := range []int{1, 2, 4, 8, 12, 16} {
		specs = append(specs, cellSpec{gomaxprocs: 4, workers: w, tput: f.Predict(float64(w)), p50: 0.02, stages: cpuStages})
	}
	a := Analyze(mkRun("closed", results.Params{GOMAXPROCS: 4, Workers: 1, Replicas: 1}, specs...))
	want := "USL fit, workers (gomaxprocs=4, replicas=1): throughput peaks near 10 workers at about 213 jobs/s, within the measured range (1 to 16 workers); contention σ = 0.05, coherency κ = 0.01."
	if !hasFinding(a, want) {
		t.Errorf("missing %q in\n%s", want, strings.Join(a.Findings, "\n"))
	}
}

func TestMissingBaselineAndOddInput(t *testing.T) {
	run := mkRun("closed", results.Params{GOMAXPROCS: 9, Workers: 9, Replicas: 9},
		cellSpec{gomaxprocs: 1, workers: 1, tput: 10, p50: 0.1},
		cellSpec{gomaxprocs: 1, workers: 2, tput: 20, p50: 0.1},
	)
	a := Analyze(run)
	if a.Baseline != -1 || !strings.Contains(warningKinds(a), "no-baseline") {
		t.Errorf("baseline %d, warnings %q", a.Baseline, warningKinds(a))
	}
	if len(a.Ratios) != 2 || a.Ratios[1].Throughput.Text != "" || a.Ratios[1].Throughput.Value != 0 {
		t.Errorf("ratios without baseline: %+v", a.Ratios)
	}
	if !hasFinding(a, "Scalability (concurrency), workers 1 → 2 (gomaxprocs=1, replicas=1): Scalability (throughput) = 20/10 = 2.00x, near-linear for 2x the workers; latency shows no clear change (p50 100 ms vs 100 ms).") {
		t.Errorf("findings: %q", a.Findings)
	}

	for name, run := range map[string]*results.Run{
		"nil":   nil,
		"empty": {},
		"zero throughput": mkRun("closed", base111,
			cellSpec{gomaxprocs: 1, workers: 1, tput: 0, p50: 0},
			cellSpec{gomaxprocs: 1, workers: 2, tput: 0, p50: 0},
			cellSpec{gomaxprocs: 1, workers: 4, tput: 0, p50: 0}),
		"NaN": mkRun("closed", base111,
			cellSpec{gomaxprocs: 1, workers: 1, tput: math.NaN(), p50: math.NaN()},
			cellSpec{gomaxprocs: 1, workers: 2, tput: 5, p50: 0.1},
			cellSpec{gomaxprocs: 1, workers: 4, tput: 9, p50: 0.1}),
		"no repeats": mkRun("batch", base111,
			cellSpec{gomaxprocs: 1, workers: 1, tput: 1, p50: 1, repeats: -1},
			cellSpec{gomaxprocs: 1, workers: 2, tput: 2, p50: 1, repeats: -1}),
	} {
		t.Run(name, func(t *testing.T) {
			a := Analyze(run)
			if len(a.Warnings) == 0 && name != "NaN" {
				t.Errorf("no warnings")
			}
			if a.Run != nil {
				if _, err := json.Marshal(struct {
					R []CellRatio
					S []Series
					C []Class
				}{a.Ratios, a.Series, a.Classes}); err != nil && name != "NaN" {
					t.Errorf("marshal: %v", err)
				}
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	nums := map[float64]string{180: "180", 120: "120", 2412.3: "2410", 512: "512", 1.5: "1.5", 12.345: "12.3", 0.01234: "0.0123", 99.96: "100", 0: "0"}
	for v, want := range nums {
		if got := format.Number(v); got != want {
			t.Errorf("format.Number(%v) = %q, want %q", v, got, want)
		}
	}
	durs := []struct {
		sec         float64
		short, long string
	}{
		{2, "2.0s", "2.00 s"}, {1, "1.0s", "1.00 s"}, {0.051, "51ms", "51 ms"}, {0.0031, "3.1ms", "3.10 ms"},
		{0.011, "11ms", "11 ms"}, {1.52, "1.5s", "1.52 s"}, {0.31, "310ms", "310 ms"}, {0.9996, "1.0s", "1.00 s"},
		{0.000045, "45µs", "45 µs"}, {15.3, "15s", "15 s"},
	}
	for _, d := range durs {
		if got := format.DurationFixed(d.sec, false); got != d.short {
			t.Errorf("format.DurationFixed(%v) = %q, want %q", d.sec, got, d.short)
		}
		if got := format.DurationFixed(d.sec, true); got != d.long {
			t.Errorf("format.DurationFixed(%v, long) = %q, want %q", d.sec, got, d.long)
		}
	}
}

// TestSeriesStayWithinBlocks checks that cells of different blocks, which
// ran with different settings, never share a series, that ratios compare a
// cell with its own block's first cell unless it shares the baseline's
// block, and that findings use each block's settings.
func TestSeriesStayWithinBlocks(t *testing.T) {
	base := results.Params{Block: "threads", GOMAXPROCS: 1, Workers: 1, Replicas: 1}
	run := mkRun("batch", base,
		cellSpec{block: "threads", gomaxprocs: 1, workers: 1, tput: 5 / 1.5, p50: 0.9, makespan: 1.5, stages: ioStages},
		cellSpec{block: "threads", gomaxprocs: 1, workers: 5, tput: 5 / 0.31, p50: 0.3, makespan: 0.31, stages: ioStages},
		cellSpec{block: "cpu", gomaxprocs: 1, workers: 1, method: "naive", tput: 40, p50: 0.025, makespan: 2, stages: cpuStages},
		cellSpec{block: "cpu", gomaxprocs: 1, workers: 5, method: "naive", tput: 41, p50: 0.12, makespan: 1.95, stages: cpuStages},
		cellSpec{block: "cpu", gomaxprocs: 2, workers: 5, method: "naive", tput: 78, p50: 0.06, makespan: 1.02, stages: cpuStages},
	)
	// The top-level batch size differs from the blocks': findings must use
	// the block's.
	run.Scenario.Load.Jobs = 99
	run.Scenario.Blocks = []results.Block{{Name: "threads", Load: results.Load{Jobs: 5}}, {Name: "cpu", Load: results.Load{Jobs: 80}}}
	a := Analyze(run)
	got := map[string][]int{}
	for _, s := range a.Series {
		var cells []int
		for _, p := range s.Points {
			cells = append(cells, p.Cell)
			if b := run.Cells[p.Cell].Params.Block; b != s.Fixed.Block {
				t.Errorf("%s series %q holds a cell of block %q", s.Dim, s.Label, b)
			}
		}
		if !strings.Contains(s.Label, "block="+s.Fixed.Block) {
			t.Errorf("series label %q does not name its block", s.Label)
		}
		got[s.Dim+" "+s.Fixed.Block] = cells
	}
	want := map[string][]int{"workers threads": {0, 1}, "workers cpu": {2, 3}, "gomaxprocs cpu": {3, 4}}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, w := range want {
		if g := got[k]; len(g) != len(w) || g[0] != w[0] || g[1] != w[1] {
			t.Errorf("series %s = cells %v, want %v", k, g, w)
		}
	}
	// The threads cells compare with the baseline, the cpu cells with the
	// cpu block's first cell.
	for i, want := range []float64{1, 5 / 0.31 / (5 / 1.5), 1, 41.0 / 40, 78.0 / 40} {
		if r := a.Ratios[i].Throughput; math.Abs(r.Value-want) > 1e-9 {
			t.Errorf("cell %d: throughput ratio %v (%s), want %v", i, r.Value, r.Text, want)
		}
	}
	if want := "Scalability (concurrency), workers 1 → 5: 5 jobs in 310 ms with 5 workers vs 1.5 s with 1 worker"; !hasFindingPrefix(a, want) {
		t.Errorf("missing %q in\n%s", want, strings.Join(a.Findings, "\n"))
	}
	for _, f := range a.Findings {
		if strings.HasPrefix(f, "Highest throughput") && strings.Contains(f, "block=cpu") {
			t.Errorf("the best-cell finding compares across blocks: %s", f)
		}
	}
	// The GOMAXPROCS lesson comes from the cpu block, with its batch size.
	if !hasFindingPrefix(a, "Scalability (scale up), GOMAXPROCS 1 → 2 with 5 workers: 80 jobs in 1.02 s") {
		t.Errorf("no GOMAXPROCS finding for the cpu block in\n%s", strings.Join(a.Findings, "\n"))
	}
}

func hasFindingPrefix(a *Analysis, prefix string) bool {
	for _, f := range a.Findings {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

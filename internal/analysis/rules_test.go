package analysis

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// ratio builds a Ratio with an interval (conf 0 for none).
func ratio(v, lo, hi, conf float64) Ratio { return Ratio{Value: v, Lo: lo, Hi: hi, Conf: conf} }

func TestDirection(t *testing.T) {
	tests := []struct {
		name string
		r    Ratio
		want Direction
	}{
		{"flat, interval includes 1", ratio(1.02, 0.97, 1.08, 0.95), NoClearChange},
		{"noisy 1.3x, interval includes 1", ratio(1.3, 0.9, 1.7, 0.95), NoClearChange},
		{"2x better, tight interval", ratio(2, 1.9, 2.1, 0.95), Up},
		{"2.9x lower", ratio(1/2.9, 0.33, 0.36, 0.95), Down},
		{"tiny but clear: within the noise band", ratio(1.03, 1.01, 1.05, 0.95), NoClearChange},
		{"no interval, 1.08x", ratio(1.08, 1.08, 1.08, 0), NoClearChange},
		{"no interval, 1.39x", ratio(1.39, 1.39, 1.39, 0), Up},
		{"no interval, 0.8x", ratio(0.8, 0.8, 0.8, 0), Down},
		{"undefined", Ratio{}, NoClearChange},
	}
	for _, tt := range tests {
		if got := direction(tt.r); got != tt.want {
			t.Errorf("%s: direction = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestJudgeScaling(t *testing.T) {
	tests := []struct {
		name string
		s    Ratio
		k    float64
		want Scaling
	}{
		{"flat", ratio(1.01, 0.98, 1.04, 0.95), 2, ScalingNone},
		{"2x for 2x", ratio(2, 1.95, 2.05, 0.95), 2, ScalingLinear},
		// The quickstart's GOMAXPROCS 1 → 2 under load: 1.39x for a
		// doubling is a gain, not "no throughput added".
		{"1.39x for 2x", ratio(1.39, 1.39, 1.39, 0), 2, ScalingSublinear},
		// The same 1.39x for 8x the workers is little.
		{"1.39x for 8x", ratio(1.39, 1.39, 1.39, 0), 8, ScalingLittle},
		{"saturated", ratio(0.99, 0.97, 1.01, 0.95), 8, ScalingNone},
		{"loss", ratio(0.6, 0.55, 0.65, 0.95), 4, ScalingLoss},
		{"superlinear", ratio(2.6, 2.5, 2.7, 0.95), 2, ScalingSuperlinear},
		{"7.6x for 8x", ratio(7.6, 7.5, 7.7, 0.95), 8, ScalingLinear},
		{"noisy 1.5x for 2x", ratio(1.5, 0.9, 2.1, 0.95), 2, ScalingNone},
	}
	for _, tt := range tests {
		if got := judgeScaling(tt.s, tt.k); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	p := results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1}
	with := func(f func(*results.Params)) results.Params { q := p; f(&q); return q }
	tests := []struct {
		y    results.Params
		want Kind
	}{
		{p, ""},
		{with(func(q *results.Params) { q.Workers = 8 }), Scalability},
		{with(func(q *results.Params) { q.GOMAXPROCS = 2; q.Replicas = 2 }), Scalability},
		{with(func(q *results.Params) { q.Method = "fast" }), Performance},
		{with(func(q *results.Params) { q.Rate = 200 }), Load},
		{with(func(q *results.Params) { q.Rate = 200; q.Workers = 4 }), Mixed},
	}
	for _, tt := range tests {
		if got := kindOf(p, tt.y); got != tt.want {
			t.Errorf("kindOf(%v, %v) = %q, want %q", p, tt.y, got, tt.want)
		}
	}
	// A dimension is judged by its fields, not its name: a new dimension
	// named "build" with the performance noun is a performance change.
	build := *param.Method
	build.Name = "build"
	if dimKind(&build) != Performance {
		t.Errorf("a dimension with the performance noun is not a performance change")
	}
}

// setRepeats replaces cell i's repeat throughputs (and keeps the rest).
func setRepeats(run *results.Run, i int, tput ...float64) {
	c := &run.Cells[i]
	r0 := c.Repeats[0]
	c.Repeats = nil
	for j, v := range tput {
		r := r0
		r.Index, r.Throughput = j, v
		c.Repeats = append(c.Repeats, r)
	}
}

// openStages is the work of a job that fetches from a server with 100 ms
// of latency: what an open-loop job takes when it does not queue.
var openStages = results.Stages{Fetch: 0.1, Decode: 0.002, Resize: 0.002, Encode: 0.001}

func findingsText(a *Analysis) string { return strings.Join(a.Findings, "\n") }

// TestIssueDefects reproduces each sentence that contradicted its data
// and checks the sentence now agrees with it.
func TestIssueDefects(t *testing.T) {
	t.Run("article: a 2.9x drop in latency is not flat", func(t *testing.T) {
		var specs []cellSpec
		makespan := []float64{1.54, 0.92, 0.62, 0.62, 0.33}
		p50 := []float64{0.910, 0.62, 0.32, 0.32, 0.316}
		for w := 1; w <= 5; w++ {
			specs = append(specs, cellSpec{gomaxprocs: 1, workers: w, tput: 5 / makespan[w-1], p50: p50[w-1], makespan: makespan[w-1], stages: ioStages, repeats: 5})
		}
		a := Analyze(mkRun("batch", base111, specs...))
		cl := a.Classes[0].Sentence
		if strings.Contains(cl, "flat") || !strings.Contains(cl, "latency falls 2.9x (p50 910 ms → 316 ms)") {
			t.Errorf("class sentence: %q", cl)
		}
		if a.Series[0].USL != nil || a.Series[0].Amdahl != nil {
			t.Errorf("a batch staircase was fitted")
		}
		want := "Scalability (concurrency), workers 1 → 5: 5 jobs in 330 ms with 5 workers vs 1.54 s with 1 worker: " +
			"Scalability (makespan) = 1.54s/330ms = 4.67x, near-linear for 5x the workers; the batch takes about the time of one job."
		if len(a.Findings) == 0 || a.Findings[0] != want {
			t.Errorf("first finding\n got %q\nwant %q", a.Findings, want)
		}
		if strings.Contains(findingsText(a), "USL") {
			t.Errorf("fit in the findings of a batch:\n%s", findingsText(a))
		}
	})
	t.Run("quickstart: 1.39x for 2x the cores adds throughput", func(t *testing.T) {
		run := mkRun("closed", base111,
			cellSpec{gomaxprocs: 1, workers: 1, tput: 19.3, p50: 0.052, stages: ioStages, repeats: 1},
			cellSpec{gomaxprocs: 1, workers: 64, tput: 880, p50: 0.072, stages: cpuStages, repeats: 1},
			cellSpec{gomaxprocs: 2, workers: 1, tput: 19.4, p50: 0.052, stages: ioStages, repeats: 1},
			cellSpec{gomaxprocs: 2, workers: 64, tput: 1223, p50: 0.052, stages: cpuStages, repeats: 1},
		)
		a := Analyze(run)
		all := findingsText(a)
		for _, c := range a.Classes {
			if strings.Contains(c.Sentence, "GOMAXPROCS=2 vs GOMAXPROCS=1") && c.Concurrency == "high" {
				if strings.Contains(c.Sentence, "not add") || strings.Contains(c.Sentence, "no clear") {
					t.Errorf("1.39x called no gain: %q", c.Sentence)
				}
			}
		}
		if !strings.Contains(all, "Scalability (scale up), GOMAXPROCS 1 → 2 with 64 workers: Scalability (throughput) = 1223/880 = 1.39x, below linear for 2x the GOMAXPROCS") {
			t.Errorf("GOMAXPROCS finding:\n%s", all)
		}
		if strings.Contains(all, "does not add") {
			t.Errorf("findings:\n%s", all)
		}
	})
	t.Run("an interval that includes 1 says no clear change", func(t *testing.T) {
		run := mkRun("closed", results.Params{GOMAXPROCS: 1, Workers: 8, Replicas: 1},
			cellSpec{gomaxprocs: 1, workers: 8, tput: 100, p50: 0.01, stages: cpuStages, repeats: 6},
			cellSpec{gomaxprocs: 2, workers: 8, tput: 120, p50: 0.01, stages: cpuStages, repeats: 6},
		)
		setRepeats(run, 0, 100, 80, 120, 95, 105, 110)
		setRepeats(run, 1, 120, 85, 150, 90, 125, 118)
		a := Analyze(run)
		r := a.Series[0].Points[1].Speedup
		if !(r.Lo <= 1 && 1 <= r.Hi) {
			t.Fatalf("test data: interval %v–%v excludes 1", r.Lo, r.Hi)
		}
		if !strings.Contains(a.Findings[0], "no clear change for 2x the GOMAXPROCS") {
			t.Errorf("finding: %q", a.Findings[0])
		}
		if c := a.Classes[0]; c.Concurrency != "low" || !strings.Contains(c.Sentence, "adds no clear throughput") {
			t.Errorf("class: %+v", c)
		}
	})
	t.Run("latency.yaml: a code change is performance, not scalability", func(t *testing.T) {
		base := results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1, Method: "naive"}
		a := Analyze(mkRun("closed", base,
			cellSpec{gomaxprocs: 1, workers: 1, method: "naive", tput: 136, p50: 0.0073, stages: cpuStages, repeats: 6},
			cellSpec{gomaxprocs: 1, workers: 1, method: "fast", tput: 1020, p50: 0.00097, stages: cpuStages, repeats: 6},
		))
		if len(a.Findings) == 0 || !strings.HasPrefix(a.Findings[0], "Performance (method), naive → fast: Performance (latency) = ") {
			t.Errorf("first finding: %q", a.Findings)
		}
		if strings.Contains(findingsText(a), "Scalability") || strings.HasPrefix(a.Ratios[1].Throughput.Text, "Scalability") {
			t.Errorf("a code change called scalability: %q / %q", a.Findings, a.Ratios[1].Throughput.Text)
		}
		if len(a.Lessons) != 1 || a.Lessons[0].Kind != Performance || a.Lessons[0].Quotient != "7.337ms/974.9µs = 7.53x" {
			t.Errorf("lessons: %+v", a.Lessons)
		}
	})
	t.Run("open.yaml: a higher offered rate is a load curve, on to the saturated cell", func(t *testing.T) {
		base := results.Params{GOMAXPROCS: 2, Workers: 16, Replicas: 1, Rate: 50}
		run := mkRun("open", base,
			cellSpec{gomaxprocs: 2, workers: 16, rate: 50, tput: 50, p50: 0.105, stages: openStages},
			cellSpec{gomaxprocs: 2, workers: 16, rate: 100, tput: 99, p50: 0.108, stages: openStages},
			cellSpec{gomaxprocs: 2, workers: 16, rate: 150, tput: 147, p50: 0.11, stages: openStages},
			cellSpec{gomaxprocs: 2, workers: 16, rate: 200, tput: 152, p50: 1.9, stages: openStages},
		)
		a := Analyze(run)
		all := findingsText(a)
		if strings.Contains(all, "Scalability") || strings.HasPrefix(a.Ratios[3].Throughput.Text, "Scalability") {
			t.Errorf("a higher offered rate called scalability:\n%s\n%q", all, a.Ratios[3].Throughput.Text)
		}
		want := "Load curve: throughput follows the offered rate up to 150/s (p50 110 ms); past it the system saturates: " +
			"at 200/s it delivers 152 jobs/s of 200/s offered (76%) and p50 is 1.9 s: jobs queue (mean latency 1.99 s against 105 ms of work)."
		if len(a.Findings) == 0 || a.Findings[0] != want {
			t.Errorf("findings\n got %q\nwant %q", a.Findings, want)
		}
	})
	t.Run("open loop: bunching at 60% utilisation is not 'could not keep up'", func(t *testing.T) {
		base := results.Params{GOMAXPROCS: 2, Workers: 16, Replicas: 1, Rate: 100}
		run := mkRun("open", base,
			cellSpec{gomaxprocs: 2, workers: 16, rate: 100, tput: 99.6, p50: 0.105, stages: openStages, repeats: 1},
			cellSpec{gomaxprocs: 2, workers: 16, rate: 200, tput: 150, p50: 1.9, stages: openStages, repeats: 1},
		)
		run.Cells[0].Repeats[0].Late = &results.Lateness{Count: 11, MaxLag: 0.024}
		run.Cells[0].Repeats[0].Jobs = 300
		run.Cells[1].Repeats[0].Late = &results.Lateness{Count: 250, MaxLag: 1.5}
		run.Cells[1].Repeats[0].Jobs = 450
		cells := Summarize(run)
		for i, want := range []bool{false, true} {
			got := false
			for _, w := range cells[i].Warnings {
				got = got || w.Kind == "late-arrivals"
			}
			if got != want {
				t.Errorf("cell %d: late-arrivals warning %v, want %v: %+v", i, got, want, cells[i].Warnings)
			}
		}
	})
	t.Run("a fit flagged or peaking outside the range is not a finding", func(t *testing.T) {
		f := &Fit{Sigma: 0.05, Kappa: 0.01, Lambda: 50} // peak near 9.7
		for _, ws := range [][]int{{1, 2, 4, 8}, {1, 2, 3, 4, 5, 6}} {
			var specs []cellSpec
			for _, w := range ws {
				specs = append(specs, cellSpec{gomaxprocs: 4, workers: w, tput: f.Predict(float64(w)), p50: 0.02, stages: cpuStages})
			}
			a := Analyze(mkRun("closed", results.Params{GOMAXPROCS: 4, Workers: 1, Replicas: 1}, specs...))
			if strings.Contains(findingsText(a), "USL") {
				t.Errorf("workers %v: fit in the findings:\n%s", ws, findingsText(a))
			}
		}
	})
}

// quotientRE matches "a/b = cx" with optional units on the operands.
var quotientRE = regexp.MustCompile(`([0-9.]+)(µs|ms|s)?/([0-9.]+)(µs|ms|s)? = ([0-9.]+)x`)

// checkQuotients fails when a printed "a/b = cx" does not divide to c at
// the precision c is printed with.
func checkQuotients(t *testing.T, text string) int {
	t.Helper()
	unit := map[string]float64{"": 1, "s": 1, "ms": 1e-3, "µs": 1e-6}
	n := 0
	for _, m := range quotientRE.FindAllStringSubmatch(text, -1) {
		a, _ := strconv.ParseFloat(m[1], 64)
		b, _ := strconv.ParseFloat(m[3], 64)
		c, _ := strconv.ParseFloat(m[5], 64)
		dec := 0
		if i := strings.IndexByte(m[5], '.'); i >= 0 {
			dec = len(m[5]) - i - 1
		}
		got := a * unit[m[2]] / (b * unit[m[4]])
		p := math.Pow(10, float64(dec))
		if math.Round(got*p)/p != c {
			t.Errorf("%q: %v/%v = %.*f, not %s", m[0], a, b, dec, got, m[5])
		}
		n++
	}
	return n
}

func TestFindingsQuotientsCheck(t *testing.T) {
	var specs []cellSpec
	for _, g := range []int{1, 2} {
		for _, w := range []int{1, 4, 16, 64} {
			specs = append(specs, cellSpec{gomaxprocs: g, workers: w, tput: 19.3 * float64(w) * float64(g) / (1 + 0.01*float64(w)), p50: 0.0517 * (1 + 0.013*float64(w)), stages: ioStages})
		}
	}
	a := Analyze(mkRun("closed", base111, specs...))
	text := findingsText(a)
	for _, c := range a.Classes {
		text += "\n" + c.Sentence
	}
	for _, r := range a.Ratios {
		text += "\n" + r.Throughput.Text + "\n" + r.Latency.Text
	}
	if n := checkQuotients(t, text); n < 10 {
		t.Errorf("only %d quotients found in\n%s", n, text)
	}
}

// TestLessons checks which comparisons become lessons, and their kinds.
func TestLessons(t *testing.T) {
	tests := []struct {
		name string
		run  *results.Run
		want []string // "kind|title|quotient"
	}{
		{
			name: "replicas 1 vs 2",
			run: mkRun("closed", base111,
				cellSpec{gomaxprocs: 1, workers: 1, replicas: 1, tput: 100, p50: 0.01, stages: cpuStages},
				cellSpec{gomaxprocs: 1, workers: 1, replicas: 2, tput: 190, p50: 0.0105, stages: cpuStages},
			),
			want: []string{"scalability|replicas 1 → 2 with 1 worker|190/100 = 1.90x"},
		},
		{
			name: "baseline vs best cell across two dimensions",
			run: mkRun("closed", base111,
				cellSpec{gomaxprocs: 1, workers: 1, tput: 20, p50: 0.05, stages: ioStages},
				cellSpec{gomaxprocs: 2, workers: 8, tput: 150, p50: 0.053, stages: ioStages},
			),
			want: []string{"scalability|baseline → best cell|150/20 = 7.50x"},
		},
		{
			name: "method and workers: both lessons, best cell covered",
			run: mkRun("closed", results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1, Method: "naive"},
				cellSpec{gomaxprocs: 1, workers: 1, method: "naive", tput: 10, p50: 0.1, stages: cpuStages},
				cellSpec{gomaxprocs: 1, workers: 4, method: "naive", tput: 11, p50: 0.36, stages: cpuStages},
				cellSpec{gomaxprocs: 1, workers: 1, method: "fast", tput: 40, p50: 0.025, stages: cpuStages},
				cellSpec{gomaxprocs: 1, workers: 4, method: "fast", tput: 41, p50: 0.097, stages: cpuStages},
			),
			want: []string{
				"scalability|workers 1 → 4|11/10 = 1.10x",
				"performance|naive → fast|100ms/25ms = 4.00x",
				"mixed|baseline → best cell|41/10 = 4.10x",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Analyze(tt.run)
			var got []string
			for _, l := range a.Lessons {
				got = append(got, string(l.Kind)+"|"+l.Title+"|"+l.Quotient)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("lessons\n got %q\nwant %q", got, tt.want)
			}
			if len(a.Findings) < len(a.Lessons) {
				t.Fatalf("findings %q", a.Findings)
			}
			for i, l := range a.Lessons {
				if a.Findings[i] != l.Sentence {
					t.Errorf("finding %d is not lesson %d's sentence: %q", i, i, a.Findings[i])
				}
			}
		})
	}
}

// TestLatencyWordsCheck: each worded change is what a calculator gives for
// the two figures printed beside it.
func TestLatencyWordsCheck(t *testing.T) {
	for _, tc := range []struct {
		first, last float64
		want        string
	}{
		{0.021, 0.012, "latency falls 43% (p50 21 ms → 12 ms)"},
		{0.910, 0.316, "latency falls 2.9x (p50 910 ms → 316 ms)"},
		{0.053, 0.074, "latency rises 40% (p50 53 ms → 74 ms)"},
	} {
		got := latencyWords("latency", Ratio{Value: tc.last / tc.first}, tc.first, tc.last)
		if got != tc.want {
			t.Errorf("latencyWords(%v → %v) = %q, want %q", tc.first, tc.last, got, tc.want)
		}
	}
}

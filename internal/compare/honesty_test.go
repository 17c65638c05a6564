package compare

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/testutil"
)

// noisy returns n values around center with multiplicative log-normal
// noise of relative spread cv, drawn from rng.
func noisy(rng *rand.Rand, n int, center, cv float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = center * math.Exp(cv*rng.NormFloat64())
	}
	return xs
}

func compareOne(t *testing.T, m metric.Metric, base, head []float64) Row {
	t.Helper()
	res, err := Compare(Input{Pairs: []Pair{{Key: Key{Label: "workers=4"}, Metric: m, Base: base, Head: head}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows[0]
}

// TestIdenticalNeverWorse compares samples drawn from one distribution,
// one comparison at a time, over 200 seeds. A single comparison at α = 0.05
// is a level-α test: it cannot promise never to flag, only to flag in the
// worse direction at most α/2 = 2.5% of the time (5 of 200). With 10
// repeats and noise (2% per repeat) below the tolerance it never does;
// with 5 repeats it can, when all five head values fall below all five
// base values by more than the tolerance.
func TestIdenticalNeverWorse(t *testing.T) {
	testutil.Long(t, "hundreds of simulated A/A comparisons")
	for _, tt := range []struct {
		cv       float64
		n        int
		maxWorse int
	}{{0.02, 10, 0}, {0.02, 5, 5}, {0.03, 10, 5}, {0.03, 5, 5}} {
		for _, m := range []metric.Metric{metric.Throughput, metric.P99} {
			counts := map[Verdict]int{}
			for seed := range 200 {
				rng := rand.New(rand.NewPCG(uint64(seed), uint64(tt.n)))
				r := compareOne(t, m, noisy(rng, tt.n, 100, tt.cv), noisy(rng, tt.n, 100, tt.cv))
				counts[r.Verdict]++
			}
			t.Logf("A/A noise %.0f%% n=%d %s over 200 seeds: %v", 100*tt.cv, tt.n, m, counts)
			if counts[Worse] > tt.maxWorse {
				t.Errorf("noise %.0f%% n=%d %s: %d of 200 worse, want at most %d", 100*tt.cv, tt.n, m, counts[Worse], tt.maxWorse)
			}
		}
	}
}

func TestShiftDetected(t *testing.T) {
	tests := []struct {
		name   string
		m      metric.Metric
		n      int
		factor float64
		want   Verdict
	}{
		{"throughput down 25% n=10", metric.Throughput, 10, 0.75, Worse},
		{"throughput up 25% n=10", metric.Throughput, 10, 1.25, Better},
		{"p99 up 25% n=10", metric.P99, 10, 1.25, Worse},
		{"p99 down 25% n=10", metric.P99, 10, 0.75, Better},
		{"throughput down 25% n=5", metric.Throughput, 5, 0.75, Worse},
		{"cpu per job up 25% n=6", metric.CPUPerJob, 6, 1.25, Worse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range 50 {
				rng := rand.New(rand.NewPCG(uint64(seed), 7))
				r := compareOne(t, tt.m, noisy(rng, tt.n, 100, 0.03), noisy(rng, tt.n, 100*tt.factor, 0.03))
				if r.Verdict != tt.want {
					t.Fatalf("seed %d: %s, want %s (ratio %.3f [%.3f, %.3f], p %.3g)", seed, r.Verdict, tt.want, r.Ratio, r.RatioLo, r.RatioHi, r.PAdj)
				}
			}
		})
	}
}

func TestSmallShiftSame(t *testing.T) {
	for seed := range 50 {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		r := compareOne(t, metric.Throughput, noisy(rng, 10, 100, 0.005), noisy(rng, 10, 101, 0.005))
		if r.Verdict != Same {
			t.Fatalf("seed %d: %s, want same (ratio %.4f [%.4f, %.4f])", seed, r.Verdict, r.Ratio, r.RatioLo, r.RatioHi)
		}
	}
}

func TestInconclusiveHints(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name      string
		base      []float64
		head      []float64
		wantKind  HintKind
		wantHint  string
		wantWarn  string
		tolerance float64
	}{
		{
			name: "three repeats", base: noisy(rng, 3, 100, 0.01), head: noisy(rng, 3, 75, 0.01),
			wantKind: HintMoreRepeats, wantHint: "at least 4", wantWarn: "fewer than 4 cannot show a difference",
		},
		{
			name: "five repeats cannot show equivalence", base: noisy(rng, 5, 100, 0.002), head: noisy(rng, 5, 100, 0.002),
			wantKind: HintMoreRepeats, wantHint: "at least 6", wantWarn: "fewer than 6 give no 95% interval",
		},
		{
			name: "noise far wider than the tolerance", base: []float64{60, 70, 80, 90, 100, 100, 110, 120, 130, 140}, head: []float64{140, 130, 120, 110, 100, 100, 90, 80, 70, 60},
			wantKind: HintLongerWindow, wantHint: "longer measurement window",
		},
		{
			name: "a bit too noisy", base: []float64{97, 98, 99, 100, 100, 101, 101, 102, 103, 104}, head: []float64{96, 97, 99, 100, 101, 101, 102, 103, 104, 106},
			wantKind: HintMoreRepeats, wantHint: "per side would narrow", tolerance: 0.02,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if tt.tolerance > 0 {
				opts.Gate.Tolerances = map[metric.Metric]float64{metric.Throughput: tt.tolerance}
			}
			res, err := Compare(Input{Pairs: []Pair{{Key: Key{Label: "c"}, Metric: metric.Throughput, Base: tt.base, Head: tt.head}}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Rows[0]
			if r.Verdict != Inconclusive || r.HintKind != tt.wantKind || !strings.Contains(r.Hint, tt.wantHint) {
				t.Errorf("%s %s %q, want inconclusive %s containing %q (ratio %.3f [%.3f, %.3f])", r.Verdict, r.HintKind, r.Hint, tt.wantKind, tt.wantHint, r.Ratio, r.RatioLo, r.RatioHi)
			}
			if tt.wantWarn != "" && !strings.Contains(strings.Join(r.Warnings, "\n"), tt.wantWarn) {
				t.Errorf("warnings %q lack %q", r.Warnings, tt.wantWarn)
			}
		})
	}
}

// aaTrial compares cells × metrics drawn from identical distributions and
// returns how many rows came out worse and how many raw p-values were
// below 0.05.
func aaTrial(seed uint64, cells, n int, cv float64) (worse, rawSignificant, rows int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	var pairs []Pair
	point := []metric.Metric{metric.Throughput, metric.P50, metric.P90, metric.P99, metric.Makespan, metric.Efficiency, metric.CPUPerJob, metric.RSS}
	for c := range cells {
		for _, m := range point {
			pairs = append(pairs, Pair{
				Key:    Key{Label: fmt.Sprintf("workers=%d", 1<<c)},
				Metric: m,
				Base:   noisy(rng, n, 100, cv),
				Head:   noisy(rng, n, 100, cv),
			})
		}
	}
	res, err := Compare(Input{Pairs: pairs}, Options{})
	if err != nil {
		panic(err)
	}
	for _, r := range res.Rows {
		if r.Verdict == Worse {
			worse++
		}
		if r.P < 0.05 {
			rawSignificant++
		}
	}
	return worse, rawSignificant, len(res.Rows)
}

// TestAAFalseAlarms runs 200 seeded A/A trials of 6 cells × 8 metrics
// (48 comparisons each) and counts the trials with any worse row.
func TestAAFalseAlarms(t *testing.T) {
	if testing.Short() {
		t.Skip("200 trials")
	}
	trials := 200
	tests := []struct {
		name string
		cv   float64
		// maxAlarms is the number of trials allowed to flag: none at
		// realistic noise; at noise larger than the tolerance Holm still
		// bounds the family-wise rate at α = 5%.
		maxAlarms int
	}{
		{"noise 3%", 0.03, 0},
		{"noise 10%", 0.10, 10},
	}
	if raceEnabled {
		trials = 20 // the race detector makes each trial ten times slower
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alarms, raw, total := 0, 0, 0
			for seed := range trials {
				w, r, n := aaTrial(uint64(seed), 6, 10, tt.cv)
				if w > 0 {
					alarms++
				}
				raw += r
				total += n
			}
			t.Logf("%s: %d of %d A/A trials flagged worse (%.1f%%); raw p<0.05 in %d of %d comparisons (%.1f%%)",
				tt.name, alarms, trials, 100*float64(alarms)/float64(trials), raw, total, 100*float64(raw)/float64(total))
			if alarms > tt.maxAlarms {
				t.Errorf("%d false alarms in %d trials, want at most %d", alarms, trials, tt.maxAlarms)
			}
		})
	}
}

func TestPowerWarning(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var pairs []Pair
	for c := range 4 {
		for _, m := range []metric.Metric{metric.Throughput, metric.P99} {
			pairs = append(pairs, Pair{Key: Key{Label: fmt.Sprint(c)}, Metric: m, Base: noisy(rng, 5, 100, 0.01), Head: noisy(rng, 5, 50, 0.01)})
		}
	}
	res, err := Compare(Input{Pairs: pairs}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 5 vs 5 reach p = 2/252 ≈ 0.0079 at best, above 0.05/8.
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "use at least 6 repeats") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	for _, r := range res.Rows {
		if r.Verdict == Worse || r.Verdict == Better {
			t.Errorf("%s %s: %s with p_adj %v", r.Key.Label, r.Metric, r.Verdict, r.PAdj)
		}
	}
	if minP(4, 4) != 2.0/70 || minP(3, 3) != 0.1 {
		t.Errorf("minP(4,4) = %v, minP(3,3) = %v", minP(4, 4), minP(3, 3))
	}
}

// TestNoFalseSame checks that a change beyond the tolerance (throughput
// 5%) is not called the same: a two-sided 95% interval puts at most 2.5%
// on each side, so at most 5 of 200 trials may pass as equivalent.
func TestNoFalseSame(t *testing.T) {
	if testing.Short() {
		t.Skip("1600 comparisons")
	}
	const trials = 200
	for _, n := range []int{6, 10} {
		for _, cv := range []float64{0.03, 0.05} {
			for _, shift := range []float64{0.06, 0.075} {
				counts := map[Verdict]int{}
				for seed := range trials {
					rng := rand.New(rand.NewPCG(uint64(seed), 5))
					r := compareOne(t, metric.Throughput, noisy(rng, n, 100, cv), noisy(rng, n, 100*(1-shift), cv))
					counts[r.Verdict]++
				}
				t.Logf("n=%d noise %.0f%% true change -%.1f%%: %v", n, 100*cv, 100*shift, counts)
				if counts[Same] > trials*25/1000 {
					t.Errorf("n=%d noise %.0f%% change -%.1f%%: %d of %d called same", n, 100*cv, 100*shift, counts[Same], trials)
				}
				if counts[Better] > 0 {
					t.Errorf("n=%d noise %.0f%% change -%.1f%%: %d called better", n, 100*cv, 100*shift, counts[Better])
				}
			}
		}
	}
}

// TestCurveMetrics compares bootstrap replicates of a fitted parameter.
func TestCurveMetrics(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	key := Key{Label: "gomaxprocs=1 replicas=1"}
	tests := []struct {
		name      string
		metric    metric.Metric
		base      []float64
		head      []float64
		gate      string
		want      Verdict
		wantGated bool
	}{
		{"kappa doubled, not gated by default", metric.Kappa, noisy(rng, 1000, 0.002, 0.1), noisy(rng, 1000, 0.004, 0.1), "", Worse, false},
		{"kappa doubled, gated by --fail-on", metric.Kappa, noisy(rng, 1000, 0.002, 0.1), noisy(rng, 1000, 0.004, 0.1), "kappa:+50%", Worse, true},
		{"sigma unchanged", metric.Sigma, noisy(rng, 1000, 0.03, 0.05), noisy(rng, 1000, 0.03, 0.05), "sigma:+50%", Same, true},
		{"peak N wide", metric.PeakN, noisy(rng, 1000, 20, 0.4), noisy(rng, 1000, 21, 0.4), "peak_n:-20%", Inconclusive, true},
		{"efficiency at largest N better", metric.EfficiencyMax, noisy(rng, 1000, 0.5, 0.03), noisy(rng, 1000, 0.7, 0.03), "efficiency_max_n:-10%", Better, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts Options
			if tt.gate != "" {
				g, err := ParseFailOn(tt.gate)
				if err != nil {
					t.Fatal(err)
				}
				opts.Gate = g
			}
			res, err := Compare(Input{Pairs: []Pair{{Key: key, Metric: tt.metric, Base: tt.base, Head: tt.head, BaseRepeats: 10, HeadRepeats: 10}}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Rows[0]
			if r.Verdict != tt.want || r.Gated != tt.wantGated {
				t.Errorf("%s gated=%v, want %s gated=%v (ratio %.3f [%.3f, %.3f], p %.3g)", r.Verdict, r.Gated, tt.want, tt.wantGated, r.Ratio, r.RatioLo, r.RatioHi, r.P)
			}
			if !(r.RatioLo <= r.Ratio && r.Ratio <= r.RatioHi) {
				t.Errorf("ratio %v outside its interval [%v, %v]", r.Ratio, r.RatioLo, r.RatioHi)
			}
		})
	}
	// Too few repeats behind the replicates: warned.
	res, err := Compare(Input{Pairs: []Pair{{Key: key, Metric: metric.Kappa, Base: []float64{1, 2}, Head: []float64{1, 2}, BaseRepeats: 3, HeadRepeats: 10}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(res.Rows[0].Warnings, ";"); !strings.Contains(w, "base has 3 repeats") {
		t.Errorf("warnings %q", w)
	}
}

func TestGeomean(t *testing.T) {
	pairs := []Pair{
		{Key: Key{Label: "a"}, Metric: metric.Throughput, Base: []float64{10, 10, 10}, Head: []float64{20, 20, 20}},
		{Key: Key{Label: "b"}, Metric: metric.Throughput, Base: []float64{40, 40, 40}, Head: []float64{20, 20, 20}},
		{Key: Key{Label: "c"}, Metric: metric.Throughput, Base: []float64{0, 0, 0}, Head: []float64{1, 1, 1}},
		{Key: Key{Label: "a"}, Metric: metric.P99, Base: []float64{1, 1, 1}, Head: []float64{2, 2, 2}},
	}
	res, err := Compare(Input{Pairs: pairs}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Throughput: geomean(10, 40) = 20, geomean(20, 20) = 20; the zero
	// median of c is left out. P99 has one pair: no geomean.
	if len(res.Geomeans) != 1 {
		t.Fatalf("geomeans %+v", res.Geomeans)
	}
	g := res.Geomeans[0]
	if g.Metric != metric.Throughput || g.Pairs != 2 || math.Abs(g.Base-20) > 1e-9 || math.Abs(g.Head-20) > 1e-9 || math.Abs(g.Ratio-1) > 1e-12 {
		t.Errorf("geomean %+v", g)
	}
	if r := res.Rows[2]; r.Verdict != Inconclusive || r.HintKind != HintUndefined || !strings.Contains(strings.Join(r.Warnings, ";"), "base median is zero") {
		t.Errorf("zero base: %+v", r)
	}
}

func TestCompareInputErrors(t *testing.T) {
	p := Pair{Key: Key{Label: "a"}, Metric: metric.Throughput, Base: []float64{1}, Head: []float64{1}}
	for _, tt := range []struct {
		name string
		in   Input
		opts Options
		want string
	}{
		{"empty", Input{}, Options{}, "no cell is measured on both sides"},
		{"duplicate", Input{Pairs: []Pair{p, p}}, Options{}, "has metric throughput twice"},
		{"bad tolerance", Input{Pairs: []Pair{p}}, Options{Gate: Gate{Tolerances: map[metric.Metric]float64{metric.Throughput: -1}}}, "positive percentage"},
		{"unknown gated metric", Input{Pairs: []Pair{p}}, Options{Gate: Gate{Only: []metric.Metric{"lat"}}}, `unknown metric "lat"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(tt.in, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || ExitCodeOf(err) != ExitUnusable {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// An empty side is a row, not an error.
	res, err := Compare(Input{Pairs: []Pair{{Key: Key{Label: "a"}, Metric: metric.P50, Base: []float64{1, 2, 3, 4, 5, 6}}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Rows[0]; r.Verdict != Inconclusive || !strings.Contains(strings.Join(r.Warnings, ";"), "head has no values") {
		t.Errorf("empty head: %+v", r)
	}
}

// BenchmarkCompare compares 6 cells × 8 metrics of 10 repeats each.
func BenchmarkCompare(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var pairs []Pair
	for c := range 6 {
		for _, mi := range metric.Metrics()[:8] {
			pairs = append(pairs, Pair{Key: Key{Label: fmt.Sprint(c)}, Metric: mi.Metric, Base: noisy(rng, 10, 100, 0.03), Head: noisy(rng, 10, 100, 0.03)})
		}
	}
	b.ResetTimer()
	for range b.N {
		if _, err := Compare(Input{Pairs: pairs}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestShiftFoundAmongMany hides one 25% regression among 48 comparisons:
// after Holm's correction it is still found, and nothing else is flagged.
func TestShiftFoundAmongMany(t *testing.T) {
	testutil.Long(t, "hundreds of simulated comparisons; TestShiftDetected makes one")
	for seed := range 20 {
		rng := rand.New(rand.NewPCG(uint64(seed), 1234))
		var pairs []Pair
		for c := range 6 {
			for _, mi := range metric.Metrics()[:8] {
				head := noisy(rng, 10, 100, 0.03)
				if c == 3 && mi.Metric == metric.P99 {
					head = noisy(rng, 10, 125, 0.03)
				}
				pairs = append(pairs, Pair{Key: Key{Label: fmt.Sprint("cell", c)}, Metric: mi.Metric, Base: noisy(rng, 10, 100, 0.03), Head: head})
			}
		}
		res, err := Compare(Input{Pairs: pairs}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		o := res.Outcome()
		if o.Code != ExitWorse || len(o.Worse) != 1 || res.Rows[o.Worse[0]].Key.Label != "cell3" || res.Rows[o.Worse[0]].Metric != metric.P99 {
			for _, i := range o.Worse {
				t.Logf("worse: %s %s", res.Rows[i].Key.Label, res.Rows[i].Metric)
			}
			t.Fatalf("seed %d: code %d with %d worse rows, want exactly cell3 p99", seed, o.Code, len(o.Worse))
		}
	}
}

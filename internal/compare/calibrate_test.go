package compare

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/testutil"
)

func TestRate(t *testing.T) {
	for _, tt := range []struct {
		k, n           int
		rate, lo, hi   float64
		tolLo, tolHigh float64
	}{
		// Clopper–Pearson: 0 of 20 is [0, 16.8%]; 20 of 20 is [83.2%, 1].
		{0, 20, 0, 0, 0.1684, 1e-9, 5e-4},
		{20, 20, 1, 0.8316, 1, 5e-4, 1e-9},
		{1, 20, 0.05, 0.00127, 0.2487, 5e-4, 5e-4},
	} {
		rate, lo, hi := Rate(tt.k, tt.n)
		if rate != tt.rate || math.Abs(lo-tt.lo) > tt.tolLo || math.Abs(hi-tt.hi) > tt.tolHigh {
			t.Errorf("Rate(%d, %d) = %.4f [%.4f, %.4f], want %.4f [%.4f, %.4f]", tt.k, tt.n, rate, lo, hi, tt.rate, tt.lo, tt.hi)
		}
	}
}

// aaInputs are A/A runs of one pair whose throughput varies by noise per
// measurement.
func aaInputs(noise float64, runs, rounds int) []PairedInput {
	rng := rand.New(rand.NewPCG(3, 4))
	var out []PairedInput
	for range runs {
		r := Rounds{Key: Key{Label: "workers=32"}, Metric: metric.Throughput}
		for range rounds {
			r.Base = append(r.Base, 400*math.Exp(noise*rng.NormFloat64()))
			r.Head = append(r.Head, 400*math.Exp(noise*rng.NormFloat64()))
		}
		out = append(out, PairedInput{Rounds: []Rounds{r}})
	}
	return out
}

// TestSmallestEffect: the smallest slowdown the gate finds grows with the
// noise of the rounds it is simulated from, and shrinks with the budget.
func TestSmallestEffect(t *testing.T) {
	testutil.Long(t, "thousands of simulated A/B runs")
	resp := Response{"workers=32": {metric.Throughput: -1}}
	g := Sequential{Options: Options{Gate: Gate{Tolerances: map[metric.Metric]float64{metric.Throughput: 0.02}, Only: []metric.Metric{metric.Throughput}}}, Budget: time.Minute}
	quiet, ok := SmallestEffect(aaInputs(0.02, 5, 10), resp, g, 6, 2*time.Second, 0.8, 1)
	if !ok || math.IsNaN(quiet) {
		t.Fatalf("quiet machine: %v, %v", quiet, ok)
	}
	noisy, _ := SmallestEffect(aaInputs(0.08, 5, 10), resp, g, 6, 2*time.Second, 0.8, 1)
	if !(noisy > quiet) {
		t.Errorf("smallest effect %.3f with 8%% noise, %.3f with 2%%: want it larger on the noisier machine", noisy, quiet)
	}
	g.Budget = 3 * time.Minute
	longer, _ := SmallestEffect(aaInputs(0.08, 5, 10), resp, g, 6, 2*time.Second, 0.8, 1)
	if !(longer < noisy) {
		t.Errorf("smallest effect %.3f with a 3m budget, %.3f with 1m: want it smaller with more time", longer, noisy)
	}
	t.Logf("smallest effect: %.3f (2%% noise, 1m), %.3f (8%%, 1m), %.3f (8%%, 3m)", quiet, noisy, longer)
	if _, ok := SmallestEffect(nil, resp, g, 6, time.Second, 0.8, 1); ok {
		t.Error("no A/A rounds, yet an estimate")
	}
}

func TestCalibrationLines(t *testing.T) {
	c := Calibration{
		Scenario: "ci", CPUs: 2, Gate: "throughput:-5%", Budget: 2 * time.Minute, Effect: 0.1,
		AA:        []CalibrationRun{{Code: ExitOK, Took: 50 * time.Second}, {Code: ExitWorse, Took: 30 * time.Second}},
		AB:        []CalibrationRun{{Code: ExitWorse, Took: 40 * time.Second}, {Code: ExitWorse, Took: 44 * time.Second}, {Code: ExitOK, Took: 2 * time.Minute}},
		Smallest:  0.062,
		Power:     0.8,
		Simulated: true,
	}
	text := strings.Join(c.Lines(), "\n")
	for _, want := range []string{
		"A/A (same build twice)        2 runs  false alarms   1  (50%",
		"A/B (head 10% slower)         3 runs  detected   2  (66.7%, 95% CI 9.43%–99.2%)",
		"median time to verdict 42s",
		"within 2m: about 6%",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("calibration lines lack %q:\n%s", want, text)
		}
	}
}

// TestSmallestEffectKeepsSessions: rounds that come in sessions sharing an
// offset (sliced runs) are drawn a session at a time, so the estimate is
// not the optimistic one of drawing them one by one.
func TestSmallestEffectKeepsSessions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var aa []PairedInput
	for range 4 {
		r := Rounds{Key: Key{Label: "workers=32"}, Metric: metric.Throughput}
		for range 6 { // sessions of 10 rounds
			offset := 0.05 * rng.NormFloat64()
			for range 10 {
				r.Base = append(r.Base, 400)
				r.Head = append(r.Head, 400*math.Exp(offset+0.01*rng.NormFloat64()))
			}
		}
		aa = append(aa, PairedInput{Rounds: []Rounds{r}})
	}
	resp := Response{"workers=32": {metric.Throughput: -1}}
	g := Sequential{Options: Options{Gate: Gate{Tolerances: map[metric.Metric]float64{metric.Throughput: 0.02}, Only: []metric.Metric{metric.Throughput}}}, Budget: 12 * time.Second}
	oneByOne, _ := SmallestEffect(aa, resp, g, 20, 300*time.Millisecond, 0.8, 1)
	g.StepRounds = 10
	bySession, _ := SmallestEffect(aa, resp, g, 20, 300*time.Millisecond, 0.8, 1)
	if !(bySession > oneByOne) {
		t.Errorf("smallest effect %.3f drawing sessions whole, %.3f drawing rounds one by one: want it larger by sessions", bySession, oneByOne)
	}
	t.Logf("smallest effect: %.3f by sessions, %.3f one by one", bySession, oneByOne)
}

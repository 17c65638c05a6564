package compare

import (
	"math"
	"math/rand/v2"
	"testing"
)

// noiseModel draws the log ratio of round r of a simulated A/B run before
// the random order of the round is applied.
type noiseModel struct {
	name string
	draw func(rng *rand.Rand, r int) float64
}

// noiseModels are the machines the sequential test must hold on: steady,
// heavy-tailed, bursty on one side, and drifting with a slower second slot.
var noiseModels = []noiseModel{
	{"normal 6%", func(rng *rand.Rand, _ int) float64 { return 0.06 * rng.NormFloat64() }},
	{"heavy tails", func(rng *rand.Rand, _ int) float64 {
		// Student t with 2 degrees of freedom: infinite variance.
		z := rng.NormFloat64()
		c := rng.NormFloat64()*rng.NormFloat64() + rng.NormFloat64()*rng.NormFloat64()
		return 0.03 * z / math.Sqrt(math.Abs(c)/2+1e-9)
	}},
	{"one-sided bursts", func(rng *rand.Rand, _ int) float64 {
		x := 0.04 * rng.NormFloat64()
		if rng.IntN(8) == 0 {
			x -= 0.3 // the slot measured second loses 30% now and then
		}
		return x
	}},
	{"drift and bursts", func(rng *rand.Rand, r int) float64 {
		x := 0.05*rng.NormFloat64() + 0.02*math.Sin(float64(r)/5)
		if (r/7)%3 == 0 {
			x *= 4 // a noisy stretch of several rounds
		}
		return x
	}},
}

// simulateAA returns the log ratios of n rounds of an A/A run: the noise
// of the slot measured second against the first, with the builds' order
// in each round drawn at random, so the sign of each ratio is a fair coin.
func simulateAA(rng *rand.Rand, m noiseModel, n int, effect float64) []float64 {
	d := make([]float64, n)
	for r := range d {
		x := m.draw(rng, r)
		if rng.IntN(2) == 0 {
			x = -x
		}
		d[r] = x + effect
	}
	return d
}

// TestPairedTestFalseAlarmsWhateverTheRounds: under each noise model, an
// A/A run looked at after every round for up to 100 rounds reaches
// p < 0.05 in at most 5% of runs (plus the binomial slack of 400 runs).
func TestPairedTestFalseAlarmsWhateverTheRounds(t *testing.T) {
	const runs, rounds = 400, 100
	for _, m := range noiseModels {
		rng := rand.New(rand.NewPCG(11, 17))
		alarms := 0
		for range runs {
			d := simulateAA(rng, m, rounds, 0)
			// The running maximum of the evidence at the last round is the
			// maximum over every round: an alarm at any round counts.
			if newPairedTest(d).pValue() < 0.05 {
				alarms++
			}
		}
		// 5% of 400 is 20; 3 standard deviations of a binomial add 13.
		if alarms > 33 {
			t.Errorf("%s: %d of %d A/A runs reached p < 0.05 at some round, want at most 5%% (20, 33 with slack)", m.name, alarms, runs)
		}
		t.Logf("%s: %d of %d A/A runs ever reached p < 0.05 in %d rounds", m.name, alarms, runs, rounds)
	}
}

// TestPairedIntervalCoversTheEffect: the confidence sequence holds a
// constant effect at every round at once in at least 95% of runs.
func TestPairedIntervalCoversTheEffect(t *testing.T) {
	const runs, rounds = 300, 40
	effect := math.Log(0.9)
	for _, m := range noiseModels[:2] {
		rng := rand.New(rand.NewPCG(5, 6))
		missed := 0
		for range runs {
			d := simulateAA(rng, m, rounds, effect)
			tst := newPairedTest(d)
			if tst.maxEvidence(effect) >= 20 { // excluded at some round
				missed++
			}
		}
		if missed > 25 {
			t.Errorf("%s: the interval missed the effect in %d of %d runs, want at most 5%% (15, 25 with slack)", m.name, missed, runs)
		}
	}
}

// TestPairedTestFindsATenPercentEffect: a build 10% slower is found
// significant, with the estimate beyond a 5% tolerance and after a Holm
// correction for four gated rows, in at least 95% of runs: within 20
// rounds with 6% noise per round, within 30 when one round in eight is hit
// by a 30% burst on one side (such a round is a coin flip).
func TestPairedTestFindsATenPercentEffect(t *testing.T) {
	const runs = 200
	effect := math.Log(0.9)
	for _, tt := range []struct {
		m      noiseModel
		rounds int
	}{{noiseModels[0], 20}, {noiseModels[2], 30}} {
		m := tt.m
		rng := rand.New(rand.NewPCG(7, 8))
		found := 0
		for range runs {
			d := simulateAA(rng, m, tt.rounds, effect)
			tst := newPairedTest(d)
			if tst.pValue()*4 < 0.05 && math.Exp(tst.estimate()) < 0.95 {
				found++
			}
		}
		if found < runs*95/100 {
			t.Errorf("%s: a 10%% effect found in %d of %d runs of %d rounds, want at least 95%%", m.name, found, runs, tt.rounds)
		}
	}
}

func TestPairedEstimateIgnoresABurst(t *testing.T) {
	d := []float64{-0.10, -0.11, -0.09, -0.10, -0.12, 0.5, -0.10, -0.08, -0.11, -0.10,
		-0.09, -0.10, -0.11, -0.10, -0.09, -0.12, -0.10, -0.08, -0.11, -0.10}
	tst := newPairedTest(d)
	if got := math.Exp(tst.estimate()); got < 0.88 || got > 0.92 {
		t.Errorf("estimate %.3f with one burst round, want about 0.90", got)
	}
	lo, hi, ok := tst.interval(0.05)
	if !ok || !(lo < math.Log(0.9) && math.Log(0.9) < hi) || hi >= 0 {
		t.Errorf("interval [%.3f, %.3f] ok=%v, want it to hold 0.90 and exclude 1", math.Exp(lo), math.Exp(hi), ok)
	}
}

func TestPairedIntervalUnboundedAtFirst(t *testing.T) {
	tst := newPairedTest([]float64{-0.1, -0.1})
	if _, _, ok := tst.interval(0.05); ok {
		t.Error("two rounds gave a bounded 95% interval; the bets cannot have grown that fast")
	}
	if p := tst.pValue(); p < 0.05 {
		t.Errorf("two rounds gave p = %.3g", p)
	}
}

func TestHodgesLehmann(t *testing.T) {
	for _, tt := range []struct {
		d    []float64
		want float64
	}{
		{[]float64{1}, 1},
		{[]float64{1, 3}, 2},
		{[]float64{0, 0, 10}, 2.5}, // Walsh averages 0 0 5 0 5 10
	} {
		if got := hodgesLehmann(tt.d); got != tt.want {
			t.Errorf("hodgesLehmann(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
	if !math.IsNaN(hodgesLehmann(nil)) {
		t.Error("hodgesLehmann(nil) is not NaN")
	}
}

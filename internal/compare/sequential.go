package compare

import (
	"math"
	"slices"
)

// The paired, sequential test of an A/B run.
//
// Each round of an A/B run measures both builds back to back, in an order
// drawn at random for the round. The unit of evidence is the round's log
// ratio d = log(head/base). For a candidate effect θ (a log ratio), a
// round's score is x = clip((d − θ)/s, −1, 1), where s is 1.5 times a
// robust scale (the interquartile range) of the earlier rounds' d,
// so one round hit by a burst on one side moves the evidence by at most
// one bounded step. Two betting capitals grow on the scores, one betting
// they come out positive and one negative, each with a stake set from the
// earlier rounds' scores only (the growth-rate-adaptive plug-in of
// Waudby-Smith and Ramdas); their average is the e-value E_n(θ).
//
// When the builds differ by exactly θ, the random order makes the sign of
// d − θ a fair coin given everything before the round and the round's
// |d − θ|, whatever the machine does meanwhile (bursts, drift, a slower
// second slot): E_n(θ) is then a nonnegative martingale of mean 1, and by
// Ville's inequality it ever reaches 1/α with probability at most α. So:
//
//   - p_n = min(1, 1/max_{m≤n} E_m(0)) is a p-value at whatever round the
//     run stops, however it chose to stop (an always-valid p-value); for an
//     A/A run this holds exactly, with no model of the noise;
//   - {θ : max_{m≤n} E_m(θ) < 1/α} holds the true effect at every round at
//     once with probability 1 − α (a confidence sequence), under the model
//     that head = base × e^θ round by round.
//
// The estimate is the Hodges–Lehmann estimator of the rounds' d (the
// median of the pairwise means), robust to a few rounds hit on one side.

// Parameters of the test. They were chosen on recorded A/B runs of
// scenarios/ci.yaml (docs/gate.md has the figures).
const (
	// clipScales: a score saturates at this many robust scales from θ.
	clipScales = 1.5
	// priorScale and priorWeight: before the rounds tell their own spread,
	// the scale is taken as 5% (a log ratio of 0.05), as if seen in two
	// rounds.
	priorScale  = 0.05
	priorWeight = 2
	// maxStake bounds a bet, so a capital never falls below 1 − maxStake of
	// itself in one round.
	maxStake = 0.9
)

// pairedTest is the sequential test of one metric of one pair.
type pairedTest struct {
	d      []float64 // log ratios, round by round
	scales []float64 // scales[i]: the scale round i is scored with
}

// newPairedTest prepares the test of the log ratios d (NaN-free).
func newPairedTest(d []float64) *pairedTest {
	t := &pairedTest{d: d, scales: make([]float64, len(d))}
	sorted := make([]float64, 0, len(d))
	for i, x := range d {
		t.scales[i] = clipScales * robustScale(sorted)
		j, _ := slices.BinarySearch(sorted, x)
		sorted = slices.Insert(sorted, j, x)
	}
	return t
}

// robustScale is the spread of the sorted past rounds as a standard
// deviation would be for normal noise (the interquartile range over
// 1.349), shrunk towards priorScale as if that were seen in priorWeight
// rounds.
func robustScale(sorted []float64) float64 {
	n := len(sorted)
	if n < 2 {
		return priorScale
	}
	iqr := quantile(sorted, 0.75) - quantile(sorted, 0.25)
	sd := iqr / 1.349
	w := float64(n)
	return math.Sqrt((priorWeight*priorScale*priorScale + w*sd*sd) / (priorWeight + w))
}

func medianSorted(s []float64) float64 {
	n := len(s)
	switch {
	case n == 0:
		return math.NaN()
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// maxEvidence returns max over rounds m ≤ n of E_m(θ), the e-value of the
// hypothesis that head = base × e^θ.
func (t *pairedTest) maxEvidence(theta float64) float64 {
	up, down, best := 1.0, 1.0, 1.0
	var sum, sumsq float64
	for i, d := range t.d {
		x := (d - theta) / t.scales[i]
		x = math.Max(-1, math.Min(1, x))
		// The stake: the mean of past scores over their second moment
		// (with a prior second moment of 1/4), in the direction it points.
		stake := sum / (0.25 + sumsq)
		up *= 1 + math.Min(maxStake, math.Max(0, stake))*x
		down *= 1 - math.Min(maxStake, math.Max(0, -stake))*x
		sum += x
		sumsq += x * x
		best = math.Max(best, (up+down)/2)
	}
	return best
}

// pValue is the always-valid two-sided p-value of "no change" (θ = 0).
func (t *pairedTest) pValue() float64 {
	if len(t.d) == 0 {
		return math.NaN()
	}
	return math.Min(1, 1/t.maxEvidence(0))
}

// estimate is the Hodges–Lehmann estimate of θ.
func (t *pairedTest) estimate() float64 { return hodgesLehmann(t.d) }

// interval returns the confidence sequence for θ at level 1−alpha after
// the rounds so far, searched within ±maxLogRatio of the estimate; ok is
// false when one of its ends is not yet inside that range.
func (t *pairedTest) interval(alpha float64) (lo, hi float64, ok bool) {
	if len(t.d) == 0 {
		return math.NaN(), math.NaN(), false
	}
	center := t.estimate()
	limit := 1 / alpha
	if t.maxEvidence(center) >= limit {
		// Every θ is rejected somewhere: the rounds contradict a constant
		// effect. Report the estimate alone.
		return center, center, true
	}
	edge := func(dir float64) (float64, bool) {
		inside, outside := center, center+dir*maxLogRatio
		if t.maxEvidence(outside) < limit {
			return outside, false
		}
		for range 50 {
			mid := (inside + outside) / 2
			if t.maxEvidence(mid) < limit {
				inside = mid
			} else {
				outside = mid
			}
			if math.Abs(outside-inside) < 1e-5 {
				break
			}
		}
		return inside, true
	}
	lo, okLo := edge(-1)
	hi, okHi := edge(+1)
	return lo, hi, okLo && okHi
}

// maxLogRatio bounds the search for an interval's ends: ratios from 1/10
// to 10 times the estimate.
var maxLogRatio = math.Log(10)

// hodgesLehmann is the median of the pairwise means (Walsh averages) of d.
func hodgesLehmann(d []float64) float64 {
	n := len(d)
	if n == 0 {
		return math.NaN()
	}
	w := make([]float64, 0, n*(n+1)/2)
	for i := range d {
		for j := i; j < n; j++ {
			w = append(w, (d[i]+d[j])/2)
		}
	}
	slices.Sort(w)
	return medianSorted(w)
}

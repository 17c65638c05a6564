package changepoint

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// The t-test at a split chosen because it separates the values best is
// not a t-test of a split fixed in advance: searched over every split of
// n values, some split reaches p < 0.001 in a stationary series far more
// often than once in a thousand. Otava accepts that and uses a small
// level; here the t-test's p-value is corrected for the search instead,
// with Siegmund's approximation for the largest standardised difference
// of means over all the splits a segment allows (Siegmund 1986; James,
// James and Siegmund 1987), so the level is the false-alarm rate a
// stationary series has.

// searchP is the two-sided p-value of a split of a segment of n values
// whose t-test (t with df degrees of freedom) gave the statistic, allowing
// for the choice of the split among those leaving minSize values on each
// side.
func searchP(t, df float64, n, minSize int) float64 {
	if math.IsNaN(t) {
		return 1
	}
	t = math.Abs(t)
	if math.IsInf(t, 1) {
		return 0
	}
	// The t statistic as a standard normal one of the same tail, so that
	// short segments' estimated variance is allowed for.
	p := 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(t)
	if p <= 0 {
		return 0
	}
	b := -distuv.UnitNormal.Quantile(p / 2)
	if !(b > 0) {
		return 1
	}
	// P(max |Z_t| > b) ≈ b·φ(b)·Σ n/(t(n−t))·ν(b·√(n/(t(n−t)))).
	var sum float64
	fn := float64(n)
	for s := minSize; s <= n-minSize; s++ {
		fs := float64(s)
		r := fn / (fs * (fn - fs))
		sum += r * nu(b*math.Sqrt(r))
	}
	q := b * distuv.UnitNormal.Prob(b) * sum
	// The approximation is for the tail; it never says less than the
	// single test does, nor more than certainty.
	return math.Min(1, math.Max(q, p))
}

// nu is Siegmund's correction for a discrete-time process crossing a
// boundary: ν(x) ≈ (2/x)(Φ(x/2) − ½) / ((x/2)Φ(x/2) + φ(x/2)).
func nu(x float64) float64 {
	if x < 1e-6 {
		return 1
	}
	h := x / 2
	return (2 / x) * (distuv.UnitNormal.CDF(h) - 0.5) / (h*distuv.UnitNormal.CDF(h) + distuv.UnitNormal.Prob(h))
}

// tstat returns the two-sample t statistic (pooled variance) for the
// means of a and b, and its degrees of freedom. Two constant segments at
// different levels give +Inf; at one level, t = 0.
//
// The pooled variance keeps the statistic the one whose search the
// correction describes; Welch's, with its own variance for a short part,
// makes false alarms at twice the level in series of 20 to 50 values.
// An outlier in a short part inflates the pooled variance, and the
// statistic stays small.
func tstat(a, b Segment) (t, df float64) {
	na, nb := float64(a.Len()), float64(b.Len())
	df = na + nb - 2
	v := (a.SD*a.SD*(na-1) + b.SD*b.SD*(nb-1)) / df * (1/na + 1/nb)
	d := math.Abs(a.Mean - b.Mean)
	if v == 0 {
		if d == 0 {
			return 0, df
		}
		return math.Inf(1), df
	}
	return d / math.Sqrt(v), df
}

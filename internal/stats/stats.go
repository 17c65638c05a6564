// Package stats holds the small, distribution-free statistics scalebench
// needs: medians with order-statistic confidence intervals, the
// Mann–Whitney U test, and bootstrap intervals for a ratio of medians.
//
// Every function ignores NaN values in its input and never modifies it.
package stats

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/combin"
)

// clean returns a sorted copy of xs without NaN values.
func clean(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// Median returns the median of xs (the mean of the two middle values for an
// even count), or NaN when xs holds no numbers. It does not modify xs.
func Median(xs []float64) float64 {
	return medianSorted(clean(xs))
}

func medianSorted(s []float64) float64 {
	n := len(s)
	switch {
	case n == 0:
		return math.NaN()
	case n%2 == 1:
		return s[n/2]
	default:
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// MedianCI returns a distribution-free confidence interval for the median of
// xs from its order statistics, as benchstat does: the narrowest symmetric
// interval [x(k), x(n-k+1)] whose coverage is at least want. When n is too
// small to reach want, it returns the widest interval [min, max] and the
// coverage that one achieves, so callers can warn. With fewer than two
// values, lo = hi = the median and conf = 0.
//
// For n = 5 the widest interval covers 0.9375; for n = 10 at want 0.95 the
// interval is [x(2), x(9)] with coverage 0.9785.
func MedianCI(xs []float64, want float64) (lo, hi, conf float64) {
	s := clean(xs)
	n := len(s)
	if n < 2 {
		m := medianSorted(s)
		return m, m, 0
	}
	// The coverage of [x(k), x(n-k+1)] is 1 - 2·P(Binomial(n, 1/2) < k);
	// the tail grows by one term per k, so the search is linear in n.
	best, tail := 1, binomHalf(n, 0)
	for k := 2; 2*k <= n+1; k++ {
		next := tail + binomHalf(n, k-1)
		if 1-2*next < want {
			break
		}
		best, tail = k, next
	}
	return s[best-1], s[n-best], max(1-2*tail, 0)
}

// binomHalf is P(Binomial(n, 1/2) = i).
func binomHalf(n, i int) float64 {
	return math.Exp(combin.LogGeneralizedBinomial(float64(n), float64(i)) - float64(n)*math.Ln2)
}

// exactLimit is the largest sample size for which MannWhitney uses the exact
// distribution of U (when there are no ties).
const exactLimit = 20

// MannWhitney is the two-sided Mann–Whitney U test of whether a and b come
// from the same distribution. U is the statistic of a: the number of pairs
// (a[i], b[j]) with a[i] > b[j], ties counting one half (so U near
// len(a)·len(b)/2 means no shift). The p-value is exact when both samples
// have at most 20 values and there are no ties; otherwise it is the normal
// approximation with tie and continuity correction. An empty sample gives
// U = 0 and p = 1. NaN values are ignored.
func MannWhitney(a, b []float64) (u, p float64) {
	sa, sb := clean(a), clean(b)
	n1, n2 := len(sa), len(sb)
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	type obs struct {
		v     float64
		fromA bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range sa {
		all = append(all, obs{v, true})
	}
	for _, v := range sb {
		all = append(all, obs{v, false})
	}
	slices.SortStableFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	// Midranks, the rank sum of a, and the tie correction term Σ(t³ - t).
	n := n1 + n2
	rankSumA := 0.0
	tieTerm := 0.0
	for i := 0; i < n; {
		j := i
		for j < n && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // mean of 1-based ranks i+1..j
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankSumA += rank
			}
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	u = rankSumA - float64(n1)*float64(n1+1)/2
	if tieTerm == 0 && n1 <= exactLimit && n2 <= exactLimit {
		return u, exactP(n1, n2, int(math.Round(u)))
	}
	mu := float64(n1) * float64(n2) / 2
	nf := float64(n)
	variance := float64(n1) * float64(n2) / 12 * ((nf + 1) - tieTerm/(nf*(nf-1)))
	if variance <= 0 {
		return u, 1
	}
	z := (math.Abs(u-mu) - 0.5) / math.Sqrt(variance)
	if z < 0 {
		z = 0
	}
	p = math.Erfc(z / math.Sqrt2)
	return u, math.Min(p, 1)
}

// exactP returns the two-sided p-value of U = u for samples of sizes m and n
// without ties, from the exact null distribution of U.
func exactP(m, n, u int) float64 {
	freq := uDistribution(m, n)
	total, le, ge := 0.0, 0.0, 0.0
	for k, f := range freq {
		total += f
		if k <= u {
			le += f
		}
		if k >= u {
			ge += f
		}
	}
	return math.Min(1, 2*math.Min(le, ge)/total)
}

// uDistribution returns the number of arrangements of m a's and n b's giving
// each value of U from 0 to m·n.
func uDistribution(m, n int) []float64 {
	// prev[j] is the distribution for (i-1, j); cur[j] for (i, j).
	prev := make([][]float64, n+1)
	for j := range prev {
		prev[j] = []float64{1}
	}
	for i := 1; i <= m; i++ {
		cur := make([][]float64, n+1)
		cur[0] = []float64{1}
		for j := 1; j <= n; j++ {
			d := make([]float64, i*j+1)
			copy(d, cur[j-1]) // the largest value is a b: adds nothing
			for k, f := range prev[j] {
				d[k+j] += f // the largest value is an a: beats all j b's
			}
			cur[j] = d
		}
		prev = cur
	}
	return prev[n]
}

// Resamples is the number of bootstrap resamples RatioCI draws.
const Resamples = 2000

// RatioCI returns median(num)/median(den) and a percentile bootstrap
// interval for it at confidence want (0.95 when want is outside (0, 1)),
// from Resamples resamples of each sample drawn with a fixed seed, so the
// same input always gives the same interval. conf is the nominal confidence
// of the interval. With fewer than two values in either sample, or a zero
// denominator median, lo = hi = ratio and conf = 0; a zero denominator gives
// a NaN ratio.
func RatioCI(num, den []float64, want float64) (ratio, lo, hi, conf float64) {
	if !(want > 0 && want < 1) {
		want = 0.95
	}
	sn, sd := clean(num), clean(den)
	mn, md := medianSorted(sn), medianSorted(sd)
	if md == 0 || math.IsNaN(md) || math.IsNaN(mn) {
		return math.NaN(), math.NaN(), math.NaN(), 0
	}
	ratio = mn / md
	if len(sn) < 2 || len(sd) < 2 {
		return ratio, ratio, ratio, 0
	}
	rng := rand.New(rand.NewPCG(0x5ca1eb, 0xbe4c4))
	bufN := make([]float64, len(sn))
	bufD := make([]float64, len(sd))
	rs := make([]float64, 0, Resamples)
	for range Resamples {
		for i := range bufN {
			bufN[i] = sn[rng.IntN(len(sn))]
		}
		for i := range bufD {
			bufD[i] = sd[rng.IntN(len(sd))]
		}
		slices.Sort(bufN)
		slices.Sort(bufD)
		d := medianSorted(bufD)
		if d == 0 {
			continue
		}
		rs = append(rs, medianSorted(bufN)/d)
	}
	if len(rs) < Resamples/2 {
		return ratio, ratio, ratio, 0
	}
	slices.Sort(rs)
	alpha := (1 - want) / 2
	lo = stat.Quantile(alpha, stat.Empirical, rs, nil)
	hi = stat.Quantile(1-alpha, stat.Empirical, rs, nil)
	return ratio, lo, hi, want
}

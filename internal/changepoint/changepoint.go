// Package changepoint finds the points where a series of measurements
// shifts to a new level: E-divisive means (Matteson and James, 2014) with a
// two-sample t-test in place of the permutation test, as Apache Otava
// (formerly DataStax Hunter) does, so the same series always gives the
// same answer.
//
// The series is split in two where the energy statistic between the two
// parts is largest (or, for a change undone later, where it is largest
// within a seeded sub-interval); the split is kept when the two-sample
// t-test finds the means of the parts on either side different at the
// significance level, allowing for the search over the splits (see
// searchP) and the sub-intervals. Each
// part is then split the same way, the most significant candidate first,
// until no candidate is significant; a last pass tests every kept change
// against its final neighbours and drops the ones that no longer pass.
//
// A part shorter than Options.MinSize is never split off, so one stray
// value is not a change: it takes MinSize values at a new level to make
// one.
package changepoint

import (
	"fmt"
	"math"
	"slices"

	"github.com/scalebench/scalebench/internal/stats"
)

// Options tune Detect. The zero value means the defaults.
type Options struct {
	// MaxP is the significance level a change must reach: the largest
	// p-value of the t-test accepted (default DefaultMaxP).
	MaxP float64
	// MinSize is the fewest values on each side of a change (default
	// DefaultMinSize, at least 2).
	MinSize int
	// MinChange is the smallest relative change of the median reported,
	// 0.02 for 2% (default 0: every significant change).
	MinChange float64
}

// Defaults.
const (
	// DefaultMaxP is the false-alarm rate per series: a stationary
	// series shows a change at most this often.
	DefaultMaxP = 0.03
	// DefaultMinSize keeps a single outlier, or two, from making a change.
	DefaultMinSize = 3
)

func (o Options) withDefaults() Options {
	if !(o.MaxP > 0 && o.MaxP < 1) {
		o.MaxP = DefaultMaxP
	}
	if o.MinSize <= 0 {
		o.MinSize = DefaultMinSize
	}
	o.MinSize = max(o.MinSize, 2)
	if !(o.MinChange > 0) {
		o.MinChange = 0
	}
	return o
}

// Validate reports options Detect cannot honour.
func (o Options) Validate() error {
	switch {
	case math.IsNaN(o.MaxP) || o.MaxP < 0 || o.MaxP >= 1:
		return fmt.Errorf("changepoint: significance level %v: want a p-value in (0, 1), e.g. 0.001", o.MaxP)
	case o.MinSize < 0 || o.MinSize == 1:
		return fmt.Errorf("changepoint: minimum segment %d: want 2 or more values", o.MinSize)
	case math.IsNaN(o.MinChange) || o.MinChange < 0:
		return fmt.Errorf("changepoint: minimum change %v: want 0 or a positive fraction, e.g. 0.02", o.MinChange)
	}
	return nil
}

// Segment summarises the values between two changes: xs[Start:End].
type Segment struct {
	Start, End int
	// Median of the segment's values and its 95% interval (order
	// statistics; Conf is the interval's coverage, below 0.95 for short
	// segments).
	Median, Lo, Hi, Conf float64
	// Mean and SD are what the t-test compared.
	Mean, SD float64
}

// Len is the number of values in the segment.
func (s Segment) Len() int { return s.End - s.Start }

// Change is a shift in level: xs[Index] is the first value after it.
type Change struct {
	Index int
	// Before and After are the segments on either side, up to the
	// neighbouring changes (or the ends of the series).
	Before, After Segment
	// P is the two-sided p-value of the two-sample t-test between Before
	// and After, corrected for the search over the splits between them;
	// the confidence is 1 − P.
	P float64
	// From and To bound where the change happened, with 95% confidence:
	// xs[From] to xs[To] are the values that may be the first after it
	// (From <= Index <= To).
	From, To int
}

// Relative is the change of the median, After/Before − 1 (NaN when the
// median before is 0).
func (c Change) Relative() float64 {
	if c.Before.Median == 0 {
		return math.NaN()
	}
	return c.After.Median/c.Before.Median - 1
}

// Detect returns the changes in xs, in order. NaN values must have been
// removed: Detect refuses them.
func Detect(xs []float64, opt Options) ([]Change, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("changepoint: value %d is %v: a series holds finite numbers only", i, x)
		}
	}
	opt = opt.withDefaults()
	cuts := split(xs, opt)
	cuts = prune(xs, cuts, opt)
	out := make([]Change, 0, len(cuts))
	for i, c := range cuts {
		lo, hi := 0, len(xs)
		if i > 0 {
			lo = cuts[i-1]
		}
		if i+1 < len(cuts) {
			hi = cuts[i+1]
		}
		ch := Change{Index: c, Before: segment(xs, lo, c), After: segment(xs, c, hi)}
		ch.P = splitP(xs, lo, c, hi, opt.MinSize)
		ch.From, ch.To = locate(xs, lo, c, hi, opt.MinSize)
		out = append(out, ch)
	}
	return out, nil
}

// candidate is the best split of the segment [lo, hi) and its p-value.
type candidate struct {
	lo, hi, at int
	p          float64
	ok         bool
}

// split finds the changes by E-divisive: every segment's best split is a
// candidate; the most significant one is kept while one reaches MaxP.
func split(xs []float64, opt Options) []int {
	var cuts []int
	cands := []candidate{bestSeeded(xs, 0, len(xs), opt)}
	for {
		bi := -1
		for i, c := range cands {
			if c.ok && c.p <= opt.MaxP && (bi < 0 || c.p < cands[bi].p) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		c := cands[bi]
		cuts = append(cuts, c.at)
		cands[bi] = bestSeeded(xs, c.lo, c.at, opt)
		cands = append(cands, bestSeeded(xs, c.at, c.hi, opt))
	}
	slices.Sort(cuts)
	return cuts
}

// A split of the whole segment misses a change that is undone a few
// values later (a regression, then its fix): each side of the best split
// mixes both levels. So the candidates of a segment are its best split
// and those of its seeded sub-intervals (Kovács et al. 2020): its halves
// and quarters, each overlapping the next by half. Their p-values share
// the level as Bonferroni would: half to the whole segment, a quarter to
// the halves, a quarter to the quarters, equally within each, so the
// false-alarm rate of a series stays at most the level.
const (
	seededScales = 2
	wholeShare   = 0.5
)

// bestSeeded is the most significant of the E-divisive splits of xs[lo:hi]
// and of its seeded sub-intervals, its p-value weighted by its share of
// the level.
func bestSeeded(xs []float64, lo, hi int, opt Options) candidate {
	c := best(xs, lo, hi, opt)
	c.p = math.Min(1, c.p/wholeShare)
	for k := 1; k <= seededScales; k++ {
		L := (hi - lo) >> k
		if L < 2*opt.MinSize+2 {
			break
		}
		step := max(L/2, 1)
		var starts []int
		for s := lo; s+L <= hi; s += step {
			starts = append(starts, s)
		}
		if last := starts[len(starts)-1]; last+L < hi {
			starts = append(starts, hi-L)
		}
		share := (1 - wholeShare) / seededScales / float64(len(starts))
		for _, s := range starts {
			ci := best(xs, s, s+L, opt)
			if !ci.ok {
				continue
			}
			ci.p = math.Min(1, ci.p/share)
			if !c.ok || ci.p < c.p {
				ci.lo, ci.hi = lo, hi
				c = ci
			}
		}
	}
	return c
}

// best is the E-divisive split of xs[lo:hi], tested.
func best(xs []float64, lo, hi int, opt Options) candidate {
	at, _, ok := energyScan(xs[lo:hi], opt.MinSize)
	if !ok {
		return candidate{lo: lo, hi: hi}
	}
	at += lo
	c := candidate{lo: lo, hi: hi, at: at, ok: true}
	c.p = splitP(xs, lo, at, hi, opt.MinSize)
	if opt.MinChange > 0 && !bigEnough(xs, lo, at, hi, opt.MinChange) {
		c.ok = false
	}
	return c
}

// prune tests every change against its final neighbours and drops the
// least significant one that no longer reaches MaxP (or MinChange), until
// every change left does.
func prune(xs []float64, cuts []int, opt Options) []int {
	for len(cuts) > 0 {
		worst, worstP := -1, -1.0
		for i, c := range cuts {
			lo, hi := 0, len(xs)
			if i > 0 {
				lo = cuts[i-1]
			}
			if i+1 < len(cuts) {
				hi = cuts[i+1]
			}
			p := splitP(xs, lo, c, hi, opt.MinSize)
			if opt.MinChange > 0 && !bigEnough(xs, lo, c, hi, opt.MinChange) {
				p = math.Inf(1)
			}
			if p > opt.MaxP && p > worstP {
				worst, worstP = i, p
			}
		}
		if worst < 0 {
			break
		}
		cuts = slices.Delete(cuts, worst, worst+1)
	}
	return cuts
}

// bigEnough reports whether the median of xs[at:hi] differs from that of
// xs[lo:at] by at least min, relatively.
func bigEnough(xs []float64, lo, at, hi int, min float64) bool {
	b, a := stats.Median(xs[lo:at]), stats.Median(xs[at:hi])
	if b == 0 {
		return a != 0
	}
	return math.Abs(a/b-1) >= min
}

// moments returns the mean and standard deviation of xs[lo:hi] as a
// Segment (medians left out: the tests need only these).
func moments(xs []float64, lo, hi int) Segment {
	s := Segment{Start: lo, End: hi}
	n := float64(hi - lo)
	var sum float64
	for _, x := range xs[lo:hi] {
		sum += x
	}
	s.Mean = sum / n
	var ss float64
	for _, x := range xs[lo:hi] {
		d := x - s.Mean
		ss += d * d
	}
	if hi-lo > 1 {
		s.SD = math.Sqrt(ss / (n - 1))
	}
	return s
}

// segment summarises xs[lo:hi].
func segment(xs []float64, lo, hi int) Segment {
	s := moments(xs, lo, hi)
	s.Median = stats.Median(xs[lo:hi])
	s.Lo, s.Hi, s.Conf = stats.MedianCI(xs[lo:hi], 0.95)
	return s
}

// splitP is the p-value of the split of xs[lo:hi] at at: the two-sample
// t-test between the two parts, corrected for the choice of the split.
func splitP(xs []float64, lo, at, hi, minSize int) float64 {
	t, df := tstat(moments(xs, lo, at), moments(xs, at, hi))
	return searchP(t, df, hi-lo, minSize)
}

package changepoint

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
)

// Where a change lies is itself uncertain: with a step of twice the noise,
// even the best estimator names the exact value after it in about two
// series of three. locate gives the range of values that may be the first
// after the change, from a residual bootstrap: the two levels plus
// residuals drawn with replacement from the neighbourhood of the change,
// the change located again in each resample.

// Bootstrap settings for locate.
const (
	locateLevel     = 0.95
	locateResamples = 200
	// locateWindow bounds the neighbourhood resampled on either side.
	locateWindow = 50
)

// locate returns the 95% range [from, to] of the change found at at in
// the segment xs[lo:hi].
func locate(xs []float64, lo, at, hi, minSize int) (from, to int) {
	lo, hi = max(lo, at-locateWindow), min(hi, at+locateWindow)
	if at-lo < minSize || hi-at < minSize {
		return at, at
	}
	before := moments(xs, lo, at).Mean
	after := moments(xs, at, hi).Mean
	res := make([]float64, 0, hi-lo)
	for i := lo; i < hi; i++ {
		if i < at {
			res = append(res, xs[i]-before)
		} else {
			res = append(res, xs[i]-after)
		}
	}
	rng := rand.New(rand.NewPCG(seed(xs[lo:hi]), uint64(at)))
	sim := make([]float64, hi-lo)
	offsets := make([]int, 0, locateResamples)
	for range locateResamples {
		for i := range sim {
			level := after
			if lo+i < at {
				level = before
			}
			sim[i] = level + res[rng.IntN(len(res))]
		}
		if t, _, ok := energyScan(sim, minSize); ok {
			offsets = append(offsets, lo+t-at)
		}
	}
	if len(offsets) == 0 {
		return at, at
	}
	slices.Sort(offsets)
	tail := (1 - locateLevel) / 2
	a := offsets[int(math.Floor(tail*float64(len(offsets))))]
	b := offsets[int(math.Ceil((1-tail)*float64(len(offsets))))-1]
	return at + min(a, 0), at + max(b, 0)
}

// seed derives the bootstrap's seed from the values, so the same series
// always gives the same range.
func seed(xs []float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, x := range xs {
		u := math.Float64bits(x)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

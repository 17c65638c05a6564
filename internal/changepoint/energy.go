package changepoint

import (
	"slices"
)

// energyScan returns, for the segment xs, the split t (MinSize <= t <=
// len(xs)-minSize) that maximises the E-divisive statistic with α = 1,
//
//	Q(t) = m·k/(m+k) · ( 2/(m·k)·Σ|l−r| − Σ|l−l'|/C(m,2) − Σ|r−r'|/C(k,2) )
//
// for the left part l = xs[:t] (m values) and the right part r = xs[t:]
// (k values), and Q at that split. ok is false when no split leaves
// minSize values on each side.
//
// The within-part sums of |differences| are built up one value at a time
// with Fenwick trees over the values' ranks, so a scan costs O(n log n)
// instead of the O(n²) of the pairwise sums: the cross sum is the total
// minus the two within-part sums.
func energyScan(xs []float64, minSize int) (best int, q float64, ok bool) {
	n := len(xs)
	minSize = max(minSize, 2)
	if n < 2*minSize {
		return 0, 0, false
	}
	rank := ranks(xs)
	left := prefixSums(xs, rank, false) // left[t]: within xs[:t]
	right := prefixSums(xs, rank, true) // right[t]: within xs[t:]
	total := left[n]
	q = -1
	for t := minSize; t <= n-minSize; t++ {
		m, k := float64(t), float64(n-t)
		wl, wr := left[t], right[t]
		cross := total - wl - wr
		e := 2*cross/(m*k) - wl/(m*(m-1)/2) - wr/(k*(k-1)/2)
		if v := m * k / (m + k) * e; v > q {
			best, q = t, v
		}
	}
	return best, q, true
}

// ranks returns each value's position in ascending order (ties by index).
func ranks(xs []float64) []int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	r := make([]int, len(xs))
	for pos, i := range idx {
		r[i] = pos
	}
	return r
}

// prefixSums returns w with w[t] the sum of |xs[i]−xs[j]| over the pairs
// i < j of xs[:t] (fromRight false) or of xs[t:] (fromRight true), for t
// from 0 to len(xs).
func prefixSums(xs []float64, rank []int, fromRight bool) []float64 {
	n := len(xs)
	w := make([]float64, n+1)
	cnt := make([]int, n+1) // Fenwick trees, 1-based, indexed by rank
	sum := make([]float64, n+1)
	var all float64
	for s := 0; s < n; s++ {
		i := s
		if fromRight {
			i = n - 1 - s
		}
		x, r := xs[i], rank[i]
		// Values seen so far with a lower rank: how many, and their sum.
		var c int
		var below float64
		for j := r; j > 0; j -= j & -j {
			c += cnt[j]
			below += sum[j]
		}
		seen := s
		d := x*float64(c) - below + (all - below) - x*float64(seen-c)
		for j := r + 1; j <= n; j += j & -j {
			cnt[j]++
			sum[j] += x
		}
		all += x
		if fromRight {
			w[i] = w[i+1] + d
		} else {
			w[s+1] = w[s] + d
		}
	}
	return w
}

package compare

import (
	"math"
	"slices"
)

// Holm returns the Holm–Bonferroni adjusted p-values of ps, in the same
// order: sort the m p-values ascending, multiply the i-th smallest
// (0-based) by m−i, make the sequence non-decreasing and cap it at 1.
// Rejecting every hypothesis whose adjusted p-value is below α controls the
// family-wise error rate at α. NaN p-values are left NaN and do not count
// towards m.
func Holm(ps []float64) []float64 {
	adj := make([]float64, len(ps))
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		adj[i] = math.NaN()
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	m := len(idx)
	running := 0.0
	for rank, i := range idx {
		v := math.Min(1, float64(m-rank)*ps[i])
		running = math.Max(running, v)
		adj[i] = running
	}
	return adj
}

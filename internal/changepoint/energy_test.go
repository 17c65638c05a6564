package changepoint

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteQ is the E-divisive statistic at split t from its definition, with
// every pairwise difference summed.
func bruteQ(xs []float64, t int) float64 {
	l, r := xs[:t], xs[t:]
	m, k := float64(len(l)), float64(len(r))
	var cross, wl, wr float64
	for _, a := range l {
		for _, b := range r {
			cross += math.Abs(a - b)
		}
	}
	for i := range l {
		for j := i + 1; j < len(l); j++ {
			wl += math.Abs(l[i] - l[j])
		}
	}
	for i := range r {
		for j := i + 1; j < len(r); j++ {
			wr += math.Abs(r[i] - r[j])
		}
	}
	return m * k / (m + k) * (2*cross/(m*k) - wl/(m*(m-1)/2) - wr/(k*(k-1)/2))
}

// TestEnergyScanMatchesDefinition checks the Fenwick-tree scan against the
// pairwise sums, ties included (the values are small integers).
func TestEnergyScanMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		minSize := 2 + rng.IntN(3)
		n := 2*minSize + rng.IntN(60)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(rng.IntN(10))
			if i > n/3 {
				xs[i] += float64(rng.IntN(4))
			}
		}
		bt, bq := -1, math.Inf(-1)
		for s := minSize; s <= n-minSize; s++ {
			if q := bruteQ(xs, s); q > bq+1e-9*math.Max(1, math.Abs(bq)) {
				bt, bq = s, q
			}
		}
		at, q, ok := energyScan(xs, minSize)
		if !ok {
			t.Fatalf("trial %d: n=%d minSize=%d: no split", trial, n, minSize)
		}
		if math.Abs(q-bq) > 1e-9*math.Max(1, math.Abs(bq)) || math.Abs(bruteQ(xs, at)-bq) > 1e-9*math.Max(1, math.Abs(bq)) {
			t.Fatalf("trial %d: scan split %d Q=%v, definition split %d Q=%v", trial, at, q, bt, bq)
		}
	}
}

func TestEnergyScanTooShort(t *testing.T) {
	if _, _, ok := energyScan([]float64{1, 2, 3, 4, 5}, 3); ok {
		t.Error("5 values split with 3 on each side")
	}
	if at, _, ok := energyScan([]float64{1, 1, 1, 5, 5, 5}, 3); !ok || at != 3 {
		t.Errorf("split = %d %v, want 3", at, ok)
	}
}

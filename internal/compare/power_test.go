package compare

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/stats"
	"github.com/scalebench/scalebench/internal/testutil"
)

// recordedSeries is one metric of one pair of a recorded A/B run of
// scenarios/ci.yaml-like cells, round by round.
type recordedSeries struct {
	run, kind, pair string
	metric          metric.Metric
	base, head      []float64
}

// readRecorded reads testdata/recorded-rounds.csv: the rounds of real A/A
// runs (kind aa, win) and A/B runs with a head 10% slower in CPU work
// (ab10), as written from their results.json files.
func readRecorded(t *testing.T) []*recordedSeries {
	t.Helper()
	f, err := os.Open("testdata/recorded-rounds.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []*recordedSeries
	byKey := map[string]*recordedSeries{}
	for _, r := range rows[1:] {
		key := r[0] + "|" + r[2] + "|" + r[4]
		s := byKey[key]
		if s == nil {
			s = &recordedSeries{run: r[0], kind: r[1], pair: r[2], metric: metric.Metric(r[4])}
			byKey[key] = s
			out = append(out, s)
		}
		b, err1 := strconv.ParseFloat(r[5], 64)
		h, err2 := strconv.ParseFloat(r[6], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("recorded-rounds.csv: %v", r)
		}
		s.base, s.head = append(s.base, b), append(s.head, h)
	}
	return out
}

// worseUnpaired is the repeat-by-repeat verdict of Compare, as two runs
// are compared: Mann–Whitney p below alpha and the median ratio beyond
// tol in the bad direction.
func worseUnpaired(m metric.Metric, base, head []float64, alpha, tol float64) bool {
	_, p := stats.MannWhitney(base, head)
	ratio := stats.Median(head) / stats.Median(base)
	return p < alpha && badBeyond(m, ratio, tol)
}

// worsePaired is the sequential paired verdict, looked at after every
// round up to len(base): true if it was ever worse.
func worsePaired(m metric.Metric, base, head []float64, alpha, tol float64) bool {
	d := make([]float64, len(base))
	for i := range d {
		d[i] = math.Log(head[i] / base[i])
	}
	for n := 1; n <= len(d); n++ {
		t := newPairedTest(d[:n])
		if t.pValue() < alpha && badBeyond(m, math.Exp(t.estimate()), tol) {
			return true
		}
	}
	return false
}

// worseSignedRank is a fixed-n paired verdict: the exact two-sided
// Wilcoxon signed-rank p-value of the rounds' log ratios below alpha and
// their Hodges–Lehmann estimate beyond tol in the bad direction.
func worseSignedRank(m metric.Metric, base, head []float64, alpha, tol float64) bool {
	d := make([]float64, len(base))
	for i := range d {
		d[i] = math.Log(head[i] / base[i])
	}
	return signedRankP(d) < alpha && badBeyond(m, math.Exp(hodgesLehmann(d)), tol)
}

// signedRankP is the exact two-sided Wilcoxon signed-rank p-value of d
// (no zeros or ties expected in measured ratios).
func signedRankP(d []float64) float64 {
	n := len(d)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmpFloat(math.Abs(d[a]), math.Abs(d[b]))
	})
	w := 0
	for rank, i := range idx {
		if d[i] > 0 {
			w += rank + 1
		}
	}
	// counts[s]: subsets of ranks 1..n summing to s.
	max := n * (n + 1) / 2
	counts := make([]float64, max+1)
	counts[0] = 1
	for r := 1; r <= n; r++ {
		for s := max; s >= r; s-- {
			counts[s] += counts[s-r]
		}
	}
	total := math.Pow(2, float64(n))
	lo := min(w, max-w)
	tail := 0.0
	for s := 0; s <= lo; s++ {
		tail += counts[s]
	}
	return math.Min(1, 2*tail/total)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func badBeyond(m metric.Metric, ratio, tol float64) bool {
	mi, _ := m.Info()
	if mi.Direction == metric.HigherIsBetter {
		return ratio < 1-tol
	}
	return ratio > 1+tol
}

// sigPeeking tells whether a test, looked at after every round from the
// fourth to the last, ever calls the rounds significant at alpha.
func sigPeeking(base, head []float64, alpha float64, p func(base, head []float64) float64) bool {
	for n := 4; n <= len(base); n++ {
		if p(base[:n], head[:n]) < alpha {
			return true
		}
	}
	return false
}

func pUnpaired(base, head []float64) float64 {
	_, p := stats.MannWhitney(base, head)
	return p
}

func pSignedRank(base, head []float64) float64 {
	d := make([]float64, len(base))
	for i := range d {
		d[i] = math.Log(head[i] / base[i])
	}
	return signedRankP(d)
}

func pSequential(base, head []float64) float64 {
	d := make([]float64, len(base))
	for i := range d {
		d[i] = math.Log(head[i] / base[i])
	}
	return newPairedTest(d).pValue()
}

// TestPairedPowerOnRecordedRuns measures, on recorded runs, what the
// gate's choices buy, at the same nominal level (α/4 for four gated rows,
// tolerance 5%):
//   - pairing: a paired test of n rounds (exact Wilcoxon signed-rank)
//     finds more of the A/B runs' 10% slowdowns than the unpaired test
//     two separate runs get (Mann–Whitney), once n is enough to reach α/4;
//   - sequential validity: looked at after every round, as
//     --until-resolved does, the fixed-n tests call A/A rounds significant
//     more often than α, while the always-valid test stays within it.
//
// A/A rounds are made by swapping each round's builds at random, which is
// exactly what the random order of an A/A run could have measured.
func TestPairedPowerOnRecordedRuns(t *testing.T) {
	testutil.Long(t, "hundreds of simulated A/B runs")
	const alpha, tol = 0.05 / 4, 0.05
	series := readRecorded(t)
	rng := rand.New(rand.NewPCG(1, 2))
	type tally struct{ hit, n int }
	rate := func(x tally) float64 { return float64(x.hit) / float64(max(x.n, 1)) }
	count := func(x *tally, hit bool) {
		x.n++
		if hit {
			x.hit++
		}
	}
	for _, n := range []int{6, 10, 16, 24} {
		var detU, detW, detS, peekU, peekW, peekS tally
		for _, s := range series {
			if len(s.base) < n {
				continue
			}
			for start := 0; start+n <= len(s.base); start++ {
				base, head := s.base[start:start+n], s.head[start:start+n]
				if s.kind == "ab10" {
					if !(s.pair == "<nil>/w32" || s.metric == metric.CPUPerJob) {
						continue // the slowdown shows in these rows only
					}
					count(&detU, worseUnpaired(s.metric, base, head, alpha, tol))
					count(&detW, worseSignedRank(s.metric, base, head, alpha, tol))
					count(&detS, worsePaired(s.metric, base, head, alpha, tol))
					continue
				}
				if start%4 != 0 {
					continue
				}
				for range 10 {
					b, h := slices.Clone(base), slices.Clone(head)
					for i := range b {
						if rng.IntN(2) == 0 {
							b[i], h[i] = h[i], b[i]
						}
					}
					count(&peekU, sigPeeking(b, h, alpha, pUnpaired))
					count(&peekW, sigPeeking(b, h, alpha, pSignedRank))
					count(&peekS, sigPeeking(b, h, alpha, pSequential))
				}
			}
		}
		t.Logf("%2d rounds: 10%% slowdowns found: unpaired %.2f, paired %.2f, paired sequential %.2f (%d windows); "+
			"A/A significant when looked at every round: unpaired %.4f, paired %.4f, sequential %.4f (%d, α = %.4f)",
			n, rate(detU), rate(detW), rate(detS), detS.n, rate(peekU), rate(peekW), rate(peekS), peekS.n, alpha)
		if n >= 10 && rate(detW) < rate(detU) {
			t.Errorf("%d rounds: the paired test found %.3f of the 10%% slowdowns, the unpaired one more, %.3f", n, rate(detW), rate(detU))
		}
		if rate(peekS) > alpha {
			t.Errorf("%d rounds: the always-valid test called %.4f of A/A runs significant at some round, more than α = %.4f", n, rate(peekS), alpha)
		}
	}
}

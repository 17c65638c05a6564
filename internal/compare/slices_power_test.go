package compare

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/testutil"
)

// recordedSession is one session of a sliced A/A run: its pairs of slices'
// throughput and CPU per job, base and head.
type recordedSession struct {
	cell    string
	metrics map[metric.Metric][2][]float64
}

// readRecordedSlices reads testdata/recorded-slices.csv, sessions of real
// sliced A/A runs of scenarios/ci.yaml's cells.
func readRecordedSlices(t *testing.T) []*recordedSession {
	t.Helper()
	f, err := os.Open("testdata/recorded-slices.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []*recordedSession
	byKey := map[string]*recordedSession{}
	for _, row := range rows[1:] {
		key := row[0] + "|" + row[1]
		s := byKey[key]
		if s == nil {
			s = &recordedSession{cell: row[0], metrics: map[metric.Metric][2][]float64{}}
			byKey[key] = s
			out = append(out, s)
		}
		var v [4]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(row[3+i], 64); err != nil {
				t.Fatalf("recorded-slices.csv: %v", row)
			}
		}
		if !(v[0] > 0 && v[1] > 0 && v[2] > 0 && v[3] > 0) {
			continue // a slice without a job
		}
		for i, m := range []metric.Metric{metric.Throughput, metric.CPUPerJob} {
			bh := s.metrics[m]
			bh[0], bh[1] = append(bh[0], v[2*i]), append(bh[1], v[2*i+1])
			s.metrics[m] = bh
		}
	}
	return out
}

// TestSlicedSessionsOnRecordedRuns measures what the session effect of a
// sliced run does to the gate's guarantee. The pairs of one session share
// two processes, and what one process got at its start (memory layout, a
// core's cache) shifts all of them alike: the random order of each pair
// does not make its sign a fair coin by itself, only the random choice of
// which build got which process does, once per session. So A/A runs are
// simulated from recorded sessions two ways, each looked at after every
// pair as --until-resolved does: each session's builds swapped as a whole
// (what an A/A run can measure), and each pair's swapped on its own (the
// independence the test assumes). The first is logged for the docs (how
// far above α the significance rate goes); both must keep false alarms
// (significant and beyond the 5% tolerance) within α.
func TestSlicedSessionsOnRecordedRuns(t *testing.T) {
	testutil.Long(t, "hundreds of simulated sliced runs")
	const alpha, tol = 0.05 / 4, 0.05
	sessions := readRecordedSlices(t)
	rng := rand.New(rand.NewPCG(3, 4))
	byCell := map[string][]*recordedSession{}
	for _, s := range sessions {
		byCell[s.cell] = append(byCell[s.cell], s)
	}
	for _, k := range []int{6, 12} {
		for _, m := range []metric.Metric{metric.Throughput, metric.CPUPerJob} {
			var sigWhole, sigPairs, worseWhole, worsePairs, n int
			for cell, pool := range byCell {
				if len(pool) < k {
					t.Fatalf("%s: %d sessions recorded, want at least %d", cell, len(pool), k)
				}
				for range 200 {
					var wb, wh, pb, ph []float64
					for _, i := range rng.Perm(len(pool))[:k] {
						bh := pool[i].metrics[m]
						swap := rng.IntN(2) == 0
						for j := range bh[0] {
							b, h := bh[0][j], bh[1][j]
							if swap {
								b, h = h, b
							}
							wb, wh = append(wb, b), append(wh, h)
							if rng.IntN(2) == 0 {
								b, h = h, b
							}
							pb, ph = append(pb, b), append(ph, h)
						}
					}
					n++
					if sigPeeking(wb, wh, alpha, pSequential) {
						sigWhole++
					}
					if sigPeeking(pb, ph, alpha, pSequential) {
						sigPairs++
					}
					if worsePaired(m, wb, wh, alpha, tol) {
						worseWhole++
					}
					if worsePaired(m, pb, ph, alpha, tol) {
						worsePairs++
					}
				}
			}
			rate := func(x int) float64 { return float64(x) / float64(n) }
			t.Logf("%2d sessions, %s: A/A significant at some pair: sessions swapped whole %.3f, pairs swapped apart %.3f; worse: %.3f, %.3f (%d runs, α = %.4f)",
				k, m, rate(sigWhole), rate(sigPairs), rate(worseWhole), rate(worsePairs), n, alpha)
			if rate(worseWhole) > alpha || rate(worsePairs) > alpha {
				t.Errorf("%d sessions, %s: A/A runs found worse in %.3f (whole sessions) and %.3f (pairs apart), more than α = %.4f",
					k, m, rate(worseWhole), rate(worsePairs), alpha)
			}
			if math.IsNaN(rate(sigPairs)) || rate(sigPairs) > alpha {
				t.Errorf("%d sessions, %s: pairs swapped apart called significant in %.3f, more than α = %.4f", k, m, rate(sigPairs), alpha)
			}
		}
	}
}

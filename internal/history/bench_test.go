package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/changepoint"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
)

// The scale the store is built for: 10,000 runs of 50 cells, each with
// the 8 point metrics over 5 repeats (4 million series values, 20 million
// repeats). The benchmarks build such a store once, through Add, in the
// system's temporary directory, and reuse it while it is there.
const (
	benchRuns    = 10_000
	benchCells   = 50
	benchRepeats = 5
)

var benchMetrics = []metric.Metric{metric.Throughput, metric.P50, metric.P90, metric.P99, metric.Makespan, metric.Efficiency, metric.CPUPerJob, metric.RSS}

// scaleRun is run i of the benchmark's history: every series steady in 3%
// noise, and one series in ten 5% slower from run 6,000 on.
func scaleRun(i int) *Run {
	rng := rand.New(rand.NewPCG(uint64(i), 0xbe9c))
	r := &Run{
		Key:      fmt.Sprintf("scale-%d", i),
		Testbed:  Testbed{CPUModel: "Bench CPU", CPUs: 2, OS: "linux", Arch: "amd64", Kernel: "6.1", GoVersion: "go1.26"},
		Scenario: Scenario{Name: "scale", Hash: "0123456789abcdef", Resolved: "{}"},
		Branch:   "main", Commit: fmt.Sprintf("%040x", i), Time: epoch.Add(time.Duration(i) * time.Minute), Version: "bench",
	}
	for c := range benchCells {
		cell := Cell{Params: results.Params{GOMAXPROCS: c%5 + 1, Workers: c/5 + 1, Replicas: 1}, Values: map[metric.Metric][]float64{}}
		for m, name := range benchMetrics {
			level := float64(100 + m + c)
			if (c+m)%10 == 0 && i >= 6000 {
				level *= 0.95
			}
			vs := make([]float64, benchRepeats)
			for k := range vs {
				vs[k] = level * (1 + 0.03*rng.NormFloat64())
			}
			cell.Values[name] = vs
		}
		r.Cells = append(r.Cells, cell)
	}
	return r
}

var (
	scaleOnce sync.Once
	scaleDB   string
	scaleErr  error
)

// scaleStore returns the path of the benchmark's SQLite store, building
// it when it is missing.
func scaleStore(b *testing.B) string {
	scaleOnce.Do(func() {
		scaleDB = filepath.Join(os.TempDir(), fmt.Sprintf("scalebench-history-bench-v%d-%dx%dx%d.db", SchemaVersion, benchRuns, benchCells, len(benchMetrics)))
		done := scaleDB + ".done"
		if _, err := os.Stat(done); err == nil {
			return
		}
		os.Remove(scaleDB)
		ctx := context.Background()
		s, err := Open(ctx, scaleDB, true, "bench")
		if err != nil {
			scaleErr = err
			return
		}
		defer s.Close()
		start := time.Now()
		for i := range benchRuns {
			if _, _, err := s.Add(ctx, scaleRun(i)); err != nil {
				scaleErr = err
				return
			}
		}
		b.Logf("built %s: %d runs in %v", scaleDB, benchRuns, time.Since(start).Round(time.Second))
		scaleErr = os.WriteFile(done, nil, 0o644)
	})
	if scaleErr != nil {
		b.Fatal(scaleErr)
	}
	return scaleDB
}

// BenchmarkAdd adds one run of 50 cells × 8 metrics × 5 repeats to a
// store that holds 10,000 such runs (each added run is removed after).
func BenchmarkAdd(b *testing.B) {
	path := scaleStore(b)
	ctx := context.Background()
	s, err := Open(ctx, path, false, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer reportSize(b, path)
	defer s.Close()
	runs := make([]*Run, b.N)
	for i := range runs {
		runs[i] = scaleRun(benchRuns + i)
		runs[i].Key = fmt.Sprintf("bench-add-%d-%d", i, time.Now().UnixNano())
	}
	var ids []int64
	b.ResetTimer()
	for i := range b.N {
		id, added, err := s.Add(ctx, runs[i])
		if err != nil || !added {
			b.Fatal(added, err)
		}
		ids = append(ids, id)
	}
	b.StopTimer()
	for _, id := range ids {
		for _, q := range []string{`DELETE FROM points WHERE run_id = ?`, `DELETE FROM runs WHERE id = ?`} {
			if _, err := s.db.ExecContext(ctx, q, id); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkChanges reads every series of the 10,000-run store and finds
// the change points of all of them, as `history changes` does.
func BenchmarkChanges(b *testing.B) {
	path := scaleStore(b)
	ctx := context.Background()
	s, err := Open(ctx, path, false, "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer reportSize(b, path)
	defer s.Close()
	b.ResetTimer()
	for range b.N {
		trends, err := s.Trends(ctx, SeriesFilter{})
		if err != nil {
			b.Fatal(err)
		}
		tcs, err := Changes(trends, changepoint.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(tcs) != benchCells*len(benchMetrics) || len(tcs[0].Trend.Points) != benchRuns {
			b.Fatalf("%d series of %d points, want %d of %d", len(tcs), len(tcs[0].Trend.Points), benchCells*len(benchMetrics), benchRuns)
		}
		n := 0
		for _, tc := range tcs {
			n += len(tc.Changes)
		}
		b.ReportMetric(float64(n), "changes")
	}
}

// reportSize reports the store's file size in MB, once it is closed (its
// write-ahead log checkpointed into it).
func reportSize(b *testing.B, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
}

// Package resultstest makes results files of any size for tests and
// benchmarks: runs of many cells whose repeats look like real measurements.
package resultstest

import (
	"math/rand/v2"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
)

// Layout is how a made-up run's cells are spread over the matrix.
type Layout int

const (
	// Grid crosses GOMAXPROCS 1 to 100 with workers 1, 2, 3, ...: a
	// closed-loop run with a scaling series, and a USL fit, per row and
	// per column.
	Grid Layout = iota
	// Rates crosses GOMAXPROCS 1 and 2 with open-loop rates 10/s, 11/s,
	// 12/s, ...: two long series along the rate, and no fit.
	Rates
)

// Run returns a run of cells cells with repeats repeats each, laid out as
// l. Every repeat holds a latency histogram of 200 jobs over about 60
// buckets, as a real one does; the same arguments give the same run.
func Run(l Layout, cells, repeats int) *results.Run {
	rng := rand.New(rand.NewPCG(uint64(cells), uint64(repeats)))
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := &results.Run{
		SchemaVersion: results.SchemaVersion,
		Scenario: results.Scenario{
			Name: "large", Model: load.Closed,
			Baseline:     results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1},
			ImageLatency: 0.02,
			Load:         results.Load{Repeats: repeats, Warmup: 0.1, Window: 2, Timeout: 30},
			Checks:       results.Checks{MaxErrorRate: 0.01, LittleTolerance: 0.1, MinJobs: 100},
		},
		Environment: results.Environment{
			ScalebenchVersion: "test", GoVersion: "go1.26", OS: "linux", Arch: "amd64",
			CPUModel: "Synthetic CPU", LogicalCPUs: 2, Started: start,
		},
		Finished: start.Add(time.Duration(cells*repeats) * 2 * time.Second),
	}
	if l == Rates {
		run.Scenario.Model = load.Open
		run.Scenario.Load.Arrival = "poisson"
		run.Scenario.Baseline = results.Params{GOMAXPROCS: 1, Workers: 64, Replicas: 1, Rate: 10}
	}
	run.Cells = make([]results.Cell, cells)
	for i := range run.Cells {
		p := results.Params{GOMAXPROCS: i%100 + 1, Workers: i/100 + 1, Replicas: 1}
		if l == Rates {
			p = results.Params{GOMAXPROCS: i%2 + 1, Workers: 64, Replicas: 1, Rate: float64(10 + i/2)}
		}
		run.Cells[i].Params = p
	}
	// Encoding a histogram takes most of the time of making a run: its
	// repeats draw theirs from a few made once, each stored on its own.
	pool := make([]*results.Histogram, 64)
	lats := make([]results.Latency, len(pool))
	for i := range pool {
		pool[i] = histogram(rng)
		lats[i] = pool[i].Latency()
	}
	seq := 0
	for r := range repeats {
		for i := range run.Cells {
			run.Order = append(run.Order, results.Step{Cell: i, Repeat: r})
			h := rng.IntN(len(pool))
			rep := repeat(rng, pool[h], lats[h], r, seq, start)
			if l == Rates {
				rep.OfferedRate = run.Cells[i].Params.Rate
			}
			run.Cells[i].Repeats = append(run.Cells[i].Repeats, rep)
			seq++
		}
	}
	return run
}

// jobs is the number of jobs of every measurement.
const jobs = 200

// histogram is the latency histogram of a plausible measurement.
func histogram(rng *rand.Rand) *results.Histogram {
	h := metrics.NewHistogram()
	base := 20000 + rng.Float64()*2000 // µs
	for range jobs {
		_ = h.RecordValue(int64(base * (1 + rng.ExpFloat64()*0.2)))
	}
	return results.HistogramOf(h)
}

// repeat is one plausible measurement with latency histogram hist, whose
// figures are lat.
func repeat(rng *rand.Rand, hist *results.Histogram, lat results.Latency, index, seq int, start time.Time) results.Repeat {
	const window = 2.0
	completed := make([]int64, 8)
	for i := range completed {
		completed[i] = jobs / 8
	}
	return results.Repeat{
		Index: index, Seq: seq, Started: start.Add(time.Duration(seq) * 2 * time.Second),
		Elapsed: window, Jobs: jobs, Throughput: jobs / window, Latency: lat,
		Stages: results.Stages{"fetch": lat.Mean * 0.7, "decode": lat.Mean * 0.1, "resize": lat.Mean * 0.1, "encode": lat.Mean * 0.1},
		Resources: results.Resources{
			UserCPU: 0.5 + rng.Float64()*0.1, SysCPU: 0.05, MaxRSS: 30 << 20,
			CPUUtil: 0.3, JobsPerCPUSecond: jobs / 0.55,
		},
		Histogram: hist,
		Series:    results.Series{Bucket: 0.25, Completed: completed},
	}
}

package runner

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/stats"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

// BenchmarkFidelityCPU compares the speedup scalebench measures from
// (GOMAXPROCS 1, 1 worker) to (GOMAXPROCS 2, 2 workers) on a CPU-bound cell
// with the speedup of a bare parallel benchmark of the same thumbnail
// function on the same bytes, measured side by side. The "fidelity" metric
// is their ratio: 1 means scalebench adds no distortion.
func BenchmarkFidelityCPU(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Skip("needs 2 CPUs")
	}
	const path = "/640x480/ccc/aaa.jpg"
	data, _, err := imageserver.Encode(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, method := range thumbnail.Methods() {
		for _, pin := range []bool{false, true} {
			b.Run(fmt.Sprintf("method=%s/pin=%v", method, pin), func(b *testing.B) { fidelityCPU(b, path, data, method, pin) })
		}
	}
}

func fidelityCPU(b *testing.B, path string, data []byte, method string, pin bool) {
	opts := thumbnail.Options{Width: 64, Height: 64, Filter: "lanczos", Format: "png", Method: method}
	// bare is what `go test -bench -cpu procs` with RunParallel measures:
	// procs goroutines, each with its own Thumbnailer, for a fixed time.
	// (testing.Benchmark cannot be called from inside a benchmark.)
	bare := func(procs int) float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		runtime.GC() // start each window with a clean heap, as a fresh worker process does
		var wg sync.WaitGroup
		var ops atomic.Int64
		start := time.Now()
		for range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t, err := thumbnail.New(opts, nil)
				if err != nil {
					panic(err)
				}
				for time.Since(start) < 2*time.Second {
					if _, err := t.Process(data, "x"); err != nil {
						panic(err)
					}
					ops.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(ops.Load()) / time.Since(start).Seconds()
	}
	sc := parseB(b, fmt.Sprintf(`name: fidelity-cpu
images: {paths: [%s]}
thumbnail: {method: %s}
load: {duration: 3s, warmup: 1s, repeats: 3}
matrix: {gomaxprocs: [1, 2], workers: [1, 2]}
`, path, method))
	for b.Loop() {
		// Windows alternate between 1 and 2 CPUs so drift spreads evenly;
		// the medians of three of each are compared.
		var b1, b2 []float64
		for range 3 {
			b1 = append(b1, bare(1))
			b2 = append(b2, bare(2))
		}
		bare1, bare2 := stats.Median(b1), stats.Median(b2)
		opt := testOptions()
		opt.Pin = pin
		run, err := Run(context.Background(), sc, opt)
		if err != nil {
			b.Fatal(err)
		}
		cells := analysis.Summarize(run)
		x11, x22 := cells[0].Throughput, cells[3].Throughput
		b.ReportMetric(bare1, "bare-1cpu-jobs/s")
		b.ReportMetric(x11, "scalebench-1cpu-jobs/s")
		b.ReportMetric(bare2/bare1, "bare-speedup")
		b.ReportMetric(x22/x11, "scalebench-speedup")
		b.ReportMetric((x22/x11)/(bare2/bare1), "fidelity")
	}
}

// BenchmarkFidelityIO runs 256 workers against 100 ms of injected latency on
// small images: the ideal is 2560 jobs/s; "fidelity" is the measured share.
func BenchmarkFidelityIO(b *testing.B) {
	sc := parseB(b, `name: fidelity-io
images: {latency: 100ms, paths: [/64x48/ccc/aaa.jpg, /48x48/ddd/eee.jpg]}
load: {duration: 3s, warmup: 1s, repeats: 3}
matrix: {gomaxprocs: [2], workers: [256]}
`)
	for b.Loop() {
		run, err := Run(context.Background(), sc, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		x := analysis.Summarize(run)[0].Throughput
		b.ReportMetric(x, "jobs/s")
		b.ReportMetric(x/2560, "fidelity")
	}
}

// BenchmarkReplicas runs a batch of 8 jobs with 30 ms of latency on 2
// workers in 1 and then 2 replicas: "makespan-ratio" (2 replicas / 1) should
// be about 0.5.
func BenchmarkReplicas(b *testing.B) {
	sc := parseB(b, `name: replicas
images: {latency: 30ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {model: batch, jobs: 8, warmup: 0s, repeats: 3}
matrix: {workers: [2], replicas: [1, 2]}
`)
	for b.Loop() {
		run, err := Run(context.Background(), sc, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		cells := analysis.Summarize(run)
		b.ReportMetric(cells[1].Makespan/cells[0].Makespan, "makespan-ratio")
	}
}

func parseB(b *testing.B, text string) *scenario.Scenario {
	b.Helper()
	sc, err := scenario.Parse("bench.yaml", []byte(text))
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

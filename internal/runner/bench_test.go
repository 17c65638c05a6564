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
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/stats"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

// noop is a job that does nothing, to measure the harness alone.
type noop struct{}

func (noop) Do(context.Context, string) (thumbnail.Timings, error) { return thumbnail.Timings{}, nil }

// BenchmarkDispatch measures the harness's cost per job (scheduling, timing,
// recording) with jobs that do nothing: ns/op is the overhead per job. The
// open loop runs at load.MaxRate, so its ns/op is at least 1,000: more
// means the dispatcher cannot keep that pace. cpu-ns/op is the process's
// CPU time per job, steadier than ns/op on a busy machine. The job timeout
// outlasts the window, as a 30 s timeout does a 3 s window.
func BenchmarkDispatch(b *testing.B) {
	for _, model := range load.Models() {
		for _, workers := range []int{1, 64} {
			b.Run(fmt.Sprintf("model=%s/workers=%d", model, workers), func(b *testing.B) {
				spec := Spec{URLs: []string{"x"}, Model: model, Workers: workers, Timeout: 2 * time.Hour, Bucket: time.Second}
				doers := make([]Doer, workers)
				for i := range doers {
					doers[i] = noop{}
				}
				switch model {
				case load.Batch:
					spec.Jobs = b.N
				case load.Open:
					spec.Rate, spec.Arrival = load.MaxRate, load.Uniform
					fallthrough
				default:
					spec.Duration, spec.MaxJobs = time.Hour, int64(b.N)
				}
				b.ResetTimer()
				before := readUsage()
				rep, err := execute(context.Background(), spec, doers)
				if err != nil {
					b.Fatal(err)
				}
				after := readUsage()
				b.ReportMetric((after.user+after.sys-before.user-before.sys)*1e9/float64(b.N), "cpu-ns/op")
				if rep.Snapshot.Jobs < int64(b.N) {
					b.Fatalf("ran %d jobs, want %d", rep.Snapshot.Jobs, b.N)
				}
				if model == load.Open {
					b.ReportMetric(rep.HarnessLag*1e6, "harness-lag-us")
				}
			})
		}
	}
}

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

// BenchmarkWorkerMemory runs a closed loop with 10,000 workers whose jobs
// do nothing but wait, and reports the process's peak RSS and its growth
// per worker: the harness's own memory cost of a worker. Run it alone, in a
// fresh process and under a memory limit, e.g.
//
//	prlimit --as=8000000000 go test -run '^$' -bench WorkerMemory -benchtime 1x ./internal/runner/
func BenchmarkWorkerMemory(b *testing.B) {
	const workers = 10000
	for b.Loop() {
		runtime.GC()
		before := readUsage()
		spec := Spec{URLs: []string{"x"}, Model: load.Closed, Workers: workers, Duration: time.Second,
			Think: 10 * time.Millisecond, Timeout: time.Minute, Bucket: 250 * time.Millisecond}
		doers := make([]Doer, workers)
		for i := range doers {
			doers[i] = noop{}
		}
		rep, err := execute(context.Background(), spec, doers)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Snapshot.Jobs == 0 {
			b.Fatal("no jobs ran")
		}
		after := readUsage()
		b.ReportMetric(float64(after.maxRSS)/1e6, "peak-RSS-MB")
		b.ReportMetric(float64(after.maxRSS-before.maxRSS)/workers, "RSS-bytes/worker")
	}
}

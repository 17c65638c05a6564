package worker

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/workload"
)

// noop is a job that does nothing, to measure the harness alone.
type noop struct{}

func (noop) Do(context.Context, *workload.Call) error { return nil }

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
				doers := make(jobs, workers)
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
				before := ReadUsage()
				rep, err := ExecuteWith(context.Background(), spec, fakeDef, doers)
				if err != nil {
					b.Fatal(err)
				}
				after := ReadUsage()
				b.ReportMetric((after.User+after.Sys-before.User-before.Sys)*1e9/float64(b.N), "cpu-ns/op")
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

// BenchmarkWorkerMemory runs a closed loop with 10,000 workers whose jobs
// do nothing but wait, and reports the process's peak RSS and its growth
// per worker: the harness's own memory cost of a worker. Run it alone, in a
// fresh process and under a memory limit, e.g.
//
//	prlimit --as=8000000000 go test -run '^$' -bench WorkerMemory -benchtime 1x ./internal/worker/
func BenchmarkWorkerMemory(b *testing.B) {
	const workers = 10000
	for b.Loop() {
		runtime.GC()
		before := ReadUsage()
		spec := Spec{URLs: []string{"x"}, Model: load.Closed, Workers: workers, Duration: time.Second,
			Think: 10 * time.Millisecond, Timeout: time.Minute, Bucket: 250 * time.Millisecond}
		doers := make(jobs, workers)
		for i := range doers {
			doers[i] = noop{}
		}
		rep, err := ExecuteWith(context.Background(), spec, fakeDef, doers)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Snapshot.Jobs == 0 {
			b.Fatal("no jobs ran")
		}
		after := ReadUsage()
		b.ReportMetric(float64(after.MaxRSS)/1e6, "peak-RSS-MB")
		b.ReportMetric(float64(after.MaxRSS-before.MaxRSS)/workers, "RSS-bytes/worker")
	}
}

// BenchmarkStartPipes starts worker processes and talks to them over their
// pipes, as a sliced run and an agent do: start 2 worker processes, hand
// each its spec and wait until both are ready ("spec-to-ready-ms"); then
// the time the harness takes to write go to both ("go-writes-us"), a lower
// bound of the go skew over pipes.
func BenchmarkStartPipes(b *testing.B) {
	spec := Spec{URLs: []string{"http://127.0.0.1:1/x.jpg"}, Model: "closed", Workers: 1, Duration: time.Millisecond, Timeout: time.Second, Bucket: time.Millisecond}
	env := append(os.Environ(), "SCALEBENCH_TEST_WORKER=1", "GOMAXPROCS=1")
	var toReady, writes []float64
	for b.Loop() {
		start := time.Now()
		var procs []*Proc
		for range 2 {
			p, err := Start(context.Background(), Command{Argv: []string{os.Args[0]}, Env: env})
			if err != nil {
				b.Fatal(err)
			}
			procs = append(procs, p)
			if err := p.SendSpec(spec); err != nil {
				b.Fatal(err)
			}
			if err := p.AwaitReady(); err != nil {
				b.Fatal(err)
			}
		}
		toReady = append(toReady, time.Since(start).Seconds())
		goAt := time.Now()
		for _, p := range procs {
			if err := p.SendGo(); err != nil {
				b.Fatal(err)
			}
		}
		writes = append(writes, time.Since(goAt).Seconds())
		for _, p := range procs {
			p.Close()
		}
	}
	b.ReportMetric(median(toReady)*1e3, "spec-to-ready-ms")
	b.ReportMetric(median(writes)*1e6, "go-writes-us")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

package worker

import (
	"context"
	"math"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scalebench/scalebench/internal/load"
)

// collected gathers the buckets a worker sends.
type collected struct {
	mu      sync.Mutex
	buckets []Progress
}

func (c *collected) send(p Progress) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buckets = append(c.buckets, p)
}

// TestExecuteSendsBuckets checks, in fake time, that a spec with Progress
// set sends each bucket of its window as it closes, with the jobs that
// ended in it and their latencies, and that the buckets add up to the
// report; a batch's one open-ended bucket is sent when the batch ends.
func TestExecuteSendsBuckets(t *testing.T) {
	const ms = time.Millisecond
	for _, tc := range []struct {
		name   string
		spec   Spec
		jobs   []int64 // per bucket
		widths []time.Duration
		median int64 // µs
	}{
		// 100 workers of 35 ms jobs in a 1 s window of 250 ms buckets: a
		// worker ends jobs at 35, 70, ... 980 ms, 7 in each bucket.
		{"closed", Spec{Model: load.Closed, Duration: time.Second}, []int64{700, 700, 700, 700},
			[]time.Duration{250 * ms, 250 * ms, 250 * ms, 250 * ms}, 35000},
		// A window that is not a whole number of buckets ends on a short one.
		{"short last bucket", Spec{Model: load.Closed, Duration: 600 * ms}, []int64{700, 700, 300},
			[]time.Duration{250 * ms, 250 * ms, 100 * ms}, 35000},
		// 500 jobs on 100 workers: five rounds of 35 ms, all in the
		// batch's first bucket, cut short at 175 ms; latency counts from
		// the batch's start, so the median job is the third round's.
		{"batch", Spec{Model: load.Batch, Jobs: 500}, []int64{500}, []time.Duration{175 * ms}, 105000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const workers = 100
				spec := tc.spec
				spec.URLs, spec.Workers, spec.Bucket, spec.Progress = []string{"x"}, workers, 250*time.Millisecond, true
				doers := make(jobs, workers)
				for i := range doers {
					doers[i] = sleeper{35 * time.Millisecond}
				}
				var c collected
				rep, err := ExecuteWith(WithProgress(context.Background(), c.send), spec, fakeDef, doers)
				if err != nil {
					t.Fatal(err)
				}
				var sum int64
				for i, b := range c.buckets {
					sum += b.Jobs
					if b.Bucket != i {
						t.Errorf("bucket %d sent as bucket %d", i, b.Bucket)
					}
					if i < len(tc.jobs) && (b.Jobs != tc.jobs[i] || b.Width != tc.widths[i]) {
						t.Errorf("bucket %d: %d jobs over %v, want %d over %v", i, b.Jobs, b.Width, tc.jobs[i], tc.widths[i])
					}
					med := b.Latency.Quantile(0.5).Microseconds()
					if !b.Latency.Valid() || b.Latency.Total() != b.Jobs || math.Abs(float64(med)/float64(tc.median)-1) > 0.008 {
						t.Errorf("bucket %d: %d latencies with median %d µs, want %d of %d µs, to within 0.8%%", i, b.Latency.Total(), med, b.Jobs, tc.median)
					}
				}
				if len(c.buckets) != len(tc.jobs) {
					t.Errorf("%d buckets sent, want %d", len(c.buckets), len(tc.jobs))
				}
				if sum != rep.Snapshot.Jobs {
					t.Errorf("buckets hold %d jobs, the report %d", sum, rep.Snapshot.Jobs)
				}
			})
		})
	}
}

// TestExecuteWithoutProgress checks that no bucket is sent unless the spec
// asks for them, and that a cancelled run sends the bucket it was in, cut
// short, and nothing after it returned.
func TestExecuteWithoutProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c collected
		ctx := WithProgress(context.Background(), c.send)
		spec := Spec{URLs: []string{"x"}, Model: load.Closed, Workers: 2, Duration: time.Second, Bucket: 250 * time.Millisecond}
		if _, err := ExecuteWith(ctx, spec, fakeDef, jobs{sleeper{10 * time.Millisecond}, sleeper{10 * time.Millisecond}}); err != nil {
			t.Fatal(err)
		}
		if len(c.buckets) != 0 {
			t.Errorf("%d buckets sent for a spec without Progress", len(c.buckets))
		}

		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(600*time.Millisecond, cancel)
		spec.Progress = true
		_, _ = ExecuteWith(ctx, spec, fakeDef, jobs{sleeper{10 * time.Millisecond}, sleeper{10 * time.Millisecond}})
		n := len(c.buckets)
		time.Sleep(2 * time.Second)
		if len(c.buckets) != n || n != 3 || c.buckets[2].Width != 100*time.Millisecond {
			t.Errorf("%d buckets sent by a run cancelled 100 ms into its third bucket, %d after it returned; want 3, the last 100 ms wide, and none", n, len(c.buckets)-n)
		}
	})
}

// TestProcPassesProgress: a worker process given a spec with Progress set
// sends its buckets over its pipe before its report, and Proc hands each
// to OnProgress.
func TestProcPassesProgress(t *testing.T) {
	spec := Spec{URLs: []string{"http://127.0.0.1:1/x.jpg"}, Options: thumbOptions(16, "naive"),
		Model: "closed", Workers: 1, Duration: 200 * time.Millisecond, Timeout: time.Second, Bucket: 50 * time.Millisecond, Progress: true}
	var c collected
	p, err := Start(context.Background(), Command{Argv: []string{os.Args[0]}, Env: append(os.Environ(), "SCALEBENCH_TEST_WORKER=1"), OnProgress: c.send})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.SendSpec(spec); err != nil {
		t.Fatal(err)
	}
	if err := p.AwaitReady(); err != nil {
		t.Fatal(err)
	}
	if err := p.SendGo(); err != nil {
		t.Fatal(err)
	}
	rep, err := p.Report(time.Now().Add(Deadline(spec)))
	if err != nil {
		t.Fatal(err)
	}
	var errs int64
	for _, b := range c.buckets {
		errs += b.Errors
	}
	if len(c.buckets) != 4 || errs != rep.Snapshot.Errors {
		t.Errorf("%d buckets with %d failed jobs, want 4 holding the report's %d", len(c.buckets), errs, rep.Snapshot.Errors)
	}
}

// BenchmarkProgressBucket is what sending one bucket costs a worker
// process, off its measuring workers: taking the bucket from each shard
// and counting its latencies by value, for a bucket of 100 jobs on each
// of 4 shards. A worker sends one every 250 ms when the run has a live
// view.
func BenchmarkProgressBucket(b *testing.B) {
	r := newRecorder(4, 250*time.Millisecond)
	r.progress = func(Progress) {}
	p := &progressReporter{rec: r, send: r.progress, spare: make([]liveBucket, len(r.shards))}
	for b.Loop() {
		for s := range r.shards {
			for j := range 100 {
				r.shards[s].live.record(time.Duration(20000+j*37)*time.Microsecond, false)
			}
		}
		p.collect(0, 250*time.Millisecond)
	}
}

// Latencies count by value to within 0.8%, merge in order, and give
// quantiles by nearest rank.
func TestLatencies(t *testing.T) {
	a := countLatencies(nil, []int64{30000, 10, 10, 20000, 255, 256, 257, 1 << 40})
	want := Latencies{{10, 2}, {255, 1}, {256, 2}, {19968, 1}, {29952, 1}, {1 << 40, 1}}
	if !slices.Equal(a, want) {
		t.Errorf("counted %v, want %v", a, want)
	}
	for _, us := range []int64{1, 255, 256, 1000, 12345, 999999, 1 << 40} {
		if r := roundLatency(us); r > us || float64(us-r) > float64(us)/128 {
			t.Errorf("%d µs rounds to %d, more than 0.8%% off", us, r)
		}
	}
	m := a.Merge(Latencies{{5, 1}, {256, 3}, {40000, 2}})
	if !m.Valid() || m.Total() != a.Total()+6 || m[0] != (LatencyCount{5, 1}) || m[3] != (LatencyCount{256, 5}) {
		t.Errorf("merged %v", m)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0, 10 * time.Microsecond}, {0.5, 256*time.Microsecond + 500*time.Nanosecond},
		{0.99, 1<<40*time.Microsecond + (1<<33-1)*time.Microsecond/2}} {
		if got := a.Quantile(tc.q); got != tc.want {
			t.Errorf("quantile %g: %v, want %v", tc.q, got, tc.want)
		}
	}
	if (Latencies{{5, 1}, {5, 1}}).Valid() || (Latencies{{5, 0}}).Valid() || (Latencies{{0, 1}}).Valid() || Latencies(nil).Quantile(0.5) != 0 {
		t.Error("invalid counts pass as valid, or no counts have a quantile")
	}
}

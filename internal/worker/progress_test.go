package worker

import (
	"context"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/thumbnail"
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
				doers := make([]Doer, workers)
				for i := range doers {
					doers[i] = sleeper{35 * time.Millisecond}
				}
				var c collected
				rep, err := ExecuteWith(WithProgress(context.Background(), c.send), spec, doers)
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
					h := b.Latency.HDR()
					if med := h.ValueAtQuantile(50); h.TotalCount() != b.Jobs || !h.ValuesAreEquivalent(med, tc.median) {
						t.Errorf("bucket %d: %d latencies with median %d µs, want %d of %d µs", i, h.TotalCount(), med, b.Jobs, tc.median)
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
		if _, err := ExecuteWith(ctx, spec, []Doer{sleeper{10 * time.Millisecond}, sleeper{10 * time.Millisecond}}); err != nil {
			t.Fatal(err)
		}
		if len(c.buckets) != 0 {
			t.Errorf("%d buckets sent for a spec without Progress", len(c.buckets))
		}

		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(600*time.Millisecond, cancel)
		spec.Progress = true
		_, _ = ExecuteWith(ctx, spec, []Doer{sleeper{10 * time.Millisecond}, sleeper{10 * time.Millisecond}})
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
	spec := Spec{URLs: []string{"http://127.0.0.1:1/x.jpg"}, Thumbnail: thumbnail.Options{Width: 16, Height: 16},
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

package worker

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

func startServer(t *testing.T, cfg imageserver.Config) *imageserver.Server {
	t.Helper()
	srv, err := imageserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func baseSpec(srv *imageserver.Server) Spec {
	return Spec{
		URLs:      []string{srv.URL + "/64x48/ccc/aaa.jpg", srv.URL + "/32x32.png"},
		Thumbnail: thumbnail.Options{Width: 16, Height: 16, Filter: "lanczos", Format: "png", Method: "naive"},
		Model:     load.Closed,
		Workers:   4,
		Duration:  time.Second,
		Timeout:   10 * time.Second,
		Bucket:    250 * time.Millisecond,
		Seed:      1,
	}
}

// TestExecuteThumbnails runs the real workload against the image server in
// each model: every job succeeds, and latency is at least the injected wait.
// Throughput and scheduling are tested in fake time in internal/load.
func TestExecuteThumbnails(t *testing.T) {
	srv := startServer(t, imageserver.Config{Latency: 20 * time.Millisecond})
	for _, tc := range []struct {
		model load.Model
		edit  func(*Spec)
	}{
		{load.Closed, func(s *Spec) {}},
		{load.Open, func(s *Spec) { s.Rate, s.Arrival = 20, load.Uniform }},
		{load.Batch, func(s *Spec) { s.Jobs = 6 }},
		{load.Closed, func(s *Spec) { s.Thumbnail.Split = 2 }}, // each job split in two
	} {
		t.Run(string(tc.model), func(t *testing.T) {
			spec := baseSpec(srv)
			spec.Model = tc.model
			tc.edit(&spec)
			rep, err := Execute(context.Background(), spec)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Snapshot.Jobs == 0 || rep.Snapshot.Errors != 0 {
				t.Fatalf("jobs %d, errors %d: %v", rep.Snapshot.Jobs, rep.Snapshot.Errors, rep.Snapshot.ErrSamples)
			}
			if lat := latencyOf(t, rep); lat.P50 < 0.02 {
				t.Errorf("p50 %.3fs below the injected 20 ms", lat.P50)
			}
			if rep.Snapshot.StageSums[0] == 0 || rep.Snapshot.StageSums[1] == 0 {
				t.Errorf("stage sums %v: fetch and decode times lost", rep.Snapshot.StageSums)
			}
			// The machine's counters cover the window: at least this
			// process's own CPU in it, at most every CPU for all of it.
			if _, ok := readTicks(); ok {
				m := rep.Machine
				if m == nil {
					t.Fatal("no machine figures on a system with /proc/stat")
				}
				own := rep.UserCPU + rep.SysCPU
				if !(m.Wall > rep.Elapsed/2) || m.Busy < own-0.05 || m.Busy > float64(m.CPUs)*m.Wall+1e-9 || m.Steal < 0 {
					t.Errorf("machine %+v: want a span near the %.2f s window, busy between this process's %.3f CPU-seconds and %d CPUs for the span",
						m, rep.Elapsed, own, m.CPUs)
				}
			}
		})
	}
}

// sleeper is a fake job that takes d, or fails when its context ends first.
type sleeper struct{ d time.Duration }

func (s sleeper) Do(ctx context.Context, _ string) (thumbnail.Timings, error) {
	select {
	case <-time.After(s.d):
		return thumbnail.Timings{Fetch: s.d / 2, Decode: s.d / 2}, nil
	case <-ctx.Done():
		return thumbnail.Timings{}, ctx.Err()
	}
}

// TestExecuteShardsRecorders checks, in fake time, that many workers
// sharing a few recorders lose no sample: the merged report is exactly what
// each worker did.
func TestExecuteShardsRecorders(t *testing.T) {
	for _, tc := range []struct {
		model load.Model
		edit  func(*Spec)
		jobs  int64
		max   float64 // the longest latency, in seconds
	}{
		// 1 s / 30 ms: every worker finishes 33 jobs inside the window.
		{load.Closed, func(s *Spec) {}, 33 * 1000, 0.03},
		// Five rounds of 1,000 jobs, all due at the start.
		{load.Batch, func(s *Spec) { s.Jobs = 5000 }, 5000, 0.15},
	} {
		t.Run(string(tc.model), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const workers = 1000
				spec := Spec{URLs: []string{"x"}, Model: tc.model, Workers: workers, Duration: time.Second, Bucket: 250 * time.Millisecond}
				tc.edit(&spec)
				doers := make([]Doer, workers)
				for i := range doers {
					doers[i] = sleeper{30 * time.Millisecond}
				}
				rec := newRecorder(workers, spec.Bucket)
				if n := len(rec.shards); n >= workers {
					t.Errorf("%d recorder shards for %d workers: memory grows with workers", n, workers)
				}
				rep, err := ExecuteWith(context.Background(), spec, doers)
				if err != nil {
					t.Fatal(err)
				}
				s := rep.Snapshot
				if s.Jobs != tc.jobs || s.Errors != 0 {
					t.Errorf("jobs %d, errors %d, want %d and 0", s.Jobs, s.Errors, tc.jobs)
				}
				if want := tc.jobs * int64(15*time.Millisecond); s.StageSums[0] != want {
					t.Errorf("fetch sum %d ns, want %d", s.StageSums[0], want)
				}
				if lat := latencyOf(t, rep); lat.Max < tc.max*0.999 || lat.Max > tc.max*1.001 {
					t.Errorf("max latency %.4fs, want %.3fs", lat.Max, tc.max)
				}
			})
		})
	}
}

// TestExecuteCountsMissedArrivalsAsDropped checks that arrivals the
// dispatcher could not send before the window ended reach the report as
// offered and dropped.
func TestExecuteCountsMissedArrivalsAsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One worker stuck for the whole window; the queue (1,024 + 1.5 × the
		// 100 expected arrivals) cannot fill, so nothing is missed, but every
		// queued arrival is dropped after the grace.
		spec := Spec{URLs: []string{"x"}, Model: load.Open, Workers: 1, Duration: time.Second,
			Rate: 100, Arrival: load.Uniform, Timeout: 5 * time.Second, Bucket: 250 * time.Millisecond}
		rep, err := ExecuteWith(context.Background(), spec, []Doer{sleeper{time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Offered != 100 {
			t.Errorf("offered %d, want 100", rep.Offered)
		}
		if got := rep.Snapshot.Dropped + rep.Snapshot.Errors; got != 100 {
			t.Errorf("dropped %d + errors %d, want 100 arrivals lost", rep.Snapshot.Dropped, rep.Snapshot.Errors)
		}
	})
}

// TestExecuteBacksOffWhenUnreachable checks a worker facing a closed port
// waits longer and longer between jobs instead of failing in a tight loop,
// while error statuses are retried at once.
func TestExecuteBacksOffWhenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	spec := Spec{URLs: []string{closed + "/32x32.png"}, Thumbnail: thumbnail.Options{Width: 16, Height: 16},
		Model: load.Closed, Workers: 2, Duration: time.Second, Timeout: 10 * time.Second, Bucket: 250 * time.Millisecond}
	rep, err := Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	// Waits of 1, 2, 4, ... ms allow at most 11 attempts a second per worker,
	// however fast the machine.
	if n := rep.Snapshot.Errors; n < 1 || n > 2*11 {
		t.Errorf("%d failed jobs in 1 s on 2 workers, want 1 to 22 with backoff: %v", n, rep.Snapshot.ErrSamples)
	}

	srv := startServer(t, imageserver.Config{ErrorRate: 1})
	th, err := thumbnail.New(spec.Thumbnail, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, status := th.Do(context.Background(), srv.URL+"/32x32.png")
	if status == nil {
		t.Fatal("want an error status from a server that fails every request")
	}
	if unreachable(status) {
		t.Errorf("unreachable(%v) = true, want false: the server answered", status)
	}
}

func TestExecuteRejectsBadSpec(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no workers", func(s *Spec) { s.Workers = 0 }, "worker"},
		{"unknown model", func(s *Spec) { s.Model = "sideways" }, "valid: closed, open, batch"},
		{"rate too high", func(s *Spec) { s.Model, s.Rate = load.Open, 1e12 }, "most one process can pace"},
		{"huge rate", func(s *Spec) { s.Model, s.Rate = load.Open, 1e300 }, "most one process can pace"},
		{"unknown arrival", func(s *Spec) { s.Model, s.Rate, s.Arrival = load.Open, 10, "bursty" }, "valid: poisson, uniform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := Spec{URLs: []string{"x"}, Model: load.Closed, Workers: 1, Duration: time.Millisecond}
			tc.edit(&spec)
			doers := make([]Doer, max(spec.Workers, 0))
			for i := range doers {
				doers[i] = sleeper{}
			}
			_, err := ExecuteWith(context.Background(), spec, doers)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one that says %q", err, tc.want)
			}
		})
	}
	if _, err := Execute(context.Background(), Spec{Workers: 0, URLs: []string{"x"}}); err == nil {
		t.Error("Execute: want an error for 0 workers")
	}
}

func TestExecuteCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		spec := Spec{URLs: []string{"x"}, Model: load.Closed, Workers: 4, Duration: time.Hour, Bucket: time.Second}
		start := time.Now()
		_, err := ExecuteWith(ctx, spec, []Doer{sleeper{time.Hour}, sleeper{time.Hour}, sleeper{time.Hour}, sleeper{time.Hour}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("returned after %v of fake time, want 100ms", d)
		}
	})
}

// latency is the median and the longest latency a report holds, in
// seconds.
type latency struct{ P50, Max float64 }

func latencyOf(t *testing.T, rep Report) latency {
	t.Helper()
	h := rep.Snapshot.Hist
	return latency{P50: float64(h.ValueAtQuantile(50)) / 1e6, Max: float64(h.Max()) / 1e6}
}

// TestExecuteMemoryBudget runs four workers in a process whose memory
// holds one job at a time: the jobs wait in queue for it, and the wait is
// reported apart from their service; a budget smaller than one job fails
// every job, naming both sizes.
func TestExecuteMemoryBudget(t *testing.T) {
	srv := startServer(t, imageserver.Config{Bandwidth: 200 << 10})
	spec := baseSpec(srv)
	spec.URLs = []string{srv.URL + "/320x240/fff/000.jpg"}
	need := thumbnail.DecodeSizeOf(320, 240, "jpeg", spec.Thumbnail)
	spec.Memory = need + need/2
	rep, err := Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Snapshot
	if s.Jobs == 0 || s.Errors != 0 {
		t.Fatalf("jobs %d, errors %d: %v", s.Jobs, s.Errors, s.ErrSamples)
	}
	queue, fetch := s.StageSums[5], s.StageSums[0]
	// One job in service at a time, four workers: most of a job's latency
	// is its wait for the memory.
	if queue < fetch {
		t.Errorf("time in queue %v against fetching %v: the budget did not hold three of four jobs back", time.Duration(queue), time.Duration(fetch))
	}

	spec.Memory = need - 1
	rep, err = Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Snapshot; s.Jobs != 0 || s.Errors == 0 || s.ErrKinds[thumbnail.KindTooLarge] != s.Errors ||
		len(s.ErrSamples) == 0 || !strings.Contains(s.ErrSamples[0], "the budget is") {
		t.Errorf("a budget below one job: jobs %d, errors %d by kind %v: %v", s.Jobs, s.Errors, s.ErrKinds, s.ErrSamples)
	}
}

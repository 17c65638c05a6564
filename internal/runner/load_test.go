package runner

import (
	"context"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/results"
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
		Model:     "closed",
		Workers:   4,
		Duration:  time.Second,
		Timeout:   10 * time.Second,
		Bucket:    250 * time.Millisecond,
		Seed:      1,
	}
}

func TestExecuteClosedLoopOverlapsWaiting(t *testing.T) {
	srv := startServer(t, imageserver.Config{Latency: 50 * time.Millisecond})
	spec := baseSpec(srv)
	spec.Workers = 8
	rep, err := Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	// One worker could do at most 20 jobs/s at 50 ms each; eight overlap their waits.
	if tput := float64(rep.Snapshot.Jobs) / rep.Elapsed; tput < 60 {
		t.Errorf("throughput %.1f jobs/s with 8 workers at 50 ms, want > 60 (3x one worker's ceiling)", tput)
	}
	if rep.Snapshot.Errors != 0 {
		t.Errorf("errors = %d: %v", rep.Snapshot.Errors, rep.Snapshot.ErrSamples)
	}
	lat := latencyOf(t, rep)
	if lat.P50 < 0.05 {
		t.Errorf("p50 %.3fs below the injected 50 ms", lat.P50)
	}
	if len(rep.Snapshot.Buckets) != 4 {
		t.Errorf("time series has %d buckets, want 4 of 250 ms", len(rep.Snapshot.Buckets))
	}
}

func TestExecuteOpenLoopShowsStall(t *testing.T) {
	srv := startServer(t, imageserver.Config{Latency: 5 * time.Millisecond})
	spec := baseSpec(srv)
	spec.Model, spec.Rate, spec.Arrival = "open", 40, "uniform"
	spec.Workers = 64
	spec.Duration = 3 * time.Second
	go func() {
		time.Sleep(time.Second)
		srv.Stall(time.Second)
	}()
	rep, err := Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	lat := latencyOf(t, rep)
	// A third of the arrivals land in the stall: they wait up to 1 s, and
	// because latency counts from the scheduled arrival, p99 and max show it.
	if lat.Max < 0.9 || lat.P99 < 0.8 {
		t.Errorf("p99 %.3fs, max %.3fs: the 1 s stall is hidden", lat.P99, lat.Max)
	}
	if n := rep.Snapshot.Jobs; n < 100 || n > 140 {
		t.Errorf("jobs = %d, want about 40/s × 3 s = 120", n)
	}
}

func TestExecuteOpenLoopCountsLateArrivals(t *testing.T) {
	srv := startServer(t, imageserver.Config{Latency: 100 * time.Millisecond})
	spec := baseSpec(srv)
	spec.Model, spec.Rate, spec.Arrival = "open", 100, "poisson"
	spec.Workers = 2 // can serve ~20/s: arrivals queue
	rep, err := Execute(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	late := latenessOf(rep.Snapshot)
	if late == nil || late.Count < 10 {
		t.Fatalf("lateness = %+v, want many late arrivals when 2 workers face 100/s", late)
	}
	if lat := latencyOf(t, rep); lat.Max < 0.3 {
		t.Errorf("max latency %.3fs: queueing behind busy workers is hidden", lat.Max)
	}
}

func TestExecuteBatchMakespan(t *testing.T) {
	srv := startServer(t, imageserver.Config{Latency: 200 * time.Millisecond})
	spec := baseSpec(srv)
	spec.Model, spec.Jobs = "batch", 5
	for _, tc := range []struct {
		workers  int
		min, max time.Duration
	}{
		{1, time.Second, 5 * time.Second},                   // serial: five waits in a row
		{5, 200 * time.Millisecond, 900 * time.Millisecond}, // threaded: about the time of one
	} {
		spec.Workers = tc.workers
		rep, err := Execute(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		got := time.Duration(rep.Makespan * float64(time.Second))
		if got < tc.min || got > tc.max {
			t.Errorf("workers=%d: makespan %v, want in [%v, %v]", tc.workers, got, tc.min, tc.max)
		}
		if rep.Snapshot.Jobs != 5 {
			t.Errorf("workers=%d: %d jobs, want 5", tc.workers, rep.Snapshot.Jobs)
		}
	}
}

func TestExecuteRejectsBadSpec(t *testing.T) {
	if _, err := Execute(context.Background(), Spec{Workers: 0, URLs: []string{"x"}}); err == nil {
		t.Error("want an error for 0 workers")
	}
	srv := startServer(t, imageserver.Config{})
	spec := baseSpec(srv)
	spec.Model = "sideways"
	if _, err := Execute(context.Background(), spec); err == nil {
		t.Error("want an error for an unknown model")
	}
}

func latencyOf(t *testing.T, rep Report) results.Latency {
	t.Helper()
	return results.HistogramOf(rep.Snapshot.Hist).Latency()
}

package runner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

// Spec is what one worker process runs: one measurement of one cell, or
// this process's share of it when the cell has several replicas.
type Spec struct {
	URLs      []string          `json:"urls"`
	Thumbnail thumbnail.Options `json:"thumbnail"`
	Model     string            `json:"model"` // closed, open or batch
	Workers   int               `json:"workers"`
	Warmup    time.Duration     `json:"warmup"`
	Duration  time.Duration     `json:"duration"`
	Think     time.Duration     `json:"think,omitempty"`
	Rate      float64           `json:"rate,omitempty"`    // open: arrivals per second for this process
	Arrival   string            `json:"arrival,omitempty"` // open: poisson or uniform
	Jobs      int               `json:"jobs,omitempty"`    // batch: jobs for this process
	MaxJobs   int64             `json:"max_jobs,omitempty"`
	Timeout   time.Duration     `json:"timeout"`
	Bucket    time.Duration     `json:"bucket"`
	Seed      uint64            `json:"seed"`
	// CPUs, when set, are the CPUs the process was pinned to; it checks.
	CPUs []int `json:"cpus,omitempty"`
}

// Report is what a worker process measured in its window.
type Report struct {
	Snapshot metrics.Snapshot `json:"snapshot"`
	// Elapsed is the measured window's length in seconds (batch: the makespan).
	Elapsed  float64 `json:"elapsed"`
	Makespan float64 `json:"makespan,omitempty"`
	// UserCPU and SysCPU are this process's CPU seconds during the window.
	UserCPU float64 `json:"user_cpu"`
	SysCPU  float64 `json:"sys_cpu"`
	MaxRSS  int64   `json:"max_rss"` // bytes, peak of the process
	// GOMAXPROCS is the value the measured process ran with.
	GOMAXPROCS int `json:"gomaxprocs"`
	// CPUs are the CPUs the process was allowed to run on, when pinned.
	CPUs []int `json:"cpus,omitempty"`
	// HarnessLag is how far the open-loop dispatcher itself fell behind its
	// schedule, in seconds: a sign the harness, not the system, was the limit.
	HarnessLag float64 `json:"harness_lag,omitempty"`
	// Offered counts the open-loop arrivals scheduled inside the window.
	Offered int64     `json:"offered,omitempty"`
	Started time.Time `json:"started"`
}

// job is one unit of work handed to a worker: the URL, its intended start,
// and when the dispatcher queued it (later than intended if it fell behind).
type job struct {
	url      string
	intended time.Time
	queued   time.Time
}

// Doer runs one job; each worker owns one.
type Doer interface {
	Do(ctx context.Context, url string) (thumbnail.Timings, error)
}

var _ Doer = (*thumbnail.Thumbnailer)(nil)

// Execute runs spec in this process and reports what the measured window saw.
// It stops by itself: every loop is bounded by the window and spec.Timeout.
func Execute(ctx context.Context, spec Spec) (Report, error) {
	if spec.Workers < 1 || len(spec.URLs) == 0 {
		return Report{}, fmt.Errorf("runner: execute: need >= 1 worker and >= 1 URL, got %d and %d", spec.Workers, len(spec.URLs))
	}
	client := thumbnail.NewClient(spec.Workers)
	doers := make([]Doer, spec.Workers)
	for i := range doers {
		t, err := thumbnail.New(spec.Thumbnail, client)
		if err != nil {
			return Report{}, fmt.Errorf("runner: execute: %w", err)
		}
		doers[i] = t
	}
	return execute(ctx, spec, doers)
}

// execute runs spec with one Doer per worker.
func execute(ctx context.Context, spec Spec, thumbs []Doer) (Report, error) {
	if spec.Timeout <= 0 {
		spec.Timeout = 30 * time.Second
	}
	switch spec.Model {
	case "closed", "open", "batch":
	case "":
		spec.Model = "closed"
	default:
		return Report{}, fmt.Errorf("runner: execute: unknown load model %q (valid: closed, open, batch)", spec.Model)
	}
	// Closed and open loops run the warm-up and the window as one run, so the
	// window opens on a system already in its steady state; a batch starts
	// from idle by definition, after a separate warm-up.
	start := time.Now().Add(spec.Warmup)
	if spec.Model == "batch" {
		if spec.Warmup > 0 {
			warm := spec
			warm.Duration, warm.MaxJobs = spec.Warmup, 0
			closedLoop(ctx, warm, thumbs, time.Now(), nil)
		}
		runtime.GC() // start the batch with a clean heap, not warm-up garbage
		start = time.Now()
	}
	// CPU use is read when the window opens and again when it closes.
	var before usage
	opened := make(chan struct{})
	timer := time.AfterFunc(time.Until(start), func() { before = readUsage(); close(opened) })
	recs := make([]*metrics.Recorder, spec.Workers)
	window := spec.Duration
	if spec.Model == "batch" {
		window = 0
	}
	for i := range recs {
		recs[i] = metrics.NewRecorder(start, window, spec.Bucket)
	}
	rep := Report{Started: start, GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if len(spec.CPUs) > 0 {
		rep.CPUs = affinity()
	}
	switch spec.Model {
	case "closed":
		closedLoop(ctx, spec, thumbs, start, recs)
		rep.Elapsed = max(0, min(time.Since(start).Seconds(), spec.Duration.Seconds()))
	case "open":
		behind, offered := openLoop(ctx, spec, thumbs, start, recs)
		rep.HarnessLag, rep.Offered = behind.Seconds(), offered
		rep.Elapsed = spec.Duration.Seconds()
	case "batch":
		rep.Makespan = batch(ctx, spec, thumbs, start, recs).Seconds()
		rep.Elapsed = rep.Makespan
	}
	after := readUsage()
	if timer.Stop() { // stopped before the window opened
		before = after
	} else {
		<-opened
	}
	rep.UserCPU = after.user - before.user
	rep.SysCPU = after.sys - before.sys
	rep.MaxRSS = after.maxRSS
	snaps := make([]metrics.Snapshot, len(recs))
	for i, r := range recs {
		snaps[i] = r.Snapshot()
	}
	rep.Snapshot = metrics.Merge(snaps...)
	if ctx.Err() != nil {
		return rep, fmt.Errorf("runner: execute: %w", ctx.Err())
	}
	return rep, nil
}

// closedLoop runs spec.Workers workers back to back (plus think time) from
// now until the window [start, start+spec.Duration] ends. Only jobs that
// finish inside the window are recorded; recs nil records nothing.
func closedLoop(ctx context.Context, spec Spec, thumbs []Doer, start time.Time, recs []*metrics.Recorder) {
	end := start.Add(spec.Duration)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	var wg sync.WaitGroup
	for w := range spec.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			for k := w; ctx.Err() == nil; k += spec.Workers {
				if spec.MaxJobs > 0 && n*int64(spec.Workers) >= spec.MaxJobs {
					return
				}
				s := runJob(ctx, thumbs[w], spec.URLs[k%len(spec.URLs)], time.Time{}, time.Time{}, spec.Timeout)
				if s.End.After(end) || ctx.Err() != nil {
					return // finished after the window: not part of the measurement
				}
				if recs != nil && !s.End.Before(start) {
					n++
					recs[w].Record(s)
				}
				if spec.Think > 0 {
					sleep(ctx, spec.Think)
				}
			}
		}()
	}
	wg.Wait()
}

// openLoop offers jobs at spec.Rate from a schedule fixed in advance, from
// now until the window [start, start+spec.Duration) ends; jobs due before
// start are the warm-up and are not recorded. A job's latency counts from
// its scheduled arrival, so time spent waiting for a free worker is never
// hidden. It returns how far the dispatcher itself fell behind its schedule,
// and how many arrivals the window was offered.
func openLoop(ctx context.Context, spec Spec, thumbs []Doer, start time.Time, recs []*metrics.Recorder) (time.Duration, int64) {
	end := start.Add(spec.Duration)
	// Jobs still queued or running when the window ends get a bounded grace
	// to finish; those that do not are counted as dropped.
	grace := min(spec.Timeout, 10*time.Second)
	jobCtx, cancel := context.WithDeadline(ctx, end.Add(grace))
	defer cancel()
	limit := int(spec.Rate*(spec.Warmup+spec.Duration).Seconds()*1.5) + 1024
	queue := make(chan job, min(limit, 1<<20))
	var wg sync.WaitGroup
	for w := range spec.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				measured := !j.intended.Before(start)
				if jobCtx.Err() != nil {
					if measured {
						recs[w].Drop()
					}
					continue
				}
				// Lateness counts from when the job reached the queue: a
				// dispatcher that fell behind is the harness's delay, reported
				// as harness lag, not a busy worker's.
				ready := j.intended
				if j.queued.After(ready) {
					ready = j.queued
				}
				s := runJob(jobCtx, thumbs[w], j.url, j.intended, ready, spec.Timeout)
				switch {
				case !measured:
					if s.Err == nil {
						recs[w].Complete(s.End)
					}
				case jobCtx.Err() != nil && s.Err != nil:
					recs[w].Drop()
				default:
					recs[w].Record(s)
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	var behind time.Duration
	var offered int64
	next := time.Now()
	for i := 0; next.Before(end) && ctx.Err() == nil; i++ {
		if spec.MaxJobs > 0 && int64(i) >= spec.MaxJobs {
			break
		}
		if d := time.Until(next); d > 0 {
			sleep(ctx, d)
		} else if -d > behind {
			behind = -d
		}
		queue <- job{url: spec.URLs[i%len(spec.URLs)], intended: next, queued: time.Now()}
		if !next.Before(start) {
			offered++
		}
		next = next.Add(interarrival(rng, spec.Rate, spec.Arrival))
	}
	close(queue)
	wg.Wait()
	return behind, offered
}

func interarrival(rng *rand.Rand, rate float64, arrival string) time.Duration {
	mean := float64(time.Second) / rate
	if arrival == "uniform" {
		return time.Duration(mean)
	}
	return time.Duration(rng.ExpFloat64() * mean)
}

// batch runs spec.Jobs jobs, all arriving at start, on spec.Workers workers,
// and returns the makespan: from start until the last job finished.
func batch(ctx context.Context, spec Spec, thumbs []Doer, start time.Time, recs []*metrics.Recorder) time.Duration {
	queue := make(chan int, spec.Jobs)
	for i := range spec.Jobs {
		queue <- i
	}
	close(queue)
	var wg sync.WaitGroup
	last := make([]time.Time, spec.Workers) // each worker's latest finish
	for w := range spec.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				if ctx.Err() != nil {
					return
				}
				// Every job is due at start; waiting for a worker is the point
				// of a batch, not lateness, so each is ready when it starts.
				s := runJob(ctx, thumbs[w], spec.URLs[i%len(spec.URLs)], start, time.Time{}, spec.Timeout)
				recs[w].Record(s)
				last[w] = s.End
			}
		}()
	}
	wg.Wait()
	end := start
	for _, t := range last {
		if t.After(end) {
			end = t
		}
	}
	return end.Sub(start)
}

// runJob runs one thumbnail job. Its latency counts from intended, its
// intended start; its lag, the wait for a free worker, from ready, when it
// could first have been picked up. A zero time means the moment it starts
// (a closed loop's next job is due, and ready, when it starts).
func runJob(ctx context.Context, t Doer, url string, intended, ready time.Time, timeout time.Duration) metrics.Sample {
	started := time.Now()
	if intended.IsZero() {
		intended = started
	}
	if ready.IsZero() {
		ready = started
	}
	jctx, cancel := context.WithTimeout(ctx, timeout)
	tm, err := t.Do(jctx, url)
	cancel()
	end := time.Now()
	return metrics.Sample{
		Latency: end.Sub(intended),
		End:     end,
		Lag:     started.Sub(ready),
		Fetch:   tm.Fetch, Decode: tm.Decode, Resize: tm.Resize, Encode: tm.Encode, Write: tm.Write,
		Err: err,
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

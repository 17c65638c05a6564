// Package load offers jobs to the system under test and times them, by one
// of three load models: a closed loop of workers that each start their next
// job when the last one ends, an open loop of arrivals at a fixed rate, and
// a batch of jobs all due at once. Each model is an Executor; what a job
// does is the caller's Job, and what is measured goes to the caller's
// Recorder.
package load

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Model is a load model: how jobs are offered.
type Model string

// The load models.
const (
	// Closed runs a fixed number of workers back to back, each starting its
	// next job (after an optional think time) when its last one ends.
	Closed Model = "closed"
	// Open offers jobs at a fixed rate whatever the system's state; latency
	// counts from each job's scheduled arrival.
	Open Model = "open"
	// Batch offers a fixed number of jobs all at once and measures the
	// makespan, the time until the last one ends.
	Batch Model = "batch"
)

// Models returns every load model, in the order they are documented.
func Models() []Model { return []Model{Closed, Open, Batch} }

// ModelNames returns the names of every load model.
func ModelNames() []string { return names(Models()) }

// ParseModel returns the load model named s.
func ParseModel(s string) (Model, error) {
	for _, m := range Models() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown load model %q (valid: %s)", s, strings.Join(ModelNames(), ", "))
}

func (m Model) String() string { return string(m) }

// Executor returns the executor that runs model m, or an error naming the
// valid models.
func (m Model) Executor() (Executor, error) {
	switch m {
	case Closed:
		return ClosedLoop{}, nil
	case Open:
		return OpenLoop{}, nil
	case Batch:
		return BatchRun{}, nil
	}
	_, err := ParseModel(string(m))
	return nil, fmt.Errorf("load: %w", err)
}

// Arrival is the pattern of an open loop's arrivals.
type Arrival string

// The arrival patterns.
const (
	// Poisson arrivals are independent: gaps are exponentially distributed
	// around the mean, as from many independent clients.
	Poisson Arrival = "poisson"
	// Uniform arrivals are evenly spaced, one every 1/rate seconds.
	Uniform Arrival = "uniform"
)

// Arrivals returns every arrival pattern; the first is the default.
func Arrivals() []Arrival { return []Arrival{Poisson, Uniform} }

// ArrivalNames returns the names of every arrival pattern.
func ArrivalNames() []string { return names(Arrivals()) }

// ParseArrival returns the arrival pattern named s.
func ParseArrival(s string) (Arrival, error) {
	for _, a := range Arrivals() {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown arrival pattern %q (valid: %s)", s, strings.Join(ArrivalNames(), ", "))
}

func (a Arrival) String() string { return string(a) }

// Gap returns the time from one arrival to the next at rate arrivals per
// second (rate > 0), drawing from rng for Poisson arrivals. It never
// overflows: a gap longer than time.Duration can hold is the longest one.
func (a Arrival) Gap(rng *rand.Rand, rate float64) time.Duration {
	mean := float64(time.Second) / rate
	g := mean
	if a != Uniform {
		g = rng.ExpFloat64() * mean
	}
	if !(g < math.MaxInt64) { // also catches NaN
		return math.MaxInt64
	}
	return time.Duration(g)
}

func names[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// MaxRate is the highest open-loop rate, in arrivals per second, that one
// worker process's dispatcher paces: one arrival per microsecond. A higher
// rate is split over several processes (replicas).
const MaxRate = 1e6

// CheckRate reports whether one process's dispatcher can pace rate
// arrivals per second: rate must be positive and at most MaxRate.
func CheckRate(rate float64) error {
	if !(rate > 0) { // also catches NaN
		return fmt.Errorf("rate must be a positive number of arrivals per second, got %g", rate)
	}
	if rate > MaxRate {
		return fmt.Errorf("rate %g/s is above %g/s, the most one process can pace (one arrival per %v); spread it over more replicas", rate, float64(MaxRate), time.Duration(float64(time.Second)/MaxRate))
	}
	return nil
}

// WorkerBytes is the load loop's own memory per worker, a goroutine and its
// share of the bookkeeping, in bytes; what the job itself holds per worker
// (buffers, a connection) comes on top. BenchmarkWorkerMemory in
// internal/runner measures it.
const WorkerBytes = 8 << 10

// DefaultTimeout is the per-job timeout when a Plan gives none.
const DefaultTimeout = 30 * time.Second

// Plan is what an executor runs: one measurement in this process.
type Plan struct {
	// URLs are the jobs' inputs, taken in turn.
	URLs []string
	// Workers is the number of concurrent workers, each with its own Job.
	Workers int
	// Warmup is an unmeasured run before the window. Closed and open loops
	// run it and the window as one run, so the window opens on a system in
	// its steady state; a batch warms up with a closed loop, then starts
	// from idle.
	Warmup time.Duration
	// Duration is the measured window (closed and open loops).
	Duration time.Duration
	// Think is a closed-loop worker's pause after each job.
	Think time.Duration
	// Rate is the open loop's arrivals per second; see CheckRate.
	Rate float64
	// Arrival is the open loop's arrival pattern; "" means Poisson.
	Arrival Arrival
	// Jobs is the number of jobs in a batch.
	Jobs int
	// MaxJobs, if positive, caps the jobs of a closed or open loop.
	MaxJobs int64
	// Timeout bounds each job; 0 means DefaultTimeout.
	Timeout time.Duration
	// Seed seeds the open loop's Poisson arrivals.
	Seed uint64
	// Backoff, if set, reports whether a failed job found the system
	// unreachable (a refused connection, say). A closed-loop worker then
	// waits before its next job, MinBackoff at first and twice as long
	// after each such failure up to MaxBackoff, until a job succeeds, so a
	// dead system is not hammered in a tight loop. Open loops and batches
	// offer their jobs regardless: their counts are bounded by the plan.
	Backoff func(error) bool
}

// The bounds of a closed-loop worker's wait after a job finds the system
// unreachable; see Plan.Backoff.
const (
	MinBackoff = time.Millisecond
	MaxBackoff = time.Second
)

// Limit returns the longest model m's Execute of p can take when every job
// returns once its context ends: the harness may treat a process still
// running after it (plus start-up and a margin) as stuck. A batch's limit
// assumes every job runs to its timeout. It saturates rather than
// overflows.
func (p Plan) Limit(m Model) time.Duration {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := sat(p.Warmup, 0)
	switch m {
	case Open:
		d = sat(d, sat(p.Duration, min(timeout, maxGrace)))
	case Batch:
		rounds := int64(1)
		if p.Workers > 0 && p.Jobs > 0 {
			rounds = (int64(p.Jobs) + int64(p.Workers) - 1) / int64(p.Workers)
		}
		if rounds > int64(math.MaxInt64/timeout) {
			return math.MaxInt64
		}
		d = sat(d, time.Duration(rounds)*timeout)
	default:
		d = sat(d, p.Duration)
	}
	return d
}

// sat returns a+b for non-negative a and b, or the longest duration if
// that overflows.
func sat(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// check validates the fields every model uses and fills in defaults.
func (p *Plan) check(model Model, jobs []Job) error {
	switch {
	case p.Workers < 1:
		return fmt.Errorf("load: %s: need at least 1 worker, got %d", model, p.Workers)
	case len(p.URLs) == 0:
		return fmt.Errorf("load: %s: need at least 1 URL", model)
	case len(jobs) != p.Workers:
		return fmt.Errorf("load: %s: need one job per worker, got %d jobs for %d workers", model, len(jobs), p.Workers)
	case p.Warmup < 0 || p.Duration < 0 || p.Think < 0 || p.Timeout < 0:
		return fmt.Errorf("load: %s: warm-up, duration, think time and timeout must not be negative", model)
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	return nil
}

// Job runs one unit of work on url and returns the time its stages took.
// Each worker has its own Job and calls it one job at a time.
type Job func(ctx context.Context, url string) (Stages, error)

// Stages are the durations of a job's stages.
type Stages struct {
	// Queue is the job's wait for admission (its memory), before its
	// service.
	Queue                                time.Duration
	Fetch, Decode, Resize, Encode, Write time.Duration
}

// Sample is one finished job.
type Sample struct {
	// Latency counts from the job's intended start (an open loop's
	// scheduled arrival), so time spent waiting for a worker is included.
	Latency time.Duration
	// Lag is how long the job waited for a free worker once it was ready.
	Lag time.Duration
	// End is when the job finished.
	End    time.Time
	Stages Stages
	Err    error
}

// Recorder receives what the workers measure. An executor calls Open once,
// before any other method; then the other methods from many goroutines at
// once, each passing the index of the worker that calls.
type Recorder interface {
	// Open fixes the measured window: it opens at start and lasts window,
	// or is open-ended when window is 0 (a batch).
	Open(start time.Time, window time.Duration)
	// Record adds a job that belongs to the measurement.
	Record(worker int, s Sample)
	// Complete notes a successful job that was due before the window
	// opened and finished at end: it counts towards the window's
	// throughput only if it finished inside the window.
	Complete(worker int, end time.Time)
	// Drop counts a measured arrival that never started, or did not finish
	// within the grace after the window.
	Drop(worker int)
}

// Outcome is what an executor reports besides its recorded samples.
type Outcome struct {
	// Start is when the measured window opened.
	Start time.Time
	// Elapsed is the measured window's length (a batch: its makespan).
	Elapsed time.Duration
	// Makespan is how long a batch took, from its start to its last job's end.
	Makespan time.Duration
	// HarnessLag is how far the open-loop dispatcher itself fell behind
	// its schedule: a sign the harness, not the system, was the limit.
	HarnessLag time.Duration
	// Offered counts the open-loop arrivals scheduled inside the window,
	// Missed included.
	Offered int64
	// Missed counts the arrivals scheduled inside the window that the
	// dispatcher had not sent when the window ended (estimated for Poisson
	// arrivals). They never started: count them as dropped.
	Missed int64
}

// Executor runs one load model.
type Executor interface {
	// Execute runs p with jobs[w] as worker w's job and rec as the sink of
	// what is measured. It stops by itself: every loop is bounded by the
	// window and the job timeout. It returns an error, before running
	// anything, for an invalid plan, and ctx's error, with the outcome so
	// far, if ctx ended first.
	Execute(ctx context.Context, p Plan, jobs []Job, rec Recorder) (Outcome, error)
}

// run runs one job. Its latency counts from intended, its intended start;
// its lag, the wait for a free worker, from ready, when it could first have
// been picked up. A zero time means the moment it starts (a closed loop's
// next job is due, and ready, when it starts).
func run(ctx context.Context, job Job, url string, intended, ready time.Time, timeout time.Duration) Sample {
	started := time.Now()
	if intended.IsZero() {
		intended = started
	}
	if ready.IsZero() {
		ready = started
	}
	// The job ends at its timeout or with ctx, whichever is first. A ctx
	// that ends first already bounds it (a closed loop's window, usually):
	// a context of its own would only cost a timer.
	jctx := ctx
	if d, ok := ctx.Deadline(); !ok || d.After(started.Add(timeout)) {
		var cancel context.CancelFunc
		jctx, cancel = context.WithDeadline(ctx, started.Add(timeout))
		defer cancel()
	}
	st, err := job(jctx, url)
	end := time.Now()
	return Sample{Latency: end.Sub(intended), Lag: started.Sub(ready), End: end, Stages: st, Err: err}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ended returns ctx's error wrapped with the model, or nil.
func ended(ctx context.Context, model Model) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("load: %s: %w", model, err)
	}
	return nil
}

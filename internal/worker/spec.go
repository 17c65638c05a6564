package worker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

// Spec is what one worker process runs: one measurement of one cell, or
// this process's share of it when the cell has several replicas.
type Spec struct {
	// Protocol is the worker protocol version the harness speaks.
	Protocol  int               `json:"protocol"`
	URLs      []string          `json:"urls"`
	Thumbnail thumbnail.Options `json:"thumbnail"`
	Model     load.Model        `json:"model"`
	Workers   int               `json:"workers"`
	// Memory is this process's memory budget in bytes, which its jobs
	// reserve their decode size from (thumbnail.Budget); 0: unlimited.
	Memory   int64         `json:"memory,omitempty"`
	Warmup   time.Duration `json:"warmup"`
	Duration time.Duration `json:"duration"`
	Think    time.Duration `json:"think,omitempty"`
	Rate     float64       `json:"rate,omitempty"`    // open: arrivals per second for this process
	Arrival  load.Arrival  `json:"arrival,omitempty"` // open
	Jobs     int           `json:"jobs,omitempty"`    // batch: jobs for this process
	MaxJobs  int64         `json:"max_jobs,omitempty"`
	Timeout  time.Duration `json:"timeout"`
	Bucket   time.Duration `json:"bucket"`
	Seed     uint64        `json:"seed"`
	// CPUs, when set, are the CPUs the process was pinned to; it checks.
	CPUs []int `json:"cpus,omitempty"`
	// Sliced marks a process the harness runs in slices, stopping and
	// resuming it (a sliced A/B run): the load runs from the go signal,
	// with no warm-up or window of its own, until the harness sends
	// "stop" (Duration only bounds it), and completions are counted in
	// Bucket-wide buckets from the go signal. Only a worker that
	// describes itself with Slices takes it.
	Sliced bool `json:"sliced,omitempty"`
	// Progress asks the worker to send each bucket of its measured window
	// as it closes (a Progress), for a live view of the run. Only a worker
	// that says it can (an agent registered with the progress feature) is
	// sent it.
	Progress bool `json:"progress,omitempty"`
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
	Offered int64 `json:"offered,omitempty"`
	// Machine is the whole machine's CPU use during the window, when the
	// system tells it (Linux); nil otherwise.
	Machine *Machine  `json:"machine,omitempty"`
	Started time.Time `json:"started"`
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
		return Report{}, fmt.Errorf("worker: execute: need >= 1 worker and >= 1 URL, got %d and %d", spec.Workers, len(spec.URLs))
	}
	if spec.Memory < 0 {
		return Report{}, fmt.Errorf("worker: execute: memory %d: want a budget in bytes, or 0 for none", spec.Memory)
	}
	client := thumbnail.NewClient(spec.Workers)
	var budget thumbnail.Budget
	if spec.Memory > 0 {
		budget = thumbnail.NewBudget(spec.Memory) // one per process: a replica's memory
	}
	doers := make([]Doer, spec.Workers)
	for i := range doers {
		t, err := thumbnail.New(spec.Thumbnail, client)
		if err != nil {
			return Report{}, fmt.Errorf("worker: execute: %w", err)
		}
		if budget != nil {
			t.SetBudget(budget)
		}
		doers[i] = t
	}
	return ExecuteWith(ctx, spec, doers)
}

// plan is the load plan spec describes.
func (spec Spec) plan() load.Plan {
	return load.Plan{
		URLs: spec.URLs, Workers: spec.Workers,
		Warmup: spec.Warmup, Duration: spec.Duration, Think: spec.Think,
		Rate: spec.Rate, Arrival: spec.Arrival, Jobs: spec.Jobs, MaxJobs: spec.MaxJobs,
		Timeout: spec.Timeout, Seed: spec.Seed,
	}
}

// ExecuteWith runs spec with one Doer per worker in place of the thumbnail
// workload, and reports what the measured window saw.
func ExecuteWith(ctx context.Context, spec Spec, doers []Doer) (Report, error) {
	model := spec.Model
	if model == "" {
		model = load.Closed
	}
	ex, err := model.Executor()
	if err != nil {
		return Report{}, err
	}
	jobs := make([]load.Job, len(doers))
	for i, d := range doers {
		jobs[i] = func(ctx context.Context, url string) (load.Stages, error) {
			tm, err := d.Do(ctx, url)
			return load.Stages(tm), err
		}
	}
	plan := spec.plan()
	plan.Backoff = unreachable
	rec := newRecorder(spec.Workers, spec.Bucket)
	rec.openEnded = spec.Sliced
	if spec.Progress && !spec.Sliced {
		rec.progress = progressSink(ctx)
	}
	out, err := ex.Execute(ctx, plan, jobs, rec)
	rec.stopProgress()
	if err != nil && ctx.Err() == nil {
		return Report{}, err // an invalid plan: nothing ran
	}
	// CPU use is read when the window opens and again when it closes.
	after, ticks := ReadUsage(), readTicksOK()
	before, ticksBefore := rec.usageAtOpen(after, ticks)
	rep := Report{
		Started:    out.Start,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Elapsed:    out.Elapsed.Seconds(),
		Makespan:   out.Makespan.Seconds(),
		HarnessLag: out.HarnessLag.Seconds(),
		Offered:    out.Offered,
		UserCPU:    after.User - before.User,
		SysCPU:     after.Sys - before.Sys,
		MaxRSS:     after.MaxRSS,
	}
	if m, ok := machineBetween(ticksBefore.t, ticks.t); ok && ticksBefore.ok && ticks.ok {
		rep.Machine = &m
	}
	if len(spec.CPUs) > 0 {
		rep.CPUs = affinity()
	}
	rep.Snapshot = rec.snapshot()
	rep.Snapshot.Dropped += out.Missed
	if ctx.Err() != nil {
		return rep, fmt.Errorf("worker: execute: %w", ctx.Err())
	}
	return rep, nil
}

// unreachable reports whether err means no connection to the image server
// could be made, so a worker should back off rather than retry at once.
func unreachable(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		(errors.As(err, &op) && op.Op == "dial")
}

// recorder is the load.Recorder of one worker process. Workers share a
// bounded number of shards, each a metrics.Recorder behind its own lock, so
// memory does not grow with the number of workers and no lock is shared by
// more than a few of them.
type recorder struct {
	bucket time.Duration
	shards []shard
	// openEnded records every job from the window's start on, however
	// long the run (a sliced run, which the harness ends).
	openEnded bool

	timer  *time.Timer
	opened chan struct{}
	before Usage        // CPU use when the window opened
	ticks  ticksReading // the machine's CPU counters then

	// progress, when set, is sent each bucket of the window as it
	// closes, by reporter.
	progress func(Progress)
	reporter *progressReporter
}

// ticksReading is a reading of the machine's CPU counters, ok when the
// system has them.
type ticksReading struct {
	t  cpuTicks
	ok bool
}

func readTicksOK() ticksReading {
	t, ok := readTicks()
	return ticksReading{t, ok}
}

// shard is one recorder, padded to two cache lines of its own; live is
// what it recorded during the current bucket, when the buckets are sent.
type shard struct {
	mu   sync.Mutex
	rec  *metrics.Recorder
	live liveBucket
	_    [72]byte
}

// A process has shardsPerCPU shards per GOMAXPROCS, at most maxShards (a
// shard's histogram takes about 200 KB) and no more than it has workers.
const (
	shardsPerCPU = 4
	maxShards    = 64
)

func newRecorder(workers int, bucket time.Duration) *recorder {
	n := min(workers, shardsPerCPU*runtime.GOMAXPROCS(0), maxShards)
	return &recorder{bucket: bucket, shards: make([]shard, max(n, 1)), opened: make(chan struct{})}
}

var _ load.Recorder = (*recorder)(nil)

// Open implements load.Recorder: it makes the shards and reads the CPU use
// when the window opens.
func (r *recorder) Open(start time.Time, window time.Duration) {
	if r.openEnded {
		window = 0
	}
	for i := range r.shards {
		r.shards[i].rec = metrics.NewRecorder(start, window, r.bucket)
	}
	r.timer = time.AfterFunc(time.Until(start), func() {
		r.before, r.ticks = ReadUsage(), readTicksOK()
		close(r.opened)
	})
	if r.progress != nil {
		r.startProgress(start, window)
	}
}

func (r *recorder) Record(w int, s load.Sample) {
	m := metrics.Sample{
		Latency: s.Latency, End: s.End, Lag: s.Lag,
		Queue: s.Stages.Queue, Fetch: s.Stages.Fetch, Decode: s.Stages.Decode, Resize: s.Stages.Resize,
		Encode: s.Stages.Encode, Write: s.Stages.Write,
		Err: s.Err, Kind: thumbnail.Kind(s.Err),
	}
	sh := &r.shards[w%len(r.shards)]
	sh.mu.Lock()
	sh.rec.Record(m)
	if r.progress != nil {
		sh.live.record(s.Latency, s.Err != nil)
	}
	sh.mu.Unlock()
}

func (r *recorder) Complete(w int, end time.Time) {
	sh := &r.shards[w%len(r.shards)]
	sh.mu.Lock()
	sh.rec.Complete(end)
	sh.mu.Unlock()
}

func (r *recorder) Drop(w int) {
	sh := &r.shards[w%len(r.shards)]
	sh.mu.Lock()
	sh.rec.Drop()
	sh.mu.Unlock()
}

// usageAtOpen returns the CPU use and the machine's counters read when the
// window opened, or now's if the run ended before it opened.
func (r *recorder) usageAtOpen(now Usage, ticks ticksReading) (Usage, ticksReading) {
	if r.timer == nil || r.timer.Stop() { // stopped before the window opened
		return now, ticks
	}
	<-r.opened
	return r.before, r.ticks
}

// snapshot merges the shards after the run.
func (r *recorder) snapshot() metrics.Snapshot {
	snaps := make([]metrics.Snapshot, 0, len(r.shards))
	for i := range r.shards {
		if r.shards[i].rec != nil {
			snaps = append(snaps, r.shards[i].rec.Snapshot())
		}
	}
	return metrics.Merge(snaps...)
}

// Deadline is how long a worker may take, from the go signal to its report,
// for spec: the longest its load model can run (warm-up, window or a batch's
// rounds of jobs, each bounded by the job timeout), one more job timeout for
// the jobs in flight, and a grace for the process to report and exit. Past
// it the worker is killed and the measurement fails.
func Deadline(spec Spec) time.Duration {
	const grace = 5 * time.Second
	model := spec.Model
	if model == "" {
		model = load.Closed
	}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = load.DefaultTimeout
	}
	d := spec.plan().Limit(model)
	if d > math.MaxInt64-timeout-grace {
		return math.MaxInt64
	}
	return d + timeout + grace
}

package worker

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/scalebench/scalebench/internal/workload"
)

// Spec is what one worker process runs: one measurement of one cell, or
// this process's share of it when the cell has several replicas.
type Spec struct {
	// Protocol is the worker protocol version the harness speaks.
	Protocol int `json:"protocol"`
	// Workload names the workload the jobs run; "" is workload.Default,
	// whose specs name no workload so that builds from before named
	// workloads take them.
	Workload string `json:"workload,omitempty"`
	// Options are the workload's options as JSON (workload.Def's
	// EncodeOptions). The default workload's travel as "thumbnail", the
	// field protocol 2 gave them; any other's as "options".
	Options json.RawMessage `json:"-"`
	// URLs are the jobs' inputs, taken in turn (workload.Process.Inputs).
	URLs    []string   `json:"urls"`
	Model   load.Model `json:"model"`
	Workers int        `json:"workers"`
	// Memory is this process's memory budget in bytes, which its jobs
	// reserve their memory from (workload.Process.Memory); 0: unlimited.
	Memory int64 `json:"memory,omitempty"`
	// Split is how many goroutines share one job's CPU work
	// (workload.Process.Split); 0 means 1.
	Split    int           `json:"split,omitempty"`
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
	// ExtraWork makes every job spend this fraction more CPU time (0 to
	// MaxExtraWork): the synthetic slowdown of `scalebench calibrate`, 0
	// in every run.
	ExtraWork float64 `json:"extra_work,omitempty"`
	// Remote is set by an agent for the process it starts: the workload
	// writes no file its options name (workload.Process.Remote).
	Remote bool `json:"remote,omitempty"`
	// Progress asks the worker to send each bucket of its measured window
	// as it closes (a Progress), for a live view of the run. Only a worker
	// that says it can (an agent registered with the progress feature) is
	// sent it.
	Progress bool `json:"progress,omitempty"`
}

// legacyOptions is the field the default workload's options travel in.
const legacyOptions = "thumbnail"

// specFields is Spec without its methods, for encoding.
type specFields Spec

// specWire is a Spec as it travels, with its options under the field
// its workload's options travel in.
type specWire struct {
	specFields
	Options   json.RawMessage `json:"options,omitempty"`
	Thumbnail json.RawMessage `json:"thumbnail,omitempty"`
}

// MarshalJSON writes the spec with its options under "options", or, for
// the default workload, under "thumbnail".
func (s Spec) MarshalJSON() ([]byte, error) {
	w := specWire{specFields: specFields(s)}
	if s.Workload == "" || s.Workload == workload.Default {
		w.Workload = ""
		w.Thumbnail = s.Options
	} else {
		w.Options = s.Options
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a spec as MarshalJSON writes it, refusing fields it
// does not know: a harness that sends them speaks another protocol.
func (s *Spec) UnmarshalJSON(data []byte) error {
	var w specWire
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	if w.Options != nil && w.Thumbnail != nil {
		return fmt.Errorf("spec: both %q and %q options", "options", legacyOptions)
	}
	*s = Spec(w.specFields)
	s.Options = w.Options
	if w.Thumbnail != nil {
		if s.Workload != "" && s.Workload != workload.Default {
			return fmt.Errorf("spec: workload %s with %q options", s.Workload, legacyOptions)
		}
		s.Options = w.Thumbnail
	}
	return nil
}

// MaxExtraWork bounds Spec.ExtraWork: at most twice the CPU work.
const MaxExtraWork = 1.0

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

// Runner is a spec whose workload is set up in this process, ready to
// run.
type Runner interface {
	// Run runs the spec and reports what the measured window saw. It
	// stops by itself: every loop is bounded by the window and the job
	// timeout.
	Run(ctx context.Context) (Report, error)
	// Close tears the workload down; it may be called more than once.
	Close() error
}

// prepared is the Runner Prepare returns.
type prepared struct {
	spec   Spec
	def    *workload.Def
	inst   workload.Instance
	adm    *admission // the memory the harness reserves for each job; nil: none
	closed bool
}

// Prepare sets up spec's workload, from this executable's registry, in
// this process: what a worker process does before it says it is ready.
// It fails at once for a workload this executable lacks, naming those it
// has.
func Prepare(ctx context.Context, spec Spec) (Runner, error) {
	if spec.Workers < 1 || len(spec.URLs) == 0 {
		return nil, fmt.Errorf("worker: need >= 1 worker and >= 1 input, got %d and %d", spec.Workers, len(spec.URLs))
	}
	if !(spec.ExtraWork >= 0 && spec.ExtraWork <= MaxExtraWork) {
		return nil, fmt.Errorf("worker: extra work %v: want 0..%v", spec.ExtraWork, MaxExtraWork)
	}
	if spec.Memory < 0 || spec.Split < 0 {
		return nil, fmt.Errorf("worker: memory %d, split %d: want a budget in bytes and a number of goroutines, or 0 for none", spec.Memory, spec.Split)
	}
	def, err := workload.Lookup(spec.Workload)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	opts, err := def.DecodeOptions(spec.Options)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	proc := &workload.Process{Workers: spec.Workers, Inputs: spec.URLs, Remote: spec.Remote, Split: max(spec.Split, 1)}
	if most := workload.MaxSplit(opts); proc.Split > most {
		return nil, fmt.Errorf("worker: split %d: workload %s divides a job among at most %d goroutines", proc.Split, def.Name, most)
	}
	var adm *admission
	if spec.Memory > 0 {
		proc.Memory = workload.NewBudget(spec.Memory) // one per process: a replica's memory
		need, declared, err := workload.JobMemory(opts)
		if err != nil {
			return nil, fmt.Errorf("worker: memory of a job of workload %s: %w", def.Name, err)
		}
		adm = &admission{budget: proc.Memory, need: need, declared: declared}
	}
	inst, err := def.Setup(ctx, proc, opts)
	if err != nil {
		return nil, fmt.Errorf("worker: set up workload %s: %w", def.Name, err)
	}
	if adm != nil {
		if r, ok := inst.(workload.Reserver); ok && r.ReservesMemory() {
			adm = nil // its jobs reserve their own
		} else if err := adm.check(def.Name); err != nil {
			_ = inst.Close()
			return nil, fmt.Errorf("worker: %w", err)
		}
	}
	return &prepared{spec: spec, def: def, inst: inst, adm: adm}, nil
}

func (p *prepared) Run(ctx context.Context) (Report, error) {
	return executeWith(ctx, p.spec, p.def, p.inst, p.adm)
}

// Close tears the workload down once; later calls do nothing.
func (p *prepared) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	if err := p.inst.Close(); err != nil {
		return fmt.Errorf("worker: tear down workload %s: %w", p.def.Name, err)
	}
	return nil
}

// Execute sets up spec's workload in this process (Prepare), runs it and
// tears it down.
func Execute(ctx context.Context, spec Spec) (Report, error) {
	r, err := Prepare(ctx, spec)
	if err != nil {
		return Report{}, err
	}
	rep, err := r.Run(ctx)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return rep, err
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

// ExecuteWith runs spec with inst, an instance of workload def already
// set up, and reports what the measured window saw.
func ExecuteWith(ctx context.Context, spec Spec, def *workload.Def, inst workload.Instance) (Report, error) {
	return executeWith(ctx, spec, def, inst, nil)
}

// executeWith is ExecuteWith with each job first reserving its memory in
// adm, when not nil.
func executeWith(ctx context.Context, spec Spec, def *workload.Def, inst workload.Instance, adm *admission) (Report, error) {
	model := spec.Model
	if model == "" {
		model = load.Closed
	}
	ex, err := model.Executor()
	if err != nil {
		return Report{}, err
	}
	jobs := make([]load.Job, max(spec.Workers, 0))
	for i := range jobs {
		jobs[i] = newJob(def, inst, i, spec.ExtraWork, adm)
	}
	plan := spec.plan()
	plan.Backoff = unreachable
	rec := newRecorder(spec.Workers, spec.Bucket)
	rec.kind = def.ErrorKind
	rec.openEnded = spec.Sliced
	if spec.Progress && !spec.Sliced {
		rec.progress = progressSink(ctx)
	}
	out, err := ex.Execute(ctx, plan, jobs, rec)
	rec.stopProgress()
	if err != nil && ctx.Err() == nil {
		return Report{}, err // an invalid plan: nothing ran
	}
	// CPU use is read when the window opens and again when it closes:
	// after the reading at the opening, which a busy machine may have
	// delayed past the window's end.
	before, ticksBefore, opened := rec.usageAtOpen()
	after, ticks := ReadUsage(), readTicksOK()
	if !opened {
		before, ticksBefore = after, ticks
	}
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
	kind   func(error) string // names a failed job's kind of error
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
		Stages: s.Stages.Parts, Queue: s.Stages.Queue, Err: s.Err,
	}
	if s.Err != nil && r.kind != nil {
		m.Kind = r.kind(s.Err)
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

// usageAtOpen returns the CPU use and the machine's counters read when
// the window opened, once they were read, and false when the run ended
// before the window opened.
func (r *recorder) usageAtOpen() (Usage, ticksReading, bool) {
	if r.timer == nil || r.timer.Stop() { // stopped before the window opened
		return Usage{}, ticksReading{}, false
	}
	<-r.opened
	return r.before, r.ticks, true
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

// Package runner measures a scenario: it starts the workload's service
// (the thumbnail's mock image server), runs each cell of the matrix in
// worker processes at the cell's GOMAXPROCS, in interleaved order, and
// collects what they measured into a results.Run.
//
// The harness speaks to its replicas over NATS (package cluster): on one
// machine each replica is a worker process started for the measurement, a
// one-shot agent of an embedded server; with Options.Cluster the replicas
// run on agents on other machines (agent.Worker), which start the worker
// processes there and talk to them over their pipes. A sliced run talks to
// its worker processes over their pipes (worker.Proc).
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/internal/workload"
)

// ErrGaveUp is returned, wrapped, when measurements kept failing and the run
// stopped early; the returned Run holds every measurement, failed or not.
var ErrGaveUp = errors.New("gave up")

// maxFailedInARow is how many measurements may fail one after another
// before the run stops: a worker binary that cannot start fails them all.
const maxFailedInARow = 3

// ErrInterrupted is returned, wrapped, when the context ends a run early;
// the returned Run still holds every measurement that finished.
var ErrInterrupted = errors.New("runner: interrupted")

// Options tunes how a scenario is run.
type Options struct {
	// Worker is the argv that starts a worker process (one that runs
	// agent.WorkerMain); default: this executable with the argument "worker".
	Worker []string
	// Env is added to each worker process's environment.
	Env []string
	// Version and Commit identify this scalebench in the results.
	Version, Commit string
	// Source is the scenario file's text, kept in the results for the record.
	Source string
	// Progress, if set, is called after every measurement.
	Progress func(Progress)
	// Warn, if set, is told of problems that do not stop the run.
	Warn func(error)
	// LogDir, if set, is where a failed worker's full stderr is saved.
	LogDir string
	// Journal, if set, is the path of a journal (results.CreateJournal)
	// that records the run's header and then each finished measurement, so
	// a crash keeps what was measured. Run leaves it on disk: remove it once
	// the run is stored.
	Journal string
	// Pin fixes CPU placement: the harness (and its image server) on the
	// last CPU, each worker process on CPUs of its own when they fit.
	Pin bool
	// Builds, when set, makes an A/B run: every cell is measured by each
	// build's worker processes in turn (see ResolveBuild), and the build
	// is a dimension of the cells.
	Builds []BuildWorker
	// Order draws the order in which an A/B run's builds measure each
	// repeat (NewOrder when nil).
	Order *rand.Rand
	// More, if set, is asked for further steps once the plan is done (and
	// again after those): Interleave's extra repeats of cells whose
	// comparison is not resolved yet, or a confirmation round. None ends
	// the run.
	More func(run *results.Run) []results.Step
	// Cluster, if set, runs the replicas on agents over an existing NATS
	// server; otherwise on worker processes on this machine, over an
	// embedded one.
	Cluster *Cluster
	// Retries is how many times a failed measurement is tried again: 0
	// means once, a negative number never.
	Retries int
	// Heartbeat is how often a busy replica says it is alive (1s); one
	// silent for two intervals has failed.
	Heartbeat time.Duration
	// Slices, if set, makes an A/B run sliced (see Slicing; CheckSlicing
	// says whether a scenario can be): each step of the plan is then a
	// session of its pair, which measures every build of the pair at once,
	// and each of the scenario's repeats a session.
	Slices *Slicing
	// Watch, if set, is told what the run does as it goes, for a live
	// view; the replicas that can then send the buckets of their windows
	// as they close.
	Watch Watcher
}

// Progress describes one finished measurement.
type Progress struct {
	Step, Steps int // 1-based step just finished, and the total
	Params      results.Params
	Repeat      int
	Result      results.Repeat
	Elapsed     time.Duration // since the run started
	Remaining   time.Duration // estimate
	// Slices, in a sliced run, is how many slices of this cell the
	// session measured; Result then sums them up.
	Slices int
}

// Run measures every step of sc's plan and returns the results. On
// interruption it returns the partial results and an error wrapping
// ErrInterrupted; on a failed measurement, the partial results and that error.
func Run(ctx context.Context, sc *scenario.Scenario, opt Options) (*results.Run, error) {
	if len(opt.Worker) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("runner: find worker executable: %w", err)
		}
		opt.Worker = []string{exe, "worker"}
	}
	var place *Placement
	if opt.Pin {
		n := runtime.NumCPU()
		if n < 2 {
			return nil, fmt.Errorf("runner: pinning needs at least 2 CPUs, this machine has %d", n)
		}
		p := newPlacement(n)
		restore, err := pinSelf(p.harness)
		if err != nil {
			return nil, err
		}
		defer restore()
		place = &p
	}
	fl, err := openFleet(ctx, opt.Cluster, opt.Heartbeat, opt.Version, opt.Warn, progressTo(opt.Watch))
	if err != nil {
		return nil, err
	}
	defer fl.close()
	if err := checkAgents(fl, sc.Workload.Name); err != nil {
		return nil, err
	}
	blocks, closeServers, err := startServices(ctx, sc, fl.remote())
	if err != nil {
		return nil, err
	}
	defer closeServers()
	if opt.Order == nil {
		opt.Order = NewOrder()
	}
	cells, plan := expand(sc, opt.Builds, opt.Order)
	nb := max(len(opt.Builds), 1)
	if opt.Slices != nil {
		if err := CheckSlicing(sc, *opt.Slices, opt.Builds); err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
		if opt.Cluster != nil {
			return nil, errors.New("runner: --slices stops and resumes worker processes on this machine: run without --nats")
		}
		sessionPlan(plan, opt.Slices.PairsPerSession())
	}
	run := newRun(sc, opt, cells, plan)
	run.Environment.Agents = fl.records()
	var journal *results.Journal
	if opt.Journal != "" {
		var err error
		if journal, err = results.CreateJournal(opt.Journal, run); err != nil {
			return nil, err
		}
		defer journal.Close()
	}
	if opt.Watch != nil {
		opt.Watch.Begin(header(run))
	}
	started := time.Now()
	var (
		runErr  error
		pending []results.Entry // measurements not yet in the journal
		failed  int             // measurements failed in a row
		// sessions counts the sessions of each pair of a sliced run.
		sessions = map[int]int{}
		// seq numbers the repeats in the order they were measured.
		seq = 0
	)
	// record adds the repeats of step s, at position i of the run order,
	// to the run and its journal, and tells of the progress; sliced says
	// they are a session's slices.
	record := func(i int, s results.Step, reps []results.Repeat, sliced bool) {
		cell := &run.Cells[s.Cell]
		behind := len(pending) > 0
		for _, rep := range reps {
			rep.Round = s.Round
			cell.Repeats = append(cell.Repeats, rep)
			if journal != nil {
				pending = append(pending, results.Entry{Step: rep.Seq, Cell: s.Cell, Result: rep})
			}
			if opt.Watch != nil {
				opt.Watch.Recorded(results.Entry{Step: rep.Seq, Cell: s.Cell, Result: rep})
			}
		}
		// A failed append (a full disk, a directory made read-only) loses
		// nothing: the measurement stays in memory, in results.json at the
		// end, and the append is tried again after the next one.
		for journal != nil && len(pending) > 0 {
			if err := journal.Append(pending[0]); err != nil {
				if opt.Warn != nil && !behind {
					opt.Warn(fmt.Errorf("checkpoint: %w (kept in memory; retried after the next measurement)", err))
				}
				break
			}
			pending = pending[1:]
		}
		if opt.Progress != nil {
			elapsed := time.Since(started)
			pr := Progress{
				Step: i + 1, Steps: len(plan), Params: cell.Params, Repeat: s.Repeat,
				Result: reps[0], Elapsed: elapsed,
				Remaining: time.Duration(float64(elapsed) / float64(i+1) * float64(len(plan)-i-1)),
			}
			if sliced {
				pr.Result, pr.Slices = sumSlices(reps), len(reps)
			}
			opt.Progress(pr)
		}
	}
	for i := 0; ; {
		if i == len(plan) && opt.More != nil && ctx.Err() == nil {
			more := opt.More(run)
			plan = append(plan, more...)
			run.Order = append(run.Order, more...)
		}
		if i == len(plan) {
			break
		}
		step := plan[i]
		if ctx.Err() != nil {
			runErr = fmt.Errorf("%w after %d of %d measurements", ErrInterrupted, i, len(plan))
			break
		}
		if i > 0 && sc.Load.Cooldown > 0 {
			sleep(ctx, sc.Load.Cooldown.D())
		}
		p := cells[step.Cell]
		// The steps measured now, and their repeats: one step and one
		// repeat, or in a sliced run every build's step of a session and
		// its slices.
		steps := plan[i : i+1]
		if opt.Slices != nil {
			steps = plan[i : i+sessionSteps(plan[i:], nb)]
		}
		reps := make([][]results.Repeat, len(steps))
		var retries []results.Retry
		var err error
		var watch func(attempt int, id string)
		if opt.Watch != nil {
			ld := sc.Block(p.Block).Load
			m := Measuring{Step: i, Steps: len(plan), Cell: step.Cell, Repeat: step.Repeat, Replicas: p.Replicas,
				Warmup: ld.Warmup.D(), Bucket: ld.Bucket.D()}
			if ld.Model != load.Batch {
				m.Window = ld.Duration.D()
			}
			watch = func(attempt int, id string) {
				m.Attempt, m.ID, m.Started = attempt, id, time.Now()
				opt.Watch.Measuring(m)
			}
		}
		if opt.Slices != nil {
			if watch != nil {
				watch(0, "")
			}
			err = measureSession(ctx, opt, place, blocks[p.Block], cells, steps, sessions[step.Cell/nb], reps)
			sessions[step.Cell/nb]++
		} else {
			var rep results.Repeat
			rep, err = fl.measureRetrying(ctx, opt, place, blocks[p.Block], p, scenario.Step{Cell: step.Cell, Repeat: step.Repeat}, i, watch)
			reps[0], retries = []results.Repeat{rep}, rep.Retries
		}
		if err != nil && ctx.Err() != nil {
			runErr = fmt.Errorf("%w after %d of %d measurements", ErrInterrupted, i, len(plan))
			break
		}
		if err != nil {
			// The measurement failed as a whole (a worker crashed or missed
			// its deadline): record why, and go on with the next one.
			saveStderr(opt.LogDir, fmt.Sprintf("worker-stderr-%d.txt", i+1), err)
			for j, s := range steps {
				reps[j] = []results.Repeat{{Index: s.Repeat, Started: time.Now(), Failure: err.Error(), Retries: retries}}
			}
			failed++
		} else {
			failed = 0
		}
		seq = numberRepeats(reps, seq)
		for j, s := range steps {
			record(i+j, s, reps[j], opt.Slices != nil && err == nil)
		}
		i += len(steps)
		if err != nil && errors.Is(err, cluster.ErrServerLost) {
			// No later measurement can reach the agents either.
			runErr = fmt.Errorf("runner: after %d of %d measurements: %w", i, len(plan), err)
			break
		}
		if failed == maxFailedInARow {
			runErr = fmt.Errorf("%w: the last %d measurements failed; the last: %s", ErrGaveUp, failed, reps[0][0].Failure)
			break
		}
	}
	run.Interrupted = runErr != nil
	run.Finished = time.Now()
	return run, runErr
}

// blockRun is one block of the scenario as the harness runs it: its
// settings, its workload, the jobs' inputs on its service and the
// service's settings, which agents start their own from.
type blockRun struct {
	*scenario.Block
	workload scenario.Workload
	inputs   []string
	service  json.RawMessage
}

// startServices starts one server of the workload's service for each
// distinct settings of sc's blocks (none when remote agents start their
// own, nor for a workload without a service) and returns each block as
// it runs, by name, and a function that stops the servers.
func startServices(ctx context.Context, sc *scenario.Scenario, remote bool) (map[string]*blockRun, func(), error) {
	def := sc.Workload.Def
	servers := map[string]workload.Server{}
	inputs := map[string][]string{}
	closeAll := func() {
		for _, srv := range servers {
			srv.Close()
		}
	}
	blocks := map[string]*blockRun{}
	for i := range sc.Blocks {
		b := &blockRun{Block: &sc.Blocks[i], workload: sc.Workload, inputs: []string{""}}
		blocks[b.Name] = b
		if !def.HasService() {
			continue
		}
		settings, err := def.ServiceSettings(b.Options)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("runner: %w", err)
		}
		b.service = settings
		if remote {
			continue
		}
		key := string(settings)
		if _, ok := servers[key]; !ok {
			srv, in, err := def.StartService(ctx, settings)
			if err != nil {
				closeAll()
				return nil, nil, fmt.Errorf("runner: %w", err)
			}
			servers[key], inputs[key] = srv, in
		}
		b.inputs = inputs[key]
	}
	return blocks, closeAll, nil
}

// loadOf records load settings.
func loadOf(l scenario.LoadConfig) results.Load {
	r := results.Load{
		Repeats: l.Repeats,
		Warmup:  l.Warmup.D().Seconds(),
		Think:   l.Think.D().Seconds(),
		Timeout: l.Timeout.D().Seconds(),
		Arrival: string(l.Arrival),
	}
	if l.Model == load.Batch {
		r.Jobs = l.Jobs
	} else {
		r.Window = l.Duration.D().Seconds()
	}
	return r
}

// newRun prepares the results record: scenario, environment, plan and cells.
func newRun(sc *scenario.Scenario, opt Options, cells []scenario.Params, plan []results.Step) *results.Run {
	resolved, _ := json.Marshal(sc) // plain data: cannot fail
	run := &results.Run{
		Scenario: results.Scenario{
			Name:        sc.Name,
			Description: sc.Description,
			File:        sc.File,
			Model:       sc.Load.Model,
			Baseline:    baselineOf(sc, opt.Builds),
			Workload:    workloadOf(sc.Workload),
			Checks: results.Checks{
				MaxErrorRate:    sc.Checks.MaxErrorRate,
				LittleTolerance: sc.Checks.LittleTol,
				MinJobs:         sc.Checks.MinJobs,
			},
			Resolved: resolved,
			Source:   opt.Source,
		},
		Environment: Environment(opt.Version, opt.Commit),
		Builds:      opt.builds(),
	}
	run.Environment.Pinned = opt.Pin
	run.Scenario.Load = loadOf(sc.Load)
	if len(sc.Blocks) > 1 || len(sc.Blocks) == 1 && sc.Blocks[0].Name != "" {
		for _, b := range sc.Blocks {
			run.Scenario.Blocks = append(run.Scenario.Blocks, results.Block{
				Name:      b.Name,
				Options:   writtenOptions(b.Options),
				Summary:   sc.Workload.Def.Summary(b.Options),
				Load:      loadOf(b.Load),
				Reference: referenceOf(b.Reference),
			})
		}
	}
	run.Order = append(run.Order, plan...)
	for _, p := range cells {
		run.Cells = append(run.Cells, results.Cell{Params: p})
	}
	return run
}

// workloadOf records the workload w and its top-level options.
func workloadOf(w scenario.Workload) *results.Workload {
	r := &results.Workload{
		Name: w.Name, Description: w.Def.Description,
		Options: writtenOptions(w.Options), Summary: w.Def.Summary(w.Options),
	}
	for _, s := range w.Def.Stages {
		r.Stages = append(r.Stages, results.Stage{Name: s.Name, Kind: string(s.Kind), Doc: s.Doc})
	}
	return r
}

// writtenOptions are opts as a scenario writes them, as JSON.
func writtenOptions(opts any) json.RawMessage {
	b, err := json.Marshal(workload.Written(opts))
	if err != nil {
		return nil // options of plain data: cannot fail
	}
	return b
}

// specFor is replica i's share of one measurement of cell p of block blk.
func specFor(blk *blockRun, p scenario.Params, step scenario.Step, i int) (worker.Spec, error) {
	ld := blk.Load
	opts, err := blk.OptionsFor(blk.workload, p)
	if err != nil {
		return worker.Spec{}, fmt.Errorf("runner: %w", err)
	}
	raw, err := blk.workload.Def.EncodeOptions(opts)
	if err != nil {
		return worker.Spec{}, fmt.Errorf("runner: %w", err)
	}
	spec := worker.Spec{
		Protocol: worker.ProtocolVersion,
		Workload: blk.workload.Name,
		Options:  raw,
		URLs:     blk.inputs,
		Split:    p.Split,
		Model:    ld.Model,
		Workers:  p.Workers,
		Memory:   p.Memory,
		Warmup:   ld.Warmup.D(),
		Duration: ld.Duration.D(),
		Think:    ld.Think.D(),
		Arrival:  ld.Arrival,
		MaxJobs:  ld.MaxJobs,
		Timeout:  ld.Timeout.D(),
		Bucket:   ld.Bucket.D(),
		Seed:     seed(p, step, i),
	}
	n := p.Replicas
	if p.Rate > 0 {
		// Independent Poisson streams at rate/n add up to one at rate.
		spec.Rate = p.Rate / float64(n)
	}
	if ld.Model == load.Batch {
		spec.Jobs = ld.Jobs / n
		if i < ld.Jobs%n {
			spec.Jobs++
		}
	}
	if spec.MaxJobs > 0 {
		spec.MaxJobs = max(1, spec.MaxJobs/int64(n))
	}
	return spec, nil
}

func seed(p scenario.Params, step scenario.Step, replica int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%d|%d", seedParams(p), step.Repeat, replica)
	return h.Sum64()
}

// combine merges the replicas' reports of one measurement into a Repeat;
// stages name the workload's stages.
func combine(reports []worker.Report, stages []string, repeat, gomaxprocs int) (results.Repeat, error) {
	snaps := make([]metrics.Snapshot, len(reports))
	var rep results.Repeat
	rep.Index = repeat
	var harnessLag float64
	var offered int64
	for i, r := range reports {
		offered += r.Offered
		snaps[i] = r.Snapshot
		if i == 0 || r.Started.Before(rep.Started) {
			rep.Started = r.Started
		}
		rep.Elapsed = max(rep.Elapsed, r.Elapsed)
		rep.Makespan = max(rep.Makespan, r.Makespan)
		rep.Resources.UserCPU += r.UserCPU
		rep.Resources.SysCPU += r.SysCPU
		rep.Resources.MaxRSS = max(rep.Resources.MaxRSS, r.MaxRSS)
		harnessLag = max(harnessLag, r.HarnessLag)
		if r.GOMAXPROCS != gomaxprocs {
			return rep, fmt.Errorf("worker ran with GOMAXPROCS=%d, want %d", r.GOMAXPROCS, gomaxprocs)
		}
	}
	m := metrics.Merge(snaps...)
	rep.Histogram = results.HistogramOf(m.Hist)
	rep.Latency = rep.Histogram.Latency()
	rep.Jobs, rep.Errors = m.Jobs, m.Errors
	if rep.Elapsed > 0 {
		rep.Throughput = float64(m.InWindow) / rep.Elapsed
	}
	rep.Stages = stagesOf(m, stages)
	rep.Series = results.Series{Bucket: float64(m.BucketNs) / 1e9, Completed: m.Buckets}
	rep.Late = latenessOf(m)
	rep.HarnessLag = harnessLag
	if offered > 0 && rep.Elapsed > 0 {
		rep.OfferedRate = float64(offered) / rep.Elapsed
	}
	rep.ErrorSamples = m.ErrSamples
	rep.ErrorKinds = m.ErrKinds
	cpu := rep.Resources.UserCPU + rep.Resources.SysCPU
	if rep.Elapsed > 0 {
		rep.Resources.CPUUtil = cpu / (rep.Elapsed * AvailableCPUs())
	}
	if cpu > 0 {
		rep.Resources.JobsPerCPUSecond = float64(m.Jobs) / cpu
	}
	return rep, nil
}

// saveStderr writes a failed worker's full stderr to dir/name, when both
// exist, and notes the file in the error.
func saveStderr(dir, name string, err error) {
	var we *worker.WorkerError
	if dir == "" || !errors.As(err, &we) || we.Stderr == "" {
		return
	}
	path := filepath.Join(dir, name)
	if os.MkdirAll(dir, 0o755) != nil || os.WriteFile(path, []byte(we.Stderr), 0o644) != nil {
		return
	}
	we.Saved = path
}

// stagesOf returns the mean stage durations of m's successful jobs, in
// seconds, by the names of the workload's stages.
func stagesOf(m metrics.Snapshot, stages []string) results.Stages {
	out := results.Stages{}
	for i, name := range stages {
		if i < len(m.StageSums) {
			out[name] = 0
			if m.Jobs > 0 {
				out[name] = float64(m.StageSums[i]) / float64(m.Jobs) / 1e9
			}
		}
	}
	if m.Jobs > 0 && m.QueueSum > 0 {
		out[results.QueueStage] = float64(m.QueueSum) / float64(m.Jobs) / 1e9
	}
	return out
}

// latenessOf summarises how late open-loop arrivals started, or nil if none did.
func latenessOf(m metrics.Snapshot) *results.Lateness {
	if m.LateCount == 0 && m.Dropped == 0 {
		return nil
	}
	l := &results.Lateness{Count: m.LateCount, MaxLag: float64(m.LateMaxNs) / 1e9, Dropped: m.Dropped}
	if m.LateCount > 0 {
		l.MeanLag = float64(m.LateSumNs) / float64(m.LateCount) / 1e9
	}
	return l
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

// referenceOf records a block's quote of the lesson's example.
func referenceOf(r *scenario.Reference) *results.Reference {
	if r == nil {
		return nil
	}
	return &results.Reference{Formula: r.Formula, Says: r.Says, Differs: r.Differs}
}

package runner

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/scalebench/scalebench/internal/agent"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
)

// Slicing makes an A/B run sliced: each pair (a cell of the scenario,
// measured by every build) is measured in sessions. A session starts
// every build's worker processes once, warms them up, then runs them in
// turn, Pairs times, each build for a slice of about Length while the
// others are stopped (SIGSTOP), in an order drawn at random each time.
// Each such pair of slices is one round of the comparison: the builds ran
// a few hundred milliseconds apart, on the same machine in the same
// state, and none paid for starting up or warming up in it.
//
// A slice measures throughput, errors and CPU per job. It cannot measure
// latency: a job in flight when its process is stopped counts the other
// build's slice in its latency.
type Slicing struct {
	// Length is the nominal slice; each pair's is drawn uniformly within
	// ±25% of it (the same for every build of the pair), so that what the
	// workers do in step cannot lock onto the slices.
	Length time.Duration
	// Pairs is the number of measured pairs of slices per session
	// (DefaultSlicePairs when 0).
	Pairs int
}

// Bounds of a sliced run.
const (
	MinSlice          = 20 * time.Millisecond
	MaxSlice          = 500 * time.Millisecond
	DefaultSlicePairs = 10
	maxSlicePairs     = 1000
	// sliceJitter is how far a pair's slice length may be from the
	// nominal one, as a fraction of it.
	sliceJitter = 0.25
	// sliceBucket is the width of the buckets a sliced worker counts its
	// completions in. The harness attributes a bucket to the slice it
	// overlaps: exact while two slices of one process are always further
	// apart than a bucket, which the other builds' slices in between make
	// them (at least (1-sliceJitter)×MinSlice).
	sliceBucket = time.Millisecond
	// minTimeoutSlices is how many nominal slices a job's timeout must
	// last at least: a job in flight when its process is stopped counts
	// the other builds' slices against its timeout.
	minTimeoutSlices = 10
)

// PairsPerSession is s.Pairs or its default.
func (s Slicing) PairsPerSession() int {
	if s.Pairs > 0 {
		return s.Pairs
	}
	return DefaultSlicePairs
}

// Estimate is roughly how long a sliced run of sc's plan by nb builds
// takes: per session, starting the processes, every build's warm-up and
// its slices.
func (s Slicing) Estimate(sc *scenario.Scenario, nb int) time.Duration {
	const start = 300 * time.Millisecond
	var total time.Duration
	for _, p := range sc.Cells() {
		l := sc.Block(p.Block).Load
		session := start + l.Cooldown.D() + time.Duration(nb)*(l.Warmup.D()+time.Duration(s.PairsPerSession())*s.Length)
		total += time.Duration(max(sc.Load.Repeats, 1)) * session
	}
	return total
}

// ErrSlicesUnsupported is returned, wrapped, by a sliced run on a
// platform that cannot stop and resume processes and read their CPU
// clocks.
var ErrSlicesUnsupported = errors.New("--slices needs Linux: it stops and resumes worker processes and reads their CPU clocks; " +
	"on " + runtime.GOOS + ", run the A/B comparison without --slices")

// CheckSlicing reports why sc cannot be measured by builds in slices s,
// or nil: s out of bounds, a platform without slicing, a load model other
// than the closed loop (an open loop's arrivals and a batch's makespan are
// timed by the worker, whose clock runs on while it is stopped), a job
// timeout shorter than minTimeoutSlices slices, a cap on a window's jobs
// (max_jobs), a threshold on latency, or a build whose workers do not run
// sliced specs.
func CheckSlicing(sc *scenario.Scenario, s Slicing, builds []BuildWorker) error {
	if s.Length < MinSlice || s.Length > MaxSlice {
		return fmt.Errorf("--slices %s: want %s to %s", s.Length, MinSlice, MaxSlice)
	}
	if s.Pairs < 0 || s.Pairs > maxSlicePairs {
		return fmt.Errorf("slice pairs per session %d: want 1 to %d", s.Pairs, maxSlicePairs)
	}
	if !slicesSupported {
		return ErrSlicesUnsupported
	}
	for i := range sc.Blocks {
		b := &sc.Blocks[i]
		what := "the scenario"
		if b.Name != "" {
			what = "block " + b.Name
		}
		if b.Load.Model != load.Closed {
			return fmt.Errorf("--slices: %s has load model %s; slices measure only the closed loop (an open loop's arrivals and a batch's makespan are timed by the worker, whose clock runs on while it is stopped): run without --slices", what, b.Load.Model)
		}
		if b.Load.MaxJobs > 0 {
			return fmt.Errorf("--slices: %s caps a window at max_jobs %d, but a session has no window of its own: its workers would stop mid-session; remove max_jobs or run without --slices", what, b.Load.MaxJobs)
		}
		if t := b.Load.Timeout.D(); t < minTimeoutSlices*s.Length {
			return fmt.Errorf("--slices %s: %s has a job timeout of %s; a job in flight when its worker is stopped counts the other build's slices against it, so it must last at least %d slices (%s)",
				s.Length, what, t, minTimeoutSlices, minTimeoutSlices*s.Length)
		}
	}
	for i, t := range sc.Thresholds {
		switch m, _ := metric.ParseMetric(t.Metric); m {
		case metric.P50, metric.P90, metric.P99, metric.Makespan:
			at := t.Pos
			if at == "" {
				at = fmt.Sprintf("thresholds[%d]", i)
			}
			return fmt.Errorf("--slices: the scenario limits %s (%s), which slices do not measure: run without --slices", m, at)
		}
	}
	if len(builds) < 2 {
		return errors.New("--slices needs an A/B run: --build base=PATH --build head=PATH, or builds: in the scenario")
	}
	for _, b := range builds {
		if !b.Slices {
			return fmt.Errorf("--slices: build %s (%s, scalebench %s) does not run sliced worker processes: rebuild it from a commit that has --slices, or run without --slices", b.Name, b.Path, b.Version)
		}
	}
	return nil
}

// sliceRound is one measured round of a session: the order in which the
// builds run (indices into the session's builds) and how long each runs.
type sliceRound struct {
	order  []int
	length time.Duration
}

// schedule draws n rounds of nb builds' slices: the order at random for
// each, the length uniformly within ±sliceJitter of nominal.
func schedule(rng *rand.Rand, nb, n int, nominal time.Duration) []sliceRound {
	out := make([]sliceRound, n)
	for i := range out {
		f := 1 - sliceJitter + 2*sliceJitter*rng.Float64()
		out[i] = sliceRound{order: rng.Perm(nb), length: time.Duration(f * float64(nominal))}
	}
	return out
}

// slice is one slice of one build as the harness ran it: from just before
// it resumed the build's processes to just after it saw the last of them
// stopped, in wall-clock nanoseconds (the clock every process on the
// machine shares), and the CPU time they used meanwhile.
type slice struct {
	from, to int64
	cpu      time.Duration
}

// countIn returns how many of a worker's jobs, counted in series by
// when they ended (buckets of width bucket from start, wall-clock
// nanoseconds), ended in the slice [from, to]: the sum of the buckets
// that overlap it. A process ends jobs only while it runs, so this is
// exact as long as no other slice of the same process comes within a
// bucket of this one.
func countIn(series []int64, start, bucket, from, to int64) int64 {
	if bucket <= 0 || to < from {
		return 0
	}
	lo, hi := floorDiv(from-start, bucket), floorDiv(to-start, bucket)
	var n int64
	for i := max(lo, 0); i <= hi && i < int64(len(series)); i++ {
		n += series[i]
	}
	return n
}

// floorDiv is a/b rounded towards minus infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// session is one session of a pair: the worker processes of each build
// (one per replica of the cell), the warm-up every build gets before the
// first measured round, and the rounds.
type session struct {
	procs  [][]procSpec
	warmup time.Duration
	// nominal is the slice length of the warm-up rounds.
	nominal time.Duration
	rounds  []sliceRound
	rng     *rand.Rand
	// budget bounds the session from the go signal to its last slice.
	budget time.Duration
}

// procSpec is how to start one worker process of a session, and its spec.
type procSpec struct {
	cmd  worker.Command
	spec worker.Spec
}

// sessionOutcome is what a session measured: each build's slices, round
// by round, and its processes' reports.
type sessionOutcome struct {
	slices  [][]slice
	reports [][]worker.Report
}

// sessionBudget bounds a session from the go signal to its last slice:
// ten times what its warm-up and rounds take at the longest slices, and
// half a minute more, so that only a harness that has stopped getting the
// CPU runs out of it.
func sessionBudget(nb, rounds int, warmup, nominal time.Duration) time.Duration {
	longest := time.Duration((1 + sliceJitter) * float64(nominal))
	perBuild := warmup + longest + time.Duration(rounds)*longest
	return 10*time.Duration(nb)*perBuild + 30*time.Second
}

// sessionSteps is how many steps, from the first of plan, one session
// measures: the steps of the first one's pair (its scenario cell, in a run
// of nb builds) and repeat that follow it, one per build.
func sessionSteps(plan []results.Step, nb int) int {
	n := 1
	for n < len(plan) && n < nb && plan[n].Cell/nb == plan[0].Cell/nb && plan[n].Repeat == plan[0].Repeat {
		n++
	}
	return n
}

// sessionPlan renumbers the repeats of a sliced run's plan: each step
// starts a session, whose rounds (pairs of slices) take the repeat indices
// from the step's on, so the step's repeat r becomes r×pairs.
func sessionPlan(plan []results.Step, pairs int) {
	for i := range plan {
		plan[i].Repeat *= pairs
	}
}

// measureSession measures one session of the pair whose builds' steps
// are steps, the session-th of that pair, and puts each build's slices,
// as repeats, in reps (one list per step).
func measureSession(ctx context.Context, opt Options, place *Placement, blk *blockRun, cells []scenario.Params, steps []results.Step, number int, reps [][]results.Repeat) error {
	s := session{
		procs:   make([][]procSpec, len(steps)),
		warmup:  blk.Load.Warmup.D(),
		nominal: opt.Slices.Length,
		rounds:  schedule(opt.Order, len(steps), opt.Slices.PairsPerSession(), opt.Slices.Length),
		rng:     opt.Order,
	}
	s.budget = sessionBudget(len(steps), len(s.rounds), s.warmup, s.nominal)
	for j, st := range steps {
		p := cells[st.Cell]
		for i := range p.Replicas {
			spec, err := specFor(blk, p, scenario.Step{Cell: st.Cell, Repeat: st.Repeat}, i)
			if err != nil {
				return err
			}
			spec.Sliced, spec.Warmup, spec.Bucket = true, 0, sliceBucket
			// The harness ends the run; this only bounds it.
			spec.Duration = s.budget + 10*time.Second
			spec.ExtraWork = opt.extraWork(p)
			argv := opt.workerArgv(p)
			if place != nil {
				spec.CPUs = place.Worker(i, p.GOMAXPROCS, p.Replicas)
				var err error
				if argv, err = pinnedArgv(argv, spec.CPUs); err != nil {
					return err
				}
			}
			env := append(agent.WithoutNATS(os.Environ()), opt.Env...)
			env = append(env, "GOMAXPROCS="+strconv.Itoa(p.GOMAXPROCS))
			name := fmt.Sprintf("build %s replica %d", p.Build, i)
			s.procs[j] = append(s.procs[j], procSpec{cmd: worker.Command{Argv: argv, Env: env, Name: name}, spec: spec})
		}
	}
	out, err := runSession(ctx, &s)
	if err != nil {
		return err
	}
	for j, st := range steps {
		p := cells[st.Cell]
		if reps[j], err = sliceRepeats(out.slices[j], out.reports[j], s.procs[j], s.rounds, st.Repeat, number, p.GOMAXPROCS); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// sliceRepeats turns one build's slices of a session into repeats: round
// k's slice is repeat index first+k, with the jobs and errors its
// processes' series hold in it.
func sliceRepeats(slices []slice, reports []worker.Report, procs []procSpec, rounds []sliceRound, first, number, gomaxprocs int) ([]results.Repeat, error) {
	if len(slices) != len(rounds) || len(reports) != len(procs) {
		return nil, fmt.Errorf("session: %d slices of %d rounds, %d reports of %d processes", len(slices), len(rounds), len(reports), len(procs))
	}
	var maxRSS int64
	for i, r := range reports {
		switch {
		case r.GOMAXPROCS != gomaxprocs:
			return nil, fmt.Errorf("worker ran with GOMAXPROCS=%d, want %d", r.GOMAXPROCS, gomaxprocs)
		case r.Snapshot.BucketNs != int64(sliceBucket):
			return nil, fmt.Errorf("worker counted its jobs in buckets of %s, want %s", time.Duration(r.Snapshot.BucketNs), sliceBucket)
		case r.Elapsed >= procs[i].spec.Duration.Seconds():
			return nil, fmt.Errorf("worker ran out of its %s before the session ended", procs[i].spec.Duration)
		case len(procs[i].spec.CPUs) > 0 && cpuList(r.CPUs) != cpuList(procs[i].spec.CPUs):
			return nil, fmt.Errorf("worker %d ran on CPUs %q, want %q", i, cpuList(r.CPUs), cpuList(procs[i].spec.CPUs))
		}
		maxRSS = max(maxRSS, r.MaxRSS)
	}
	out := make([]results.Repeat, len(slices))
	for k, sl := range slices {
		rep := results.Repeat{
			Index:   first + k,
			Started: time.Unix(0, sl.from),
			Elapsed: float64(sl.to-sl.from) / 1e9,
			Slice:   &results.Slice{Session: number, Pair: k, Length: rounds[k].length.Seconds(), CPU: sl.cpu.Seconds()},
		}
		for i, r := range reports {
			start := r.Started.UnixNano()
			rep.Jobs += countIn(r.Snapshot.Buckets, start, r.Snapshot.BucketNs, sl.from, sl.to)
			rep.Errors += countIn(r.Snapshot.ErrBuckets, start, r.Snapshot.BucketNs, sl.from, sl.to)
			if len(procs[i].spec.CPUs) > 0 {
				rep.CPUs = append(rep.CPUs, cpuList(r.CPUs))
			}
		}
		rep.Resources.MaxRSS = maxRSS
		if rep.Elapsed > 0 {
			rep.Throughput = float64(rep.Jobs) / rep.Elapsed
			rep.Resources.CPUUtil = sl.cpu.Seconds() / (rep.Elapsed * AvailableCPUs())
		}
		if sl.cpu > 0 {
			rep.Resources.JobsPerCPUSecond = float64(rep.Jobs) / sl.cpu.Seconds()
		}
		out[k] = rep
	}
	return out, nil
}

// numberRepeats sets the Seq of the repeats measured in one step, or in
// one session, to their places among all the run's measurements from
// next on, in the order they were measured (a session's slices by when
// they began), and returns the next free place.
func numberRepeats(reps [][]results.Repeat, next int) int {
	var all []*results.Repeat
	for j := range reps {
		for k := range reps[j] {
			all = append(all, &reps[j][k])
		}
	}
	slices.SortStableFunc(all, func(a, b *results.Repeat) int { return a.Started.Compare(b.Started) })
	for _, r := range all {
		r.Seq = next
		next++
	}
	return next
}

// sumSlices sums up a session's slices of one build for its progress
// line: jobs and errors over the time they ran.
func sumSlices(reps []results.Repeat) results.Repeat {
	sum := results.Repeat{Index: reps[0].Index, Started: reps[0].Started, Slice: reps[0].Slice}
	for _, r := range reps {
		sum.Jobs += r.Jobs
		sum.Errors += r.Errors
		sum.Elapsed += r.Elapsed
	}
	if sum.Elapsed > 0 {
		sum.Throughput = float64(sum.Jobs) / sum.Elapsed
	}
	return sum
}

package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/scalebench/scalebench/internal/agent"
	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
)

// Cluster runs replicas on agents over an existing NATS server instead of
// worker processes on this machine.
type Cluster struct {
	// Connect says how to reach the server and with which credentials.
	Connect cluster.ConnectOptions
	// Agents is how many agents to wait for; each cell's replicas are
	// spread over them.
	Agents int
	// Run is the run id the agents serve ("default").
	Run string
	// Wait bounds the wait for the agents (2m).
	Wait time.Duration
	// SignKeyFile, if set, holds the NKey seed that signs every message to
	// the agents; agents pin its public key with --harness-key.
	SignKeyFile string
}

// Timing of the protocol: how often a busy replica says it is alive by
// default (a silent one has failed after two intervals), and how long the
// replicas may take to be ready.
const (
	defaultHeartbeat = time.Second
	goTimeout        = 60 * time.Second
)

// fleet is where a run's replicas run: one-shot worker processes on this
// machine over an embedded NATS server, or agents over an external one.
type fleet struct {
	coord *cluster.Coordinator
	nc    *nats.Conn
	srv   *cluster.Server // embedded server; nil with agents
	run   string
	// agents: long-lived agents (nil: local worker processes).
	agents []string
	// down holds agents that fell silent, by id, with the incarnation
	// that did: they get no replicas until they register anew.
	down map[string]string
	// progress: the replicas that can send their progress are asked to.
	progress bool
}

// openFleet starts the embedded NATS server and the coordinator, or
// connects to the external server and waits for the agents.
// progress, if set, is given the replicas' progress.
func openFleet(ctx context.Context, cl *Cluster, heartbeat time.Duration, version string, warn func(error), progress func(cluster.Progress)) (*fleet, error) {
	f := &fleet{down: map[string]string{}, progress: progress != nil}
	cfg := cluster.Config{
		Heartbeat: cmp.Or(heartbeat, defaultHeartbeat), GoTimeout: goTimeout,
		Warn: warn, CheckReport: plausible, Progress: progress,
	}
	if cl != nil {
		// Worker processes on this machine are of the builds the run
		// names; agents should all be of this harness's release.
		cfg.Version = version
	}
	if cl == nil {
		srv, err := cluster.StartServer()
		if err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
		f.srv = srv
		tok, err := cluster.NewToken()
		if err != nil {
			srv.Close()
			return nil, fmt.Errorf("runner: %w", err)
		}
		f.run = "r" + tok[:12]
		if f.nc, err = srv.Connect("scalebench-harness"); err != nil {
			srv.Close()
			return nil, fmt.Errorf("runner: %w", err)
		}
	} else {
		f.run = cmp.Or(cl.Run, "default")
		if err := cluster.ValidID(f.run); err != nil {
			return nil, fmt.Errorf("runner: run id %w", err)
		}
		if cl.Agents < 1 {
			return nil, fmt.Errorf("runner: agents: %d, want at least 1", cl.Agents)
		}
		if cl.SignKeyFile != "" {
			kp, err := cluster.ReadSignKey(cl.SignKeyFile)
			if err != nil {
				return nil, fmt.Errorf("runner: %w", err)
			}
			cfg.SignKey = kp
		}
		opts := cl.Connect
		opts.Name = cmp.Or(opts.Name, "scalebench-harness")
		var err error
		if f.nc, err = cluster.Connect(opts); err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
	}
	var err error
	cfg.Run = f.run
	f.coord, err = cluster.NewCoordinator(f.nc, cfg)
	if err != nil {
		f.close()
		return nil, fmt.Errorf("runner: %w", err)
	}
	if cl != nil {
		got, err := f.coord.WaitAgents(ctx, cl.Agents, cmp.Or(cl.Wait, 2*time.Minute))
		if err != nil {
			f.close()
			return nil, fmt.Errorf("runner: %w", err)
		}
		for _, a := range got {
			f.agents = append(f.agents, a.ID)
			if a.ClockErr != "" && warn != nil {
				warn(fmt.Errorf("agent %s: no clock offset (%s): its start skew is not corrected", a.ID, a.ClockErr))
			}
		}
		slices.Sort(f.agents)
	}
	return f, nil
}

func (f *fleet) close() {
	if f.coord != nil {
		_ = f.coord.Close()
	}
	if f.nc != nil {
		f.nc.Close()
	}
	if f.srv != nil {
		f.srv.Close()
	}
}

// records describes the agents replicas run on (nil: this machine).
func (f *fleet) records() []results.Agent {
	var out []results.Agent
	for _, a := range f.coord.Agents() {
		if slices.Contains(f.agents, a.ID) {
			out = append(out, results.Agent{
				ID: a.ID, Host: a.Host, CPUs: a.CPUs, Version: a.Version,
				ClockOffset: a.Offset.Seconds(), ClockRTT: a.RTT.Seconds(),
			})
		}
	}
	return out
}

// checkAgents fails at once when an agent the run waits for lacks the
// workload called name, naming those it has.
func checkAgents(f *fleet, name string) error {
	if !f.remote() {
		return nil
	}
	for _, a := range f.coord.Agents() {
		if !slices.Contains(f.agents, a.ID) {
			continue
		}
		d := worker.Description{Workloads: a.Workloads}
		if err := d.CheckWorkload("agent "+a.ID+" on "+a.Host, name); err != nil {
			return fmt.Errorf("runner: %w", err)
		}
	}
	return nil
}

// remote reports whether replicas run on agents.
func (f *fleet) remote() bool { return f.agents != nil }

// measureRetrying measures step, and when the measurement fails for any
// reason but ctx, tries again up to retries times on the capacity left,
// recording each failed attempt in the result.
// watch, if set, is told of each attempt as it starts.
func (f *fleet) measureRetrying(ctx context.Context, opt Options, place *Placement, blk *blockRun, p scenario.Params, step scenario.Step, seq int, watch func(attempt int, id string)) (results.Repeat, error) {
	retries := opt.Retries
	switch {
	case retries == 0:
		retries = 1
	case retries < 0:
		retries = 0
	}
	var tried []results.Retry
	exclude := map[string]bool{}
	for attempt := 0; ; attempt++ {
		id := fmt.Sprintf("m%d-%d", seq, attempt)
		if watch != nil {
			watch(attempt, id)
		}
		rep, failed, err := f.measure(ctx, opt, place, blk, p, step, id, exclude)
		if err == nil || ctx.Err() != nil || attempt == retries || errors.Is(err, cluster.ErrServerLost) {
			rep.Retries = tried
			return rep, err
		}
		saveStderr(opt.LogDir, fmt.Sprintf("worker-stderr-%d-attempt-%d.txt", seq+1, attempt+1), err)
		retry := results.Retry{Reason: err.Error()}
		for _, a := range failed {
			if exclude[a] {
				continue
			}
			// Leave out an agent that failed, unless it is the last one.
			exclude[a] = true
			if len(f.usable(exclude)) == 0 {
				delete(exclude, a)
				continue
			}
			retry.Excluded = append(retry.Excluded, a)
		}
		tried = append(tried, retry)
		if opt.Warn != nil {
			opt.Warn(fmt.Errorf("measurement %d of %s failed, trying again: %w", seq+1, p, err))
		}
	}
}

// sendsProgress reports whether the agent id registered with the progress
// feature: a worker process of a build from before it, or an agent of an
// earlier release, would refuse a spec asking for progress.
func (f *fleet) sendsProgress(id string) bool {
	for _, a := range f.coord.Agents() {
		if a.ID == id {
			return a.Progress
		}
	}
	return false
}

// usable lists the agents that may take replicas, leaving out those in
// exclude and those that fell silent and have not registered since.
func (f *fleet) usable(exclude map[string]bool) []string {
	incarnation := map[string]string{}
	for _, a := range f.coord.Agents() {
		incarnation[a.ID] = a.Incarnation
	}
	var out []string
	for _, id := range f.agents {
		inc, ok := incarnation[id]
		if !ok || exclude[id] || f.down[id] == inc {
			continue
		}
		out = append(out, id)
	}
	return out
}

// measure runs one attempt at one repeat of one cell across its replicas;
// on failure it also returns the agents that failed.
func (f *fleet) measure(ctx context.Context, opt Options, place *Placement, blk *blockRun, p scenario.Params, step scenario.Step, id string, exclude map[string]bool) (results.Repeat, []string, error) {
	specs := make([]worker.Spec, p.Replicas)
	var budget time.Duration
	for i := range specs {
		var err error
		if specs[i], err = specFor(blk, p, step, i); err != nil {
			return results.Repeat{}, nil, err
		}
		specs[i].ExtraWork = opt.extraWork(p)
		if place != nil && !f.remote() {
			specs[i].CPUs = place.Worker(i, p.GOMAXPROCS, p.Replicas)
		}
		budget = max(budget, worker.Deadline(specs[i]))
	}
	if f.remote() {
		return f.measureRemote(ctx, blk, p, specs, budget, step, id, exclude)
	}
	rep, err := f.measureLocal(ctx, opt, blk, p, specs, budget, step, id)
	return rep, nil, err
}

// measureRemote runs the replicas on the agents, replica i on the i-th
// usable agent (round robin).
func (f *fleet) measureRemote(ctx context.Context, blk *blockRun, p scenario.Params, specs []worker.Spec, budget time.Duration, step scenario.Step, id string, exclude map[string]bool) (results.Repeat, []string, error) {
	agents := f.usable(exclude)
	if len(agents) == 0 {
		return results.Repeat{}, nil, fmt.Errorf("no agent left to run on: every one of %s failed and has not registered again", strings.Join(f.agents, ", "))
	}
	as := make([]cluster.Assignment, len(specs))
	for i, spec := range specs {
		// An agent starts its own service from the settings, and gives
		// the jobs their inputs on it.
		spec.Progress = f.progress && f.sendsProgress(agents[i%len(agents)])
		data, err := json.Marshal(agent.Task{GOMAXPROCS: p.GOMAXPROCS, Service: blk.service, Spec: spec})
		if err != nil {
			return results.Repeat{}, nil, fmt.Errorf("encode spec: %w", err)
		}
		as[i] = cluster.Assignment{Measurement: id, Replica: i, Agent: agents[i%len(agents)], Spec: data}
	}
	mctx, cancel := context.WithTimeoutCause(ctx, goTimeout+budget, worker.ErrDeadline)
	defer cancel()
	harness := worker.ReadUsage()
	out, err := f.coord.Measure(mctx, as)
	if err != nil {
		var me *cluster.MeasureError
		var failed []string
		if errors.As(err, &me) {
			for _, r := range me.Failures {
				failed = append(failed, r.Agent)
				if errors.Is(r.Err, cluster.ErrSilent) {
					for _, a := range f.coord.Agents() {
						if a.ID == r.Agent {
							f.down[a.ID] = a.Incarnation
						}
					}
				}
			}
		}
		return results.Repeat{}, failed, err
	}
	rep, err := f.outcome(out, blk, step, p, harness)
	return rep, nil, err
}

// measureLocal runs each replica in a worker process of its own on this
// machine, a one-shot agent over the embedded server.
func (f *fleet) measureLocal(ctx context.Context, opt Options, blk *blockRun, p scenario.Params, specs []worker.Spec, budget time.Duration, step scenario.Step, id string) (results.Repeat, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	procs := make([]*worker.Proc, 0, len(specs))
	ids := make([]string, len(specs))
	defer func() {
		for _, pr := range procs {
			pr.Close()
		}
		f.coord.Forget(ids...)
	}()
	var measuring atomic.Bool
	launched := time.Now()
	for i, spec := range specs {
		ids[i] = fmt.Sprintf("%s-r%d", id, i)
		argv := opt.workerArgv(p)
		if spec.CPUs != nil {
			var err error
			if argv, err = pinnedArgv(argv, spec.CPUs); err != nil {
				return results.Repeat{}, err
			}
		}
		env := append(agent.WithoutNATS(os.Environ()), opt.Env...)
		env = append(env, f.srv.Env(f.run)...)
		env = append(env, agent.EnvAgent+"="+ids[i], "GOMAXPROCS="+strconv.Itoa(p.GOMAXPROCS))
		pr, err := worker.Start(ctx, worker.Command{
			Argv: argv, Env: env, Name: fmt.Sprintf("replica %d", i), Silent: true,
			OnExit: func(err error) {
				// Any exit before the measurement began is a failure;
				// after, a clean exit follows an acknowledged report.
				if err != nil || !measuring.Load() {
					cancel(&exitError{replica: i, err: err})
				}
			},
		})
		if err != nil {
			return results.Repeat{}, err
		}
		procs = append(procs, pr)
	}
	explain := func(err error) error {
		var ee *exitError
		if errors.As(context.Cause(ctx), &ee) {
			pr := procs[ee.replica]
			pr.Wait()
			return pr.Fail("", ee)
		}
		var me *cluster.MeasureError
		if errors.As(err, &me) && len(me.Failures) > 0 {
			i := me.Failures[0].Replica
			if i >= 0 && i < len(procs) {
				procs[i].Close()
				return procs[i].Fail("", err)
			}
		}
		return &worker.WorkerError{Op: "measure", Err: err}
	}
	if _, err := f.coord.WaitFor(ctx, ids, worker.StartupTimeout); err != nil {
		return results.Repeat{}, explain(err)
	}
	launch := time.Since(launched)
	as := make([]cluster.Assignment, len(specs))
	for i, spec := range specs {
		spec.Progress = f.progress && f.sendsProgress(ids[i])
		data, err := json.Marshal(agent.Task{GOMAXPROCS: p.GOMAXPROCS, Spec: spec})
		if err != nil {
			return results.Repeat{}, fmt.Errorf("encode spec: %w", err)
		}
		as[i] = cluster.Assignment{Measurement: id, Replica: i, Agent: ids[i], Spec: data}
	}
	measuring.Store(true)
	mctx, mcancel := context.WithTimeoutCause(ctx, goTimeout+budget, worker.ErrDeadline)
	defer mcancel()
	harness := worker.ReadUsage()
	out, err := f.coord.Measure(mctx, as)
	if err != nil {
		if errors.Is(context.Cause(mctx), worker.ErrDeadline) {
			err = fmt.Errorf("%w: no report %s after the assignments, killed", worker.ErrDeadline, (goTimeout + budget).Round(time.Millisecond))
		}
		return results.Repeat{}, explain(err)
	}
	for _, pr := range procs {
		pr.Finish(5 * time.Second)
	}
	rep, err := f.outcome(out, blk, step, p, harness)
	if err != nil {
		return rep, err
	}
	rep.Start.Launch = launch.Seconds()
	for i, spec := range specs {
		if spec.CPUs == nil {
			break
		}
		var got worker.Report
		if got, err = worker.DecodeReport(out.Results[i].Report); err != nil {
			return rep, err
		}
		if cpuList(got.CPUs) != cpuList(spec.CPUs) {
			return rep, fmt.Errorf("worker %d ran on CPUs %q, want %q", i, cpuList(got.CPUs), cpuList(spec.CPUs))
		}
		rep.CPUs = append(rep.CPUs, cpuList(got.CPUs))
	}
	return rep, nil
}

// outcome merges a measurement's reports into a Repeat, with where each
// replica ran and how they started.
func (f *fleet) outcome(out cluster.Outcome, blk *blockRun, step scenario.Step, p scenario.Params, harness worker.Usage) (results.Repeat, error) {
	after := worker.ReadUsage()
	hosts := map[string]string{}
	for _, a := range f.coord.Agents() {
		hosts[a.ID] = a.Host
	}
	reports := make([]worker.Report, len(out.Results))
	for i, r := range out.Results {
		var err error
		if reports[i], err = worker.DecodeReport(r.Report); err != nil {
			return results.Repeat{}, fmt.Errorf("replica %d on %s: %w", r.Replica, r.Agent, err)
		}
	}
	rep, err := combine(reports, blk.workload.Def.StageNames(), step.Repeat, p.GOMAXPROCS)
	for _, r := range out.Results {
		rep.Placement = append(rep.Placement, results.Placement{Replica: r.Replica, Agent: r.Agent, Host: hosts[r.Agent]})
	}
	rep.Start = &results.Start{
		SpecToReady: out.SpecToReady.Seconds(),
		ReadyToGo:   out.ReadyToGo.Seconds(),
		Skew:        out.Skew.Seconds(),
	}
	rep.Resources.HarnessCPU = after.User + after.Sys - harness.User - harness.Sys
	rep.Resources.Machine = machineOf(reports, out.Results, hosts, f.agents == nil)
	return rep, err
}

// machineOf is the CPU use of the machines a measurement's replicas ran
// on: the replicas of one host (all of them, local) read the same counters
// over about the same window, so their readings are averaged; hosts add
// up. It is nil unless every replica's system told it.
func machineOf(reports []worker.Report, rs []cluster.Result, hosts map[string]string, local bool) *results.Machine {
	type sum struct {
		busy, steal, wall float64
		cpus, n           int
	}
	by := map[string]*sum{}
	var order []string
	for i, r := range reports {
		if r.Machine == nil {
			return nil
		}
		h := ""
		if !local {
			h = cmp.Or(hosts[rs[i].Agent], rs[i].Agent)
		}
		if by[h] == nil {
			by[h] = &sum{}
			order = append(order, h)
		}
		s := by[h]
		s.busy += r.Machine.Busy
		s.steal += r.Machine.Steal
		s.wall += r.Machine.Wall
		s.cpus = max(s.cpus, r.Machine.CPUs)
		s.n++
	}
	if len(order) == 0 {
		return nil
	}
	var m results.Machine
	for _, h := range order {
		s := by[h]
		m.Busy += s.busy / float64(s.n)
		m.Steal += s.steal / float64(s.n)
		m.Wall = max(m.Wall, s.wall/float64(s.n))
		m.CPUs += s.cpus
	}
	return &m
}

// plausible checks a replica's report against the harness's clock: its
// measured window (or a batch's makespan) cannot be longer than the time from
// the go signal to the report's arrival, give or take clock granularity.
func plausible(raw json.RawMessage, sinceGo time.Duration) error {
	rep, err := worker.DecodeReport(raw)
	if err != nil {
		return err
	}
	const slack = 50 * time.Millisecond
	claimed := time.Duration(max(rep.Elapsed, rep.Makespan) * float64(time.Second))
	if !(rep.Elapsed >= 0 && rep.Makespan >= 0) || claimed > sinceGo+slack {
		return fmt.Errorf("the report claims a window of %.3gs, but it arrived %.3gs after go on the harness's clock",
			max(rep.Elapsed, rep.Makespan), sinceGo.Seconds())
	}
	return nil
}

// exitError is a worker process that exited before its measurement was over.
type exitError struct {
	replica int
	err     error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return "exited before its measurement was over"
	}
	return "exited before its measurement was over: " + e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// Package agent runs a harness's replicas on this machine, over NATS
// (package cluster): the work of `scalebench agent` (Worker), which runs
// each replica it is assigned in a worker process of its own and talks to
// it over its pipes, and a worker process the harness started on its own
// machine as a one-shot agent (OneShot). It defines what a replica is
// assigned (Task).
package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/internal/workload"
)

// EnvAgent names the one-shot agent that a worker process started by the
// harness registers as; with cluster.EnvURL, EnvRun and EnvToken it makes a
// worker process speak the protocol over NATS instead of its pipes.
const EnvAgent = "SCALEBENCH_AGENT"

// Task is the payload of one replica's assignment: the spec, the
// GOMAXPROCS its worker process runs at, and, for a workload with a
// service, the service's settings: the agent starts its own service from
// them (or names the server they name), and the spec's inputs are the
// service's, whatever the harness sent.
type Task struct {
	GOMAXPROCS int             `json:"gomaxprocs"`
	Service    json.RawMessage `json:"service,omitempty"`
	Spec       worker.Spec     `json:"spec"`
}

// WorkerMain is the body of `scalebench worker`: a worker process that
// speaks the worker protocol over its pipes (worker.Main) or, given a
// harness's NATS server in its environment (cluster.EnvURL), over NATS as
// a one-shot agent (OneShot).
func WorkerMain(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	if os.Getenv(cluster.EnvURL) != "" {
		return OneShot(ctx, stdin, worker.Prepare)
	}
	return worker.Main(ctx, stdin, stdout)
}

// OneShot is the body of a worker process the harness started as a
// one-shot agent: it connects to the harness's server with the URL, token
// and run id from its environment, takes its one assignment, sets its
// spec up with prepare before it says it is ready, runs it once the
// harness gave the go signal, and stops as soon as its stdin closes (the
// harness is gone).
func OneShot(ctx context.Context, stdin io.Reader, prepare func(context.Context, worker.Spec) (worker.Runner, error)) error {
	opts := cluster.OptionsFromEnv(nil)
	opts.Name = "scalebench-worker"
	nc, err := cluster.Connect(opts)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer nc.Close()
	ctx, cancel := worker.WatchHarness(ctx, stdin)
	defer cancel(nil)
	agent, err := cluster.NewAgent(nc, cluster.AgentConfig{
		ID:       os.Getenv(EnvAgent),
		Run:      os.Getenv(cluster.EnvRun),
		Once:     true,
		Progress: true,
		Work: func(ctx context.Context, raw json.RawMessage, ready func() error) (json.RawMessage, error) {
			t, err := decodeTask(raw)
			if err != nil {
				return nil, fmt.Errorf("worker: %w", err)
			}
			if err := worker.CheckProtocol(t.Spec); err != nil {
				return nil, err
			}
			if t.Spec.Sliced {
				return nil, errors.New("worker: a sliced run speaks over the worker's pipes, not NATS")
			}
			r, err := prepare(ctx, t.Spec)
			if err != nil {
				return nil, err
			}
			defer r.Close()
			if err := ready(); err != nil {
				return nil, err
			}
			if t.Spec.Progress {
				ctx = worker.WithProgress(ctx, progressTo(ctx))
			}
			rep, err := r.Run(ctx)
			if cerr := r.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, err
			}
			return worker.EncodeReport(rep)
		},
	})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	err = agent.Run(ctx)
	if cause := context.Cause(ctx); errors.Is(cause, worker.ErrHarnessGone) {
		return cause
	}
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return nil
}

// progressTo returns the function that sends each bucket of a replica's
// window to the harness, as the progress of the replica whose work
// received ctx.
func progressTo(ctx context.Context) func(worker.Progress) {
	return func(p worker.Progress) {
		if data, err := json.Marshal(p); err == nil {
			cluster.SendProgress(ctx, data)
		}
	}
}

// Worker runs the replicas assigned to a `scalebench agent`: each in a
// worker process of its own on this machine, at the assignment's
// GOMAXPROCS, against a service of the agent's own when the workload has
// one (the thumbnail's mock image server) unless the scenario names a
// shared one.
type Worker struct {
	argv []string
	env  []string

	mu       sync.Mutex
	services map[serviceKey]service
}

// serviceKey tells one service of the agent's from another: its workload
// and its settings.
type serviceKey struct{ workload, settings string }

// service is a running service and the jobs' inputs on it.
type service struct {
	srv    workload.Server
	inputs []string
}

// NewWorker returns a Worker starting worker processes with argv
// (default: this executable with the argument "worker") and env added to
// this process's environment.
func NewWorker(argv, env []string) *Worker {
	return &Worker{argv: argv, env: env, services: map[serviceKey]service{}}
}

// decodeTask decodes an assignment's payload, refusing fields it does not
// know and anything after it.
func decodeTask(raw json.RawMessage) (Task, error) {
	var t Task
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Task{}, fmt.Errorf("decode assignment: %w", err)
	}
	if dec.More() {
		return Task{}, errors.New("decode assignment: data after the assignment")
	}
	return t, nil
}

// check refuses a task that `scalebench validate` would refuse in a
// scenario (scenario.CheckReplica, and the workload's own checks of its
// options and its service's settings), that names a workload this
// executable lacks, CPUs, or a synthetic slowdown. It returns the
// workload.
func (t Task) check() (*workload.Def, error) {
	s := t.Spec
	r := scenario.Replica{
		Model: s.Model, Workers: s.Workers, GOMAXPROCS: t.GOMAXPROCS,
		Warmup: s.Warmup, Duration: s.Duration, Think: s.Think, Timeout: s.Timeout, Bucket: s.Bucket,
		Rate: s.Rate, Arrival: s.Arrival, Jobs: s.Jobs, MaxJobs: s.MaxJobs,
	}
	var errs []error
	if err := scenario.CheckReplica(r); err != nil {
		errs = append(errs, err)
	}
	def, err := workload.Lookup(s.Workload)
	if err != nil {
		return nil, fmt.Errorf("assignment refused: %w", err)
	}
	if _, err := def.DecodeOptions(s.Options); err != nil {
		errs = append(errs, err)
	}
	switch {
	case def.HasService() && t.Service == nil:
		errs = append(errs, fmt.Errorf("service: workload %s needs the settings of its service", def.Name))
	case def.HasService():
		if err := def.CheckService(t.Service); err != nil {
			errs = append(errs, err)
		}
	case t.Service != nil:
		errs = append(errs, fmt.Errorf("service: workload %s has none", def.Name))
	}
	if len(s.CPUs) > 0 {
		errs = append(errs, errors.New("cpus: an agent's worker processes are not pinned by the harness"))
	}
	if s.Sliced {
		errs = append(errs, errors.New("sliced: a sliced run stops and resumes worker processes on the harness's machine, never an agent's"))
	}
	if s.ExtraWork != 0 {
		errs = append(errs, fmt.Errorf("extra work %v: a synthetic slowdown is for scalebench calibrate on one machine, never an agent's", s.ExtraWork))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("assignment refused: %w", err)
	}
	return def, nil
}

// Work is the cluster.Work of an agent. It refuses an assignment that
// names a file path or holds a value out of a scenario's bounds.
func (w *Worker) Work(ctx context.Context, raw json.RawMessage, ready func() error) (json.RawMessage, error) {
	t, err := decodeTask(raw)
	if err != nil {
		return nil, err
	}
	def, err := t.check()
	if err != nil {
		return nil, err
	}
	spec := t.Spec
	spec.Remote = true
	if def.HasService() {
		if spec.URLs, err = w.service(ctx, def, t.Service); err != nil {
			return nil, err
		}
	}
	argv := w.argv
	if len(argv) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find worker executable: %w", err)
		}
		argv = []string{exe, "worker"}
	}
	// The worker talks to this agent over its pipes: it gets none of the
	// agent's NATS settings, its token least of all.
	env := append(WithoutNATS(os.Environ()), w.env...)
	env = append(env, "GOMAXPROCS="+strconv.Itoa(t.GOMAXPROCS))
	cmd := worker.Command{Argv: argv, Env: env}
	if spec.Progress {
		cmd.OnProgress = progressTo(ctx)
	}
	p, err := worker.Start(ctx, cmd)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	if err := p.SendSpec(spec); err != nil {
		return nil, err
	}
	if err := p.AwaitReady(); err != nil {
		return nil, err
	}
	if err := ready(); err != nil {
		return nil, err
	}
	if err := p.SendGo(); err != nil {
		return nil, err
	}
	rep, err := p.Report(time.Now().Add(worker.Deadline(spec)))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
		return nil, err
	}
	return worker.EncodeReport(rep)
}

// service returns the jobs' inputs on this agent's service of def with
// settings, starting it on first use.
func (w *Worker) service(ctx context.Context, def *workload.Def, settings json.RawMessage) ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := serviceKey{def.Name, string(settings)}
	if s, ok := w.services[key]; ok {
		return s.inputs, nil
	}
	srv, in, err := def.StartService(ctx, settings)
	if err != nil {
		return nil, err
	}
	w.services[key] = service{srv: srv, inputs: in}
	return in, nil
}

// Close stops the agent's services.
func (w *Worker) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, s := range w.services {
		s.srv.Close()
		delete(w.services, k)
	}
}

// WithoutNATS returns env without the variables that connect a process to
// a harness over NATS.
func WithoutNATS(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		for _, k := range []string{cluster.EnvURL, cluster.EnvToken, cluster.EnvUser, cluster.EnvPassword, cluster.EnvRun, EnvAgent} {
			if strings.HasPrefix(kv, k+"=") {
				return true
			}
		}
		return false
	})
}

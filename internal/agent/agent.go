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
	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
)

// EnvAgent names the one-shot agent that a worker process started by the
// harness registers as; with cluster.EnvURL, EnvRun and EnvToken it makes a
// worker process speak the protocol over NATS instead of its pipes.
const EnvAgent = "SCALEBENCH_AGENT"

// Task is the payload of one replica's assignment: the spec, the
// GOMAXPROCS its worker process runs at, and, when the agent serves the
// mock images itself, their settings (the spec's URLs are then paths on
// that server).
type Task struct {
	GOMAXPROCS int         `json:"gomaxprocs"`
	Images     *Images     `json:"images,omitempty"`
	Spec       worker.Spec `json:"spec"`
}

// Images are the mock image server's settings that an agent serving the
// images itself applies.
type Images struct {
	Latency   time.Duration `json:"latency"`
	Jitter    time.Duration `json:"jitter"`
	Bandwidth int64         `json:"bandwidth"`
	ErrorRate float64       `json:"error_rate"`
}

// WorkerMain is the body of `scalebench worker`: a worker process that
// speaks the worker protocol over its pipes (worker.Main) or, given a
// harness's NATS server in its environment (cluster.EnvURL), over NATS as
// a one-shot agent (OneShot).
func WorkerMain(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	if os.Getenv(cluster.EnvURL) != "" {
		return OneShot(ctx, stdin, worker.Execute)
	}
	return worker.Main(ctx, stdin, stdout)
}

// OneShot is the body of a worker process the harness started as a
// one-shot agent: it connects to the harness's server with the URL, token
// and run id from its environment, takes its one assignment, runs its spec
// with execute once the harness gave the go signal, and stops as soon as
// its stdin closes (the harness is gone).
func OneShot(ctx context.Context, stdin io.Reader, execute func(context.Context, worker.Spec) (worker.Report, error)) error {
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
			if err := ready(); err != nil {
				return nil, err
			}
			if t.Spec.Progress {
				ctx = worker.WithProgress(ctx, progressTo(ctx))
			}
			rep, err := execute(ctx, t.Spec)
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
// GOMAXPROCS, against a mock image server of the agent's own unless the
// scenario names a shared one.
type Worker struct {
	argv []string
	env  []string

	mu     sync.Mutex
	images map[Images]*imageserver.Server
}

// NewWorker returns a Worker starting worker processes with argv
// (default: this executable with the argument "worker") and env added to
// this process's environment.
func NewWorker(argv, env []string) *Worker {
	return &Worker{argv: argv, env: env, images: map[Images]*imageserver.Server{}}
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
// scenario (scenario.CheckReplica), or that names a file path or CPUs: an
// agent writes nowhere its harness chooses.
func (t Task) check() error {
	s := t.Spec
	r := scenario.Replica{
		Model: s.Model, Workers: s.Workers, GOMAXPROCS: t.GOMAXPROCS,
		Warmup: s.Warmup, Duration: s.Duration, Think: s.Think, Timeout: s.Timeout, Bucket: s.Bucket,
		Rate: s.Rate, Arrival: s.Arrival, Jobs: s.Jobs, MaxJobs: s.MaxJobs,
		Width: s.Thumbnail.Width, Height: s.Thumbnail.Height,
		Filter: s.Thumbnail.Filter, Format: s.Thumbnail.Format, Method: s.Thumbnail.Method,
		URLs: s.URLs, LocalImages: t.Images != nil,
	}
	if t.Images != nil {
		r.Latency, r.Jitter, r.Bandwidth, r.ErrorRate = t.Images.Latency, t.Images.Jitter, t.Images.Bandwidth, t.Images.ErrorRate
	}
	var errs []error
	if err := scenario.CheckReplica(r); err != nil {
		errs = append(errs, err)
	}
	if s.Thumbnail.OutDir != "" {
		errs = append(errs, fmt.Errorf("thumbnail.output %q: an agent writes no file where an assignment says", s.Thumbnail.OutDir))
	}
	if len(s.CPUs) > 0 {
		errs = append(errs, errors.New("cpus: an agent's worker processes are not pinned by the harness"))
	}
	if s.Sliced {
		errs = append(errs, errors.New("sliced: a sliced run stops and resumes worker processes on the harness's machine, never an agent's"))
	}
	if s.Thumbnail.ExtraWork != 0 {
		errs = append(errs, fmt.Errorf("extra work %v: a synthetic slowdown is for scalebench calibrate on one machine, never an agent's", s.Thumbnail.ExtraWork))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("assignment refused: %w", err)
	}
	return nil
}

// Work is the cluster.Work of an agent. It refuses an assignment that
// names a file path or holds a value out of a scenario's bounds.
func (w *Worker) Work(ctx context.Context, raw json.RawMessage, ready func() error) (json.RawMessage, error) {
	t, err := decodeTask(raw)
	if err != nil {
		return nil, err
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	spec := t.Spec
	if t.Images != nil {
		base, err := w.imageServer(*t.Images)
		if err != nil {
			return nil, err
		}
		spec.URLs = slices.Clone(spec.URLs)
		for i, p := range spec.URLs {
			spec.URLs[i] = base + p
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

// imageServer returns the base URL of this agent's image server with
// settings im, starting it on first use.
func (w *Worker) imageServer(im Images) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s, ok := w.images[im]; ok {
		return s.URL, nil
	}
	s, err := imageserver.New(imageserver.Config{
		Latency: im.Latency, Jitter: im.Jitter, Bandwidth: im.Bandwidth, ErrorRate: im.ErrorRate,
	})
	if err != nil {
		return "", fmt.Errorf("start image server: %w", err)
	}
	w.images[im] = s
	return s.URL, nil
}

// Close stops the agent's image servers.
func (w *Worker) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, s := range w.images {
		s.Close()
		delete(w.images, k)
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

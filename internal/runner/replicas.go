package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/scenario"
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
	GOMAXPROCS int     `json:"gomaxprocs"`
	Images     *Images `json:"images,omitempty"`
	Spec       Spec    `json:"spec"`
}

// Images are the mock image server's settings that an agent serving the
// images itself applies.
type Images struct {
	Latency   time.Duration `json:"latency"`
	Jitter    time.Duration `json:"jitter"`
	Bandwidth int64         `json:"bandwidth"`
	ErrorRate float64       `json:"error_rate"`
}

// workerHook, when set (by tests), runs in a worker process over NATS after
// the go signal, before the spec is executed.
var workerHook func(Spec)

// workerOverNATS is WorkerMain for a worker process the harness started as
// a one-shot agent: it connects to the harness's server with the URL, token
// and run id from its environment, takes its one assignment, and stops as
// soon as its stdin closes (the harness is gone).
func workerOverNATS(ctx context.Context, stdin io.Reader) error {
	opts := cluster.OptionsFromEnv(nil)
	opts.Name = "scalebench-worker"
	nc, err := cluster.Connect(opts)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer nc.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		// The harness writes nothing to stdin; end of input means it died.
		_, _ = io.Copy(io.Discard, stdin)
		cancel(errHarnessGone)
	}()
	agent, err := cluster.NewAgent(nc, cluster.AgentConfig{
		ID:   os.Getenv(EnvAgent),
		Run:  os.Getenv(cluster.EnvRun),
		Once: true,
		Work: func(ctx context.Context, raw json.RawMessage, ready func() error) (json.RawMessage, error) {
			t, err := decodeTask(raw)
			if err != nil {
				return nil, fmt.Errorf("worker: %w", err)
			}
			if err := checkProtocol(t.Spec); err != nil {
				return nil, err
			}
			if t.Spec.Sliced {
				return nil, errors.New("worker: a sliced run speaks over the worker's pipes, not NATS")
			}
			if err := ready(); err != nil {
				return nil, err
			}
			if workerHook != nil {
				workerHook(t.Spec)
			}
			rep, err := Execute(ctx, t.Spec)
			if err != nil {
				return nil, err
			}
			return encodeReport(rep)
		},
	})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	err = agent.Run(ctx)
	if cause := context.Cause(ctx); errors.Is(cause, errHarnessGone) {
		return cause
	}
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	return nil
}

// encodeReport encodes rep as a worker sends it.
func encodeReport(rep Report) (json.RawMessage, error) {
	out, err := json.Marshal(reportMessage{Report: rep, Histogram: results.HistogramOf(rep.Snapshot.Hist)})
	if err != nil {
		return nil, fmt.Errorf("worker: encode report: %w", err)
	}
	return out, nil
}

// decodeReport decodes a report as a worker sent it.
func decodeReport(data []byte) (Report, error) {
	var msg reportMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		return Report{}, fmt.Errorf("decode report: %w", err)
	}
	msg.Snapshot.Hist = msg.Histogram.HDR()
	return msg.Report, nil
}

// AgentWorker runs the replicas assigned to a `scalebench agent`: each in a
// worker process of its own on this machine, at the assignment's
// GOMAXPROCS, against a mock image server of the agent's own unless the
// scenario names a shared one.
type AgentWorker struct {
	argv []string
	env  []string

	mu     sync.Mutex
	images map[Images]*imageserver.Server
}

// NewAgentWorker returns an AgentWorker starting worker processes with
// argv (default: this executable with the argument "worker") and env added
// to this process's environment.
func NewAgentWorker(argv, env []string) *AgentWorker {
	return &AgentWorker{argv: argv, env: env, images: map[Images]*imageserver.Server{}}
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
func (w *AgentWorker) Work(ctx context.Context, raw json.RawMessage, ready func() error) (json.RawMessage, error) {
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
	env := append(withoutNATS(os.Environ()), w.env...)
	r, err := startReplica(ctx, argv, env, t.GOMAXPROCS, spec)
	if err != nil {
		return nil, err
	}
	defer r.kill()
	if err := ready(); err != nil {
		return nil, err
	}
	if err := r.start(); err != nil {
		return nil, err
	}
	r.budget = Deadline(spec)
	rep, err := r.report(time.Now().Add(r.budget))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
		return nil, err
	}
	return encodeReport(rep)
}

// imageServer returns the base URL of this agent's image server with
// settings im, starting it on first use.
func (w *AgentWorker) imageServer(im Images) (string, error) {
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
func (w *AgentWorker) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, s := range w.images {
		s.Close()
		delete(w.images, k)
	}
}

// withoutNATS drops the variables that connect a process to a harness.
func withoutNATS(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		for _, k := range []string{cluster.EnvURL, cluster.EnvToken, cluster.EnvUser, cluster.EnvPassword, cluster.EnvRun, EnvAgent} {
			if strings.HasPrefix(kv, k+"=") {
				return true
			}
		}
		return false
	})
}

package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/builtin"
	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/internal/workload"
)

// TestMain lets this test binary act as a worker process: with
// SCALEBENCH_TEST_WORKER=1 it runs WorkerMain, as `scalebench worker`
// would. Otherwise it fails the package's tests if any leave a goroutine
// running.
func TestMain(m *testing.M) {
	if err := workload.Register(builtin.Thumbnail); err != nil {
		panic(err)
	}
	if os.Getenv("SCALEBENCH_TEST_WORKER") == "1" {
		if tok := os.Getenv(cluster.EnvToken); tok != "" {
			os.Stderr.WriteString("worker: given the agent's NATS token\n")
			os.Exit(1)
		}
		if err := WorkerMain(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// okTask is an assignment an agent takes: the thumbnail workload, whose
// images the agent serves itself.
func okTask() Task {
	return Task{GOMAXPROCS: 1, Service: json.RawMessage(`{"latency":0,"jitter":0,"bandwidth":0,"error_rate":0,"paths":["/64x48/ccc/aaa.jpg"]}`),
		Spec: worker.Spec{
			Protocol: worker.ProtocolVersion, URLs: []string{"ignored: the agent's own service gives the inputs"}, Model: load.Closed,
			Workers: 2, Duration: time.Second,
			Options: json.RawMessage(`{"Width":16,"Height":16,"Filter":"lanczos","Format":"png","Method":"fast","OutDir":""}`),
		}}
}

// withService returns t with the service settings changed by edit.
func withService(t *Task, edit func(m map[string]any)) {
	var m map[string]any
	if err := json.Unmarshal(t.Service, &m); err != nil {
		panic(err)
	}
	edit(m)
	t.Service, _ = json.Marshal(m)
}

// An agent runs its assignment in a worker process of its own, against
// its own image server, at the assignment's GOMAXPROCS; the worker
// process gets none of the agent's NATS settings.
func TestWorkRunsAWorkerProcess(t *testing.T) {
	t.Setenv(cluster.EnvToken, "the-agent's-token")
	t.Setenv(cluster.EnvURL, "nats://127.0.0.1:1")
	task := okTask()
	task.Spec.Duration = 200 * time.Millisecond
	// An output directory the harness names is not written to: the
	// worker process runs remote.
	outDir := filepath.Join(t.TempDir(), "out")
	task.Spec.Options = json.RawMessage(`{"Width":16,"Height":16,"Filter":"lanczos","Format":"png","Method":"fast","OutDir":` + strconv.Quote(outDir) + `}`)
	raw, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker([]string{os.Args[0]}, []string{"SCALEBENCH_TEST_WORKER=1"})
	defer w.Close()
	readied := false
	out, err := w.Work(context.Background(), raw, func() error { readied = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	rep, err := worker.DecodeReport(out)
	if err != nil {
		t.Fatal(err)
	}
	if !readied || rep.GOMAXPROCS != 1 || rep.Snapshot.Jobs == 0 || rep.Snapshot.Hist.TotalCount() != rep.Snapshot.Jobs {
		t.Errorf("readied %v; report: GOMAXPROCS %d, %d jobs, histogram of %d", readied, rep.GOMAXPROCS, rep.Snapshot.Jobs, rep.Snapshot.Hist.TotalCount())
	}
	if rep.Snapshot.Errors != 0 {
		t.Errorf("%d jobs failed: %v", rep.Snapshot.Errors, rep.Snapshot.ErrSamples)
	}
	if _, err := os.Stat(outDir); err == nil {
		t.Error("the worker wrote into the output directory the assignment named")
	}
}

// An agent refuses an assignment that names a file path or holds a value
// `scalebench validate` would refuse, before it starts any process.
func TestWorkRefusesHostileTask(t *testing.T) {
	dir := t.TempDir()
	ok := okTask
	for _, tc := range []struct {
		name   string
		change func(*Task)
		raw    string // the payload as sent, when not ok() changed
		want   string
	}{
		{name: "synthetic slowdown", change: func(t *Task) { t.Spec.ExtraWork = 0.5 }, want: "extra work 0.5"},
		{name: "a million workers", change: func(t *Task) { t.Spec.Workers = 1_000_000 }, want: "matrix.workers"},
		{name: "gomaxprocs 0", change: func(t *Task) { t.GOMAXPROCS = 0 }, want: "matrix.gomaxprocs"},
		{name: "not an image path", change: func(t *Task) {
			withService(t, func(m map[string]any) { m["paths"] = []string{"/../../etc/passwd"} })
		}, want: "images.paths"},
		{name: "shared server of another scheme", change: func(t *Task) {
			withService(t, func(m map[string]any) { m["url"] = "file:///etc/passwd" })
		}, want: "images.url"},
		{name: "no service settings", change: func(t *Task) { t.Service = nil }, want: "service"},
		{name: "service settings it does not know", change: func(t *Task) {
			withService(t, func(m map[string]any) { m["exec"] = "rm -rf /" })
		}, want: "unknown field"},
		{name: "a day long", change: func(t *Task) { t.Spec.Duration = 24 * time.Hour }, want: "load.duration"},
		{name: "error rate 5", change: func(t *Task) { withService(t, func(m map[string]any) { m["error_rate"] = 5 }) }, want: "images.error_rate"},
		{name: "huge thumbnail", change: func(t *Task) {
			t.Spec.Options = json.RawMessage(`{"Width":1048576,"Height":16,"Filter":"lanczos","Format":"png","Method":"fast"}`)
		}, want: "thumbnail.width"},
		{name: "unknown filter", change: func(t *Task) {
			t.Spec.Options = json.RawMessage(`{"Width":16,"Height":16,"Filter":"sh -c","Format":"png","Method":"fast"}`)
		}, want: "thumbnail.filter"},
		{name: "a workload it lacks", change: func(t *Task) { t.Spec.Workload = "kv" }, want: `workload "kv": this executable has no such workload; it has: thumbnail`},
		{name: "pinned CPUs", change: func(t *Task) { t.Spec.CPUs = []int{0} }, want: "cpus"},
		{name: "unknown field", raw: `{"gomaxprocs":1,"spec":{"workers":1},"exec":"rm -rf /"}`, want: "unknown field"},
		{name: "unknown spec field", raw: `{"gomaxprocs":1,"spec":{"workers":1,"exec":"rm -rf /"}}`, want: "unknown field"},
		{name: "trailing data", raw: `{"gomaxprocs":1,"spec":{}} {}`, want: "after the assignment"},
		{name: "not JSON", raw: `}{`, want: "decode assignment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			if tc.change != nil {
				task := ok()
				tc.change(&task)
				var err error
				if raw, err = json.Marshal(task); err != nil {
					t.Fatal(err)
				}
			}
			// A worker that would leave a mark: no process may start.
			marker := filepath.Join(dir, "started")
			w := NewWorker([]string{"/bin/sh", "-c", "touch " + marker}, nil)
			defer w.Close()
			readied := false
			_, err := w.Work(context.Background(), raw, func() error { readied = true; return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Work = %v, want a refusal naming %q", err, tc.want)
			}
			if readied {
				t.Error("the hostile task was readied")
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("a worker process started for the hostile task")
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Error("the output directory was created")
			}
		})
	}
	t.Run("valid task passes the check", func(t *testing.T) {
		if _, err := ok().check(); err != nil {
			t.Fatal(err)
		}
	})
}

// An agent passes the buckets its worker process sends to the harness as
// the replica's progress, when the spec asks for them.
func TestWorkSendsProgress(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hnc, err := srv.Connect("harness")
	if err != nil {
		t.Fatal(err)
	}
	defer hnc.Close()
	var buckets []worker.Progress
	got := make(chan worker.Progress, 64)
	coord, err := cluster.NewCoordinator(hnc, cluster.Config{Run: "progress", Progress: func(p cluster.Progress) {
		var b worker.Progress
		if json.Unmarshal(p.Data, &b) == nil {
			got <- b
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()
	anc, err := srv.Connect("agent")
	if err != nil {
		t.Fatal(err)
	}
	defer anc.Close()
	w := NewWorker([]string{os.Args[0]}, []string{"SCALEBENCH_TEST_WORKER=1"})
	defer w.Close()
	ag, err := cluster.NewAgent(anc, cluster.AgentConfig{ID: "a", Run: "progress", Work: w.Work, Progress: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ag.Run(ctx) }()
	defer func() { cancel(); <-done }()
	agents, err := coord.WaitAgents(context.Background(), 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !agents[0].Progress {
		t.Error("the agent did not say it sends progress")
	}
	task := okTask()
	task.Spec.Duration, task.Spec.Bucket, task.Spec.Progress = 400*time.Millisecond, 100*time.Millisecond, true
	raw, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	out, err := coord.Measure(context.Background(), []cluster.Assignment{{Measurement: "m1", Agent: "a", Spec: raw}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := worker.DecodeReport(out.Results[0].Report)
	if err != nil {
		t.Fatal(err)
	}
	// The last bucket may arrive after the report, or not at all: progress
	// is for watching, and a measurement that ended drops it.
	for len(buckets) < 3 {
		select {
		case b := <-got:
			buckets = append(buckets, b)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d buckets arrived, want at least 3 of 4", len(buckets))
		}
	}
	for i, b := range buckets {
		if b.Bucket != i || b.Width != 100*time.Millisecond || b.Jobs == 0 || b.Latency.Total() != b.Jobs {
			t.Errorf("bucket %d: %+v, want bucket %d of 100ms with jobs and their latencies", i, b, i)
		}
	}
	if rep.Snapshot.Jobs == 0 {
		t.Error("the report holds no jobs")
	}
}

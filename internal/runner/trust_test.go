package runner

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

// An agent refuses an assignment that names a file path or holds a value
// `scalebench validate` would refuse, before it starts any process.
func TestAgentWorkRefusesHostileTask(t *testing.T) {
	dir := t.TempDir()
	ok := func() Task {
		return Task{GOMAXPROCS: 1, Images: &Images{}, Spec: Spec{
			Protocol: ProtocolVersion, URLs: []string{"/64x48/ccc/aaa.jpg"}, Model: load.Closed,
			Workers: 2, Duration: time.Second, Thumbnail: thumbnail.Options{Width: 16, Height: 16},
		}}
	}
	for _, tc := range []struct {
		name   string
		change func(*Task)
		raw    string // the payload as sent, when not ok() changed
		want   string
	}{
		{name: "output directory", change: func(t *Task) { t.Spec.Thumbnail.OutDir = filepath.Join(dir, "out") }, want: "thumbnail.output"},
		{name: "synthetic slowdown", change: func(t *Task) { t.Spec.Thumbnail.ExtraWork = 0.5 }, want: "extra work 0.5"},
		{name: "a million workers", change: func(t *Task) { t.Spec.Workers = 1_000_000 }, want: "matrix.workers"},
		{name: "gomaxprocs 0", change: func(t *Task) { t.GOMAXPROCS = 0 }, want: "matrix.gomaxprocs"},
		{name: "a URL of the sender's choosing", change: func(t *Task) { t.Spec.URLs = []string{"http://127.0.0.1:22/"} }, want: "images.paths"},
		{name: "shared server, not an image", change: func(t *Task) { t.Images, t.Spec.URLs = nil, []string{"http://127.0.0.1:22/"} }, want: "images.paths"},
		{name: "a day long", change: func(t *Task) { t.Spec.Duration = 24 * time.Hour }, want: "load.duration"},
		{name: "error rate 5", change: func(t *Task) { t.Images.ErrorRate = 5 }, want: "images.error_rate"},
		{name: "pinned CPUs", change: func(t *Task) { t.Spec.CPUs = []int{0} }, want: "cpus"},
		{name: "unknown field", raw: `{"gomaxprocs":1,"spec":{"workers":1},"exec":"rm -rf /"}`, want: "unknown field"},
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
			w := NewAgentWorker([]string{"/bin/sh", "-c", "touch " + marker}, nil)
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
		if err := ok().check(); err != nil {
			t.Fatal(err)
		}
	})
}

// A report that claims a longer window than has passed since go on the
// harness's clock is refused.
func TestPlausibleReport(t *testing.T) {
	for _, tc := range []struct {
		name     string
		elapsed  float64
		makespan float64
		sinceGo  time.Duration
		ok       bool
	}{
		{"window within the time since go", 1, 0, 1200 * time.Millisecond, true},
		{"same, up to the slack", 1, 0, 960 * time.Millisecond, true},
		{"1 s window 0.1 s after go", 1, 0, 100 * time.Millisecond, false},
		{"batch makespan too long", 0, 2, time.Second, false},
		{"negative window", -1, 0, time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := encodeReport(Report{Elapsed: tc.elapsed, Makespan: tc.makespan})
			if err != nil {
				t.Fatal(err)
			}
			if err := plausible(raw, tc.sinceGo); (err == nil) != tc.ok {
				t.Fatalf("plausible = %v, want ok %v", err, tc.ok)
			}
		})
	}
	if err := plausible(json.RawMessage(`{`), time.Second); err == nil {
		t.Error("a report that does not decode passed")
	}
}

// An agent reporting another version than the harness's is admitted with
// a warning that names both.
func TestAgentOfAnotherVersionWarned(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := srv.Connect("agent")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	a, err := cluster.NewAgent(nc, cluster.AgentConfig{ID: "odd", Run: "v1", Version: "v0.0.0-\x1b[2Jevil", Work: func(context.Context, json.RawMessage, func() error) (json.RawMessage, error) {
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	var mu sync.Mutex
	var warnings []string
	f, err := openFleet(context.Background(), &Cluster{Connect: cluster.ConnectOptions{URL: srv.URL, Token: srv.Token}, Agents: 1, Run: "v1", Wait: time.Minute}, 0, "v1.2.3", func(err error) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, err.Error())
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	mu.Lock()
	defer mu.Unlock()
	got := strings.Join(warnings, "\n")
	if !strings.Contains(got, `"v0.0.0-\x1b[2Jevil"`) || !strings.Contains(got, `"v1.2.3"`) {
		t.Errorf("warnings %q, want one naming both versions, quoted", got)
	}
	if strings.Contains(got, "\x1b") {
		t.Error("a warning carries the agent's escape sequence")
	}
}

// The NATS server killed mid-run: the run stops at once naming the lost
// server, instead of blaming the agents or trying every measurement.
func TestRunStopsWhenServerLost(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	testAgents(t, srv, "lost", 1)
	sc := parse(t, `name: t
images: {latency: 5ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 3s, warmup: 0s, repeats: 5}
matrix: {workers: [1]}
`)
	opt := testOptions()
	opt.Cluster = &Cluster{Connect: cluster.ConnectOptions{URL: srv.URL, Token: srv.Token}, Agents: 1, Run: "lost", Wait: time.Minute}
	var once sync.Once
	opt.Progress = func(Progress) { once.Do(srv.Close) } // after the first measurement
	start := time.Now()
	_, err = Run(context.Background(), sc, opt)
	took := time.Since(start)
	if !errors.Is(err, cluster.ErrServerLost) || !strings.Contains(err.Error(), "NATS server") {
		t.Fatalf("Run = %v, want the lost server named", err)
	}
	if took > 40*time.Second {
		t.Errorf("Run took %s to notice the lost server", took.Round(time.Second))
	}
	t.Logf("%s: %v", took.Round(time.Millisecond), err)
}

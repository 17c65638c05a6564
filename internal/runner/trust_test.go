package runner

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/testutil"
	"github.com/scalebench/scalebench/internal/worker"
)

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
			raw, err := worker.EncodeReport(worker.Report{Elapsed: tc.elapsed, Makespan: tc.makespan})
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
	}, nil)
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
	testutil.Long(t, "waits out a lost server's timeouts; cluster's TestLostServerNamed checks the same")
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

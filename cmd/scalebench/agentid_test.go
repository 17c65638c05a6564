package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
)

// syncBuffer is a process's stderr, read while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startAgent starts `scalebench agent` on srv's run r1 with args added.
func startAgent(t *testing.T, srv *cluster.Server, args ...string) (*exec.Cmd, *syncBuffer, chan error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"agent", "--nats", srv.URL, "--run", "r1"}, args...)...)
	cmd.Env = append(os.Environ(), cluster.EnvToken+"="+srv.Token)
	out := &syncBuffer{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return cmd, out, done
}

// Two agent processes on one host without --id register under ids of
// their own; a third taking a live one's id is refused at once, with a
// message on both sides.
func TestAgentIDsPerProcess(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := srv.Connect("harness")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var mu sync.Mutex
	var warnings []string
	coord, err := cluster.NewCoordinator(nc, cluster.Config{Run: "r1", Warn: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, err.Error())
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()

	startAgent(t, srv)
	startAgent(t, srv)
	got, err := coord.WaitAgents(context.Background(), 2, time.Minute)
	if err != nil {
		t.Fatalf("two agents without --id: %v", err)
	}
	if got[0].ID == got[1].ID || got[0].Host != got[1].Host {
		t.Fatalf("agents %+v, want two ids on one host", got)
	}

	taken := got[0].ID
	start := time.Now()
	_, out, done := startAgent(t, srv, "--id", taken)
	select {
	case err := <-done:
		done <- err
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Errorf("the agent with a taken id exited with %v, want a failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent with a taken id still runs after 30 s")
	}
	t.Logf("refused after %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(out.String()))
	if !strings.Contains(out.String(), "taken by a live agent process") {
		t.Errorf("agent stderr %q does not say the id is taken", out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(warnings, "\n"), "refused the registration of agent "+taken) {
		t.Errorf("harness warnings %q do not name the refused agent", warnings)
	}
	if ids := coord.Agents(); len(ids) != 2 {
		t.Errorf("roster %+v, want the two first agents", ids)
	}
}

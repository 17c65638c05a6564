package cluster

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// A harness killed mid-measurement sends no abort; its agents notice that
// no harness answers and stop the replica's work instead of running out its
// window.
func TestAgentStopsWorkWhenHarnessDies(t *testing.T) {
	srv := startServer(t)
	nc := connect(t, srv, "harness")
	c, err := NewCoordinator(nc, Config{Run: "test", Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	started, stopped := make(chan struct{}), make(chan time.Time, 1)
	newTestAgent(t, srv, AgentConfig{ID: "a", Work: func(ctx context.Context, _ json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		close(started)
		select {
		case <-ctx.Done():
			stopped <- time.Now()
			return nil, ctx.Err()
		case <-time.After(time.Minute): // the window, far longer than the test
			return json.RawMessage(`{}`), nil
		}
	}})
	waitAgents(t, c, 1)
	go func() { _, _ = c.Measure(context.Background(), assignments("m1", "a")) }()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the replica did not start")
	}
	died := time.Now()
	nc.Close() // the harness's connection goes as it would with its process
	select {
	case at := <-stopped:
		t.Logf("work stopped %s after the harness died", at.Sub(died))
	case <-time.After(30 * time.Second):
		t.Fatal("the work still runs 30 s after its harness died")
	}
	_ = c.Close()
}

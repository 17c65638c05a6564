package cluster

import (
	"context"
	"encoding/json"
	"errors"
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
	measured := make(chan error, 1)
	go func() {
		_, err := c.Measure(context.Background(), assignments("m1", "a"))
		measured <- err
	}()
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
	// Closing the coordinator ends the measurement it was waiting for.
	select {
	case err := <-measured:
		if !errors.Is(err, errCoordinatorClosed) {
			t.Errorf("Measure = %v, want it ended by Close", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Measure still waits 10 s after its coordinator was closed")
	}
}

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// A replica's progress reaches the harness's Progress function while it
// measures, in order and with the replica's identity; the agent's
// registration says it sends progress. A progress message not made with
// the assignment's key, or replayed, is dropped.
func TestProgressReachesHarness(t *testing.T) {
	srv := startServer(t)
	got := make(chan Progress, 16)
	c := startCoordinator(t, srv, Config{Progress: func(p Progress) { got <- p }})
	rogue := connect(t, srv, "rogue")
	overheard := make(chan []byte, 16)
	if _, err := rogue.Subscribe("sb.test.progress", func(m *nats.Msg) { overheard <- m.Data }); err != nil {
		t.Fatal(err)
	}
	const sent = 3
	var incarnation atomic.Value // agent a's
	agentA := newTestAgent(t, srv, AgentConfig{ID: "a", Progress: true, Work: func(ctx context.Context, _ json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		for i := range sent {
			if !SendProgress(ctx, json.RawMessage(fmt.Sprintf(`{"bucket":%d}`, i))) {
				return nil, fmt.Errorf("SendProgress: the work's context is not a replica's")
			}
		}
		// A forged message for the same replica: the right names, no key;
		// and a real one, overheard and replayed.
		forged, _ := json.Marshal(progressMsg{replicaMsg: replicaMsg{header: hdr(), Session: c.session, Agent: "a",
			Incarnation: incarnation.Load().(string), Measurement: "m1", Seq: 99, MAC: []byte("not the key's")},
			Data: json.RawMessage(`{"bucket":99}`)})
		if err := rogue.Publish("sb.test.progress", forged); err != nil {
			return nil, err
		}
		if err := rogue.Publish("sb.test.progress", <-overheard); err != nil {
			return nil, err
		}
		// The report waits for the progress, which may otherwise arrive
		// after the measurement ended, and be dropped as stale.
		time.Sleep(200 * time.Millisecond)
		return json.RawMessage(`{}`), nil
	}})
	incarnation.Store(agentA.Incarnation())
	newTestAgent(t, srv, AgentConfig{ID: "b"})
	for _, a := range waitAgents(t, c, 2) {
		if a.Progress != (a.ID == "a") {
			t.Errorf("agent %s registered with progress %v", a.ID, a.Progress)
		}
	}
	if _, err := c.Measure(context.Background(), assignments("m1", "a")); err != nil {
		t.Fatal(err)
	}
	for i := range sent {
		select {
		case p := <-got:
			want := fmt.Sprintf(`{"bucket":%d}`, i)
			if p.Measurement != "m1" || p.Replica != 0 || p.Agent != "a" || string(p.Data) != want {
				t.Errorf("progress %d: %+v, want measurement m1, replica 0 on agent a, data %s", i, p, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("progress %d never arrived", i)
		}
	}
	select {
	case p := <-got:
		t.Errorf("unexpected progress %+v: forged or replayed", p)
	case <-time.After(100 * time.Millisecond):
	}
	if SendProgress(context.Background(), json.RawMessage(`{}`)) {
		t.Error("SendProgress outside a replica's work reports success")
	}
}

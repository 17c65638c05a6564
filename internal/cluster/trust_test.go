package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/scalebench/scalebench/internal/testutil"
)

// running fails t if the agent's Run has returned.
func running(t testing.TB, a *testAgent) {
	t.Helper()
	select {
	case err := <-a.done:
		a.done <- err
		t.Fatalf("agent %s stopped: %v", a.ID(), err)
	default:
	}
}

// A forged assignment with no harness running is refused: an agent takes
// assignments only from the harness session it registered with.
func TestAgentRefusesAssignmentWithoutHarness(t *testing.T) {
	srv := startServer(t)
	var worked atomic.Int32
	a := newTestAgent(t, srv, AgentConfig{ID: "a1", Work: func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		worked.Add(1)
		return echoWork(ctx, spec, ready)
	}})
	rogue := connect(t, srv, "rogue")
	// The agent is subscribed once its Run has flushed; wait for its subjects.
	testutil.Eventually(t, 10*time.Second, func() bool {
		_, err := rogue.Request("sb.test.agent.a1."+a.Incarnation()+".clock", []byte(`{"proto":0}`), time.Second)
		_, errOld := rogue.Request("sb.test.agent.a1.clock", []byte(`{"proto":0}`), time.Second)
		return err == nil || errOld == nil
	}, "agent subscribed")
	for _, subject := range []string{"sb.test.agent.a1.assign", "sb.test.agent.a1." + a.Incarnation() + ".assign"} {
		for _, session := range []string{"", "guessed"} {
			data, _ := json.Marshal(map[string]any{
				"proto": Protocol, "session": session, "measurement": "m0-0", "replica": 0,
				"agent": "a1", "incarnation": a.Incarnation(),
				"spec": map[string]any{"x": 1}, "heartbeat": int64(time.Second), "go_within": int64(time.Minute),
			})
			msg, err := rogue.Request(subject, data, 5*time.Second)
			if errors.Is(err, nats.ErrNoResponders) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", subject, err)
			}
			var reply ack
			if err := json.Unmarshal(msg.Data, &reply); err != nil {
				t.Fatal(err)
			}
			if reply.Error == "" {
				t.Errorf("%s, session %q: the agent accepted a forged assignment", subject, session)
			}
		}
	}
	running(t, a)
	if n := worked.Load(); n > 0 {
		t.Errorf("the agent ran %d forged assignments", n)
	}
}

// Malformed or foreign-version messages on the broadcast subjects are logged
// and ignored: they stop no agent, and a measurement still runs.
func TestAgentIgnoresMalformedMessages(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{})
	var logged atomic.Int32
	a := newTestAgent(t, srv, AgentConfig{ID: "a", Logf: func(string, ...any) { logged.Add(1) }})
	waitAgents(t, c, 1)
	rogue := connect(t, srv, "rogue")
	for _, tc := range []struct{ subject, data string }{
		{"sb.test.go", `{}`},
		{"sb.test.hello", `{}`},
		{"sb.test.abort", `{}`},
		{"sb.test.go", `{"proto":99,"measurement":"m1"}`},
		{"sb.test.abort", `not json`},
		{"sb.test.hello", `{"proto":1,"session":123}`},
		{"sb.test.agent.a.clock", `{}`},
		{"sb.test.agent.a.assign", `{}`},
		{"sb.test.agent.a." + a.Incarnation() + ".clock", `{}`},
		{"sb.test.agent.a." + a.Incarnation() + ".assign", `{}`},
	} {
		if err := rogue.Publish(tc.subject, []byte(tc.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rogue.Flush(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return logged.Load() >= 6 }, "the malformed messages logged")
	running(t, a)
	out, err := c.Measure(context.Background(), assignments("m1", "a"))
	if err != nil {
		t.Fatalf("measure after the malformed messages: %v", err)
	}
	if len(out.Results) != 1 {
		t.Fatalf("%d results", len(out.Results))
	}
	running(t, a)
}

// A harness killed mid-measurement and a new one on the same run id that
// uses the same measurement id: the agent runs the new one, and does not
// take it for a duplicate of the old.
func TestNewHarnessReusesMeasurementID(t *testing.T) {
	srv := startServer(t)
	nc1 := connect(t, srv, "harness-1")
	c1, err := NewCoordinator(nc1, Config{Run: "test", GoTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	readied := make(chan struct{}, 1)
	newTestAgent(t, srv, AgentConfig{ID: "a", Work: func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		select {
		case readied <- struct{}{}:
		default:
		}
		return echoWork(ctx, spec, ready)
	}})
	waitAgents(t, c1, 1)
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	done1 := make(chan struct{})
	go func() {
		defer close(done1)
		// A replica that readies but never gets its go: the harness dies.
		as := assignments("m0-0", "a")
		as[0].Spec = json.RawMessage(`{"old":true}`)
		_, _ = c1.Measure(ctx1, as)
	}()
	<-readied
	nc1.Close() // killed outright: no abort
	cancel1()
	<-done1
	_ = c1.Close()

	c2 := startCoordinator(t, srv, Config{Run: "test", GoTimeout: 10 * time.Second})
	waitAgents(t, c2, 1)
	as := assignments("m0-0", "a")
	as[0].Spec = json.RawMessage(`{"new":true}`)
	start := time.Now()
	out, err := c2.Measure(context.Background(), as)
	if err != nil {
		t.Fatalf("the new harness's m0-0 failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	}
	if got := string(out.Results[0].Report); got != `{"new":true}` {
		t.Errorf("report %s, want the new spec's", got)
	}
}

// A rogue that reads agent ids and incarnations from heartbeats forges a
// report for a replica under way: the harness refuses it and records the
// real one.
func TestForgedReportRefused(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{Heartbeat: 100 * time.Millisecond})
	release := make(chan struct{})
	newTestAgent(t, srv, AgentConfig{ID: "a", Work: func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return json.RawMessage(`{"real":true}`), nil
	}})
	waitAgents(t, c, 1)
	rogue := connect(t, srv, "rogue")
	forged := make(chan error, 8)
	sub, err := rogue.Subscribe("sb.test.hb", func(m *nats.Msg) {
		var hb map[string]any
		if json.Unmarshal(m.Data, &hb) != nil {
			return
		}
		hb["go_at"] = time.Now().UnixNano()
		hb["result"] = map[string]any{"forged": true}
		data, _ := json.Marshal(hb)
		_, err := rogue.Request("sb.test.report", data, 5*time.Second)
		select {
		case forged <- err:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	type result struct {
		out Outcome
		err error
	}
	res := make(chan result, 1)
	go func() {
		out, err := c.Measure(context.Background(), assignments("m1", "a"))
		res <- result{out, err}
	}()
	for range 3 {
		if err := <-forged; err != nil {
			t.Fatal(err)
		}
	}
	_ = sub.Unsubscribe()
	close(release)
	r := <-res
	if r.err != nil {
		t.Fatalf("measure: %v", r.err)
	}
	if got := string(r.out.Results[0].Report); got != `{"real":true}` {
		t.Errorf("recorded report %s, want the agent's own", got)
	}
}

// Two live agent processes with one id: the second is refused at once,
// with a message on both sides, and only the first runs assignments.
func TestTakenAgentIDRefused(t *testing.T) {
	srv := startServer(t)
	var warnings atomic.Value
	warnings.Store("")
	c := startCoordinator(t, srv, Config{})
	var firstRuns, secondRuns atomic.Int32
	count := func(n *atomic.Int32) Work {
		return func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
			n.Add(1)
			return echoWork(ctx, spec, ready)
		}
	}
	first := newTestAgent(t, srv, AgentConfig{ID: "box", Work: count(&firstRuns)})
	waitAgents(t, c, 1)
	nc := connect(t, srv, "second")
	second, err := NewAgent(nc, AgentConfig{ID: "box", Run: "test", Work: count(&secondRuns), RetryInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err = second.Run(ctx)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "box") {
		t.Fatalf("second agent with a taken id: Run = %v after %s, want a refusal at once naming the id", err, time.Since(start).Round(time.Millisecond))
	}
	t.Logf("second agent: %v", err)
	if _, err := c.WaitAgents(context.Background(), 2, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "refused: box") {
		t.Errorf("WaitAgents error %v does not name the refused agent", err)
	}
	out, err := c.Measure(context.Background(), assignments("m1", "box"))
	if err != nil || len(out.Results) != 1 {
		t.Fatalf("measure on the first agent: %v", err)
	}
	if f, s := firstRuns.Load(), secondRuns.Load(); f != 1 || s != 0 {
		t.Errorf("first agent ran %d, second %d assignments; want 1 and 0", f, s)
	}
	running(t, first)
}

// A lost server connection is named as such, promptly, instead of blaming
// a healthy agent or waiting out the whole wait.
func TestLostServerNamed(t *testing.T) {
	testutil.Long(t, "waits out the client's reconnect timeouts twice, about 15 s")
	t.Run("while waiting for agents", func(t *testing.T) {
		srv := startServer(t)
		c := startCoordinator(t, srv, Config{Heartbeat: 200 * time.Millisecond})
		srv.Close()
		start := time.Now()
		_, err := c.WaitAgents(context.Background(), 2, 30*time.Second)
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "NATS server") || took > 15*time.Second {
			t.Fatalf("WaitAgents = %v after %s, want the lost server named within seconds", err, took.Round(time.Millisecond))
		}
		t.Logf("%s: %v", took.Round(time.Millisecond), err)
	})
	t.Run("mid-measurement", func(t *testing.T) {
		srv := startServer(t)
		c := startCoordinator(t, srv, Config{Heartbeat: 200 * time.Millisecond})
		started := make(chan struct{})
		newTestAgent(t, srv, AgentConfig{ID: "healthy", Work: func(ctx context.Context, _ json.RawMessage, ready func() error) (json.RawMessage, error) {
			if err := ready(); err != nil {
				return nil, err
			}
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		}})
		waitAgents(t, c, 1)
		errc := make(chan error, 1)
		go func() {
			_, err := c.Measure(context.Background(), assignments("m1", "healthy"))
			errc <- err
		}()
		<-started
		srv.Close()
		err := <-errc
		if err == nil || !strings.Contains(err.Error(), "NATS server") || errors.Is(err, ErrSilent) {
			t.Fatalf("Measure = %v, want the lost server named, not a silent agent", err)
		}
		t.Logf("%v", err)
	})
}

// A list of server URLs is redacted entry by entry: no password of any
// entry reaches an error.
func TestConnectRedactsEveryURL(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	for _, tc := range []struct{ name, url string }{
		{"second of two", fmt.Sprintf("nats://%s,nats://bob:s3cret-pw@%s", closed(), closed())},
		{"first of two", fmt.Sprintf("nats://bob:s3cret-pw@%s, nats://%s", closed(), closed())},
		{"token in user", fmt.Sprintf("nats://%s,nats://s3cret-pw@%s", closed(), closed())},
		{"one", fmt.Sprintf("nats://bob:s3cret-pw@%s", closed())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Connect(ConnectOptions{URL: tc.url, Timeout: time.Second})
			if err == nil {
				t.Fatal("connected to a closed port")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
			if got := RedactURL(tc.url); strings.Contains(got, "s3cret") {
				t.Errorf("RedactURL(%q) = %q", tc.url, got)
			}
		})
	}
}

// sealedAssign is an assignment of session for agent a with key sealed to
// a's curve key, as a harness would make it.
func sealedAssign(t testing.TB, a *Agent, session, measurement string, key []byte) assignMsg {
	t.Helper()
	from, err := nkeys.CreateCurveKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := from.PublicKey()
	sealed, err := from.Seal(key, a.curvePub)
	if err != nil {
		t.Fatal(err)
	}
	return assignMsg{
		header: hdr(), Session: session, Agent: a.ID(), Incarnation: a.Incarnation(),
		Key: sealed, From: pub, Measurement: measurement, Spec: json.RawMessage(`{}`),
		Heartbeat: time.Second, GoWithin: time.Minute,
	}
}

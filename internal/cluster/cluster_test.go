package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func startServer(t testing.TB) *Server {
	t.Helper()
	srv, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func connect(t testing.TB, srv *Server, name string) *nats.Conn {
	t.Helper()
	nc, err := srv.Connect(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func startCoordinator(t testing.TB, srv *Server, cfg Config) *Coordinator {
	t.Helper()
	if cfg.Run == "" {
		cfg.Run = "test"
	}
	c, err := NewCoordinator(connect(t, srv, "harness"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// testAgent is an agent serving in the background until stopped.
type testAgent struct {
	*Agent
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// stop ends the agent like a dying process: Run returns, the connection closes.
func (a *testAgent) stop(t testing.TB) {
	t.Helper()
	a.once.Do(func() {
		a.cancel()
		if err := <-a.done; err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			t.Errorf("agent %s: %v", a.ID(), err)
		}
		a.nc.Close()
	})
}

func newTestAgent(t testing.TB, srv *Server, cfg AgentConfig, setup ...func(*Agent)) *testAgent {
	t.Helper()
	if cfg.Run == "" {
		cfg.Run = "test"
	}
	if cfg.Work == nil {
		cfg.Work = echoWork
	}
	cfg.RetryInterval = 100 * time.Millisecond
	nc, err := srv.Connect(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ta := &testAgent{Agent: a, nc: nc, cancel: cancel, done: make(chan error, 1)}
	go func() { ta.done <- a.Run(ctx) }()
	t.Cleanup(func() { ta.stop(t) })
	return ta
}

// echoWork reports its spec back once go arrived.
func echoWork(_ context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
	if err := ready(); err != nil {
		return nil, err
	}
	return spec, nil
}

func assignments(m string, agents ...string) []Assignment {
	as := make([]Assignment, len(agents))
	for i, a := range agents {
		as[i] = Assignment{Measurement: m, Replica: i, Agent: a, Spec: json.RawMessage(fmt.Sprintf(`{"replica":%d}`, i))}
	}
	return as
}

func waitAgents(t testing.TB, c *Coordinator, n int) []AgentInfo {
	t.Helper()
	got, err := c.WaitAgents(context.Background(), n, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestConnectRefusesWrongToken(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct {
		name, token string
	}{
		{"no token", ""},
		{"wrong token", "not-the-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			nc, err := Connect(ConnectOptions{URL: srv.URL, Token: tc.token})
			if err == nil {
				nc.Close()
				t.Fatal("connected without the run's token")
			}
			if !errors.Is(err, nats.ErrAuthorization) || !strings.Contains(err.Error(), "refused our credentials") {
				t.Errorf("error = %v, want an authorization refusal", err)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q shows the token", err)
			}
			t.Logf("refused in %s: %v", time.Since(start), err)
		})
	}
	nc, err := Connect(ConnectOptions{URL: srv.URL, Token: srv.Token})
	if err != nil {
		t.Fatalf("with the token: %v", err)
	}
	nc.Close()
	if !strings.HasPrefix(srv.URL, "nats://127.0.0.1:") {
		t.Errorf("server URL %s, want loopback", srv.URL)
	}
}

func TestEnv(t *testing.T) {
	srv := startServer(t)
	env := map[string]string{}
	for _, kv := range srv.Env("r1") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	o := OptionsFromEnv(func(k string) string { return env[k] })
	if o.URL != srv.URL || o.Token != srv.Token || env[EnvRun] != "r1" {
		t.Fatalf("from env %v: got %+v", env, o)
	}
	nc, err := Connect(o)
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
}

func TestWaitAgentsNamesWhoArrived(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{})
	newTestAgent(t, srv, AgentConfig{ID: "a1", Host: "host-a"})
	newTestAgent(t, srv, AgentConfig{ID: "a2", Host: "host-b"})
	got := waitAgents(t, c, 2)
	if got[0].ID != "a1" || got[1].ID != "a2" || got[0].Protocol != Protocol || got[0].CPUs < 1 {
		t.Fatalf("agents = %+v", got)
	}
	_, err := c.WaitAgents(context.Background(), 3, 200*time.Millisecond)
	if !errors.Is(err, ErrTooFewAgents) {
		t.Fatalf("error = %v, want ErrTooFewAgents", err)
	}
	for _, want := range []string{"2 of 3 agents", "a1 on host-a", "a2 on host-b"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestProtocolMismatch(t *testing.T) {
	srv := startServer(t)
	t.Run("agent speaking another version is refused", func(t *testing.T) {
		c := startCoordinator(t, srv, Config{Run: "p1"})
		nc := connect(t, srv, "old-agent")
		data, _ := json.Marshal(map[string]any{"proto": Protocol + 1, "id": "old"})
		msg, err := nc.Request("sb.p1.register", data, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var reply ack
		if err := json.Unmarshal(msg.Data, &reply); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("speaks scalebench cluster protocol %d, agent old speaks %d", Protocol, Protocol+1)
		if !strings.Contains(reply.Error, want) {
			t.Errorf("reply error %q, want it to contain %q", reply.Error, want)
		}
		_, err = c.WaitAgents(context.Background(), 1, 100*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "refused: old") {
			t.Errorf("WaitAgents error %v does not name the refused agent", err)
		}
	})
	t.Run("agent fails at once against another harness version", func(t *testing.T) {
		nc := connect(t, srv, "new-harness")
		sub, err := nc.Subscribe("sb.p2.register", func(m *nats.Msg) {
			data, _ := json.Marshal(ack{header: header{Proto: Protocol + 1}})
			_ = m.Respond(data)
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		a, err := NewAgent(connect(t, srv, "agent"), AgentConfig{ID: "x", Run: "p2", Work: echoWork})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = a.Run(ctx)
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Local != Protocol || pe.Remote != Protocol+1 {
			t.Fatalf("Run = %v, want a protocol mismatch %d vs %d", err, Protocol, Protocol+1)
		}
		if ctx.Err() != nil {
			t.Error("Run waited for its context instead of failing at once")
		}
	})
}

func TestMeasureRound(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{})
	spy := connect(t, srv, "spy")
	var gos atomic.Int32
	sub, err := spy.Subscribe("sb.test.go", func(*nats.Msg) { gos.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}

	// Agent c reports twice, as it would resend after losing the first
	// acknowledgement; a and b hold their reports until it is done, so the
	// duplicate reaches the harness while the measurement is still open.
	release := make(chan struct{})
	held := func(_ context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		<-release
		return spec, nil
	}
	newTestAgent(t, srv, AgentConfig{ID: "a", Work: held})
	newTestAgent(t, srv, AgentConfig{ID: "b", Work: held})
	newTestAgent(t, srv, AgentConfig{ID: "c"}, func(a *Agent) {
		a.extraReports = 1
		a.afterReport = func() { close(release) }
	})
	waitAgents(t, c, 3)

	as := assignments("m1", "a", "b", "c", "a")
	out, err := c.Measure(context.Background(), as)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != len(as) {
		t.Fatalf("%d results for %d assignments", len(out.Results), len(as))
	}
	for i, r := range out.Results {
		if r.Replica != i || r.Agent != as[i].Agent || string(r.Report) != string(as[i].Spec) || r.GoAt.IsZero() {
			t.Errorf("result %d = %+v, want replica %d from %s with %s", i, r, i, as[i].Agent, as[i].Spec)
		}
	}
	if out.Duplicates != 1 {
		t.Errorf("duplicates = %d, want 1 (agent c sent its report twice)", out.Duplicates)
	}
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := gos.Load(); n != 1 {
		t.Errorf("go broadcast %d times, want once", n)
	}
	if out.Skew < 0 || out.SpecToReady <= 0 || out.GoSent.IsZero() {
		t.Errorf("outcome timings %+v", out)
	}
	t.Logf("spec→ready %s, ready→go %s, go skew %s", out.SpecToReady, out.ReadyToGo, out.Skew)

	// The agents are free for the next measurement.
	release = make(chan struct{})
	if _, err := c.Measure(context.Background(), assignments("m2", "c")); err != nil {
		t.Fatal(err)
	}
}

func TestMeasureRejectsBadAssignments(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{})
	newTestAgent(t, srv, AgentConfig{ID: "a"})
	waitAgents(t, c, 1)
	for _, tc := range []struct {
		name string
		as   []Assignment
		want string
	}{
		{"none", nil, "no assignments"},
		{"unknown agent", assignments("m", "zz"), `agent "zz" is not registered (registered: a)`},
		{"replica twice", append(assignments("m", "a"), assignments("m", "a")...), "replica 0 assigned twice"},
		{"two measurements", append(assignments("m", "a"), Assignment{Measurement: "n", Replica: 1, Agent: "a"}), "one measurement per call"},
		{"bad id", assignments("m.1", "a"), "measurement id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Measure(context.Background(), tc.as)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestWorkFailureAbortsOthers(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{})
	aborted := make(chan error, 1)
	newTestAgent(t, srv, AgentConfig{ID: "a", Work: func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		err := ready()
		aborted <- err
		return nil, err
	}})
	newTestAgent(t, srv, AgentConfig{ID: "b", Work: func(context.Context, json.RawMessage, func() error) (json.RawMessage, error) {
		return nil, errors.New("worker process exited with status 2")
	}})
	waitAgents(t, c, 2)
	_, err := c.Measure(context.Background(), assignments("m1", "a", "b"))
	var re *ReplicaError
	if !errors.Is(err, ErrWork) || !errors.As(err, &re) || re.Agent != "b" || re.Replica != 1 ||
		!strings.Contains(err.Error(), "worker process exited with status 2") {
		t.Fatalf("error = %v, want agent b's work failure", err)
	}
	// a was ready and waiting for go: the abort releases it.
	if err := <-aborted; err == nil {
		t.Error("replica on a got go for an aborted measurement")
	}
	// ...and a serves the next measurement.
	if _, err := c.Measure(context.Background(), assignments("m2", "a")); err != nil {
		t.Errorf("m2 on a: %v", err)
	}
}

func TestSilentAgentDetected(t *testing.T) {
	const hb = 250 * time.Millisecond
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{Heartbeat: hb})
	newTestAgent(t, srv, AgentConfig{ID: "a", Work: func(ctx context.Context, _ json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		<-ctx.Done() // busy until aborted
		return nil, ctx.Err()
	}})
	var silencedAt atomic.Int64
	var b *testAgent
	b = newTestAgent(t, srv, AgentConfig{ID: "b", Work: func(ctx context.Context, _ json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		// The agent freezes: its connection goes, nothing more is sent.
		silencedAt.Store(time.Now().UnixNano())
		b.nc.Close()
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	waitAgents(t, c, 2)
	_, err := c.Measure(context.Background(), assignments("m1", "a", "b"))
	took := time.Since(time.Unix(0, silencedAt.Load()))
	var me *MeasureError
	if !errors.As(err, &me) || !errors.Is(err, ErrSilent) {
		t.Fatalf("error = %v, want a silent replica", err)
	}
	var named bool
	for _, f := range me.Failures {
		named = named || (f.Agent == "b" && f.Replica == 1 && errors.Is(f, ErrSilent))
	}
	if !named {
		t.Errorf("error %v does not name agent b, replica 1", err)
	}
	t.Logf("silence noticed %s after it began (heartbeat %s): %v", took, hb, err)
	if took > 20*hb {
		t.Errorf("silence noticed after %s, want about 2 heartbeats of %s", took, hb)
	}
}

func TestRestartedAgentServesNextMeasurement(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{Heartbeat: time.Second})
	newTestAgent(t, srv, AgentConfig{ID: "a"})
	gotGo := make(chan struct{})
	old := newTestAgent(t, srv, AgentConfig{ID: "b", Work: func(ctx context.Context, _ json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		close(gotGo)
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	waitAgents(t, c, 2)

	errc := make(chan error, 1)
	var partial Outcome
	go func() {
		var err error
		partial, err = c.Measure(context.Background(), assignments("m1", "a", "b"))
		errc <- err
	}()
	<-gotGo
	old.stop(t) // b dies mid-measurement and comes back as a new process
	restarted := newTestAgent(t, srv, AgentConfig{ID: "b"})
	err := <-errc
	if len(partial.Results) > 1 || (len(partial.Results) == 1 && partial.Results[0].Agent != "a") {
		t.Errorf("partial results %+v, want at most a's", partial.Results)
	}
	var re *ReplicaError
	if !errors.As(err, &re) || re.Agent != "b" || !(errors.Is(err, ErrRestarted) || errors.Is(err, ErrSilent)) {
		t.Fatalf("m1 error = %v, want agent b restarted or silent", err)
	}
	t.Logf("m1: %v", err)

	testutil.Eventually(t, 30*time.Second, func() bool {
		return waitAgents(t, c, 2)[1].Incarnation == restarted.Incarnation()
	}, "agent b registered again after its restart")
	out, err := c.Measure(context.Background(), assignments("m2", "a", "b"))
	if err != nil {
		t.Fatalf("m2 after the restart: %v", err)
	}
	if len(out.Results) != 2 {
		t.Fatalf("m2: %d results", len(out.Results))
	}
}

func TestAgentGivesUpOnMissingGo(t *testing.T) {
	srv := startServer(t)
	nc := connect(t, srv, "harness")
	reports := make(chan reportMsg, 1)
	for subject, h := range map[string]nats.MsgHandler{
		"sb.test.register": func(m *nats.Msg) { _ = m.Respond(ackData("s1", nil)) },
		"sb.test.ready":    func(m *nats.Msg) { _ = m.Respond(ackData("s1", nil)) },
		"sb.test.report": func(m *nats.Msg) {
			var r reportMsg
			_ = json.Unmarshal(m.Data, &r)
			_ = m.Respond(ackData("s1", nil))
			reports <- r
		},
	} {
		sub, err := nc.Subscribe(subject, h)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
	}
	ag := newTestAgent(t, srv, AgentConfig{ID: "a"})
	// A harness that assigns, acknowledges ready, and never sends go.
	m := sealedAssign(t, ag.Agent, "s1", "m1", make([]byte, 32))
	m.GoWithin = 300 * time.Millisecond
	data, _ := json.Marshal(m)
	var err error
	testutil.Eventually(t, 10*time.Second, func() bool {
		var reply *nats.Msg
		reply, err = nc.Request("sb.test.agent.a."+ag.Incarnation()+".assign", data, 10*time.Second)
		var got ack
		return err == nil && json.Unmarshal(reply.Data, &got) == nil && got.Error == ""
	}, "the assignment accepted")
	r := <-reports
	if r.Measurement != "m1" || !strings.Contains(r.Error, ErrNoGo.Error()) || r.GoAt != 0 {
		t.Errorf("report %+v, want one saying no go came", r)
	}
}

func TestClockOffset(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{})
	skews := map[string]time.Duration{"ahead": 3*time.Second + 7*time.Millisecond, "behind": -2 * time.Second}
	for id, d := range skews {
		newTestAgent(t, srv, AgentConfig{ID: id, Clock: func() time.Time { return time.Now().Add(d) }})
	}
	for _, a := range waitAgents(t, c, 2) {
		want := skews[a.ID]
		diff := (a.Offset - want).Abs()
		t.Logf("agent %s: offset %s (true %s), rtt %s", a.ID, a.Offset, want, a.RTT)
		if a.ClockErr != "" || a.RTT <= 0 || diff > a.RTT/2+time.Millisecond {
			t.Errorf("agent %s: offset %s, true %s: off by %s, more than half the round trip %s (%s)", a.ID, a.Offset, want, diff, a.RTT, a.ClockErr)
		}
	}
	out, err := c.Measure(context.Background(), assignments("m1", "ahead", "behind"))
	if err != nil {
		t.Fatal(err)
	}
	// Uncorrected, the go stamps would be 5s apart.
	if out.Skew > time.Second {
		t.Errorf("start skew %s: the agents' offsets were not taken out", out.Skew)
	}
	t.Logf("corrected start skew %s", out.Skew)
}

func TestClockSample(t *testing.T) {
	base := time.Unix(1000, 0)
	for _, tc := range []struct {
		name        string
		s           clockSample
		offset, rtt time.Duration
	}{
		{"symmetric", clockSample{base, base.Add(5*time.Second + 10*time.Millisecond), base.Add(5*time.Second + 11*time.Millisecond), base.Add(21 * time.Millisecond)}, 5 * time.Second, 20 * time.Millisecond},
		{"behind", clockSample{base, base.Add(-time.Second + 2*time.Millisecond), base.Add(-time.Second + 2*time.Millisecond), base.Add(4 * time.Millisecond)}, -time.Second, 4 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.offset(); got != tc.offset {
				t.Errorf("offset = %s, want %s", got, tc.offset)
			}
			if got := tc.s.rtt(); got != tc.rtt {
				t.Errorf("rtt = %s, want %s", got, tc.rtt)
			}
		})
	}
	samples := []clockSample{
		{base, base.Add(50 * time.Millisecond), base.Add(50 * time.Millisecond), base.Add(60 * time.Millisecond)},
		{base, base.Add(1 * time.Millisecond), base.Add(1 * time.Millisecond), base.Add(2 * time.Millisecond)},
	}
	if off, rtt, ok := bestOffset(samples); !ok || rtt != 2*time.Millisecond || off != 0 {
		t.Errorf("bestOffset = %s, %s, %v; want the 2ms sample's offset 0", off, rtt, ok)
	}
}

// TestManyAgents runs 200 agents, each on its own connection, through
// registration and one measurement, and checks that the merge adds up.
func TestManyAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("200 agents: skipped in -short mode")
	}
	const n = 200
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{Heartbeat: 2 * time.Second})
	start := time.Now()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("agent-%03d", i)
		newTestAgent(t, srv, AgentConfig{ID: ids[i], Work: func(_ context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
			var s struct{ Replica int }
			if err := json.Unmarshal(spec, &s); err != nil {
				return nil, err
			}
			if err := ready(); err != nil {
				return nil, err
			}
			return json.Marshal(map[string]int{"jobs": s.Replica + 1})
		}})
	}
	waitAgents(t, c, n)
	registered := time.Since(start)
	out, err := c.Measure(context.Background(), assignments("m1", ids...))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, r := range out.Results {
		var rep struct{ Jobs int }
		if err := json.Unmarshal(r.Report, &rep); err != nil {
			t.Fatal(err)
		}
		total += rep.Jobs
	}
	if want := n * (n + 1) / 2; total != want {
		t.Errorf("merged jobs = %d, want the sum of the parts %d", total, want)
	}
	elapsed := time.Since(start)
	t.Logf("%d agents: registered with clocks estimated in %s; measurement (assign, ready, go, reports) in %s (spec→ready %s, go skew %s); total %s",
		n, registered, elapsed-registered, out.SpecToReady, out.Skew, elapsed)
	if elapsed > 60*time.Second {
		t.Errorf("200 agents took %s, want seconds", elapsed)
	}
}

func TestReportSurvivesReconnect(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{Heartbeat: time.Second})
	var a *testAgent
	var dropped atomic.Bool
	a = newTestAgent(t, srv, AgentConfig{ID: "a", AckTimeout: 300 * time.Millisecond, Work: func(_ context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		if dropped.Swap(true) {
			return spec, nil
		}
		// The first time, the connection drops just as the report is due.
		cid, err := a.nc.GetClientID()
		if err != nil {
			return nil, err
		}
		if err := srv.srv.DisconnectClientByID(cid); err != nil {
			return nil, err
		}
		return spec, nil
	}})
	before := waitAgents(t, c, 1)[0]
	out, err := c.Measure(context.Background(), assignments("m1", "a"))
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Results[0].Report) != `{"replica":0}` {
		t.Errorf("report %s", out.Results[0].Report)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		return a.nc.Stats().Reconnects >= 1 && a.nc.IsConnected()
	}, "the agent to reconnect, as the test made it")
	// The agent is the same process after its reconnect: it keeps its place.
	after := waitAgents(t, c, 1)[0]
	if after.Incarnation != before.Incarnation {
		t.Errorf("incarnation changed from %s to %s on a reconnect", before.Incarnation, after.Incarnation)
	}
	if _, err := c.Measure(context.Background(), assignments("m2", "a")); err != nil {
		t.Errorf("m2 after the reconnect: %v", err)
	}
}

func TestAgentsFollowNewHarness(t *testing.T) {
	srv := startServer(t)
	// Agents started before any harness wait for one...
	newTestAgent(t, srv, AgentConfig{ID: "early"})
	first, err := NewCoordinator(connect(t, srv, "harness-1"), Config{Run: "test"})
	if err != nil {
		t.Fatal(err)
	}
	waitAgents(t, first, 1)
	if _, err := first.Measure(context.Background(), assignments("m1", "early")); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// ...and register again with the harness that replaces it.
	second := startCoordinator(t, srv, Config{})
	start := time.Now()
	waitAgents(t, second, 1)
	t.Logf("registered with the new harness in %s", time.Since(start))
	if _, err := second.Measure(context.Background(), assignments("m1", "early")); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkMeasure times one measurement round (assign, ready, go, reports)
// over n agents that do no work, and reports the go skew across them.
func BenchmarkMeasure(b *testing.B) {
	for _, n := range []int{3, 200} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			srv := startServer(b)
			c := startCoordinator(b, srv, Config{Heartbeat: 2 * time.Second})
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("agent-%03d", i)
				newTestAgent(b, srv, AgentConfig{ID: ids[i]})
			}
			waitAgents(b, c, n)
			var skew, toReady time.Duration
			i := 0
			for b.Loop() {
				out, err := c.Measure(context.Background(), assignments(fmt.Sprintf("m%d", i), ids...))
				if err != nil {
					b.Fatal(err)
				}
				skew += out.Skew
				toReady += out.SpecToReady
				i++
			}
			b.ReportMetric(float64(skew.Microseconds())/float64(i), "skew-µs/op")
			b.ReportMetric(float64(toReady.Microseconds())/float64(i), "spec-ready-µs/op")
		})
	}
}

// TestOneShotAgents runs a measurement the way a harness runs it on its own
// machine: one one-shot agent per replica, as a worker process would be.
func TestOneShotAgents(t *testing.T) {
	srv := startServer(t)
	c := startCoordinator(t, srv, Config{})
	ids := []string{"m1-r0", "m1-r1"}
	runs := make(chan error, len(ids))
	for _, id := range ids {
		nc := connect(t, srv, id)
		a, err := NewAgent(nc, AgentConfig{ID: id, Run: "test", Work: echoWork, Once: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		go func() { runs <- a.Run(ctx) }()
	}
	got, err := c.WaitFor(context.Background(), []string{ids[1], ids[0]}, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != ids[1] || got[1].ID != ids[0] {
		t.Errorf("WaitFor returned %s, %s; want the order asked for", got[0].ID, got[1].ID)
	}
	if _, err := c.Measure(context.Background(), assignments("m1", ids...)); err != nil {
		t.Fatal(err)
	}
	for range ids {
		if err := <-runs; err != nil {
			t.Errorf("one-shot agent: %v", err)
		}
	}
	c.Forget(ids...)
	if a := c.Agents(); len(a) != 0 {
		t.Errorf("roster after Forget: %+v", a)
	}
	_, err = c.WaitFor(context.Background(), []string{"m2-r0"}, 100*time.Millisecond)
	if !errors.Is(err, ErrTooFewAgents) || !strings.Contains(err.Error(), "missing m2-r0 of 1 agents") {
		t.Errorf("WaitFor error = %v, want it to name m2-r0", err)
	}
}

func TestHarnessIsMicroService(t *testing.T) {
	srv := startServer(t)
	startCoordinator(t, srv, Config{Run: "r7"})
	msg, err := connect(t, srv, "tool").Request("$SRV.INFO.scalebench-harness", nil, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var info micro.Info
	if err := json.Unmarshal(msg.Data, &info); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, e := range info.Endpoints {
		subjects = append(subjects, e.Subject)
	}
	want := []string{"sb.r7.alive", "sb.r7.ready", "sb.r7.register", "sb.r7.report"}
	slices.Sort(subjects)
	if !slices.Equal(subjects, want) || info.Metadata["run"] != "r7" || info.Metadata["protocol"] != fmt.Sprint(Protocol) {
		t.Errorf("service info: endpoints %v, metadata %v; want %v, run r7, protocol %d", subjects, info.Metadata, want, Protocol)
	}
}

func TestAgentStopsWhenConnectionCloses(t *testing.T) {
	srv := startServer(t)
	startCoordinator(t, srv, Config{})
	nc := connect(t, srv, "agent")
	a, err := NewAgent(nc, AgentConfig{ID: "a", Run: "test", Work: echoWork})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	nc.Close()
	if err := <-done; !errors.Is(err, nats.ErrConnectionClosed) || ctx.Err() != nil {
		t.Errorf("Run = %v, want it to stop at once on a closed connection", err)
	}
}

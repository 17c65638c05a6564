package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Hostile assignments an agent must refuse, checked as its subscription
// would check them.
func TestProbeAgentRefusesAssignments(t *testing.T) {
	srv := startServer(t)
	nc := connect(t, srv, "agent")
	harnessKey, _ := nkeys.CreateUser()
	harnessPub, _ := harnessKey.PublicKey()
	otherKey, _ := nkeys.CreateUser()
	newAgent := func(pinned string) *Agent {
		a, err := NewAgent(nc, AgentConfig{ID: "p", Run: "test", Work: echoWork, HarnessKey: pinned})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	other := newAgent("")
	for _, tc := range []struct {
		name    string
		pinned  bool
		session string // the agent's
		change  func(a *Agent, m *assignMsg) (subject string, kp nkeys.KeyPair)
		want    string // "" to accept
	}{
		{"valid", false, "s1", nil, ""},
		{"no session registered", false, "", nil, "registered with no harness"},
		{"another session", false, "s2", nil, "harness session s1"},
		{"another incarnation", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) {
			m.Incarnation = "0123456789abcdef"
			return "", nil
		}, "assignment for agent"},
		{"another agent id", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { m.Agent = "q"; return "", nil }, "assignment for agent"},
		{"key sealed to another agent", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) {
			*m = sealedAssign(t, other, m.Session, m.Measurement, make([]byte, 32))
			m.Agent, m.Incarnation = a.ID(), a.Incarnation()
			return "", nil
		}, "not sealed to this agent"},
		{"no key", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { m.Key = nil; return "", nil }, "not sealed"},
		{"short key", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) {
			*m = sealedAssign(t, a, m.Session, m.Measurement, []byte("k"))
			return "", nil
		}, "not sealed"},
		{"go deadline of zero", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { m.GoWithin = 0; return "", nil }, "go deadline"},
		{"go deadline of a year", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) {
			m.GoWithin = 365 * 24 * time.Hour
			return "", nil
		}, "go deadline"},
		{"negative heartbeat", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { m.Heartbeat = -1; return "", nil }, "heartbeat"},
		{"measurement id with a wildcard", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { m.Measurement = "m.>"; return "", nil }, "measurement id"},
		{"negative replica", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { m.Replica = -3; return "", nil }, "replica -3"},
		{"another protocol", false, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { m.Proto = 1; return "", nil }, "protocol version mismatch"},
		{"pinned: unsigned", true, "s1", nil, "not signed"},
		{"pinned: signed by another key", true, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { return "", otherKey }, "no valid signature"},
		{"pinned: signed for another agent's subject", true, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) {
			return "sb.test.agent.q.0123456789abcdef.assign", harnessKey
		}, "no valid signature"},
		{"pinned: signed", true, "s1", func(a *Agent, m *assignMsg) (string, nkeys.KeyPair) { return "", harnessKey }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pin := ""
			if tc.pinned {
				pin = harnessPub
			}
			a := newAgent(pin)
			m := sealedAssign(t, a, "s1", "m1", make([]byte, 32))
			subject, kp := "", nkeys.KeyPair(nil)
			if tc.change != nil {
				subject, kp = tc.change(a, &m)
			}
			own := a.subj.assign(a.ID(), a.Incarnation())
			data, _ := json.Marshal(m)
			msg, err := sign(kp, cmpOr(subject, own), data)
			if err != nil {
				t.Fatal(err)
			}
			msg.Subject = own // delivered on the agent's own subject
			var got assignMsg
			_, err = a.checkAssign(msg, &got, tc.session)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("checkAssign = %v, want %q", err, tc.want)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// A measurement under way with its agent busy, and a rogue connection.
type probeRun struct {
	srv     *Server
	c       *Coordinator
	a       *testAgent
	rogue   *nats.Conn
	release chan struct{}
	result  chan error
	out     Outcome
	beat    chan []byte // the agent's genuine heartbeats
}

func startProbe(t *testing.T, cfg Config) *probeRun {
	p := &probeRun{release: make(chan struct{}), result: make(chan error, 1), beat: make(chan []byte, 64)}
	p.srv = startServer(t)
	cfg.Heartbeat = cmpDur(cfg.Heartbeat, 100*time.Millisecond)
	p.c = startCoordinator(t, p.srv, cfg)
	busy := make(chan struct{})
	p.a = newTestAgent(t, p.srv, AgentConfig{ID: "fz", Work: func(ctx context.Context, _ json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		close(busy)
		select {
		case <-p.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return json.RawMessage(`{"real":true}`), nil
	}})
	waitAgents(t, p.c, 1)
	p.rogue = connect(t, p.srv, "rogue")
	sub, err := p.rogue.Subscribe("sb.test.hb", func(m *nats.Msg) {
		select {
		case p.beat <- m.Data:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	go func() {
		var err error
		p.out, err = p.c.Measure(context.Background(), assignments("m1", "fz"))
		p.result <- err
	}()
	<-busy
	return p
}

func cmpDur(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

// finish lets the replica report and returns the measurement's outcome.
func (p *probeRun) finish(t *testing.T) (Outcome, error) {
	close(p.release)
	err := <-p.result
	return p.out, err
}

func (p *probeRun) request(t *testing.T, subject string, v any) ack {
	t.Helper()
	data, ok := v.([]byte)
	if !ok {
		data, _ = json.Marshal(v)
	}
	msg, err := p.rogue.Request(subject, data, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var reply ack
	_ = json.Unmarshal(msg.Data, &reply)
	return reply
}

// Hostile messages to a harness with a measurement under way: each is
// refused or ignored, and the measurement ends with the agent's own report.
func TestProbeCoordinatorRefusesForgeries(t *testing.T) {
	var warned []string
	p := startProbe(t, Config{Warn: func(err error) { warned = append(warned, err.Error()) }})
	genuine := <-p.beat
	var hb replicaMsg
	if err := json.Unmarshal(genuine, &hb); err != nil {
		t.Fatal(err)
	}
	report := reportMsg{replicaMsg: hb, GoAt: time.Now().UnixNano(), Result: json.RawMessage(`{"jobs":77777}`)}
	for _, tc := range []struct {
		name    string
		subject string
		msg     any
		refused string // the ack's error, "" for an acknowledgement without one
	}{
		{"report with a heartbeat's MAC", "sb.test.report", report, "not made with its assignment's key"},
		{"report without a MAC", "sb.test.report", func() reportMsg { r := report; r.MAC = nil; return r }(), "not made with"},
		{"ready with a heartbeat's MAC", "sb.test.ready", hb, "not made with"},
		{"report of another session", "sb.test.report", func() reportMsg { r := report; r.Session = "other"; return r }(), ""},
		{"register with another process under the live id", "sb.test.register",
			registerMsg{header: hdr(), ID: "fz", Host: "h", Incarnation: "0123456789abcdef", Key: p.a.curvePub}, "taken by a live agent"},
		{"register with no curve key", "sb.test.register", registerMsg{header: hdr(), ID: "n1", Incarnation: "x1"}, "curve key"},
		{"register with a wildcard id", "sb.test.register", registerMsg{header: hdr(), ID: "a.>", Incarnation: "x1", Key: p.a.curvePub}, "agent id"},
		{"register with absurd CPUs", "sb.test.register", registerMsg{header: hdr(), ID: "n2", Incarnation: "x1", Key: p.a.curvePub, CPUs: 1 << 40}, "CPUs"},
		{"register in protocol 1", "sb.test.register", registerMsg{header: header{Proto: 1}, ID: "old", Incarnation: "x1"}, "protocol version mismatch"},
		{"not JSON", "sb.test.report", []byte("\x00\xff"), "decode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := p.request(t, tc.subject, tc.msg)
			if tc.refused == "" && reply.Error != "" || tc.refused != "" && !strings.Contains(reply.Error, tc.refused) {
				t.Errorf("reply %q, want %q", reply.Error, tc.refused)
			}
		})
	}
	t.Run("registration with terminal escapes is printed inert", func(t *testing.T) {
		m := registerMsg{header: hdr(), ID: "esc", Host: "evil\x1b[2J\nhost", Incarnation: "x2", Key: p.a.curvePub, Version: "v"}
		if r := p.request(t, "sb.test.register", m); r.Error != "" {
			t.Fatal(r.Error)
		}
		p.c.mu.Lock()
		host := p.c.agents["esc"].info.Host
		p.c.mu.Unlock()
		if strings.ContainsAny(host, "\x1b\n") {
			t.Errorf("host %q kept its control characters", host)
		}
	})
	// Replayed and forged heartbeats do not count: stop the agent's own by
	// replaying an old one for longer than two heartbeats is covered by
	// TestProbeForgedHeartbeatsKeepNoReplicaAlive.
	out, err := p.finish(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out.Results[0].Report); got != `{"real":true}` {
		t.Errorf("recorded %s, want the agent's own report", got)
	}
	if out.Forged < 2 {
		t.Errorf("%d forged reports counted, want at least 2", out.Forged)
	}
	if !strings.Contains(strings.Join(warned, "\n"), "forged message") {
		t.Errorf("no warning of the forged messages: %q", warned)
	}
}

// A replica whose agent has gone is found silent although a rogue replays
// its genuine heartbeats and forges new ones.
func TestProbeForgedHeartbeatsKeepNoReplicaAlive(t *testing.T) {
	p := startProbe(t, Config{Heartbeat: 200 * time.Millisecond})
	genuine := <-p.beat
	var hb replicaMsg
	_ = json.Unmarshal(genuine, &hb)
	p.a.nc.Close() // the agent falls silent
	deadline := time.Now().Add(30 * time.Second)
	var err error
	for seq := hb.Seq + 1; time.Now().Before(deadline); seq++ {
		_ = p.rogue.Publish("sb.test.hb", genuine) // replayed
		forged := hb
		forged.Seq = seq
		data, _ := json.Marshal(forged)
		_ = p.rogue.Publish("sb.test.hb", data) // a later number, the old MAC
		select {
		case err = <-p.result:
		case <-time.After(50 * time.Millisecond):
			continue
		}
		break
	}
	if !errors.Is(err, ErrSilent) {
		t.Fatalf("Measure = %v, want the replica silent despite the forged heartbeats", err)
	}
	close(p.release)
}

// Go and abort of another session neither start nor stop a replica, and
// a flood of hellos with new sessions does not unseat the agent.
func TestProbeBroadcastsOfAnotherSession(t *testing.T) {
	p := startProbe(t, Config{})
	for _, m := range []struct {
		subject string
		msg     goMsg
	}{
		{"sb.test.abort", goMsg{header: hdr(), Session: "other", Measurement: "m1", Reason: "\x1b[2Jforged"}},
		{"sb.test.abort", goMsg{header: hdr(), Measurement: "m1"}},
		{"sb.test.go", goMsg{header: hdr(), Session: "other", Measurement: "m1"}},
	} {
		data, _ := json.Marshal(m.msg)
		if err := p.rogue.Publish(m.subject, data); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		data, _ := json.Marshal(helloMsg{header: hdr(), Session: "s" + string(rune('a'+i%26))})
		_ = p.rogue.Publish("sb.test.hello", data)
	}
	if err := p.rogue.Flush(); err != nil {
		t.Fatal(err)
	}
	// The clock answers once the agent handled what came before.
	if _, err := p.rogue.Request(p.a.subj.clock("fz", p.a.Incarnation()), []byte(`{"proto":2}`), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	out, err := p.finish(t)
	if err != nil {
		t.Fatalf("the measurement under foreign broadcasts: %v", err)
	}
	if string(out.Results[0].Report) != `{"real":true}` {
		t.Errorf("report %s", out.Results[0].Report)
	}
}

// With a signing key and a pinned harness key the protocol runs end to
// end; an agent pinning another key never registers.
func TestProbeSignedHarness(t *testing.T) {
	srv := startServer(t)
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	c := startCoordinator(t, srv, Config{SignKey: kp})
	newTestAgent(t, srv, AgentConfig{ID: "signed", HarnessKey: pub})
	other, _ := nkeys.CreateUser()
	otherPub, _ := other.PublicKey()
	newTestAgent(t, srv, AgentConfig{ID: "wrongpin", HarnessKey: otherPub})
	waitAgents(t, c, 2)
	out, err := c.Measure(context.Background(), assignments("m1", "signed"))
	if err != nil || len(out.Results) != 1 {
		t.Fatalf("signed measurement: %v", err)
	}
	// The harness cannot tell, but the agent pinning another key took no
	// session from it and refuses its assignments.
	_, err = c.Measure(context.Background(), assignments("m2", "wrongpin"))
	if !errors.Is(err, ErrAssign) {
		t.Errorf("measure on the agent pinning another key: %v, want its assignment refused", err)
	}
	for _, a := range c.Agents() {
		if a.ID == "wrongpin" && a.ClockErr == "" {
			t.Errorf("agent %s: clock offset %s from pongs it refused", a.ID, a.Offset)
		}
	}
}

// A message larger than the server allows is refused by the server and
// stops nobody.
func TestProbeOversizedMessage(t *testing.T) {
	p := startProbe(t, Config{})
	big := make([]byte, maxPayload+1)
	if err := p.rogue.Publish("sb.test.go", big); err == nil {
		_ = p.rogue.Flush()
	}
	running(t, p.a)
	if _, err := p.finish(t); err != nil {
		t.Fatal(err)
	}
}

package cluster

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/nats-io/nkeys"
)

// Config configures a Coordinator. Zero values take the defaults shown.
type Config struct {
	// Run scopes every subject: sb.<Run>.…; letters, digits, '-' and '_'.
	Run string
	// Heartbeat is how often a busy agent reports each replica alive (500ms);
	// a replica silent for two intervals has failed.
	Heartbeat time.Duration
	// GoTimeout bounds the wait for every replica to be ready (60s); agents
	// stop waiting for the go signal this long after an assignment arrived.
	GoTimeout time.Duration
	// AckTimeout bounds each request's wait for its acknowledgement (5s).
	AckTimeout time.Duration
	// ClockSamples is the number of ping-pongs per clock-offset estimate (8).
	ClockSamples int
	// Clock is the harness's wall clock (time.Now).
	Clock func() time.Time
	// Version is the harness's release; an agent reporting another is
	// admitted with a warning.
	Version string
	// Warn, if set, receives what an operator should know but that fails
	// nothing: an agent of another version, a refused registration, a
	// forged or malformed message.
	Warn func(error)
	// SignKey, if set, signs every message to the agents (an NKey the
	// agents pin with AgentConfig.HarnessKey).
	SignKey nkeys.KeyPair
	// CheckReport, if set, checks a replica's successful report against
	// the time since go, on the harness's clock, when it arrived; an error
	// fails the replica (ErrImplausible).
	CheckReport func(report json.RawMessage, sinceGo time.Duration) error
	// ServerGrace is how long the connection to the NATS server may be
	// down before waits and measurements fail with ErrServerLost (5s, and
	// at least two heartbeats).
	ServerGrace time.Duration
	// Progress, if set, is called with each progress message of a replica
	// of a measurement under way (an agent's SendProgress), one at a time
	// in the order they arrive. It must return at once: messages wait for
	// it.
	Progress func(Progress)
}

// Progress is what a replica sent while it measured: Data as its agent's
// work function gave it.
type Progress struct {
	Measurement string
	Replica     int
	Agent       string
	Data        json.RawMessage
}

func (c Config) withDefaults() Config {
	c.Heartbeat = cmp.Or(c.Heartbeat, 500*time.Millisecond)
	c.ServerGrace = max(cmp.Or(c.ServerGrace, 5*time.Second), 2*c.Heartbeat)
	c.GoTimeout = cmp.Or(c.GoTimeout, 60*time.Second)
	c.AckTimeout = cmp.Or(c.AckTimeout, 5*time.Second)
	c.ClockSamples = cmp.Or(c.ClockSamples, 8)
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// AgentInfo is what an agent said about itself when it registered, and its
// clock offset as the harness estimated it.
type AgentInfo struct {
	ID          string    `json:"id"`
	Host        string    `json:"host"`
	CPUs        int       `json:"cpus"`
	Version     string    `json:"version"`
	Protocol    int       `json:"protocol"`
	Incarnation string    `json:"incarnation"`
	Registered  time.Time `json:"registered"`
	// Offset is the agent's clock minus the harness's; RTT is the round trip
	// of the ping-pong it came from, twice the offset's worst error.
	Offset time.Duration `json:"offset"`
	RTT    time.Duration `json:"rtt"`
	// ClockErr says why no offset could be estimated (Offset is then 0).
	ClockErr string `json:"clock_error,omitempty"`
	// Workloads are the workloads the agent's executable has; none from
	// an agent of a release before workloads had names.
	Workloads []string `json:"workloads,omitempty"`
	// Progress says the agent sends its replicas' progress when their
	// specs ask (AgentConfig.Progress).
	Progress bool `json:"progress,omitempty"`
}

// Assignment is replica Replica of measurement Measurement, to run on agent
// Agent with Spec, an opaque payload handed to the agent's Work function.
type Assignment struct {
	Measurement string
	Replica     int
	Agent       string
	Spec        json.RawMessage
}

// Result is one replica's report.
type Result struct {
	Replica int
	Agent   string
	Report  json.RawMessage
	// GoAt is when the replica received the go signal, on the agent's clock
	// corrected by its estimated offset, so on the harness's timeline.
	GoAt time.Time
}

// Outcome is one measurement: the replicas' results in the order of the
// assignments, and how the start went.
type Outcome struct {
	Measurement string
	Results     []Result
	// SpecToReady runs from sending the assignments to the last ready;
	// ReadyToGo from the last ready to the go broadcast.
	SpecToReady, ReadyToGo time.Duration
	// GoSent is when the go signal was broadcast, on the harness's clock.
	GoSent time.Time
	// Skew is the spread of the replicas' go receipt times (latest minus
	// earliest), corrected by the agents' clock offsets.
	Skew time.Duration
	// Duplicates counts reports received again and dropped.
	Duplicates int
	// Forged counts reports refused because they were not made with their
	// assignment's key.
	Forged int
}

// ReplicaError says which replica on which agent failed, and why.
type ReplicaError struct {
	Measurement string
	Replica     int
	Agent       string
	Err         error
}

func (e *ReplicaError) Error() string {
	return fmt.Sprintf("agent %s, replica %d: %v", e.Agent, e.Replica, e.Err)
}

func (e *ReplicaError) Unwrap() error { return e.Err }

// MeasureError is a measurement that failed, naming every failed replica.
type MeasureError struct {
	Measurement string
	Failures    []*ReplicaError
	// Err is set when the measurement stopped for another reason (context).
	Err error
}

func (e *MeasureError) Error() string {
	var parts []string
	for _, f := range e.Failures {
		parts = append(parts, f.Error())
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return fmt.Sprintf("cluster: measurement %s failed: %s", e.Measurement, strings.Join(parts, "; "))
}

func (e *MeasureError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failures)+1)
	for _, f := range e.Failures {
		errs = append(errs, f)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Coordinator is the harness's side of the protocol: it keeps the roster
// of registered agents and runs measurements on them.
type Coordinator struct {
	nc      *nats.Conn
	cfg     Config
	subj    subjects
	session string
	curve   nkeys.KeyPair // seals assignments' keys
	from    string        // curve's public key
	url     string        // the server's, redacted
	svc     micro.Service
	hbSub   *nats.Subscription
	// progressSub receives replicas' progress, when Config.Progress is set.
	progressSub *nats.Subscription
	ctx         context.Context
	cancel      context.CancelFunc
	wg          sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced on every change
	agents  map[string]*agentState
	refused map[string]string // agent id → why its registration was refused
	rounds  map[string]*round
	// downSince is when the connection to the server went, zero while up.
	downSince time.Time
}

type agentState struct {
	info      AgentInfo
	key       string // curve public key
	clockDone bool
}

type round struct {
	id     string
	reps   map[int]*replicaState
	dups   int
	forged int
	goSent time.Time // zero until go was broadcast
}

type replicaState struct {
	agent, incarnation string
	key                []byte    // the assignment's secret
	seq                int64     // the last heartbeat's number
	lastSeen           time.Time // zero until the assignment was accepted
	readyAt            time.Time
	report             *reportMsg
	failure            error
	progressSeq        int64 // the last progress message's number
}

// NewCoordinator starts serving the run's harness endpoints on nc (as the
// NATS micro service "scalebench-harness") and announces itself, so agents
// already waiting register. Close stops it; nc stays the caller's.
func NewCoordinator(nc *nats.Conn, cfg Config) (*Coordinator, error) {
	cfg = cfg.withDefaults()
	subj, err := newSubjects(cfg.Run)
	if err != nil {
		return nil, err
	}
	session, err := NewToken()
	if err != nil {
		return nil, err
	}
	curve, err := nkeys.CreateCurveKeys()
	if err != nil {
		return nil, fmt.Errorf("cluster: harness curve key: %w", err)
	}
	from, _ := curve.PublicKey()
	c := &Coordinator{
		nc: nc, cfg: cfg, subj: subj, session: session[:16], curve: curve, from: from,
		url:     RedactURL(nc.ConnectedUrl()),
		changed: make(chan struct{}),
		agents:  map[string]*agentState{},
		refused: map[string]string{},
		rounds:  map[string]*round{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.svc, err = micro.AddService(nc, micro.Config{
		Name:        "scalebench-harness",
		Version:     fmt.Sprintf("%d.0.0", Protocol),
		Description: "scalebench harness: agent registration, replica ready and reports",
		Metadata:    map[string]string{"run": cfg.Run, "protocol": fmt.Sprint(Protocol)},
	})
	if err != nil {
		c.cancel()
		return nil, fmt.Errorf("cluster: start harness service: %w", err)
	}
	for _, ep := range []struct {
		name, subject string
		h             func(micro.Request)
	}{
		{"register", subj.register(), c.onRegister},
		{"ready", subj.ready(), c.onReady},
		{"report", subj.report(), c.onReport},
		{"alive", subj.alive(), func(req micro.Request) { c.respond(req, nil) }},
	} {
		if err := c.svc.AddEndpoint(ep.name, micro.HandlerFunc(ep.h), micro.WithEndpointSubject(ep.subject)); err != nil {
			c.Close()
			return nil, fmt.Errorf("cluster: start harness service: endpoint %s: %w", ep.name, err)
		}
	}
	if c.hbSub, err = nc.Subscribe(subj.heartbeat(), c.onHeartbeat); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster: subscribe to heartbeats: %w", err)
	}
	if cfg.Progress != nil {
		if c.progressSub, err = nc.Subscribe(subj.progress(), c.onProgress); err != nil {
			c.Close()
			return nil, fmt.Errorf("cluster: subscribe to progress: %w", err)
		}
	}
	if err := c.publish(subj.hello(), helloMsg{header: hdr(), Session: c.session}); err != nil {
		c.Close()
		return nil, err
	}
	// Once the server has our subscriptions, agents can register.
	if err := nc.Flush(); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster: start harness: %w", err)
	}
	return c, nil
}

// Close stops serving and waits for clock estimations under way.
func (c *Coordinator) Close() error {
	c.cancel()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	var errs []error
	if c.hbSub != nil {
		errs = append(errs, c.hbSub.Unsubscribe())
	}
	if c.progressSub != nil {
		errs = append(errs, c.progressSub.Unsubscribe())
	}
	if c.svc != nil {
		errs = append(errs, c.svc.Stop())
	}
	c.wg.Wait()
	if err := errors.Join(errs...); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("cluster: close coordinator: %w", err)
	}
	return nil
}

// Agents returns the registered agents whose clocks were estimated, by id.
func (c *Coordinator) Agents() []AgentInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.arrived()
}

func (c *Coordinator) arrived() []AgentInfo {
	var out []AgentInfo
	for _, a := range c.agents {
		if a.clockDone {
			out = append(out, a.info)
		}
	}
	slices.SortFunc(out, func(a, b AgentInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// WaitAgents waits until at least n agents registered and had their clocks
// estimated, or timeout passed. It returns the agents that arrived; with
// fewer than n the error (ErrTooFewAgents) names them and any refused.
func (c *Coordinator) WaitAgents(ctx context.Context, n int, timeout time.Duration) ([]AgentInfo, error) {
	return c.wait(ctx, timeout, fmt.Sprintf("%d agents", n), func(got []AgentInfo) (bool, string) {
		return len(got) >= n, fmt.Sprintf("%d of %d agents arrived", len(got), n)
	})
}

// WaitFor waits until the agents named ids registered and had their clocks
// estimated, or timeout passed; it returns them in the order of ids. With
// some missing, the error (ErrTooFewAgents) names who is missing and who
// arrived.
func (c *Coordinator) WaitFor(ctx context.Context, ids []string, timeout time.Duration) ([]AgentInfo, error) {
	got, err := c.wait(ctx, timeout, strings.Join(ids, ", "), func(got []AgentInfo) (bool, string) {
		var missing []string
		for _, id := range ids {
			if !slices.ContainsFunc(got, func(a AgentInfo) bool { return a.ID == id }) {
				missing = append(missing, id)
			}
		}
		return len(missing) == 0, fmt.Sprintf("missing %s of %d agents", strings.Join(missing, ", "), len(ids))
	})
	if err != nil {
		return got, err
	}
	out := make([]AgentInfo, len(ids))
	for i, id := range ids {
		j := slices.IndexFunc(got, func(a AgentInfo) bool { return a.ID == id })
		out[i] = got[j]
	}
	return out, nil
}

// Forget drops agents from the roster, such as one-shot agents that have
// exited; an agent that registers again is back.
func (c *Coordinator) Forget(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.agents, id)
	}
}

// wait waits until enough says the arrived agents suffice; its text
// describes the shortfall for the error.
func (c *Coordinator) wait(ctx context.Context, timeout time.Duration, what string, enough func([]AgentInfo) (bool, string)) ([]AgentInfo, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, context.DeadlineExceeded)
	defer cancel()
	tick := time.NewTicker(c.cfg.ServerGrace / 4)
	defer tick.Stop()
	for {
		lost := c.serverLost()
		c.mu.Lock()
		got, changed := c.arrived(), c.changed
		refused := make([]string, 0, len(c.refused))
		for id, why := range c.refused {
			refused = append(refused, fmt.Sprintf("%s (%s)", id, why))
		}
		c.mu.Unlock()
		ok, shortfall := enough(got)
		if ok {
			return got, nil
		}
		if lost == nil {
			select {
			case <-changed:
				continue
			case <-tick.C:
				continue
			case <-ctx.Done():
			}
		}
		names := make([]string, len(got))
		for i, a := range got {
			names[i] = fmt.Sprintf("%s on %s", a.ID, a.Host)
		}
		who := "none"
		if len(names) > 0 {
			who = strings.Join(names, ", ")
		}
		msg := fmt.Sprintf("%s within %s on run %s; arrived: %s", shortfall, timeout, c.cfg.Run, who)
		if len(refused) > 0 {
			slices.Sort(refused)
			msg += "; refused: " + strings.Join(refused, ", ")
		}
		if lost != nil {
			return got, fmt.Errorf("cluster: wait for %s: %w (%s)", what, lost, msg)
		}
		if ctx.Err() == context.DeadlineExceeded {
			return got, fmt.Errorf("cluster: %w: %s", ErrTooFewAgents, msg)
		}
		return got, fmt.Errorf("cluster: wait for %s: %w (%s)", what, context.Cause(ctx), msg)
	}
}

// notify wakes everyone waiting for a change; c.mu must be held.
func (c *Coordinator) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// serverLost returns ErrServerLost, with the server and for how long, once
// the connection has been down for ServerGrace; it notes when it went.
func (c *Coordinator) serverLost() error {
	up := c.nc.IsConnected()
	c.mu.Lock()
	defer c.mu.Unlock()
	if up {
		if !c.downSince.IsZero() {
			// Back: every replica gets a fresh start on its heartbeats.
			now := time.Now()
			for _, r := range c.rounds {
				for _, rs := range r.reps {
					if !rs.lastSeen.IsZero() {
						rs.lastSeen = now
					}
				}
			}
			c.downSince = time.Time{}
		}
		return nil
	}
	if c.downSince.IsZero() {
		c.downSince = time.Now()
	}
	down := time.Since(c.downSince)
	if down < c.cfg.ServerGrace {
		return nil
	}
	why := ""
	if err := c.nc.LastError(); err != nil {
		why = ": " + RedactURL(err.Error())
	}
	return fmt.Errorf("%w %s %s ago; no agent is to blame%s", ErrServerLost, c.url, down.Round(time.Millisecond), why)
}

// serverDown reports whether the connection to the server is down now.
func (c *Coordinator) serverDown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.downSince.IsZero()
}

// warn hands err to Config.Warn.
func (c *Coordinator) warn(err error) {
	if c.cfg.Warn != nil {
		c.cfg.Warn(err)
	}
}

// respond acknowledges req, signed when the harness has a key.
func (c *Coordinator) respond(req micro.Request, err error) {
	data := ackData(c.session, err)
	msg, serr := sign(c.cfg.SignKey, replySubject, data)
	if serr != nil {
		_ = req.Respond(ackData(c.session, serr))
		return
	}
	_ = req.Respond(data, micro.WithHeaders(micro.Headers(msg.Header)))
}

func (c *Coordinator) publish(subject string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cluster: encode %s: %w", subject, err)
	}
	msg, err := sign(c.cfg.SignKey, subject, data)
	if err != nil {
		return err
	}
	if err := c.nc.PublishMsg(msg); err != nil {
		return fmt.Errorf("cluster: publish %s: %w", subject, err)
	}
	return nil
}

// Bounds of what an agent says about itself.
const (
	maxHostLen    = 253
	maxVersionLen = 64
	maxWorkloads  = 1000
	maxCPUs       = 1 << 16
)

func (c *Coordinator) onRegister(req micro.Request) {
	var m registerMsg
	if err := decode(req.Data(), &m, "agent"); err != nil {
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(req.Data(), &id)
		name := "(unnamed)"
		if ValidID(id.ID) == nil {
			name = id.ID
		}
		var pe *ProtocolError
		if errors.As(err, &pe) {
			pe.Peer = "agent " + name
		}
		c.refuse(name, err)
		c.respond(req, err)
		return
	}
	if err := c.checkRegister(&m); err != nil {
		name := "(unnamed)"
		if ValidID(m.ID) == nil {
			name = m.ID
		}
		c.refuse(name, err)
		c.respond(req, err)
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.respond(req, errors.New("the harness is shutting down"))
		return
	}
	prev, ok := c.agents[m.ID]
	c.wg.Add(1)
	c.mu.Unlock()
	if !ok || prev.info.Incarnation == m.Incarnation {
		defer c.wg.Done()
		c.admit(req, m)
		return
	}
	// Another process under a registered id: a restart, or a second live
	// process. Asking the first one takes a round trip; answer meanwhile.
	go func() {
		defer c.wg.Done()
		if c.alive(m.ID, prev.info.Incarnation) {
			err := fmt.Errorf("%w: agent id %s is taken by a live agent process on host %s (since %s); give each agent process its own --id",
				ErrIDTaken, m.ID, prev.info.Host, prev.info.Registered.Format(time.TimeOnly))
			c.refuse(m.ID+" on "+printable(m.Host, maxHostLen), err)
			c.respond(req, err)
			return
		}
		c.admit(req, m)
	}()
}

// checkRegister checks what an agent says about itself, and makes its
// host and version fit to print.
func (c *Coordinator) checkRegister(m *registerMsg) error {
	if err := checkToken("agent id", m.ID); err != nil {
		return err
	}
	if err := checkToken("agent incarnation", m.Incarnation); err != nil {
		return err
	}
	if _, err := nkeys.Decode(nkeys.PrefixByteCurve, []byte(m.Key)); err != nil {
		return fmt.Errorf("cluster: agent %s: curve key %s: %w", m.ID, printable(m.Key, 64), err)
	}
	if m.CPUs < 0 || m.CPUs > maxCPUs {
		return fmt.Errorf("cluster: agent %s: %d CPUs, want 0..%d", m.ID, m.CPUs, maxCPUs)
	}
	m.Host = printable(m.Host, maxHostLen)
	if len(m.Version) > maxVersionLen {
		m.Version = m.Version[:maxVersionLen]
	}
	if len(m.Workloads) > maxWorkloads {
		return fmt.Errorf("cluster: agent %s: %d workloads, want at most %d", m.ID, len(m.Workloads), maxWorkloads)
	}
	for i, w := range m.Workloads {
		m.Workloads[i] = printable(w, maxVersionLen)
	}
	return nil
}

// refuse records why the agent named id was refused, and warns.
func (c *Coordinator) refuse(id string, err error) {
	c.mu.Lock()
	c.refused[id] = err.Error()
	c.notify()
	c.mu.Unlock()
	c.warn(fmt.Errorf("refused the registration of agent %s: %w", id, err))
}

// alive reports whether the agent process inc answers on its own subject.
func (c *Coordinator) alive(agent, inc string) bool {
	ctx, cancel := context.WithTimeout(c.ctx, min(c.cfg.AckTimeout, 2*time.Second))
	defer cancel()
	_, err := c.ping(ctx, agent, inc)
	// Any answer, a refusal too, comes from a live process.
	return err == nil || strings.Contains(err.Error(), "refused")
}

// admit enters m in the roster, replacing an earlier process of its id,
// acknowledges it and estimates its clock.
func (c *Coordinator) admit(req micro.Request, m registerMsg) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.respond(req, errors.New("the harness is shutting down"))
		return
	}
	prev, ok := c.agents[m.ID]
	fresh := !ok || prev.info.Incarnation != m.Incarnation
	if fresh {
		if ok {
			c.failAgent(m.ID, prev.info.Incarnation, fmt.Errorf("%w: it registered again as a new process", ErrRestarted))
		}
		c.agents[m.ID] = &agentState{key: m.Key, info: AgentInfo{
			ID: m.ID, Host: m.Host, CPUs: m.CPUs, Version: m.Version, Protocol: m.Proto,
			Incarnation: m.Incarnation, Registered: c.cfg.Clock(), Workloads: m.Workloads,
			Progress: m.Progress,
		}}
	}
	// The same process after a reconnect keeps its place and its clock
	// estimate until the new one is in.
	delete(c.refused, m.ID)
	c.notify()
	c.wg.Add(1)
	c.mu.Unlock()
	if fresh && c.cfg.Version != "" && m.Version != c.cfg.Version {
		c.warn(fmt.Errorf("agent %s on %s reports version %s, this harness is %s: its measurements may not compare; run the same scalebench release on every machine",
			m.ID, m.Host, strconv.QuoteToASCII(m.Version), strconv.QuoteToASCII(c.cfg.Version)))
	}
	c.respond(req, nil)
	go func() {
		defer c.wg.Done()
		c.estimateClock(m.ID, m.Incarnation)
	}()
}

// failAgent fails every outstanding replica that incarnation of agent runs;
// c.mu must be held.
func (c *Coordinator) failAgent(agent, incarnation string, err error) {
	for _, r := range c.rounds {
		for _, rs := range r.reps {
			if rs.agent == agent && rs.incarnation == incarnation && rs.report == nil && rs.failure == nil {
				rs.failure = err
			}
		}
	}
}

// estimateClock ping-pongs with the agent and records the offset of the
// sample with the smallest round trip.
func (c *Coordinator) estimateClock(agent, incarnation string) {
	var samples []clockSample
	var lastErr error
	for range c.cfg.ClockSamples {
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.AckTimeout)
		s, err := c.ping(ctx, agent, incarnation)
		cancel()
		if err != nil {
			lastErr = err
			if c.ctx.Err() != nil {
				return
			}
			continue
		}
		samples = append(samples, s)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.agents[agent]
	if !ok || a.info.Incarnation != incarnation {
		return // registered again meanwhile; that estimate counts
	}
	if off, rtt, ok := bestOffset(samples); ok {
		a.info.Offset, a.info.RTT, a.info.ClockErr = off, rtt, ""
	} else if !a.clockDone {
		a.info.ClockErr = fmt.Sprintf("no clock sample answered: %v", lastErr)
	}
	a.clockDone = true
	c.notify()
}

func (c *Coordinator) ping(ctx context.Context, agent, inc string) (clockSample, error) {
	t0 := c.cfg.Clock()
	data, _ := json.Marshal(clockMsg{header: hdr(), T0: t0.UnixNano()})
	out, err := sign(c.cfg.SignKey, c.subj.clock(agent, inc), data)
	if err != nil {
		return clockSample{}, err
	}
	msg, err := c.nc.RequestMsgWithContext(ctx, out)
	t3 := c.cfg.Clock()
	if err != nil {
		return clockSample{}, fmt.Errorf("cluster: clock ping to agent %s: %w", agent, err)
	}
	var pong struct {
		clockMsg
		Error string `json:"error"`
	}
	if err := decode(msg.Data, &pong, "agent "+agent); err != nil {
		return clockSample{}, err
	}
	if pong.Error != "" || pong.T1 == 0 || pong.T2 == 0 {
		return clockSample{}, fmt.Errorf("cluster: clock ping to agent %s: refused: %s", agent, printable(pong.Error, 1024))
	}
	return clockSample{t0: t0, t1: time.Unix(0, pong.T1), t2: time.Unix(0, pong.T2), t3: t3}, nil
}

// replica finds the state a replica message refers to, if it is current;
// c.mu must be held.
func (c *Coordinator) replica(m replicaMsg) (*round, *replicaState, error) {
	if m.Session != c.session {
		return nil, nil, fmt.Errorf("session %s is not this harness's", printable(m.Session, 32))
	}
	r, ok := c.rounds[m.Measurement]
	if !ok {
		return nil, nil, fmt.Errorf("measurement %s is not under way", m.Measurement)
	}
	rs, ok := r.reps[m.Replica]
	if !ok || rs.agent != m.Agent || rs.incarnation != m.Incarnation {
		return r, nil, fmt.Errorf("replica %d of measurement %s is not assigned to this agent process", m.Replica, m.Measurement)
	}
	return r, rs, nil
}

// errForgedMAC refuses a message whose HMAC is not its assignment's.
func errForgedMAC(what string, m replicaMsg) error {
	return fmt.Errorf("cluster: %w: %s for replica %d of measurement %s not made with its assignment's key",
		ErrForged, what, m.Replica, printable(m.Measurement, 64))
}

func (c *Coordinator) onReady(req micro.Request) {
	var m replicaMsg
	if err := decode(req.Data(), &m, "agent"); err != nil {
		c.respond(req, err)
		return
	}
	c.mu.Lock()
	_, rs, err := c.replica(m)
	switch {
	case err != nil:
	case !hmac.Equal(m.MAC, m.macOf(rs.key, macReady)):
		err = errForgedMAC("ready", m)
	case rs.failure != nil:
		err = fmt.Errorf("replica %d of measurement %s has failed: %v", m.Replica, m.Measurement, rs.failure)
	case rs.readyAt.IsZero():
		rs.readyAt = c.cfg.Clock()
		rs.lastSeen = time.Now()
		c.notify()
	}
	c.mu.Unlock()
	if errors.Is(err, ErrForged) {
		c.warn(err)
	}
	c.respond(req, err)
}

func (c *Coordinator) onReport(req micro.Request) {
	var m reportMsg
	if err := decode(req.Data(), &m, "agent"); err != nil {
		c.respond(req, err)
		return
	}
	arrived := c.cfg.Clock()
	c.mu.Lock()
	r, rs, err := c.replica(m.replicaMsg)
	var refusal error
	switch {
	case err != nil:
		// Stale (the measurement ended or moved on): acknowledge so the
		// agent stops resending, and drop it.
	case !hmac.Equal(m.MAC, m.macOf(rs.key)):
		r.forged++
		refusal = errForgedMAC("report", m.replicaMsg)
	case rs.report != nil:
		r.dups++
	case rs.failure != nil:
	case m.Error == "" && r.goSent.IsZero():
		rs.failure = fmt.Errorf("%w: a report of a measured window before go was sent", ErrImplausible)
		c.notify()
	default:
		rs.report = &m
		rs.lastSeen = time.Now()
		if m.Error != "" {
			rs.failure = fmt.Errorf("%w: %s", ErrWork, printable(m.Error, 4096))
		} else if c.cfg.CheckReport != nil {
			if err := c.cfg.CheckReport(m.Result, arrived.Sub(r.goSent)); err != nil {
				rs.failure = fmt.Errorf("%w: %w", ErrImplausible, err)
			}
		}
		c.notify()
	}
	c.mu.Unlock()
	if refusal != nil {
		c.warn(refusal)
	}
	c.respond(req, refusal)
}

func (c *Coordinator) onProgress(msg *nats.Msg) {
	var m progressMsg
	if len(msg.Data) > 2*maxProgress || decode(msg.Data, &m, "agent") != nil {
		return
	}
	c.mu.Lock()
	_, rs, err := c.replica(m.replicaMsg)
	fresh := err == nil && m.Seq > rs.progressSeq && hmac.Equal(m.MAC, m.macOf(rs.key))
	if fresh {
		rs.progressSeq = m.Seq
	}
	c.mu.Unlock()
	if fresh {
		c.cfg.Progress(Progress{Measurement: m.Measurement, Replica: m.Replica, Agent: m.Agent, Data: m.Data})
	}
}

func (c *Coordinator) onHeartbeat(msg *nats.Msg) {
	var m replicaMsg
	if decode(msg.Data, &m, "agent") != nil {
		return
	}
	c.mu.Lock()
	if _, rs, err := c.replica(m); err == nil && m.Seq > rs.seq && hmac.Equal(m.MAC, m.macOf(rs.key, macBeat)) {
		rs.seq = m.Seq
		rs.lastSeen = time.Now()
	}
	c.mu.Unlock()
}

// Measure runs one measurement: it sends every assignment, waits until every
// replica is ready, broadcasts go once, and collects every report. A replica
// that fails, is not ready within GoTimeout, or whose agent falls silent for
// two heartbeats fails the measurement with a *MeasureError naming it; the
// agents are then told to abort, and the Outcome holds the reports that
// had come in.
// After go, only ctx and the heartbeats bound the wait for reports: give ctx
// a deadline somewhat beyond the measured window.
func (c *Coordinator) Measure(ctx context.Context, as []Assignment) (Outcome, error) {
	r, err := c.begin(as)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Measurement: r.id}
	defer func() {
		c.mu.Lock()
		delete(c.rounds, r.id)
		c.mu.Unlock()
	}()
	start := c.cfg.Clock()
	var wg sync.WaitGroup
	for _, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.assign(ctx, r, a)
		}()
	}
	wg.Wait()

	readyBy := time.Now().Add(c.cfg.GoTimeout)
	err = c.await(ctx, r, readyBy, func(rs *replicaState) bool { return !rs.readyAt.IsZero() })
	if err != nil {
		return c.fail(out, r, as, err)
	}
	var lastReady time.Time
	c.mu.Lock()
	for _, rs := range r.reps {
		if rs.readyAt.After(lastReady) {
			lastReady = rs.readyAt
		}
	}
	c.mu.Unlock()
	out.GoSent = c.cfg.Clock()
	out.SpecToReady, out.ReadyToGo = lastReady.Sub(start), out.GoSent.Sub(lastReady)
	c.mu.Lock()
	r.goSent = out.GoSent
	c.mu.Unlock()
	if err := c.publish(c.subj.start(), goMsg{header: hdr(), Session: c.session, Measurement: r.id}); err != nil {
		return c.fail(out, r, as, err)
	}
	if err := c.await(ctx, r, time.Time{}, func(rs *replicaState) bool { return rs.report != nil }); err != nil {
		return c.fail(out, r, as, err)
	}
	c.collect(&out, r, as)
	return out, nil
}

// begin checks the assignments and opens their round.
func (c *Coordinator) begin(as []Assignment) (*round, error) {
	if len(as) == 0 {
		return nil, errors.New("cluster: measure: no assignments")
	}
	id := as[0].Measurement
	if err := ValidID(id); err != nil {
		return nil, fmt.Errorf("cluster: measure: measurement id %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.rounds[id]; ok {
		return nil, fmt.Errorf("cluster: measure: measurement %s is already under way", id)
	}
	r := &round{id: id, reps: map[int]*replicaState{}}
	for i, a := range as {
		if a.Measurement != id {
			return nil, fmt.Errorf("cluster: measure: assignment %d is for measurement %s, assignment 0 for %s: one measurement per call", i, a.Measurement, id)
		}
		if _, dup := r.reps[a.Replica]; dup {
			return nil, fmt.Errorf("cluster: measure: measurement %s: replica %d assigned twice", id, a.Replica)
		}
		ag, ok := c.agents[a.Agent]
		if !ok {
			return nil, fmt.Errorf("cluster: measure: measurement %s, replica %d: agent %q is not registered (registered: %s)", id, a.Replica, a.Agent, strings.Join(c.agentIDs(), ", "))
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("cluster: measure: assignment key: %w", err)
		}
		r.reps[a.Replica] = &replicaState{agent: a.Agent, incarnation: ag.info.Incarnation, key: key}
	}
	c.rounds[id] = r
	return r, nil
}

func (c *Coordinator) agentIDs() []string {
	ids := make([]string, 0, len(c.agents))
	for id := range c.agents {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// assign sends one assignment and waits for the agent to accept it.
func (c *Coordinator) assign(ctx context.Context, r *round, a Assignment) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.AckTimeout)
	defer cancel()
	c.mu.Lock()
	rs := r.reps[a.Replica]
	var agentKey string
	if ag, ok := c.agents[a.Agent]; ok && ag.info.Incarnation == rs.incarnation {
		agentKey = ag.key
	}
	c.mu.Unlock()
	sealed, err := c.curve.Seal(rs.key, agentKey)
	if err == nil {
		m := assignMsg{
			header: hdr(), Session: c.session, Agent: a.Agent, Incarnation: rs.incarnation,
			Key: sealed, From: c.from, Measurement: a.Measurement, Replica: a.Replica,
			Spec: a.Spec, Heartbeat: c.cfg.Heartbeat, GoWithin: c.cfg.GoTimeout,
		}
		subject := c.subj.assign(a.Agent, rs.incarnation)
		var reply ack
		err = call(ctx, c.nc, subject, m, &reply, "agent "+a.Agent, c.cfg.SignKey, nil)
		// An agent in the middle of a reconnect has no subscription for a
		// moment: try again until the acknowledgement's time is up.
		for errors.Is(err, nats.ErrNoResponders) && sleep(ctx, 20*time.Millisecond) {
			err = call(ctx, c.nc, subject, m, &reply, "agent "+a.Agent, c.cfg.SignKey, nil)
		}
	} else {
		err = fmt.Errorf("seal the assignment's key to the agent's: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil && rs.failure == nil:
		rs.failure = fmt.Errorf("%w: %v", ErrAssign, err)
		c.notify()
	case rs.lastSeen.IsZero():
		rs.lastSeen = time.Now()
	}
}

// await waits until done holds for every replica, checking heartbeats as it
// goes; deadline, when set, fails the replicas not done by then.
func (c *Coordinator) await(ctx context.Context, r *round, deadline time.Time, done func(*replicaState) bool) error {
	tick := time.NewTicker(c.cfg.Heartbeat / 4)
	defer tick.Stop()
	for {
		if lost := c.serverLost(); lost != nil {
			return &MeasureError{Measurement: r.id, Err: lost}
		}
		down := c.serverDown()
		now := time.Now()
		c.mu.Lock()
		all := true
		for _, rs := range r.reps {
			switch {
			case rs.failure != nil || done(rs):
			case down:
				// Silence proves nothing while the harness cannot hear.
				all = false
			case !deadline.IsZero() && now.After(deadline):
				rs.failure = fmt.Errorf("%w: not ready %s after its assignment", ErrNotReady, c.cfg.GoTimeout)
			case !rs.lastSeen.IsZero() && now.Sub(rs.lastSeen) > 2*c.cfg.Heartbeat:
				rs.failure = fmt.Errorf("%w (%s): last heard of %s ago", ErrSilent, c.cfg.Heartbeat, now.Sub(rs.lastSeen).Round(time.Millisecond))
			default:
				all = false
			}
		}
		failures := r.failures()
		changed := c.changed
		c.mu.Unlock()
		if len(failures) > 0 {
			return &MeasureError{Measurement: r.id, Failures: failures}
		}
		if all {
			return nil
		}
		select {
		case <-ctx.Done():
			return &MeasureError{Measurement: r.id, Err: context.Cause(ctx)}
		case <-c.ctx.Done(): // Close: no result can come
			return &MeasureError{Measurement: r.id, Err: errCoordinatorClosed}
		case <-changed:
		case <-tick.C:
		}
	}
}

// errCoordinatorClosed ends a measurement whose coordinator was closed.
var errCoordinatorClosed = errors.New("cluster: the coordinator was closed")

// failures lists the round's failed replicas by agent and replica.
func (r *round) failures() []*ReplicaError {
	var out []*ReplicaError
	for i, rs := range r.reps {
		if rs.failure != nil {
			out = append(out, &ReplicaError{Measurement: r.id, Replica: i, Agent: rs.agent, Err: rs.failure})
		}
	}
	slices.SortFunc(out, func(a, b *ReplicaError) int {
		return cmp.Or(strings.Compare(a.Agent, b.Agent), cmp.Compare(a.Replica, b.Replica))
	})
	return out
}

// fail tells the agents to abort the measurement and returns err with the
// reports that had come in.
func (c *Coordinator) fail(out Outcome, r *round, as []Assignment, err error) (Outcome, error) {
	_ = c.publish(c.subj.abort(), goMsg{header: hdr(), Session: c.session, Measurement: r.id, Reason: err.Error()})
	c.collect(&out, r, as)
	return out, err
}

// collect fills out's results from the round's successful reports.
func (c *Coordinator) collect(out *Outcome, r *round, as []Assignment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out.Duplicates, out.Forged = r.dups, r.forged
	var first, last time.Time
	for _, a := range as {
		rs := r.reps[a.Replica]
		if rs.report == nil || rs.failure != nil {
			continue
		}
		res := Result{Replica: a.Replica, Agent: a.Agent, Report: rs.report.Result}
		if rs.report.GoAt != 0 {
			var offset time.Duration
			if ag, ok := c.agents[a.Agent]; ok && ag.info.Incarnation == rs.incarnation {
				offset = ag.info.Offset
			}
			res.GoAt = time.Unix(0, rs.report.GoAt).Add(-offset)
			if first.IsZero() || res.GoAt.Before(first) {
				first = res.GoAt
			}
			if res.GoAt.After(last) {
				last = res.GoAt
			}
		}
		out.Results = append(out.Results, res)
	}
	out.Skew = last.Sub(first)
}

// sleep waits for d or until ctx is done, and reports whether it slept.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

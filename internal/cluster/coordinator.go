package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
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
}

func (c Config) withDefaults() Config {
	c.Heartbeat = cmp.Or(c.Heartbeat, 500*time.Millisecond)
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
	svc     micro.Service
	hbSub   *nats.Subscription
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced on every change
	agents  map[string]*agentState
	refused map[string]string // agent id → why its registration was refused
	rounds  map[string]*round
}

type agentState struct {
	info      AgentInfo
	clockDone bool
}

type round struct {
	id   string
	reps map[int]*replicaState
	dups int
}

type replicaState struct {
	agent, incarnation string
	lastSeen           time.Time // zero until the assignment was accepted
	readyAt            time.Time
	report             *reportMsg
	failure            error
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
	c := &Coordinator{
		nc: nc, cfg: cfg, subj: subj, session: session[:16],
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
		{"alive", subj.alive(), func(req micro.Request) { _ = req.Respond(ackData(c.session, nil)) }},
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
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
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
		select {
		case <-changed:
			continue
		case <-ctx.Done():
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

func (c *Coordinator) publish(subject string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cluster: encode %s: %w", subject, err)
	}
	if err := c.nc.Publish(subject, data); err != nil {
		return fmt.Errorf("cluster: publish %s: %w", subject, err)
	}
	return nil
}

func (c *Coordinator) onRegister(req micro.Request) {
	var m registerMsg
	if err := decode(req.Data(), &m, "agent"); err != nil {
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(req.Data(), &id)
		var pe *ProtocolError
		if errors.As(err, &pe) {
			pe.Peer = "agent " + id.ID
		}
		c.mu.Lock()
		c.refused[cmp.Or(id.ID, "(unnamed)")] = err.Error()
		c.notify()
		c.mu.Unlock()
		_ = req.Respond(ackData(c.session, err))
		return
	}
	if err := checkToken("agent id", m.ID); err != nil {
		_ = req.Respond(ackData(c.session, err))
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = req.Respond(ackData(c.session, errors.New("the harness is shutting down")))
		return
	}
	prev, ok := c.agents[m.ID]
	switch {
	case ok && prev.info.Incarnation == m.Incarnation:
		// The same process after a reconnect: it keeps its place and its
		// clock estimate until the new one is in.
	default:
		if ok {
			c.failAgent(m.ID, prev.info.Incarnation, fmt.Errorf("%w: it registered again as a new process", ErrRestarted))
		}
		c.agents[m.ID] = &agentState{info: AgentInfo{
			ID: m.ID, Host: m.Host, CPUs: m.CPUs, Version: m.Version, Protocol: m.Proto,
			Incarnation: m.Incarnation, Registered: c.cfg.Clock(),
		}}
	}
	delete(c.refused, m.ID)
	c.notify()
	c.wg.Add(1)
	c.mu.Unlock()
	_ = req.Respond(ackData(c.session, nil))
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
		s, err := c.ping(ctx, agent)
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

func (c *Coordinator) ping(ctx context.Context, agent string) (clockSample, error) {
	t0 := c.cfg.Clock()
	data, _ := json.Marshal(clockMsg{header: hdr(), T0: t0.UnixNano()})
	msg, err := c.nc.RequestWithContext(ctx, c.subj.clock(agent), data)
	t3 := c.cfg.Clock()
	if err != nil {
		return clockSample{}, fmt.Errorf("cluster: clock ping to agent %s: %w", agent, err)
	}
	var pong clockMsg
	if err := decode(msg.Data, &pong, "agent "+agent); err != nil {
		return clockSample{}, err
	}
	return clockSample{t0: t0, t1: time.Unix(0, pong.T1), t2: time.Unix(0, pong.T2), t3: t3}, nil
}

// replica finds the state a replica message refers to, if it is current;
// c.mu must be held.
func (c *Coordinator) replica(m replicaMsg) (*round, *replicaState, error) {
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

func (c *Coordinator) onReady(req micro.Request) {
	var m replicaMsg
	if err := decode(req.Data(), &m, "agent"); err != nil {
		_ = req.Respond(ackData(c.session, err))
		return
	}
	c.mu.Lock()
	_, rs, err := c.replica(m)
	if err == nil && rs.failure != nil {
		err = fmt.Errorf("replica %d of measurement %s has failed: %v", m.Replica, m.Measurement, rs.failure)
	}
	if err == nil && rs.readyAt.IsZero() {
		rs.readyAt = c.cfg.Clock()
		rs.lastSeen = time.Now()
		c.notify()
	}
	c.mu.Unlock()
	_ = req.Respond(ackData(c.session, err))
}

func (c *Coordinator) onReport(req micro.Request) {
	var m reportMsg
	if err := decode(req.Data(), &m, "agent"); err != nil {
		_ = req.Respond(ackData(c.session, err))
		return
	}
	c.mu.Lock()
	r, rs, err := c.replica(m.replicaMsg)
	switch {
	case err != nil:
		// Stale (the measurement ended or moved on): acknowledge so the
		// agent stops resending, and drop it.
		if r != nil {
			r.dups++
		}
	case rs.report != nil:
		r.dups++
	case rs.failure == nil:
		rs.report = &m
		rs.lastSeen = time.Now()
		if m.Error != "" {
			rs.failure = fmt.Errorf("%w: %s", ErrWork, m.Error)
		}
		c.notify()
	}
	c.mu.Unlock()
	_ = req.Respond(ackData(c.session, nil))
}

func (c *Coordinator) onHeartbeat(msg *nats.Msg) {
	var m replicaMsg
	if decode(msg.Data, &m, "agent") != nil {
		return
	}
	c.mu.Lock()
	if _, rs, err := c.replica(m); err == nil {
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
	if err := c.publish(c.subj.start(), goMsg{header: hdr(), Measurement: r.id}); err != nil {
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
		r.reps[a.Replica] = &replicaState{agent: a.Agent, incarnation: ag.info.Incarnation}
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
	m := assignMsg{
		header: hdr(), Session: c.session, Measurement: a.Measurement, Replica: a.Replica,
		Spec: a.Spec, Heartbeat: c.cfg.Heartbeat, GoWithin: c.cfg.GoTimeout,
	}
	var reply ack
	err := call(ctx, c.nc, c.subj.assign(a.Agent), m, &reply, "agent "+a.Agent)
	// An agent in the middle of a reconnect has no subscription for a
	// moment: try again until the acknowledgement's time is up.
	for errors.Is(err, nats.ErrNoResponders) && sleep(ctx, 20*time.Millisecond) {
		err = call(ctx, c.nc, c.subj.assign(a.Agent), m, &reply, "agent "+a.Agent)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rs := r.reps[a.Replica]
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
		now := time.Now()
		c.mu.Lock()
		all := true
		for _, rs := range r.reps {
			switch {
			case rs.failure != nil || done(rs):
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
		case <-changed:
		case <-tick.C:
		}
	}
}

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
	_ = c.publish(c.subj.abort(), goMsg{header: hdr(), Measurement: r.id, Reason: err.Error()})
	c.collect(&out, r, as)
	return out, err
}

// collect fills out's results from the round's successful reports.
func (c *Coordinator) collect(out *Outcome, r *round, as []Assignment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out.Duplicates = r.dups
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

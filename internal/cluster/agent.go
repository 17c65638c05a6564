package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Work runs one replica's spec on an agent and returns its report. It
// prepares (for instance starts a worker process and hands it the spec),
// then calls ready exactly once: ready tells the harness this replica is
// ready and returns nil when the go signal arrives, or an error when the
// measurement will not start (aborted, or no go before the deadline), in
// which case Work should clean up and return that error. ctx is cancelled
// when the harness aborts the measurement or the agent stops.
type Work func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error)

// AgentConfig configures an Agent. Zero values take the defaults shown.
type AgentConfig struct {
	// ID names the agent in the roster and its subjects (the host name and
	// the process id, "host-1234", unique per process).
	ID string
	// Run is the run id whose harness to serve.
	Run string
	// Work runs each assignment; required.
	Work Work
	// Host, CPUs and Version describe the agent to the harness (the host
	// name, runtime.NumCPU, "dev").
	Host    string
	CPUs    int
	Version string
	// Workloads are the workloads the agent's executable has, so that a
	// harness can refuse at once a run of a workload it lacks.
	Workloads []string
	// Clock is the agent's wall clock (time.Now), used for the clock
	// ping-pong and to stamp the go signal's arrival.
	Clock func() time.Time
	// RetryInterval spaces registration attempts and report resends (1s).
	RetryInterval time.Duration
	// AckTimeout bounds each request's wait for its acknowledgement (5s).
	AckTimeout time.Duration
	// ReportPatience is how long a report is resent before it is given up (5m).
	ReportPatience time.Duration
	// Once makes a one-shot agent, such as a worker process the harness
	// started for one replica: it takes one assignment, and Run returns once
	// that assignment is over.
	Once bool
	// Logf, if set, receives progress and trouble messages.
	Logf func(format string, args ...any)
	// HarnessKey, if set, is the public NKey of the harness: messages
	// from the harness not signed by it are ignored.
	HarnessKey string
	// Progress says that Work sends its replica's progress while it
	// measures (SendProgress), when the spec asks for it; the agent tells
	// the harness so when it registers.
	Progress bool
}

// Agent is the agents' side of the protocol: it registers with the harness
// of its run, runs each assignment it gets through Work, keeps the harness
// informed with heartbeats while busy, and delivers each report until the
// harness acknowledges it.
type Agent struct {
	nc          *nats.Conn
	cfg         AgentConfig
	subj        subjects
	incarnation string
	curve       nkeys.KeyPair // opens assignments' keys
	curvePub    string
	pinned      nkeys.KeyPair // the harness's public key, if pinned
	ignored     atomic.Int64  // messages ignored, for rate-limited logging

	mu      sync.Mutex
	session string // the harness session we registered with
	// registering is closed when the registration under way is answered:
	// the harness assigns and pings as soon as it has admitted us, which
	// can be before its answer reaches us. Nil when none is under way.
	registering chan struct{}
	tasks       map[taskKey]*task
	finished    map[taskKey]bool // the session's assignments that ran
	stopping    bool
	wg          sync.WaitGroup
	taken       bool          // Once: the one assignment was accepted
	over        chan struct{} // Once: closed when that assignment is over

	// Test hooks: extra copies of each report (as resends after lost
	// acknowledgements would be), and a call after each report was delivered.
	extraReports int
	afterReport  func()
}

type taskKey struct {
	session     string
	measurement string
	replica     int
}

type task struct {
	ctx     context.Context
	cancel  context.CancelFunc
	key     []byte        // the assignment's secret
	goCh    chan struct{} // closed when go arrived
	goAt    time.Time     // set before goCh is closed
	aborted string        // why the harness aborted, if it did
}

// maxFinished bounds how many finished assignments an agent remembers to
// refuse them if they come again.
const maxFinished = 4096

// NewAgent prepares an agent on nc; Run serves.
func NewAgent(nc *nats.Conn, cfg AgentConfig) (*Agent, error) {
	if cfg.ID == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("cluster: agent id: %w", err)
		}
		cfg.ID = SanitizeID(host) + "-" + strconv.Itoa(os.Getpid())
	}
	if err := checkToken("agent id", cfg.ID); err != nil {
		return nil, err
	}
	if cfg.Work == nil {
		return nil, errors.New("cluster: agent: no Work function")
	}
	subj, err := newSubjects(cfg.Run)
	if err != nil {
		return nil, err
	}
	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	cfg.CPUs = cmp.Or(cfg.CPUs, runtime.NumCPU())
	cfg.Version = cmp.Or(cfg.Version, "dev")
	cfg.RetryInterval = cmp.Or(cfg.RetryInterval, time.Second)
	cfg.AckTimeout = cmp.Or(cfg.AckTimeout, 5*time.Second)
	cfg.ReportPatience = cmp.Or(cfg.ReportPatience, 5*time.Minute)
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	inc, err := NewToken()
	if err != nil {
		return nil, err
	}
	a := &Agent{
		nc: nc, cfg: cfg, subj: subj, incarnation: inc[:16],
		tasks: map[taskKey]*task{}, finished: map[taskKey]bool{},
		over: make(chan struct{}),
	}
	if cfg.HarnessKey != "" {
		if a.pinned, err = nkeys.FromPublicKey(cfg.HarnessKey); err != nil {
			return nil, fmt.Errorf("cluster: harness key %s: %w", printable(cfg.HarnessKey, 64), err)
		}
	}
	if a.curve, err = nkeys.CreateCurveKeys(); err != nil {
		return nil, fmt.Errorf("cluster: agent curve key: %w", err)
	}
	a.curvePub, _ = a.curve.PublicKey()
	return a, nil
}

// ignore logs a message that was ignored: malformed, of another version,
// forged or stale. After the first ten, only every thousandth is logged,
// so a flood of them cannot flood the log.
func (a *Agent) ignore(subject string, err error) {
	if n := a.ignored.Add(1); n <= 10 || n%1000 == 0 {
		a.cfg.Logf("agent %s: ignored a message on %s (%d so far): %v", a.cfg.ID, subject, n, err)
	}
}

// SanitizeID turns s (a host name, say) into a valid agent id by replacing
// every character a subject token cannot hold with '-'.
func SanitizeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '.' || c == '*' || c == '>' || c <= ' ' || c == 0x7f {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "agent"
	}
	return string(b)
}

// ID is the agent's id.
func (a *Agent) ID() string { return a.cfg.ID }

// Incarnation identifies this agent process; a restarted agent has another.
func (a *Agent) Incarnation() string { return a.incarnation }

// Run registers and serves until ctx is done (then it returns nil after its
// tasks stopped), the harness answers the registration in another protocol
// version (then it returns a *ProtocolError at once) or refuses it because
// another live process has the agent's id (ErrIDTaken), or the connection
// is closed for good. It registers again whenever the connection comes back
// or a new harness announces itself. Malformed, forged and stale messages
// are logged and ignored.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hello := make(chan string, 8)
	var subs []*nats.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
		cancel()
		a.mu.Lock()
		a.stopping = true
		a.mu.Unlock()
		a.wg.Wait()
	}()
	for subject, h := range map[string]nats.MsgHandler{
		a.subj.assign(a.cfg.ID, a.incarnation): func(m *nats.Msg) { a.onAssign(ctx, m) },
		a.subj.clock(a.cfg.ID, a.incarnation):  a.onClock,
		a.subj.start():                         a.onGo,
		a.subj.abort():                         a.onAbort,
		a.subj.hello(): func(m *nats.Msg) {
			var h helloMsg
			err := verify(a.pinned, a.subj.hello(), m)
			if err == nil {
				err = decode(m.Data, &h, "harness")
			}
			if err != nil {
				a.ignore(m.Subject, err)
				return
			}
			select {
			case hello <- h.Session:
			default:
			}
		},
	} {
		s, err := a.nc.Subscribe(subject, h)
		if err != nil {
			return fmt.Errorf("cluster: agent %s: subscribe %s: %w", a.cfg.ID, subject, err)
		}
		subs = append(subs, s)
	}
	if err := a.nc.Flush(); err != nil {
		return fmt.Errorf("cluster: agent %s: %w", a.cfg.ID, err)
	}
	status := a.nc.StatusChanged(nats.CONNECTED, nats.CLOSED, nats.RECONNECTING)
	defer a.nc.RemoveStatusListener(status)

	needReg, waiting := true, false
	var retry <-chan time.Time
	for {
		if needReg && retry == nil {
			err := a.register(ctx)
			var pe *ProtocolError
			var refused *RefusedError
			switch {
			case errors.As(err, &pe):
				return err
			case errors.As(err, &refused) && refused.Code == codeIDTaken:
				return fmt.Errorf("cluster: agent %s: %w: the harness says: %s", a.cfg.ID, ErrIDTaken, printable(refused.Reason, 1024))
			case ctx.Err() != nil:
				return nil
			case errors.Is(err, nats.ErrConnectionClosed) || a.nc.IsClosed():
				return fmt.Errorf("cluster: agent %s: %w", a.cfg.ID, nats.ErrConnectionClosed)
			case err != nil:
				if !waiting {
					a.cfg.Logf("agent %s: waiting for the harness of run %s: %v", a.cfg.ID, a.cfg.Run, err)
					waiting = true
				}
				retry = time.After(a.cfg.RetryInterval)
			default:
				needReg, waiting = false, false
				a.cfg.Logf("agent %s: registered with the harness of run %s", a.cfg.ID, a.cfg.Run)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.over:
			return nil
		case <-retry:
			retry = nil
		case st := <-status:
			if st == nats.CLOSED || a.nc.IsClosed() {
				return fmt.Errorf("cluster: agent %s: %w", a.cfg.ID, nats.ErrConnectionClosed)
			}
			if st == nats.RECONNECTING {
				a.cfg.Logf("agent %s: lost the connection to the NATS server; reconnecting", a.cfg.ID)
				continue
			}
			needReg, retry = true, nil
		case s := <-hello:
			a.mu.Lock()
			stale := s != a.session
			a.mu.Unlock()
			if stale {
				needReg, retry = true, nil
			}
		}
	}
}

func (a *Agent) register(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.AckTimeout)
	defer cancel()
	done := make(chan struct{})
	a.mu.Lock()
	a.registering = done
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.registering = nil
		a.mu.Unlock()
		close(done)
	}()
	m := registerMsg{
		header: hdr(), ID: a.cfg.ID, Host: a.cfg.Host, CPUs: a.cfg.CPUs,
		Version: a.cfg.Version, Incarnation: a.incarnation, Key: a.curvePub,
		Workloads: a.cfg.Workloads,
		Progress:  a.cfg.Progress,
	}
	var reply ack
	if err := call(ctx, a.nc, a.subj.register(), m, &reply, "harness", nil, a.pinned); err != nil {
		return err
	}
	if err := ValidID(reply.Session); err != nil {
		return fmt.Errorf("cluster: register: harness session %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.session != reply.Session {
		// A new harness: whatever the old one assigned is over.
		for k, t := range a.tasks {
			if k.session != reply.Session && t.aborted == "" {
				t.aborted = "a new harness session took over"
				t.cancel()
			}
		}
		clear(a.finished)
	}
	a.session = reply.Session
	return nil
}

// currentSession returns the session the agent is registered with. While
// its first registration is under way it waits for the answer (at most
// AckTimeout), since the harness assigns and pings as soon as it has
// admitted the agent.
func (a *Agent) currentSession() string {
	a.mu.Lock()
	s, pending := a.session, a.registering
	a.mu.Unlock()
	if s != "" || pending == nil {
		return s
	}
	select {
	case <-pending:
	case <-time.After(a.cfg.AckTimeout):
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.session
}

// sessionAfterRegistering returns the session the agent is registered with
// once the registration under way, if any, is answered (at most
// AckTimeout): a new harness assigns as soon as it has admitted a
// re-registering agent, which can be before its answer reaches the agent.
func (a *Agent) sessionAfterRegistering() string {
	a.mu.Lock()
	pending := a.registering
	a.mu.Unlock()
	if pending != nil {
		select {
		case <-pending:
		case <-time.After(a.cfg.AckTimeout):
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.session
}

func (a *Agent) onClock(msg *nats.Msg) {
	a.currentSession() // a sample taken before our registration is in is no sample of the session
	t1 := a.cfg.Clock()
	var m clockMsg
	err := verify(a.pinned, msg.Subject, msg)
	if err == nil {
		err = decode(msg.Data, &m, "harness")
	}
	if err != nil {
		a.ignore(msg.Subject, err)
		_ = msg.Respond(ackData("", err))
		return
	}
	reply := clockMsg{header: hdr(), T1: t1.UnixNano()}
	reply.T2 = a.cfg.Clock().UnixNano()
	data, _ := json.Marshal(reply)
	_ = msg.Respond(data)
}

// Bounds of an assignment's timing.
const (
	maxHeartbeat = time.Minute
	maxGoWithin  = time.Hour
)

// checkAssign checks an assignment's signature and that it is this agent
// process's, from the session it registered with, and opens its key.
func (a *Agent) checkAssign(msg *nats.Msg, m *assignMsg, session string) ([]byte, error) {
	if err := verify(a.pinned, msg.Subject, msg); err != nil {
		return nil, err
	}
	if err := decode(msg.Data, m, "harness"); err != nil {
		return nil, err
	}
	switch {
	case session == "":
		return nil, fmt.Errorf("cluster: agent %s is registered with no harness", a.cfg.ID)
	case m.Session != session:
		return nil, fmt.Errorf("cluster: assignment from harness session %s, agent %s is registered with %s", printable(m.Session, 32), a.cfg.ID, session)
	case m.Agent != a.cfg.ID || m.Incarnation != a.incarnation:
		return nil, fmt.Errorf("cluster: assignment for agent %s (%s), this is %s (%s)", printable(m.Agent, 64), printable(m.Incarnation, 32), a.cfg.ID, a.incarnation)
	case ValidID(m.Measurement) != nil:
		return nil, fmt.Errorf("cluster: assignment: measurement id %w", ValidID(m.Measurement))
	case m.Replica < 0:
		return nil, fmt.Errorf("cluster: assignment: replica %d", m.Replica)
	case m.Heartbeat < 0 || m.Heartbeat > maxHeartbeat:
		return nil, fmt.Errorf("cluster: assignment: heartbeat %s, want 0..%s", m.Heartbeat, maxHeartbeat)
	case m.GoWithin <= 0 || m.GoWithin > maxGoWithin:
		return nil, fmt.Errorf("cluster: assignment: go deadline %s, want up to %s", m.GoWithin, maxGoWithin)
	}
	key, err := a.curve.Open(m.Key, m.From)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("cluster: assignment: its key is not sealed to this agent process: %v", err)
	}
	return key, nil
}

func (a *Agent) onAssign(ctx context.Context, msg *nats.Msg) {
	var m assignMsg
	session := a.currentSession()
	key, err := a.checkAssign(msg, &m, session)
	if err != nil && m.Session != "" && m.Session != session {
		// Perhaps from the harness we are re-registering with.
		if s := a.sessionAfterRegistering(); s != session {
			session = s
			m = assignMsg{}
			key, err = a.checkAssign(msg, &m, session)
		}
	}
	if err != nil {
		a.ignore(msg.Subject, err)
		_ = msg.Respond(ackData("", err))
		return
	}
	received := time.Now()
	k := taskKey{m.Session, m.Measurement, m.Replica}
	a.mu.Lock()
	if _, dup := a.tasks[k]; dup {
		a.mu.Unlock()
		_ = msg.Respond(ackData("", nil))
		return
	}
	if a.finished[k] || session != a.session {
		a.mu.Unlock()
		err := fmt.Errorf("cluster: agent %s: replica %d of measurement %s already ran, or its session is over", a.cfg.ID, m.Replica, m.Measurement)
		a.ignore(msg.Subject, err)
		_ = msg.Respond(ackData("", err))
		return
	}
	if a.stopping || ctx.Err() != nil {
		a.mu.Unlock()
		_ = msg.Respond(ackData("", fmt.Errorf("agent %s is stopping", a.cfg.ID)))
		return
	}
	if a.cfg.Once && a.taken {
		a.mu.Unlock()
		_ = msg.Respond(ackData("", fmt.Errorf("agent %s takes one assignment and already has it", a.cfg.ID)))
		return
	}
	a.taken = true
	if len(a.finished) >= maxFinished {
		clear(a.finished)
	}
	a.finished[k] = true
	t := &task{goCh: make(chan struct{}), key: key}
	t.ctx, t.cancel = context.WithCancel(ctx)
	a.tasks[k] = t
	a.wg.Add(1)
	a.mu.Unlock()
	_ = msg.Respond(ackData("", nil))
	go func() {
		defer a.wg.Done()
		a.runTask(ctx, k, t, m, received.Add(m.GoWithin))
	}()
}

// broadcast decodes a go or abort message after checking its signature;
// a bad one is logged and ignored.
func (a *Agent) broadcast(msg *nats.Msg, m *goMsg) bool {
	err := verify(a.pinned, msg.Subject, msg)
	if err == nil {
		err = decode(msg.Data, m, "harness")
	}
	if err != nil {
		a.ignore(msg.Subject, err)
		return false
	}
	return true
}

func (a *Agent) onGo(msg *nats.Msg) {
	now := a.cfg.Clock()
	var m goMsg
	if !a.broadcast(msg, &m) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range a.tasks {
		if k.session == m.Session && k.measurement == m.Measurement && t.goAt.IsZero() {
			t.goAt = now
			close(t.goCh)
		}
	}
}

func (a *Agent) onAbort(msg *nats.Msg) {
	var m goMsg
	if !a.broadcast(msg, &m) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range a.tasks {
		if k.session == m.Session && k.measurement == m.Measurement {
			t.aborted = cmp.Or(printable(m.Reason, 4096), "aborted by the harness")
			t.cancel()
		}
	}
}

// runTask runs one assignment from ready to acknowledged report, with
// heartbeats throughout. goBy is the go deadline on the monotonic clock.
func (a *Agent) runTask(runCtx context.Context, k taskKey, t *task, m assignMsg, goBy time.Time) {
	defer func() {
		t.cancel()
		a.mu.Lock()
		delete(a.tasks, k)
		a.mu.Unlock()
		if a.cfg.Once {
			close(a.over)
		}
	}()
	id := replicaMsg{header: hdr(), Session: m.Session, Agent: a.cfg.ID, Incarnation: a.incarnation, Measurement: m.Measurement, Replica: m.Replica}
	stopBeats := a.heartbeat(id, t.key, cmp.Or(m.Heartbeat, 500*time.Millisecond))
	defer stopBeats()
	stopWatch := a.watchHarness(t, m.Session, cmp.Or(m.Heartbeat, 500*time.Millisecond))
	defer stopWatch()

	readyCalled := false
	ready := func() error {
		if readyCalled {
			return errors.New("cluster: ready called twice")
		}
		readyCalled = true
		rid := id
		rid.MAC = rid.macOf(t.key, macReady)
		return a.ready(t, rid, goBy, m.GoWithin)
	}
	result, err := a.cfg.Work(context.WithValue(t.ctx, progressKey{}, a.progress(id, t.key)), m.Spec, ready)
	if err == nil && !readyCalled {
		err = errors.New("cluster: the work function returned without calling ready")
	}
	a.mu.Lock()
	aborted, goAt := t.aborted, t.goAt
	a.mu.Unlock()
	if aborted != "" || runCtx.Err() != nil {
		return // nobody waits for this report
	}
	rep := reportMsg{replicaMsg: id, Result: result}
	if !goAt.IsZero() {
		rep.GoAt = goAt.UnixNano()
	}
	if err != nil {
		rep.Error = err.Error()
	}
	rep.MAC = rep.macOf(t.key)
	for range 1 + a.extraReports {
		a.deliver(runCtx, rep)
	}
	if a.afterReport != nil {
		a.afterReport()
	}
}

// heartbeat publishes id, numbered and signed with key, every interval
// until the returned func is called.
func (a *Agent) heartbeat(id replicaMsg, key []byte, every time.Duration) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			id.Seq++
			id.MAC = id.macOf(key, macBeat)
			data, _ := json.Marshal(id)
			_ = a.nc.Publish(a.subj.heartbeat(), data)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// maxProgress is the largest progress message an agent sends, and a
// harness takes.
const maxProgress = 256 << 10

type progressKey struct{}

// progress returns the function that publishes the progress of replica id,
// numbered and signed with key.
func (a *Agent) progress(id replicaMsg, key []byte) func(json.RawMessage) {
	var mu sync.Mutex
	return func(data json.RawMessage) {
		if len(data) > maxProgress {
			return
		}
		mu.Lock()
		id.Seq++
		m := progressMsg{replicaMsg: id, Data: data}
		mu.Unlock()
		m.MAC = m.macOf(key)
		out, err := json.Marshal(m)
		if err == nil {
			_ = a.nc.Publish(a.subj.progress(), out)
		}
	}
}

// SendProgress publishes data, at most 256 KiB, as the progress of the
// replica whose Work received ctx, and reports whether ctx is such a
// replica's; the harness passes it on as it comes (Config.Progress).
// Progress is best effort: a message lost on the way is not sent again.
func SendProgress(ctx context.Context, data json.RawMessage) bool {
	send, ok := ctx.Value(progressKey{}).(func(json.RawMessage))
	if ok {
		send(data)
	}
	return ok
}

// harnessMisses is how many checks in a row must find no harness of the
// run before a task is given up.
const harnessMisses = 3

// watchHarness asks every interval whether a harness of the run is still
// there and cancels t when none has answered harnessMisses times in a row
// while the server was up (a harness killed outright sends no abort): the
// replica's work stops instead of running out its window for nobody. A
// server that cannot be reached proves nothing, and is not counted.
func (a *Agent) watchHarness(t *task, session string, every time.Duration) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		misses := 0
		for {
			select {
			case <-done:
				return
			case <-t.ctx.Done():
				return
			case <-tick.C:
			}
			msg, err := a.nc.Request(a.subj.alive(), nil, a.cfg.AckTimeout)
			var reply ack
			switch {
			case err == nil && verify(a.pinned, replySubject, msg) == nil &&
				decode(msg.Data, &reply, "harness") == nil && reply.Session != session:
				// Another harness answers: the one of this task is gone.
				misses++
			case err == nil:
				misses = 0
			case errors.Is(err, nats.ErrNoResponders):
				misses++
			}
			if misses == harnessMisses {
				a.cfg.Logf("agent %s: no harness of run %s answered %d times in a row; stopping its replica", a.cfg.ID, a.cfg.Run, misses)
				a.mu.Lock()
				if t.aborted == "" {
					t.aborted = ErrHarnessGone.Error()
				}
				a.mu.Unlock()
				t.cancel()
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// ready tells the harness the replica is ready, then waits for go.
func (a *Agent) ready(t *task, id replicaMsg, goBy time.Time, within time.Duration) error {
	deadline := time.NewTimer(time.Until(goBy))
	defer deadline.Stop()
	for {
		ctx, cancel := context.WithTimeout(t.ctx, a.cfg.AckTimeout)
		var reply ack
		err := call(ctx, a.nc, a.subj.ready(), id, &reply, "harness", nil, a.pinned)
		cancel()
		if err == nil {
			break
		}
		var refused *RefusedError
		var pe *ProtocolError
		if errors.As(err, &refused) || errors.As(err, &pe) || t.ctx.Err() != nil {
			return fmt.Errorf("cluster: ready: %w", err)
		}
		select {
		case <-t.ctx.Done():
			return fmt.Errorf("cluster: ready: %w", context.Cause(t.ctx))
		case <-deadline.C:
			return fmt.Errorf("cluster: %w (%s after the assignment arrived)", ErrNoGo, within)
		case <-time.After(a.cfg.RetryInterval):
		}
	}
	select {
	case <-t.goCh:
		return nil
	case <-t.ctx.Done():
		a.mu.Lock()
		why := t.aborted
		a.mu.Unlock()
		return fmt.Errorf("cluster: waiting for go: %w (%s)", context.Cause(t.ctx), cmp.Or(why, "agent stopping"))
	case <-deadline.C:
		return fmt.Errorf("cluster: %w (%s after the assignment arrived)", ErrNoGo, within)
	}
}

// deliver sends rep until the harness acknowledges it, the agent stops, or
// ReportPatience runs out.
func (a *Agent) deliver(ctx context.Context, rep reportMsg) {
	giveUp := time.Now().Add(a.cfg.ReportPatience)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, a.cfg.AckTimeout)
		var reply ack
		err := call(actx, a.nc, a.subj.report(), rep, &reply, "harness", nil, a.pinned)
		cancel()
		var pe *ProtocolError
		var refused *RefusedError
		switch {
		case err == nil:
			return
		case errors.As(err, &pe), errors.As(err, &refused), ctx.Err() != nil:
			if ctx.Err() == nil {
				a.cfg.Logf("agent %s: report of measurement %s, replica %d not accepted: %v", a.cfg.ID, rep.Measurement, rep.Replica, err)
			}
			return
		case time.Now().After(giveUp):
			a.cfg.Logf("agent %s: report of measurement %s, replica %d given up after %d attempts: %v", a.cfg.ID, rep.Measurement, rep.Replica, attempt, err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.cfg.RetryInterval):
		}
	}
}

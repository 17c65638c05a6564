package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
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
	// ID names the agent in the roster and its subjects (the host name).
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

	mu       sync.Mutex
	session  string // the harness session we registered with
	tasks    map[taskKey]*task
	stopping bool
	wg       sync.WaitGroup
	fatal    chan error
	taken    bool          // Once: the one assignment was accepted
	over     chan struct{} // Once: closed when that assignment is over

	// Test hooks: extra copies of each report (as resends after lost
	// acknowledgements would be), and a call after each report was delivered.
	extraReports int
	afterReport  func()
}

type taskKey struct {
	measurement string
	replica     int
}

type task struct {
	ctx     context.Context
	cancel  context.CancelFunc
	goCh    chan struct{} // closed when go arrived
	goAt    time.Time     // set before goCh is closed
	aborted string        // why the harness aborted, if it did
}

// NewAgent prepares an agent on nc; Run serves.
func NewAgent(nc *nats.Conn, cfg AgentConfig) (*Agent, error) {
	if cfg.ID == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("cluster: agent id: %w", err)
		}
		cfg.ID = SanitizeID(host)
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
	return &Agent{
		nc: nc, cfg: cfg, subj: subj, incarnation: inc[:16],
		tasks: map[taskKey]*task{}, fatal: make(chan error, 1), over: make(chan struct{}),
	}, nil
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
// tasks stopped), the harness speaks another protocol version (then it
// returns a *ProtocolError at once), or the connection is closed for good. It registers again whenever the
// connection comes back or a new harness announces itself.
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
		a.subj.assign(a.cfg.ID): func(m *nats.Msg) { a.onAssign(ctx, m) },
		a.subj.clock(a.cfg.ID):  a.onClock,
		a.subj.start():          a.onGo,
		a.subj.abort():          a.onAbort,
		a.subj.hello(): func(m *nats.Msg) {
			var h helloMsg
			if a.check(decode(m.Data, &h, "harness")) == nil {
				select {
				case hello <- h.Session:
				default:
				}
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
	status := a.nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer a.nc.RemoveStatusListener(status)

	needReg, waiting := true, false
	var retry <-chan time.Time
	for {
		if needReg && retry == nil {
			err := a.register(ctx)
			var pe *ProtocolError
			switch {
			case errors.As(err, &pe):
				return err
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
		case err := <-a.fatal:
			return err
		case <-a.over:
			return nil
		case <-retry:
			retry = nil
		case st := <-status:
			if st == nats.CLOSED || a.nc.IsClosed() {
				return fmt.Errorf("cluster: agent %s: %w", a.cfg.ID, nats.ErrConnectionClosed)
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

// check passes err through, and stops Run when it is a protocol mismatch.
func (a *Agent) check(err error) error {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		select {
		case a.fatal <- err:
		default:
		}
	}
	return err
}

func (a *Agent) register(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.AckTimeout)
	defer cancel()
	m := registerMsg{
		header: hdr(), ID: a.cfg.ID, Host: a.cfg.Host, CPUs: a.cfg.CPUs,
		Version: a.cfg.Version, Incarnation: a.incarnation,
	}
	var reply ack
	if err := call(ctx, a.nc, a.subj.register(), m, &reply, "harness"); err != nil {
		return err
	}
	a.mu.Lock()
	a.session = reply.Session
	a.mu.Unlock()
	return nil
}

func (a *Agent) onClock(msg *nats.Msg) {
	t1 := a.cfg.Clock()
	var m clockMsg
	if err := a.check(decode(msg.Data, &m, "harness")); err != nil {
		_ = msg.Respond(ackData("", err))
		return
	}
	reply := clockMsg{header: hdr(), T1: t1.UnixNano()}
	reply.T2 = a.cfg.Clock().UnixNano()
	data, _ := json.Marshal(reply)
	_ = msg.Respond(data)
}

func (a *Agent) onAssign(ctx context.Context, msg *nats.Msg) {
	var m assignMsg
	if err := a.check(decode(msg.Data, &m, "harness")); err != nil {
		_ = msg.Respond(ackData("", err))
		return
	}
	received := time.Now()
	k := taskKey{m.Measurement, m.Replica}
	a.mu.Lock()
	if _, dup := a.tasks[k]; dup {
		a.mu.Unlock()
		_ = msg.Respond(ackData("", nil))
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
	t := &task{goCh: make(chan struct{})}
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

func (a *Agent) onGo(msg *nats.Msg) {
	now := a.cfg.Clock()
	var m goMsg
	if a.check(decode(msg.Data, &m, "harness")) != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range a.tasks {
		if k.measurement == m.Measurement && t.goAt.IsZero() {
			t.goAt = now
			close(t.goCh)
		}
	}
}

func (a *Agent) onAbort(msg *nats.Msg) {
	var m goMsg
	if a.check(decode(msg.Data, &m, "harness")) != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range a.tasks {
		if k.measurement == m.Measurement {
			t.aborted = cmp.Or(m.Reason, "aborted by the harness")
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
	id := replicaMsg{header: hdr(), Agent: a.cfg.ID, Incarnation: a.incarnation, Measurement: m.Measurement, Replica: m.Replica}
	stopBeats := a.heartbeat(id, cmp.Or(m.Heartbeat, 500*time.Millisecond))
	defer stopBeats()
	stopWatch := a.watchHarness(t, cmp.Or(m.Heartbeat, 500*time.Millisecond))
	defer stopWatch()

	readyCalled := false
	ready := func() error {
		if readyCalled {
			return errors.New("cluster: ready called twice")
		}
		readyCalled = true
		return a.ready(t, id, goBy, m.GoWithin)
	}
	result, err := a.cfg.Work(t.ctx, m.Spec, ready)
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
	for range 1 + a.extraReports {
		a.deliver(runCtx, rep)
	}
	if a.afterReport != nil {
		a.afterReport()
	}
}

// heartbeat publishes id every interval until the returned func is called.
func (a *Agent) heartbeat(id replicaMsg, every time.Duration) (stop func()) {
	data, _ := json.Marshal(id)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
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

// harnessMisses is how many checks in a row must find no harness of the
// run before a task is given up.
const harnessMisses = 3

// watchHarness asks every interval whether a harness of the run is still
// there and cancels t when none has answered harnessMisses times in a row
// while the server was up (a harness killed outright sends no abort): the
// replica's work stops instead of running out its window for nobody. A
// server that cannot be reached proves nothing, and is not counted.
func (a *Agent) watchHarness(t *task, every time.Duration) (stop func()) {
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
			_, err := a.nc.Request(a.subj.alive(), nil, a.cfg.AckTimeout)
			switch {
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
		err := a.check(call(ctx, a.nc, a.subj.ready(), id, &reply, "harness"))
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
		err := a.check(call(actx, a.nc, a.subj.report(), rep, &reply, "harness"))
		cancel()
		var pe *ProtocolError
		switch {
		case err == nil:
			return
		case errors.As(err, &pe), ctx.Err() != nil:
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

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Protocol is the version of the messages below. Every message carries it;
// a peer speaking another version is refused at once.
const Protocol = 1

// ProtocolError says that a peer speaks another protocol version.
type ProtocolError struct {
	Local, Remote int
	// Peer names the other side ("harness" or "agent ID").
	Peer string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("cluster: protocol version mismatch: this side speaks scalebench cluster protocol %d, %s speaks %d; run the same scalebench release on both", e.Local, e.Peer, e.Remote)
}

// Sentinel errors, for errors.Is.
var (
	// ErrSilent: a replica or agent sent no heartbeat for two intervals.
	ErrSilent = errors.New("silent for two heartbeat intervals")
	// ErrRestarted: the agent registered again as a new process mid-measurement.
	ErrRestarted = errors.New("agent restarted")
	// ErrNotReady: a replica was not ready before the go deadline.
	ErrNotReady = errors.New("not ready in time")
	// ErrWork: the work function failed on the agent.
	ErrWork = errors.New("work failed")
	// ErrAssign: the agent did not accept the assignment.
	ErrAssign = errors.New("assignment not accepted")
	// ErrTooFewAgents: fewer agents registered than were waited for.
	ErrTooFewAgents = errors.New("too few agents")
	// ErrNoGo: the go signal did not arrive before the assignment's deadline.
	ErrNoGo = errors.New("no go signal before the deadline")
	// ErrHarnessGone: no harness of the run answered on a server that is up.
	ErrHarnessGone = errors.New("the harness is gone")
)

// subjects are the run-scoped subject names, all under "sb.<run>.".
type subjects struct{ prefix string }

func newSubjects(run string) (subjects, error) {
	if err := checkToken("run id", run); err != nil {
		return subjects{}, err
	}
	return subjects{prefix: "sb." + run}, nil
}

func (s subjects) register() string           { return s.prefix + ".register" }
func (s subjects) ready() string              { return s.prefix + ".ready" }
func (s subjects) report() string             { return s.prefix + ".report" }
func (s subjects) heartbeat() string          { return s.prefix + ".hb" }
func (s subjects) alive() string              { return s.prefix + ".alive" }
func (s subjects) start() string              { return s.prefix + ".go" }
func (s subjects) abort() string              { return s.prefix + ".abort" }
func (s subjects) hello() string              { return s.prefix + ".hello" }
func (s subjects) assign(agent string) string { return s.prefix + ".agent." + agent + ".assign" }
func (s subjects) clock(agent string) string  { return s.prefix + ".agent." + agent + ".clock" }

// ValidID checks that s can name a run, an agent or a measurement: it
// becomes one token of a NATS subject, so it is non-empty and holds no '.',
// '*', '>', space or control character.
func ValidID(s string) error {
	if s == "" {
		return errors.New("empty; use letters, digits, '-' and '_'")
	}
	if i := strings.IndexFunc(s, func(r rune) bool {
		return r == '.' || r == '*' || r == '>' || r <= ' ' || r == 0x7f
	}); i >= 0 {
		return fmt.Errorf("%q: character %q at %d is not allowed (use letters, digits, '-' and '_')", s, s[i], i)
	}
	return nil
}

// checkToken is ValidID with the package's prefix and what s names.
func checkToken(what, s string) error {
	if err := ValidID(s); err != nil {
		return fmt.Errorf("cluster: %s %w", what, err)
	}
	return nil
}

// Messages. Times on the wire are Unix nanoseconds of the sender's wall
// clock; durations are nanoseconds.
type (
	header struct {
		Proto int `json:"proto"`
	}
	// registerMsg: agent → harness, request on register.
	registerMsg struct {
		header
		ID          string `json:"id"`
		Host        string `json:"host"`
		CPUs        int    `json:"cpus"`
		Version     string `json:"version"`
		Incarnation string `json:"incarnation"`
	}
	// ack is every reply; Error non-empty means refused.
	ack struct {
		header
		Error   string `json:"error,omitempty"`
		Session string `json:"session,omitempty"`
	}
	// helloMsg: harness → all, broadcast when a coordinator starts.
	helloMsg struct {
		header
		Session string `json:"session"`
	}
	// clockMsg: harness → agent request (T0) and its reply (T1, T2).
	clockMsg struct {
		header
		T0 int64 `json:"t0,omitempty"`
		T1 int64 `json:"t1,omitempty"`
		T2 int64 `json:"t2,omitempty"`
	}
	// assignMsg: harness → agent, request: run replica Replica of Measurement.
	assignMsg struct {
		header
		Session     string          `json:"session"`
		Measurement string          `json:"measurement"`
		Replica     int             `json:"replica"`
		Spec        json.RawMessage `json:"spec"`
		Heartbeat   time.Duration   `json:"heartbeat"`
		// GoWithin is the deadline, counted from receipt on the agent's own
		// monotonic clock, after which the replica stops waiting for go.
		GoWithin time.Duration `json:"go_within"`
	}
	// replicaMsg identifies one replica of one measurement on one agent:
	// the ready request and the heartbeat.
	replicaMsg struct {
		header
		Agent       string `json:"agent"`
		Incarnation string `json:"incarnation"`
		Measurement string `json:"measurement"`
		Replica     int    `json:"replica"`
	}
	// goMsg: harness → all, the one go broadcast of a measurement; abort
	// uses it too, with Reason.
	goMsg struct {
		header
		Measurement string `json:"measurement"`
		Reason      string `json:"reason,omitempty"`
	}
	// reportMsg: agent → harness, request, resent until acknowledged.
	reportMsg struct {
		replicaMsg
		// GoAt is when the agent received go, on its wall clock (0: never).
		GoAt   int64           `json:"go_at"`
		Result json.RawMessage `json:"result,omitempty"`
		Error  string          `json:"error,omitempty"`
	}
)

func hdr() header { return header{Proto: Protocol} }

// decode checks data's protocol version before decoding it into v.
func decode(data []byte, v any, peer string) error {
	var h header
	if err := json.Unmarshal(data, &h); err != nil {
		return fmt.Errorf("cluster: decode message from %s: %w", peer, err)
	}
	if h.Proto != Protocol {
		return &ProtocolError{Local: Protocol, Remote: h.Proto, Peer: peer}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("cluster: decode message from %s: %w", peer, err)
	}
	return nil
}

// call sends req to subject and decodes the acknowledgement into reply.
// A refusal comes back as an error carrying the peer's reason.
func call(ctx context.Context, nc *nats.Conn, subject string, req any, reply *ack, peer string) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("cluster: encode request for %s: %w", subject, err)
	}
	msg, err := nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return fmt.Errorf("cluster: request %s: %w", subject, err)
	}
	if err := decode(msg.Data, reply, peer); err != nil {
		return err
	}
	if reply.Error != "" {
		return &RefusedError{Peer: peer, Subject: subject, Reason: reply.Error}
	}
	return nil
}

// RefusedError is a peer's refusal of a request, with its reason.
type RefusedError struct {
	Peer, Subject, Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("cluster: %s refused %s: %s", e.Peer, e.Subject, e.Reason)
}

// ackData is the encoded acknowledgement carrying err's text, if any.
func ackData(session string, err error) []byte {
	a := ack{header: hdr(), Session: session}
	if err != nil {
		a.Error = err.Error()
	}
	data, _ := json.Marshal(a)
	return data
}

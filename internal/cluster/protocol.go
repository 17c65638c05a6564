package cluster

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Protocol is the version of the messages below. Every message carries it;
// a harness and an agent of different versions refuse each other when the
// agent registers.
//
// Version 2: agent subjects name the incarnation; assignments carry the
// harness session, the agent's id and incarnation and a per-assignment key
// sealed to the agent's curve key; ready, heartbeats and reports carry the
// session and an HMAC under that key; go and abort carry the session;
// messages may be signed by the harness's NKey.
const Protocol = 2

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
	// ErrIDTaken: another live agent process already registered with the id.
	ErrIDTaken = errors.New("agent id taken by another live process")
	// ErrServerLost: the connection to the NATS server was lost.
	ErrServerLost = errors.New("lost the connection to the NATS server")
	// ErrImplausible: a report's content contradicts the harness's own clock.
	ErrImplausible = errors.New("implausible report")
	// ErrForged: a message was not made by its claimed sender.
	ErrForged = errors.New("forged message")
)

// subjects are the run-scoped subject names, all under "sb.<run>.".
type subjects struct{ prefix string }

func newSubjects(run string) (subjects, error) {
	if err := checkToken("run id", run); err != nil {
		return subjects{}, err
	}
	return subjects{prefix: "sb." + run}, nil
}

func (s subjects) register() string  { return s.prefix + ".register" }
func (s subjects) ready() string     { return s.prefix + ".ready" }
func (s subjects) report() string    { return s.prefix + ".report" }
func (s subjects) heartbeat() string { return s.prefix + ".hb" }
func (s subjects) alive() string     { return s.prefix + ".alive" }
func (s subjects) start() string     { return s.prefix + ".go" }
func (s subjects) abort() string     { return s.prefix + ".abort" }
func (s subjects) hello() string     { return s.prefix + ".hello" }
func (s subjects) progress() string  { return s.prefix + ".progress" }

// assign and clock are one agent process's own subjects: id, then incarnation.
func (s subjects) assign(agent, inc string) string {
	return s.prefix + ".agent." + agent + "." + inc + ".assign"
}
func (s subjects) clock(agent, inc string) string {
	return s.prefix + ".agent." + agent + "." + inc + ".clock"
}

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
		// Key is the agent process's curve public key: assignments' keys
		// are sealed to it.
		Key string `json:"key"`
		// Workloads are the workloads the agent's executable has.
		Workloads []string `json:"workloads,omitempty"`
		// Progress says the agent sends a replica's progress while it
		// measures, when its spec asks for it. A harness of the same
		// version without progress ignores the field; one with it sends
		// such specs only to agents that set it.
		Progress bool `json:"progress,omitempty"`
	}
	// ack is every reply; Error non-empty means refused, and Code says why
	// when the peer should act on it (codeIDTaken).
	ack struct {
		header
		Error   string `json:"error,omitempty"`
		Code    string `json:"code,omitempty"`
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
		Session     string `json:"session"`
		Agent       string `json:"agent"`
		Incarnation string `json:"incarnation"`
		// Key is the assignment's secret, sealed by the harness's curve key
		// From to the agent's: ready, heartbeats and the report carry an
		// HMAC under it.
		Key         []byte          `json:"key"`
		From        string          `json:"from"`
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
		Session     string `json:"session"`
		Agent       string `json:"agent"`
		Incarnation string `json:"incarnation"`
		Measurement string `json:"measurement"`
		Replica     int    `json:"replica"`
		// Seq numbers heartbeats, so an old one replayed is stale.
		Seq int64 `json:"seq,omitempty"`
		// MAC is the HMAC of the message under the assignment's key.
		MAC []byte `json:"mac"`
	}
	// goMsg: harness → all, the one go broadcast of a measurement; abort
	// uses it too, with Reason.
	goMsg struct {
		header
		Session     string `json:"session"`
		Measurement string `json:"measurement"`
		Reason      string `json:"reason,omitempty"`
	}
	// progressMsg: agent → harness, published: a replica's progress while
	// it measures (Data, opaque here); Seq numbers them, so a replayed one
	// is stale. Harnesses that do not listen drop them.
	progressMsg struct {
		replicaMsg
		Data json.RawMessage `json:"data"`
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

// Kinds of message an HMAC covers, so one kind cannot pass for another.
const (
	macReady    = "ready"
	macBeat     = "hb"
	macReport   = "report"
	macProgress = "progress"
)

// mac is the HMAC-SHA256 under key of kind and parts, each length-prefixed
// so that no two different lists encode alike.
func mac(key []byte, kind string, parts ...string) []byte {
	h := hmac.New(sha256.New, key)
	var n [8]byte
	for _, p := range append([]string{kind}, parts...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// macOf is the HMAC of a ready or heartbeat message m of kind.
func (m replicaMsg) macOf(key []byte, kind string) []byte {
	return mac(key, kind, m.Session, m.Agent, m.Incarnation, m.Measurement,
		strconv.Itoa(m.Replica), strconv.FormatInt(m.Seq, 10))
}

// macOf is the HMAC of progress message m, its data included.
func (m progressMsg) macOf(key []byte) []byte {
	return mac(key, macProgress, m.Session, m.Agent, m.Incarnation, m.Measurement,
		strconv.Itoa(m.Replica), strconv.FormatInt(m.Seq, 10), string(m.Data))
}

// macOf is the HMAC of report m, its result and error included.
func (m reportMsg) macOf(key []byte) []byte {
	return mac(key, macReport, m.Session, m.Agent, m.Incarnation, m.Measurement,
		strconv.Itoa(m.Replica), strconv.FormatInt(m.GoAt, 10), m.Error, string(m.Result))
}

// sigHeader carries the harness's NKey signature of a message.
const sigHeader = "Scalebench-Sig"

// sign returns data as a message on subject, signed by kp when it is set.
// The signature covers the subject too, so a signed message cannot be
// replayed on another subject (another agent's, say).
func sign(kp nkeys.KeyPair, subject string, data []byte) (*nats.Msg, error) {
	msg := &nats.Msg{Subject: subject, Data: data}
	if kp == nil {
		return msg, nil
	}
	sig, err := kp.Sign(signed(subject, data))
	if err != nil {
		return nil, fmt.Errorf("cluster: sign %s: %w", subject, err)
	}
	msg.Header = nats.Header{sigHeader: []string{base64.RawURLEncoding.EncodeToString(sig)}}
	return msg, nil
}

func signed(subject string, data []byte) []byte {
	return append([]byte(subject+"\n"), data...)
}

// verify checks msg's signature, as published on subject, against the
// pinned harness key; with no key pinned every message passes.
func verify(pinned nkeys.KeyPair, subject string, msg *nats.Msg) error {
	if pinned == nil {
		return nil
	}
	raw := msg.Header.Get(sigHeader)
	if raw == "" {
		return fmt.Errorf("cluster: %w: %s is not signed by the pinned harness key", ErrForged, subject)
	}
	sig, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || pinned.Verify(signed(subject, msg.Data), sig) != nil {
		return fmt.Errorf("cluster: %w: %s carries no valid signature of the pinned harness key", ErrForged, subject)
	}
	return nil
}

// call sends req to subject (signed by kp, when set) and decodes the
// acknowledgement into reply, checking its signature against pinned (when
// set). A refusal comes back as an error carrying the peer's reason.
func call(ctx context.Context, nc *nats.Conn, subject string, req any, reply *ack, peer string, kp, pinned nkeys.KeyPair) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("cluster: encode request for %s: %w", subject, err)
	}
	out, err := sign(kp, subject, data)
	if err != nil {
		return err
	}
	msg, err := nc.RequestMsgWithContext(ctx, out)
	if err != nil {
		return fmt.Errorf("cluster: request %s: %w", subject, err)
	}
	if err := verify(pinned, replySubject, msg); err != nil {
		return err
	}
	if err := decode(msg.Data, reply, peer); err != nil {
		return err
	}
	if reply.Error != "" {
		return &RefusedError{Peer: peer, Subject: subject, Reason: reply.Error, Code: reply.Code}
	}
	return nil
}

// replySubject stands for a reply's subject in its signature: replies go
// to inboxes whose names the replier does not choose.
const replySubject = "reply"

// Codes of refusals a peer acts on.
const codeIDTaken = "id-taken"

// RefusedError is a peer's refusal of a request, with its reason.
type RefusedError struct {
	Peer, Subject, Reason string
	// Code, when set, says what kind of refusal it is (codeIDTaken).
	Code string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("cluster: %s refused %s: %s", e.Peer, e.Subject, e.Reason)
}

// ackData is the encoded acknowledgement carrying err's text, if any, and
// the code of a refusal the peer acts on.
func ackData(session string, err error) []byte {
	a := ack{header: hdr(), Session: session}
	if err != nil {
		a.Error = err.Error()
		if errors.Is(err, ErrIDTaken) {
			a.Code = codeIDTaken
		}
	}
	data, _ := json.Marshal(a)
	return data
}

// printable quotes s for a log line or an error when it holds anything
// but printable ASCII, so a peer's text cannot forge lines or move the
// terminal's cursor; at most max bytes of it are kept.
func printable(s string, max int) string {
	cut := len(s) > max
	if cut {
		s = s[:max]
	}
	for _, r := range s {
		if r < ' ' || r > '~' {
			s = strconv.QuoteToASCII(s)
			break
		}
	}
	if cut {
		s += "…"
	}
	return s
}

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// fuzzRun holds a live harness and agent on an embedded server for the
// fuzz targets, and the values a templated input may use: $S the session,
// $A the agent id, $I its incarnation, $M the measurement under way.
type fuzzRun struct {
	srv     *Server
	coord   *Coordinator
	agent   *testAgent
	rogue   *nats.Conn
	worked  atomic.Int32
	measure chan error // Measure's result, when one runs
}

func (r *fuzzRun) fill(data []byte) []byte {
	for _, kv := range [][2]string{{"$S", r.coord.session}, {"$A", r.agent.ID()}, {"$I", r.agent.Incarnation()}, {"$M", "m1"}} {
		data = bytes.ReplaceAll(data, []byte(kv[0]), []byte(kv[1]))
	}
	return data
}

// newFuzzRun starts the harness and one agent; with measuring, a
// measurement is under way (go sent, the replica busy) when it returns.
func newFuzzRun(f *testing.F, measuring bool) *fuzzRun {
	r := &fuzzRun{measure: make(chan error, 1)}
	r.srv = startServer(f)
	// Heartbeats slow enough that a busy machine does not starve them.
	r.coord = startCoordinator(f, r.srv, Config{Heartbeat: time.Second})
	release, busy := make(chan struct{}), make(chan struct{})
	r.agent = newTestAgent(f, r.srv, AgentConfig{ID: "fz", Work: func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		if !measuring {
			r.worked.Add(1)
			return nil, ready()
		}
		if err := ready(); err != nil {
			return nil, err
		}
		close(busy)
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return json.RawMessage(`{"real":true}`), nil
	}})
	waitAgents(f, r.coord, 1)
	r.rogue = connect(f, r.srv, "rogue")
	if measuring {
		go func() {
			_, err := r.coord.Measure(context.Background(), assignments("m1", "fz"))
			r.measure <- err
		}()
		<-busy
		f.Cleanup(func() {
			close(release)
			if err := <-r.measure; err != nil {
				f.Errorf("the measurement under the fuzzed messages: %v", err)
			}
		})
	}
	return r
}

// seeds adds, for each of n subjects, valid-shaped messages to mutate.
func seeds(f *testing.F, n int) {
	msgs := []string{
		`{}`, `null`, `[]`, `{"proto":2}`, `{"proto":1}`, `{"proto":-1,"session":"$S"}`,
		`{"proto":2,"session":"$S","measurement":"$M"}`,
		`{"proto":2,"session":"$S","measurement":"$M","reason":"x"}`,
		`{"proto":2,"session":"$S","agent":"$A","incarnation":"$I","measurement":"$M","replica":0,"seq":99999,"mac":"AAAA"}`,
		`{"proto":2,"session":"$S","agent":"$A","incarnation":"$I","measurement":"$M","replica":0,"go_at":1,"result":{"jobs_per_s":77777},"mac":""}`,
		`{"proto":2,"session":"$S","agent":"$A","incarnation":"$I","key":"AAAA","from":"XAAAA","measurement":"$M","replica":0,"spec":{},"heartbeat":1000000000,"go_within":60000000000}`,
		`{"proto":2,"id":"$A","host":"h","cpus":1,"version":"v","incarnation":"other","key":"XBAD"}`,
		`{"proto":2,"id":"$A","host":"h","cpus":-5,"version":"v","incarnation":"$I","key":"x"}`,
		`{"proto":2,"id":"new\u001b[2J","host":"\n","cpus":99999999}`,
		`{"proto":2,"t0":-9223372036854775808}`,
		`{"proto":2,"session":"$S","measurement":"$M","replica":-1}`,
		`{"proto":2,"session":"$S","measurement":"$M","replica":9223372036854775807}`,
		"\xff\xfe\x00", `{"proto":2,"session":"` + string(bytes.Repeat([]byte("a"), 5000)) + `"}`,
	}
	for i := range n {
		for _, m := range msgs {
			f.Add(uint8(i), []byte(m), true)
		}
	}
}

// FuzzAgentMessages publishes arbitrary bytes on every subject an agent
// subscribes to: it must neither stop nor run an assignment it was not
// given by its harness.
func FuzzAgentMessages(f *testing.F) {
	seeds(f, 5)
	r := newFuzzRun(f, false)
	inc := r.agent.Incarnation()
	subjects := []string{
		"sb.test.go", "sb.test.abort", "sb.test.hello",
		"sb.test.agent.fz." + inc + ".assign", "sb.test.agent.fz." + inc + ".clock",
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte, templated bool) {
		if templated {
			data = r.fill(data)
		}
		subject := subjects[int(which)%len(subjects)]
		if err := r.rogue.PublishRequest(subject, "_INBOX.fuzz", data); err != nil {
			t.Skip(err) // too large for the server, say
		}
		// The clock answers once the agent handled what came before it
		// on that subject; a stopped agent answers no more.
		if _, err := r.rogue.Request("sb.test.agent.fz."+inc+".clock", []byte(`{"proto":2}`), 5*time.Second); err != nil {
			t.Fatalf("the agent does not answer after %q on %s: %v", data, subject, err)
		}
		running(t, r.agent)
		if n := r.worked.Load(); n > 0 {
			t.Fatalf("the agent ran %d assignments after %q on %s", n, data, subject)
		}
	})
}

// FuzzCoordinatorMessages publishes arbitrary bytes on every subject the
// harness serves while a measurement is under way: the harness must
// neither stop nor accept a report, ready or heartbeat that its agent did
// not make, and the measurement must still succeed with the real report.
func FuzzCoordinatorMessages(f *testing.F) {
	seeds(f, 5)
	r := newFuzzRun(f, true)
	subjects := []string{"sb.test.register", "sb.test.ready", "sb.test.report", "sb.test.alive", "sb.test.hb"}
	f.Fuzz(func(t *testing.T, which uint8, data []byte, templated bool) {
		if templated {
			data = r.fill(data)
		}
		subject := subjects[int(which)%len(subjects)]
		if subject == "sb.test.hb" {
			if err := r.rogue.Publish(subject, data); err != nil {
				t.Skip(err)
			}
		} else if _, err := r.rogue.Request(subject, data, 5*time.Second); err != nil && !errorsIsTooLarge(err) {
			t.Fatalf("the harness does not answer %q on %s: %v", data, subject, err)
		}
		select {
		case err := <-r.measure:
			r.measure <- err
			t.Fatalf("the measurement ended under %q on %s: %v", data, subject, err)
		default:
		}
		r.coord.mu.Lock()
		defer r.coord.mu.Unlock()
		rd := r.coord.rounds["m1"]
		if rd == nil {
			t.Fatal("the measurement is no longer under way")
		}
		for i, rs := range rd.reps {
			if rs.report != nil || rs.failure != nil {
				t.Fatalf("after %q on %s replica %d has report %v, failure %v", data, subject, i, rs.report, rs.failure)
			}
		}
		if a := r.coord.agents["fz"]; a == nil || a.info.Incarnation != r.agent.Incarnation() {
			t.Fatalf("after %q on %s the roster lost the live agent", data, subject)
		}
	})
}

func errorsIsTooLarge(err error) bool { return err == nats.ErrMaxPayload }

package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/testutil"
)

// natsWithShippedConf starts a NATS server with compose/nats.conf on a
// loopback port the OS picks, with the roles' passwords in its environment.
func natsWithShippedConf(t *testing.T) string {
	t.Helper()
	t.Setenv("SCALEBENCH_HARNESS_PASSWORD", "harness-pw")
	t.Setenv("SCALEBENCH_AGENT_PASSWORD", "agent-pw")
	opts, err := server.ProcessConfigFile("compose/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the server is not ready")
	}
	return srv.ClientURL()
}

// violations is a connection as user that records the server's
// permission errors.
type violations struct {
	nc   *nats.Conn
	mu   sync.Mutex
	errs []string
}

func connectAs(t *testing.T, url, user, password string) *violations {
	t.Helper()
	v := &violations{}
	nc, err := nats.Connect(url, nats.UserInfo(user, password), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.errs = append(v.errs, err.Error())
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	v.nc = nc
	return v
}

// denied reports whether the server refused op on subject, waiting up to d.
func (v *violations) denied(op, subject string, d time.Duration) bool {
	want := strings.ToLower(fmt.Sprintf("permissions violation for %s to %q", op, subject))
	return testutil.Poll(d, func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		for _, e := range v.errs {
			if strings.Contains(strings.ToLower(e), want) {
				return true
			}
		}
		return false
	})
}

// The shipped permissions let a harness and an agent measure, and keep
// an agent's user from every subject of the harness's role.
func TestNATSPermissions(t *testing.T) {
	url := natsWithShippedConf(t)
	harness, err := cluster.Connect(cluster.ConnectOptions{URL: url, User: "harness", Password: "harness-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer harness.Close()
	progress := make(chan cluster.Progress, 1)
	coord, err := cluster.NewCoordinator(harness, cluster.Config{Run: "r1", Progress: func(p cluster.Progress) {
		select {
		case progress <- p:
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()
	agentNC, err := cluster.Connect(cluster.ConnectOptions{URL: url, User: "agent", Password: "agent-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer agentNC.Close()
	agent, err := cluster.NewAgent(agentNC, cluster.AgentConfig{ID: "a1", Run: "r1", Progress: true, Work: func(ctx context.Context, spec json.RawMessage, ready func() error) (json.RawMessage, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		cluster.SendProgress(ctx, json.RawMessage(`{"bucket":0}`))
		select {
		case p := <-progress: // the report after the progress, or it is dropped as stale
			progress <- p
		case <-time.After(5 * time.Second):
		}
		return spec, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if _, err := coord.WaitAgents(context.Background(), 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	out, err := coord.Measure(context.Background(), []cluster.Assignment{{Measurement: "m1", Agent: "a1", Spec: json.RawMessage(`{"n":1}`)}})
	if err != nil {
		t.Fatalf("measure under the shipped permissions: %v", err)
	}
	if string(out.Results[0].Report) != `{"n":1}` {
		t.Errorf("report %s", out.Results[0].Report)
	}
	select {
	case p := <-progress:
		if string(p.Data) != `{"bucket":0}` {
			t.Errorf("progress %s", p.Data)
		}
	default:
		t.Error("the replica's progress did not pass the shipped permissions")
	}

	rogue := connectAs(t, url, "agent", "agent-pw")
	for _, tc := range []struct{ op, subject string }{
		{"publish", "sb.r1.go"},
		{"publish", "sb.r1.abort"},
		{"publish", "sb.r1.hello"},
		{"publish", "sb.r1.agent.a1." + agent.Incarnation() + ".assign"},
		{"publish", "sb.r1.agent.a1." + agent.Incarnation() + ".clock"},
		{"publish", "_INBOX.anyone"},
		{"subscription", "sb.r1.register"},
		{"subscription", "sb.r1.report"},
		{"subscription", "sb.r1.ready"},
		{"subscription", "sb.r1.hb"},
		{"subscription", "sb.r1.progress"},
		{"subscription", "sb.>"},
		{"subscription", ">"},
	} {
		t.Run(tc.op+" "+tc.subject, func(t *testing.T) {
			if tc.op == "publish" {
				_ = rogue.nc.Publish(tc.subject, []byte(`{}`))
			} else if _, err := rogue.nc.SubscribeSync(tc.subject); err != nil {
				t.Fatal(err)
			}
			_ = rogue.nc.Flush()
			if !rogue.denied(tc.op, tc.subject, 5*time.Second) {
				t.Errorf("the agent user may %s %s", tc.op, tc.subject)
			}
		})
	}
	// A harness's user cannot pose as an agent either.
	h := connectAs(t, url, "harness", "harness-pw")
	_ = h.nc.Publish("sb.r1.report", []byte(`{}`))
	_ = h.nc.Flush()
	if !h.denied("publish", "sb.r1.report", 5*time.Second) {
		t.Error("the harness user may publish reports")
	}
	// What an agent needs stays allowed.
	_ = rogue.nc.Publish("sb.r1.hb", []byte(`{}`))
	_ = rogue.nc.Publish("sb.r1.progress", []byte(`{}`))
	if _, err := rogue.nc.SubscribeSync("sb.r1.go"); err != nil {
		t.Fatal(err)
	}
	_ = rogue.nc.Flush()
	if rogue.denied("publish", "sb.r1.hb", 200*time.Millisecond) || rogue.denied("publish", "sb.r1.progress", 200*time.Millisecond) ||
		rogue.denied("subscription", "sb.r1.go", 200*time.Millisecond) {
		t.Error("the agent user may not do what an agent does")
	}
}

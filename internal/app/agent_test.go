package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
)

func TestAgentCommandFailsFast(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name  string
		args  []string
		token string
		code  int
		want  string
	}{
		{"wrong token", []string{"agent", "--nats", srv.URL}, "not-the-token", ExitFailure, "the server refused our credentials"},
		{"no token", []string{"agent", "--nats", srv.URL}, "", ExitFailure, "the server refused our credentials"},
		{"no server", []string{"agent", "--nats", "nats://127.0.0.1:1"}, "", ExitFailure, "no NATS server answered"},
		{"missing creds file", []string{"agent", "--nats", srv.URL, "--nats-creds", "/nonexistent/agent.creds"}, "", ExitFailure, "credentials file"},
		{"no URL", []string{"agent"}, "", ExitUsage, "--nats URL is required"},
		{"cert without key", []string{"agent", "--nats", srv.URL, "--nats-cert", "c.pem"}, "", ExitUsage, "--nats-cert and --nats-key go together"},
		{"bad id", []string{"agent", "--nats", srv.URL, "--id", "a.b"}, srv.Token, ExitUsage, `--id: "a.b": character '.'`},
		{"bad harness key", []string{"agent", "--nats", srv.URL, "--harness-key", "SUAK-not-a-key"}, srv.Token, ExitUsage, "--harness-key: not a public NKey"},
		{"password in the second server URL", []string{"agent", "--nats", "nats://127.0.0.1:1,nats://bob:s3cret@127.0.0.1:2"}, "", ExitFailure, "no NATS server answered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(cluster.EnvToken, tc.token)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			code := Main(ctx, tc.args, nil, &out, &errOut)
			if ctx.Err() != nil {
				t.Fatalf("the command waited for its context instead of failing fast: %s", errOut.String())
			}
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), tc.code, tc.want)
			}
			if strings.Contains(errOut.String(), "s3cret") {
				t.Errorf("stderr shows the password: %s", errOut.String())
			}
			if tc.token != "" && strings.Contains(errOut.String(), tc.token) {
				t.Errorf("stderr shows the token: %s", errOut.String())
			}
		})
	}
}

func TestAgentCommandServesHarness(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	nc, err := srv.Connect("harness")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	coord, err := cluster.NewCoordinator(nc, cluster.Config{Run: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	defer coord.Close()

	t.Setenv(cluster.EnvToken, srv.Token)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{"agent", "--nats", srv.URL, "--run", "r1", "--id", "box-1"}, nil, &out, &errOut)
	}()
	agents, err := coord.WaitAgents(context.Background(), 1, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if agents[0].ID != "box-1" || agents[0].Version != Version {
		t.Errorf("registered %+v", agents[0])
	}
	// The agent's work is scalebench's: it refuses an assignment out of a
	// scenario's bounds before it starts any worker process.
	_, err = coord.Measure(context.Background(), []cluster.Assignment{{Measurement: "m1", Agent: "box-1", Spec: json.RawMessage(`{"gomaxprocs":0,"spec":{"workers":2}}`)}})
	if err == nil || !strings.Contains(err.Error(), "agent box-1, replica 0: work failed: \"assignment refused") || !strings.Contains(err.Error(), "matrix.gomaxprocs") {
		t.Errorf("Measure = %v, want the assignment refused by box-1", err)
	}
	cancel()
	if code := <-exit; code != ExitOK {
		t.Errorf("stopped agent: exit %d: %s", code, errOut.String())
	}
	if strings.Contains(errOut.String(), srv.Token) {
		t.Errorf("stderr shows the token: %s", errOut.String())
	}
}

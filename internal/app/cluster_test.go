package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
)

// run's cluster flags: wrong combinations are usage errors, an unreachable
// or refusing server and missing agents fail fast and say why, and no
// secret shows.
func TestRunClusterFlags(t *testing.T) {
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(sc, []byte("name: s\nimages: {paths: [/64x48/ccc/aaa.jpg]}\nload: {duration: 100ms, warmup: 0s, repeats: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same from the scenario's cluster section.
	fromFile := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(fromFile, []byte("name: c\nimages: {paths: [/64x48/ccc/aaa.jpg]}\nload: {duration: 100ms, warmup: 0s, repeats: 1}\n"+
		"cluster: {nats_url: '"+srv.URL+"', agents: 3, run: r9, wait: 300ms}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		token string
		code  int
		want  string
	}{
		{"agents without a server", []string{"--agents", "2"}, "", ExitUsage, "--agents 2 needs the NATS server the agents use"},
		{"server without agents", []string{"--nats", srv.URL}, "", ExitUsage, "--agents N or cluster.agents"},
		{"credentials without a server", []string{"--nats-creds", "a.creds"}, "", ExitUsage, "--nats-creds applies only with --nats URL"},
		{"cert without key", []string{"--nats", srv.URL, "--agents", "1", "--nats-cert", "c.pem"}, "", ExitUsage, "--nats-cert and --nats-key go together"},
		{"bad run id", []string{"--nats", srv.URL, "--agents", "1", "--run-id", "a.b"}, "", ExitUsage, `--run-id: "a.b"`},
		{"pin with agents", []string{"--nats", srv.URL, "--agents", "1", "--pin"}, "", ExitUsage, "with --nats the replicas run on the agents"},
		{"no server", []string{"--nats", "nats://127.0.0.1:1", "--agents", "1"}, "", ExitFailure, "no NATS server answered"},
		{"wrong token", []string{"--nats", srv.URL, "--agents", "1"}, "not-the-token", ExitFailure, "the server refused our credentials"},
		{"no agents come", []string{"--nats", srv.URL, "--agents", "2", "--agents-wait", "300ms"}, srv.Token, ExitFailure, "0 of 2 agents arrived"},
		{"scenario's cluster section", []string{fromFile}, srv.Token, ExitFailure, "0 of 3 agents arrived within 300ms on run r9"},
		{"flags override the scenario", []string{"--agents", "1", fromFile}, srv.Token, ExitFailure, "0 of 1 agents arrived"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(cluster.EnvToken, tc.token)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := append([]string{"run", "--out", filepath.Join(t.TempDir(), "out")}, tc.args...)
			var out, errOut bytes.Buffer
			if !strings.HasSuffix(args[len(args)-1], ".yaml") {
				args = append(args, sc)
			}
			code := Main(ctx, args, nil, &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), tc.code, tc.want)
			}
			if strings.Contains(errOut.String()+out.String(), srv.Token) {
				t.Errorf("the output shows the token: %s", errOut.String())
			}
		})
	}
}

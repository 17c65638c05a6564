package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// nkeyServer starts a loopback server that admits one NKey user, and
// returns its URL and a file holding that user's seed.
func nkeyServer(t *testing.T) (url, seedFile string) {
	t.Helper()
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := user.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := user.Seed()
	if err != nil {
		t.Fatal(err)
	}
	seedFile = filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
		Nkeys: []*server.NkeyUser{{Nkey: pub}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nkey server not ready")
	}
	return srv.ClientURL(), seedFile
}

func TestConnectNKey(t *testing.T) {
	url, seedFile := nkeyServer(t)
	other, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	otherSeed, _ := other.Seed()
	otherFile := filepath.Join(t.TempDir(), "other.nk")
	if err := os.WriteFile(otherFile, otherSeed, 0o600); err != nil {
		t.Fatal(err)
	}
	withUser := strings.Replace(url, "nats://", "nats://someone:hunter2@", 1)
	for _, tc := range []struct {
		name string
		o    ConnectOptions
		want string // "" means it connects
	}{
		{"the user's nkey", ConnectOptions{URL: url, NKeyFile: seedFile}, ""},
		{"another nkey", ConnectOptions{URL: url, NKeyFile: otherFile}, "the server refused our credentials"},
		{"no credentials", ConnectOptions{URL: url}, "the server refused our credentials"},
		{"password in the URL is not shown", ConnectOptions{URL: withUser}, "nats://REDACTED@127.0.0.1"},
		{"missing nkey file", ConnectOptions{URL: url, NKeyFile: filepath.Join(t.TempDir(), "none.nk")}, "nkey file"},
		{"missing creds file", ConnectOptions{URL: url, CredsFile: filepath.Join(t.TempDir(), "none.creds")}, "credentials file"},
		{"cert without key", ConnectOptions{URL: url, CertFile: "c.pem"}, "needs both a certificate file and a key file"},
		{"no URL", ConnectOptions{}, "no NATS server URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := Connect(tc.o)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				nc.Close()
				return
			}
			if err == nil {
				nc.Close()
				t.Fatalf("connected, want an error saying %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error = %v, want it to say %q and show no secret", err, tc.want)
			}
		})
	}
}

package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestClusterSection(t *testing.T) {
	const head = "name: t\nimages: {paths: [/64x48/ccc/aaa.jpg]}\n"
	for _, tc := range []struct {
		name, yaml string
		want       Cluster // when err is empty
		err        string
	}{
		{"absent", "", Cluster{}, ""},
		{"full", "cluster: {nats_url: nats://10.0.0.1:4222, agents: 3, run: bench-1, wait: 30s, retries: 2}",
			Cluster{NATSURL: "nats://10.0.0.1:4222", Agents: 3, Run: "bench-1", Wait: Duration(30 * time.Second), Retries: new(2)}, ""},
		{"tls scheme", "cluster: {nats_url: 'tls://nats.example.com:4222', agents: 1}",
			Cluster{NATSURL: "tls://nats.example.com:4222", Agents: 1}, ""},
		{"http URL", "cluster: {nats_url: 'http://x:4222', agents: 1}", Cluster{}, "t.yaml:3: cluster.nats_url: must be a NATS server URL"},
		{"credentials in URL", "cluster: {nats_url: 'nats://u:secret@x:4222', agents: 1}", Cluster{}, "must not carry credentials"},
		{"credentials in the second URL of a list", "cluster: {nats_url: 'nats://x:4222,nats://u:secret@y:4222', agents: 1}", Cluster{}, "must not carry credentials"},
		{"token in the second URL of a list", "cluster: {nats_url: 'nats://x:4222, nats://secret@y:4222', agents: 1}", Cluster{}, "must not carry credentials"},
		{"list of two", "cluster: {nats_url: 'nats://x:4222,nats://y:4222', agents: 1}", Cluster{NATSURL: "nats://x:4222,nats://y:4222", Agents: 1}, ""},
		{"list with an http URL", "cluster: {nats_url: 'nats://x:4222,http://y:4222', agents: 1}", Cluster{}, "must be a NATS server URL"},
		{"no agents", "cluster: {nats_url: 'nats://x:4222', agents: 0}", Cluster{}, "cluster.agents: must be >= 1"},
		{"bad run id", "cluster: {run: 'a.b'}", Cluster{}, "cluster.run: must be letters, digits, - and _ only"},
		{"unknown field", "cluster: {token: x}", Cluster{}, "cluster.token: unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := Parse("t.yaml", []byte(head+tc.yaml+"\n"))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := sc.Cluster
			if got.NATSURL != tc.want.NATSURL || got.Agents != tc.want.Agents || got.Run != tc.want.Run || got.Wait != tc.want.Wait ||
				(got.Retries == nil) != (tc.want.Retries == nil) || (got.Retries != nil && *got.Retries != *tc.want.Retries) {
				t.Errorf("cluster = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Package deploy holds no code: its test checks that the deployment files
// parse and keep every secret out of command lines.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// docs decodes every YAML document of path.
func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
}

// get walks m along keys (map keys, or list indexes as ints).
func get(t *testing.T, m any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch v := m.(type) {
		case map[string]any:
			m = v[k.(string)]
		case []any:
			m = v[k.(int)]
		default:
			t.Fatalf("no %v in %v", k, m)
		}
	}
	return m
}

func strs(t *testing.T, v any) []string {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not a list", v)
	}
	var out []string
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

func TestKubernetesManifest(t *testing.T) {
	ds := docs(t, "kubernetes/agents.yaml")
	var kinds []string
	for _, d := range ds {
		kinds = append(kinds, d["kind"].(string))
	}
	if !slices.Equal(kinds, []string{"Secret", "Deployment"}) {
		t.Fatalf("kinds %v, want a Secret and a Deployment", kinds)
	}
	c := get(t, ds[1], "spec", "template", "spec", "containers", 0)
	args := strs(t, get(t, c, "args"))
	if args[0] != "agent" || !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--nats=nats://") }) {
		t.Errorf("args %v, want the agent command with --nats", args)
	}
	user, pw := get(t, c, "env", 0), get(t, c, "env", 1)
	if get(t, user, "name") != "SCALEBENCH_NATS_USER" || get(t, user, "value") != "agent" {
		t.Errorf("env %v, want the agent's user", user)
	}
	if get(t, pw, "name") != "SCALEBENCH_NATS_PASSWORD" || get(t, pw, "valueFrom", "secretKeyRef", "name") != get(t, ds[0], "metadata", "name") {
		t.Errorf("env %v, want the password from the Secret", pw)
	}
	if get(t, ds[1], "spec", "selector", "matchLabels", "app") != get(t, ds[1], "spec", "template", "metadata", "labels", "app") {
		t.Error("the Deployment's selector does not match its pods")
	}
	for _, a := range args {
		if strings.Contains(strings.ToLower(a), "token") {
			t.Errorf("argument %q: a secret on the command line", a)
		}
	}
}

func TestComposeFile(t *testing.T) {
	ds := docs(t, "compose/compose.yaml")
	if len(ds) != 1 {
		t.Fatalf("%d documents, want 1", len(ds))
	}
	agent := get(t, ds[0], "services", "agent")
	cmd := strs(t, get(t, agent, "command"))
	if cmd[0] != "agent" || !slices.Contains(cmd, "--nats") {
		t.Errorf("agent command %v", cmd)
	}
	for _, svc := range []string{"nats", "agent"} {
		for _, e := range strs(t, get(t, ds[0], "services", svc, "environment")) {
			name, value, set := strings.Cut(e, "=")
			// Only the user name is written down; a secret comes from the
			// shell, passed through or interpolated.
			if set && !(name == "SCALEBENCH_NATS_USER" || (strings.HasPrefix(value, "${") && strings.HasSuffix(value, "}"))) {
				t.Errorf("%s: environment %q sets a value in the file; pass secrets through from the shell", svc, e)
			}
		}
	}
	for _, p := range strs(t, get(t, ds[0], "services", "nats", "ports")) {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("nats port %q is published beyond loopback", p)
		}
	}
	conf, err := os.ReadFile("compose/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"password: $SCALEBENCH_HARNESS_PASSWORD", "password: $SCALEBENCH_AGENT_PASSWORD"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("nats.conf does not say %q: a password must come from the environment", want)
		}
	}
}

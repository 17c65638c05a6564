package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// A run whose every job fails (images.url on a closed port) writes its
// results and report, then exits 1 naming the failing check and the kind
// of error; its workers back off instead of spinning on refused connections.
func TestRunFailsWhenJobsFail(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	dir := t.TempDir()
	sc := writeFile(t, dir, "dead.yaml", `name: dead
images: {url: `+closed+`, paths: [/64x64.png]}
load: {duration: 500ms, warmup: 0s, repeats: 1}
matrix: {workers: [2]}
`)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"no-jobs", "error-rate", "unreachable"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "report.html") {
		t.Errorf("the report was not written before failing:\n%s", stdout)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := analysis.Summarize(run)[0]
	if c.Jobs != 0 || c.ErrorKinds["unreachable"] != c.Errors || c.Errors == 0 {
		t.Errorf("jobs %d, errors %d by kind %v: want every error counted as unreachable", c.Jobs, c.Errors, c.ErrorKinds)
	}
	// Two workers backing off from 1 ms to 1 s make a few dozen tries in
	// half a second; spinning made tens of thousands.
	if c.Errors > 200 {
		t.Errorf("%d failed jobs in 0.5 s against a closed port: no backoff", c.Errors)
	}
}

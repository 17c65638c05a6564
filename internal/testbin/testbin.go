// Package testbin gives tests a binary of their own package to run as a
// child process under a memory limit.
package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// WithoutRace returns a test binary of the calling package (the current
// directory) to run as a memory-limited child: the running one, or, when
// race is true (the race detector's shadow memory and slowness distort any
// memory limit), one built without the race detector for the purpose.
func WithoutRace(t testing.TB, race bool) string {
	t.Helper()
	if !race {
		return os.Args[0]
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building the child test binary needs the go tool on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "child.test")
	cmd := exec.Command(goTool, "test", "-c", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the child test binary without the race detector: %v\n%s", err, out)
	}
	return bin
}

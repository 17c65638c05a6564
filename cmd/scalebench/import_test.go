package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImportGoBenchmarks: the thumbnail's own benchmark, run by go test
// at GOMAXPROCS 1 and 2 six times, piped into `scalebench import gobench
// -`, gives a run whose report draws the speedup, as `report DIR`
// rebuilds it.
func TestImportGoBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("go test -bench of the thumbnail takes half a minute")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gotest := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "ProcessParallel/method=fast/img=640x480",
		"-benchtime", "20x", "-cpu", "1,2", "-count", "6", "../../internal/thumbnail/")
	var bench, errb bytes.Buffer
	gotest.Stdout, gotest.Stderr = &bench, &errb
	if err := gotest.Run(); err != nil {
		t.Fatalf("go test -bench: %v\n%s", err, errb.String())
	}
	out := filepath.Join(t.TempDir(), "bench")
	imp := exec.CommandContext(ctx, bin, "import", "gobench", "-", "--out", out)
	imp.Stdin = &bench
	var stdout, stderr bytes.Buffer
	imp.Stdout, imp.Stderr = &stdout, &stderr
	if err := imp.Run(); err != nil {
		t.Fatalf("import gobench: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported 12 result lines of 1 benchmarks into 2 cells") ||
		!strings.Contains(stderr.String(), "B/op has no place in the report") {
		t.Errorf("import gobench:\n%s%s", stdout.String(), stderr.String())
	}
	again, stderr2, code := scalebench(t, "report", out)
	if code != 0 || !strings.Contains(again, "Scalability: GOMAXPROCS 1 → 2") {
		t.Errorf("report DIR: exit %d\n%s%s", code, again, stderr2)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !bytes.Contains(page, []byte("Speedup")) {
		t.Errorf("report.html has no speedup chart: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "charts", "speedup-gomaxprocs.svg")); err != nil {
		t.Error(err)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A second run into the same directory is refused unless --force; a
// forced one removes the charts of the earlier report that it does not
// draw again, and keeps a file the user put among them.
func TestRunRefusesEarlierResultsUnlessForced(t *testing.T) {
	dir := t.TempDir()
	two := writeFile(t, dir, "two.yaml", `name: two
images: {latency: 5ms, paths: [/64x64.png]}
load: {duration: 500ms, warmup: 200ms, repeats: 1}
matrix: {workers: [1, 2]}
`)
	sc := writeFile(t, dir, "one.yaml", `name: one
images: {latency: 5ms, paths: [/64x64.png]}
load: {duration: 500ms, warmup: 200ms, repeats: 1}
matrix: {workers: [1]}
`)
	out := filepath.Join(dir, "out")
	if _, stderr, code := scalebench(t, "run", two, "--out", out); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	stale := filepath.Join(out, "charts", "throughput-workers.svg")
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("the first run drew no throughput chart: %v", err)
	}
	mine := filepath.Join(out, "charts", "mine.svg")
	if err := os.WriteFile(mine, []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := scalebench(t, "run", sc, "--out", out)
	if code != 2 || !strings.Contains(stderr, "--force") || !strings.Contains(stderr, out) {
		t.Fatalf("second run: exit %d, want 2 with a message naming %s and --force\n%s", code, out, stderr)
	}
	if _, stderr, code := scalebench(t, "run", sc, "--out", out, "--force"); code != 0 {
		t.Fatalf("forced run: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a chart of the earlier report that the new one does not draw survived: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the forced run removed a file it did not write: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, ".scalebench.lock")); !os.IsNotExist(err) {
		t.Errorf("lock file left after the run: %v", err)
	}
	// One file mode for every output: results.json embeds nothing that
	// report.html, readable by all, does not.
	err := filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil && fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644 like every output", path, fi.Mode().Perm())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

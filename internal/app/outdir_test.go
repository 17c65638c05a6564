package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// tinyScenario is a run of two short measurements.
const tinyScenario = `name: tiny
images: {latency: 5ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 200ms, warmup: 20ms, repeats: 2}
matrix: {gomaxprocs: [1], workers: [1]}
`

// TestRunKeepsACrashedRunsJournal: run into a directory holding the
// journal of a run that crashed (and its stale lock file) refuses before
// measuring and says how to recover the journal, which stays as it was;
// report DIR then reports it.
func TestRunKeepsACrashedRunsJournal(t *testing.T) {
	t.Setenv("SCALEBENCH_TEST_WORKER", "1")
	dir := t.TempDir()
	sc := writeFile(t, filepath.Join(dir, "tiny.yaml"), tinyScenario)
	crashed := filepath.Join(dir, "crashed")
	if err := os.Mkdir(crashed, 0o755); err != nil {
		t.Fatal(err)
	}
	journal := journalOf(t, crashed)
	writeFile(t, filepath.Join(crashed, ".scalebench.lock"), "12345\n")
	before, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := sb(t, "run", "-q", "--out", crashed, sc)
	if code != ExitUsage || !strings.Contains(stderr, "scalebench report "+crashed) || !strings.Contains(stderr, "--force") {
		t.Errorf("run into a crashed run's directory: exit %d, want 2 saying how to recover it\n%s", code, stderr)
	}
	if after, err := os.ReadFile(journal); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("the crashed run's journal changed (%v)", err)
	}
	if code, out, stderr := sb(t, "report", crashed); code != ExitOK || !strings.Contains(out, "report:  ") {
		t.Errorf("report of the crashed run: exit %d\n%s%s", code, out, stderr)
	}
}

// journalOf writes into dir the journal of a run of the batch fixture that
// stopped after its first measurement, and returns its path.
func journalOf(t *testing.T, dir string) string {
	t.Helper()
	run, err := results.Read(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, results.JournalName)
	j, err := results.CreateJournal(path, run)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(results.Entry{Step: 0, Cell: 0, Result: run.Cells[0].Repeats[0]}); err != nil {
		t.Fatal(err)
	}
	return path
}

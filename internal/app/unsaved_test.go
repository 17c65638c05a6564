package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// TestRunCannotWriteResults: when results.json cannot be written at the end
// of a run, the journal is kept and the error says which measurements
// exist only there and how to report them.
func TestRunCannotWriteResults(t *testing.T) {
	if testing.Short() {
		t.Skip("measures a real run")
	}
	t.Setenv("SCALEBENCH_TEST_WORKER", "1")
	dir := t.TempDir()
	sc := writeFile(t, filepath.Join(dir, "tiny.yaml"), tinyScenario)
	out := filepath.Join(dir, "out")
	// A directory where results.json should go: the write fails as it
	// would on a full disk, after every measurement was journalled.
	if err := os.MkdirAll(filepath.Join(out, "results.json", "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := sb(t, "run", "-q", "--force", "--out", out, sc)
	journal := filepath.Join(out, results.JournalName)
	want := "2 of the run's 2 measurements exist only in " + journal + ": keep it, and once " + filepath.Join(out, "results.json") +
		" can be written (free some space), `scalebench report " + out + "` reports them"
	if code != ExitFailure || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want 1 saying %q\n%s", code, want, stderr)
	}
	run, _, err := results.ReadJournal(journal)
	if err != nil {
		t.Fatalf("the journal was not kept: %v", err)
	}
	if n := len(run.Cells[0].Repeats); n != 2 {
		t.Errorf("the journal holds %d measurements, want 2", n)
	}
}

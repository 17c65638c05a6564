package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testutil"
)

// tinyScenario is a run of two short measurements.
const tinyScenario = `name: tiny
images: {latency: 5ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 200ms, warmup: 20ms, repeats: 2}
matrix: {gomaxprocs: [1], workers: [1]}
`

// TestReportOutputDirectory: report writes into a directory it shares
// with other files without losing any: a page it did not write is refused
// (exit 2) unless --force, a file beside its charts survives either way,
// and an --out that is not a directory is named as such.
func TestReportOutputDirectory(t *testing.T) {
	testutil.Long(t, "full reports; internal/outdir checks the same rules on files")
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	proj := t.TempDir()
	resultsPath := writeFile(t, filepath.Join(proj, "results.json"), string(data))
	page := writeFile(t, filepath.Join(proj, "report.html"), "<p>the project's own page</p>")
	if err := os.Mkdir(filepath.Join(proj, "charts"), 0o755); err != nil {
		t.Fatal(err)
	}
	notes := writeFile(t, filepath.Join(proj, "charts", "notes.txt"), "my notes")

	code, _, stderr := sb(t, "report", resultsPath) // --out defaults to proj
	if code != ExitUsage || !strings.Contains(stderr, page) || !strings.Contains(stderr, "--force") {
		t.Errorf("report into a directory with a page it did not write: exit %d, want 2 naming %s and --force\n%s", code, page, stderr)
	}
	if b, _ := os.ReadFile(page); string(b) != "<p>the project's own page</p>" {
		t.Errorf("the refused report replaced %s", page)
	}
	if code, _, stderr := sb(t, "report", "--force", resultsPath); code != ExitOK {
		t.Fatalf("report --force: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(page); !bytes.Contains(b, []byte(`id="results"`)) {
		t.Errorf("report --force did not write its page over %s", page)
	}
	// Again without --force: the files are the earlier report's now.
	if code, _, stderr := sb(t, "report", resultsPath); code != ExitOK {
		t.Fatalf("report over its own earlier report: exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(notes); err != nil || string(b) != "my notes" {
		t.Errorf("%s: %q, %v: the report removed or changed a file it did not write", notes, b, err)
	}

	file := writeFile(t, filepath.Join(t.TempDir(), "out.html"), "x")
	code, _, stderr = sb(t, "report", "--out", file, resultsPath)
	if code != ExitUsage || !strings.Contains(stderr, file+" is a file, not a directory") {
		t.Errorf("report --out FILE: exit %d, want 2 saying it is a file\n%s", code, stderr)
	}
}

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

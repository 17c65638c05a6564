package app

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// TestReportSkipsATornLastLine: report DIR of a run whose journal ends in
// a line cut short (a crash, or a disk that filled up while it was
// written) reports the measurements before it, and names the line in a
// warning, where it once refused the whole journal.
func TestReportSkipsATornLastLine(t *testing.T) {
	run, err := results.Read(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, results.JournalName)
	j, err := results.CreateJournal(path, run)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range run.Cells[0].Repeats {
		if err := j.Append(results.Entry{Step: r.Seq, Cell: 0, Result: r}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	j.Close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"step":9,"cell":1,"result":{"index":0,"se` + "\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	line := 2 + len(run.Cells[0].Repeats)
	code, out, stderr := sb(t, "report", dir)
	want := "scalebench: warning: " + path + ":" + strconv.Itoa(line) + ": the last line is cut short"
	if code != ExitOK || !strings.Contains(stderr, want) || !strings.Contains(out, "report:  ") {
		t.Errorf("exit %d, want 0 with the warning %q\nstdout:\n%s\nstderr:\n%s", code, want, out, stderr)
	}
}

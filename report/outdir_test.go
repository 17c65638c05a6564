package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/testutil"
)

// TestWriteReplacesOnlyWhatItWrote: a report into a directory holding
// files it did not write keeps them: a file in its way is refused unless
// forced, and one beside it in charts/ survives even a forced report; the
// charts of an earlier report that the new one does not draw are removed.
func TestWriteReplacesOnlyWhatItWrote(t *testing.T) {
	testutil.Long(t, "three full reports; internal/outdir checks the same rules on files")
	dir := t.TempDir()
	mine := filepath.Join(dir, "charts", "mine.txt")
	if err := os.MkdirAll(filepath.Dir(mine), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("my notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte("<p>my own page</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	quickstart := loadFixture(t, quickstartFile, quickstartRun)
	if _, err := Write(dir, quickstart); !errors.Is(err, outdir.ErrNotOurs) || !strings.Contains(err.Error(), page) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Write over a page scalebench did not write: %v, want ErrNotOurs naming %s and --force", err, page)
	}
	if b, _ := os.ReadFile(page); string(b) != "<p>my own page</p>" {
		t.Errorf("the refused report changed %s: %q", page, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.md")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused report wrote summary.md (%v)", err)
	}
	first, err := WriteOptions(dir, quickstart, Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	// Again, over its own files, without force: the charts of the earlier
	// report it does not draw again go, the user's file stays.
	batch := loadFixture(t, batchFile, batchRun)
	second, err := Write(dir, batch)
	if err != nil {
		t.Fatalf("a report over an earlier report's files: %v", err)
	}
	drawn := map[string]bool{}
	for _, c := range second.Charts {
		drawn[c] = true
	}
	gone := 0
	for _, c := range first.Charts {
		_, err := os.Stat(c)
		if drawn[c] != (err == nil) {
			t.Errorf("%s: drawn again %v, on disk %v", c, drawn[c], err == nil)
		}
		if !drawn[c] {
			gone++
		}
	}
	if gone == 0 {
		t.Fatal("the second report draws every chart of the first: the test shows nothing")
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "my notes" {
		t.Errorf("%s: %q, %v: a file the report did not write was touched", mine, b, err)
	}
}

// TestWriteFailingPartWayListsWhatItWrote: a report that fails part way
// (here report.html cannot be replaced; on a full disk any file) still
// lists the charts it wrote, so the next report replaces them without
// --force.
func TestWriteFailingPartWayListsWhatItWrote(t *testing.T) {
	testutil.Long(t, "full reports; internal/outdir checks the same rules on files")
	dir := t.TempDir()
	blocker := filepath.Join(dir, "report.html", "in-the-way")
	if err := os.MkdirAll(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	run := loadFixture(t, quickstartFile, quickstartRun)
	files, err := WriteOptions(dir, run, Options{Force: true})
	if err == nil || len(files.Charts) == 0 {
		t.Fatalf("a report whose page cannot be written: %v, %d charts", err, len(files.Charts))
	}
	if err := os.RemoveAll(filepath.Dir(blocker)); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, run); err != nil {
		t.Errorf("the next report, without --force: %v", err)
	}
}

package results_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// fullDiskChild, set to a journal's path, makes the test binary the child
// of TestJournalAppendOnAFullDisk.
const fullDiskChild = "RESULTS_TEST_FULL_DISK_JOURNAL"

// TestJournalAppendOnAFullDisk appends to a journal while the disk is full
// for a moment (a file size limit, RLIMIT_FSIZE, in a child process: the
// write stops part way, as on a full disk), then again once there is
// room: the journal holds complete lines only, and reads back whole.
func TestJournalAppendOnAFullDisk(t *testing.T) {
	if path := os.Getenv(fullDiskChild); path != "" {
		appendOnAFullDisk(path)
		return
	}
	path := filepath.Join(t.TempDir(), results.JournalName)
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalAppendOnAFullDisk$")
	cmd.Env = append(os.Environ(), fullDiskChild+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "append on a full disk: journal "+path+": write") {
		t.Fatalf("the append on a full disk did not fail with a write error:\n%s", out)
	}
	run, warnings, err := results.ReadJournal(path)
	if err != nil {
		t.Fatalf("a journal appended to around a full disk does not read back: %v", err)
	}
	n := 0
	for _, c := range run.Cells {
		n += len(c.Repeats)
	}
	if n != 4 || len(warnings) != 0 {
		t.Errorf("%d measurements read back with warnings %q, want all 4 and none", n, warnings)
	}
}

// appendOnAFullDisk journals two measurements, fails to append the third
// while files may grow by only part of a line, then appends it and a
// fourth once they may grow again, as the runner does.
func appendOnAFullDisk(path string) {
	fail := func(format string, args ...any) {
		fmt.Printf(format+"\n", args...)
		os.Exit(1)
	}
	run, entries := journalRun(2)
	j, err := results.CreateJournal(path, run)
	if err != nil {
		fail("create: %v", err)
	}
	for _, e := range entries[:2] {
		if err := j.Append(e); err != nil {
			fail("append: %v", err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		fail("%v", err)
	}
	var room syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &room); err != nil {
		fail("getrlimit: %v", err)
	}
	full := room
	full.Cur = uint64(fi.Size()) + 100 // part of a line
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		fail("setrlimit: %v", err)
	}
	err = j.Append(entries[2])
	fmt.Printf("append on a full disk: %v\n", err)
	if err == nil {
		fail("the append succeeded")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &room); err != nil {
		fail("setrlimit: %v", err)
	}
	for _, e := range entries[2:] {
		if err := j.Append(e); err != nil {
			fail("append once there is room: %v", err)
		}
	}
	if err := j.Close(); err != nil {
		fail("close: %v", err)
	}
}

//go:build unix

package app

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSpecialInputs: a named pipe or a device as the input of report,
// compare or export is refused at once (exit 2), and a directory without
// a results.json says so.
func TestSpecialInputs(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "results.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export", fifo}, fifo + ": a named pipe: not a regular file"},
		{[]string{"report", "--out", t.TempDir(), fifo}, fifo + ": a named pipe"},
		{[]string{"compare", os.DevNull, fixture}, os.DevNull + ": a device"},
		{[]string{"export", empty}, empty + " is a directory without a results.json"},
	} {
		code, _, stderr := sb(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 saying %q\n%s", tc.args, code, tc.want, stderr)
		}
	}
}

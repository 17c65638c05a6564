//go:build unix

package results_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// TestReadRefusesSpecialFiles: a named pipe, a device or a directory
// given as a results file or journal is refused at once, naming what it
// is, where opening a pipe waited for a writer forever and a device was
// read until the size limit.
func TestReadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "results.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "a named pipe"},
		{os.DevNull, "a device"},
		{dir, "a directory"},
	} {
		for name, read := range map[string]func(string) error{
			"Read":        func(p string) error { _, err := results.Read(p); return err },
			"ReadJournal": func(p string) error { _, _, err := results.ReadJournal(p); return err },
		} {
			done := make(chan error, 1)
			go func() { done <- read(tc.path) }()
			select {
			case err := <-done:
				if !errors.Is(err, results.ErrNotAFile) || !strings.Contains(err.Error(), tc.path+": "+tc.want) {
					t.Errorf("%s(%s) = %v, want it to say %q", name, tc.path, err, tc.want)
				}
			case <-time.After(10 * time.Second):
				// Let the blocked open return, so the test can end.
				if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					f.Close()
				}
				t.Fatalf("%s(%s) has not returned after 10 s", name, tc.path)
			}
		}
	}
}

package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepare(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		force   bool
		wantErr error
		wantMsg string
	}{
		{name: "new directory", setup: func(*testing.T, string) {}},
		{name: "empty existing directory", setup: func(t *testing.T, dir string) { mkdir(t, dir) }},
		{
			name:    "earlier results refused",
			setup:   func(t *testing.T, dir string) { mkdir(t, dir); touch(t, filepath.Join(dir, ResultsFile)) },
			wantErr: ErrExists, wantMsg: "--force",
		},
		{
			name:  "earlier results replaced with force",
			setup: func(t *testing.T, dir string) { mkdir(t, dir); touch(t, filepath.Join(dir, ResultsFile)) },
			force: true,
		},
		{
			name: "read-only directory",
			setup: func(t *testing.T, dir string) {
				if os.Geteuid() == 0 {
					t.Skip("root writes into read-only directories")
				}
				mkdir(t, dir)
				if err := os.Chmod(dir, 0o555); err != nil {
					t.Fatal(err)
				}
			},
			wantMsg: "not writable",
		},
		{
			name:    "a file where the directory should be",
			setup:   func(t *testing.T, dir string) { touch(t, dir) },
			wantMsg: "is a file, not a directory",
		},
		{
			name: "a symbolic link to nothing",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(filepath.Join(filepath.Dir(dir), "gone"), dir); err != nil {
					t.Fatal(err)
				}
			},
			wantMsg: "is a symbolic link to ", // and its target, which does not exist
		},
		{
			name: "a symbolic link that leads back to itself",
			setup: func(t *testing.T, dir string) {
				other := filepath.Join(filepath.Dir(dir), "other")
				if err := os.Symlink(dir, other); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(other, dir); err != nil {
					t.Fatal(err)
				}
			},
			wantMsg: "which leads back to itself",
		},
		{
			name: "the journal of a run that crashed, and its stale lock",
			setup: func(t *testing.T, dir string) {
				mkdir(t, dir)
				touch(t, filepath.Join(dir, JournalFile))
				touch(t, filepath.Join(dir, lockFile))
			},
			wantErr: ErrExists, wantMsg: "the measurements of a run that did not finish: recover them with `scalebench report ",
		},
		{
			name: "the journal of a run that crashed, replaced with force",
			setup: func(t *testing.T, dir string) {
				mkdir(t, dir)
				touch(t, filepath.Join(dir, JournalFile))
			},
			force: true,
		},
		{
			name: "a report scalebench did not write",
			setup: func(t *testing.T, dir string) {
				mkdir(t, dir)
				touch(t, filepath.Join(dir, "report.html"))
			},
			wantErr: ErrNotOurs, wantMsg: "report.html: not written by scalebench (or changed since), and a report would replace it: use --force",
		},
		{
			name: "a report scalebench wrote",
			setup: func(t *testing.T, dir string) {
				mkdir(t, dir)
				touch(t, filepath.Join(dir, "summary.md"))
				m, err := ReadManifest(dir)
				if err != nil {
					t.Fatal(err)
				}
				m.Wrote("summary.md", []byte("{}"))
				if err := m.Save(); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			tt.setup(t, dir)
			d, err := Prepare(dir, tt.force)
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				if err := d.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(dir, lockFile)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("lock file left behind: %v", err)
				}
				return
			}
			if err == nil {
				d.Close()
				t.Fatal("Prepare succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if strings.HasSuffix(tt.wantMsg, "symbolic link to ") {
				tt.wantMsg += filepath.Join(filepath.Dir(dir), "gone") + ", which does not exist"
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q should name %s and say %q", err, dir, tt.wantMsg)
			}
		})
	}
}

func TestPrepareLocksAgainstASecondRun(t *testing.T) {
	dir := t.TempDir()
	first, err := Prepare(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(dir, false); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("second Prepare: %v, want ErrLocked naming the holder's pid", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := Prepare(dir, false)
	if err != nil {
		t.Fatalf("Prepare after Close: %v", err)
	}
	second.Close()
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Package outdir prepares the directory a run writes into: writable before
// anything is measured, not holding an earlier run's results unless the user
// says so, and locked against a second run writing into it at the same time.
package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ResultsFile is the name of the results file a run leaves in its directory.
const ResultsFile = "results.json"

// lockFile is held, with an exclusive flock, for as long as a run writes.
const lockFile = ".scalebench.lock"

var (
	// ErrExists reports a directory that already holds a run's results.
	ErrExists = errors.New("already holds results")
	// ErrLocked reports a directory another run is writing into.
	ErrLocked = errors.New("in use by another scalebench run")
)

// Dir is an output directory locked for one run.
type Dir struct {
	Path string
	lock *os.File
}

// Prepare creates path if needed, checks that files can be written there,
// refuses it if it holds results.json (unless force), and locks it until
// Close. Every error names the directory and what to do.
func Prepare(path string, force bool) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(path, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output directory %s is not writable: %w", path, err)
	}
	if err := lock(f); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(f.Name()); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, errBusy) {
			return nil, fmt.Errorf("output directory %s is %w%s: wait for it or choose another --out", path, ErrLocked, holder)
		}
		return nil, fmt.Errorf("output directory %s: lock: %w", path, err)
	}
	d := &Dir{Path: path, lock: f}
	if err := d.check(force); err != nil {
		d.Close()
		return nil, err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return d, nil
}

// check refuses a directory holding earlier results (unless force) and one
// where a new file cannot be written.
func (d *Dir) check(force bool) error {
	if _, err := os.Stat(filepath.Join(d.Path, ResultsFile)); err == nil && !force {
		return fmt.Errorf("output directory %s %w from an earlier run: use --force to replace them, or choose another --out", d.Path, ErrExists)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output directory %s: %w", d.Path, err)
	}
	probe, err := os.CreateTemp(d.Path, ".write-check-*")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", d.Path, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// Close releases the lock and removes the lock file.
func (d *Dir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	name := d.lock.Name()
	err := os.Remove(name)
	if cerr := d.lock.Close(); err == nil {
		err = cerr
	}
	d.lock = nil
	return err
}

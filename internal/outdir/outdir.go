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
	"syscall"
)

// ResultsFile is the name of the results file a run leaves in its directory.
const ResultsFile = "results.json"

// JournalFile is the name of the journal a run keeps while it measures
// (results.JournalName): left behind, it holds the measurements of a run
// that did not finish.
const JournalFile = "results.jsonl"

// lockFile is held, with an exclusive flock, for as long as a run writes.
const lockFile = ".scalebench.lock"

var (
	// ErrExists reports a directory that already holds a run's results.
	ErrExists = errors.New("already holds results")
	// ErrLocked reports a directory another run or report is writing into.
	ErrLocked = errors.New("in use by another scalebench run or report")
)

// Dir is an output directory locked for one run.
type Dir struct {
	Path string
	lock *os.File
}

// Prepare creates path if needed, checks that files can be written there,
// refuses it if it holds a run's results (results.json, or the journal of
// a run that did not finish) or a report scalebench did not write (unless
// force), and locks it until Close. Every error names the directory and
// what to do.
func Prepare(path string, force bool) (*Dir, error) {
	d, err := Lock(path)
	if err != nil {
		return nil, err
	}
	if err := d.check(force); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Lock creates path if needed and locks it against scalebench runs and
// reports writing into it at the same time, until Close.
func Lock(path string) (*Dir, error) {
	if err := makeDir(path); err != nil {
		return nil, err
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
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return d, nil
}

// makeDir creates the output directory path and its parents, saying what is
// in the way when something is.
func makeDir(path string) error {
	err := os.MkdirAll(path, 0o755)
	if err == nil {
		return nil
	}
	if fi, lerr := os.Lstat(path); lerr == nil {
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			_, serr := os.Stat(path)
			if errors.Is(serr, fs.ErrNotExist) {
				return fmt.Errorf("output directory %s is a symbolic link to %s, which does not exist: create %s, or choose another --out", path, target, target)
			}
			if errors.Is(serr, syscall.ELOOP) {
				return fmt.Errorf("output directory %s is a symbolic link to %s, which leads back to itself: choose another --out", path, target)
			}
			return fmt.Errorf("output directory %s is a symbolic link to %s, which is not a directory: choose another --out", path, target)
		case !fi.IsDir():
			return fmt.Errorf("output directory %s is a %s, not a directory: choose another --out", path, kind(fi.Mode()))
		}
	}
	return fmt.Errorf("output directory: %w", err)
}

// kind names a file's type.
func kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// check refuses a directory holding earlier results or the journal of a
// run that did not finish (unless force), and one where a new file cannot
// be written.
func (d *Dir) check(force bool) error {
	if _, err := os.Stat(filepath.Join(d.Path, ResultsFile)); err == nil && !force {
		return fmt.Errorf("output directory %s %w from an earlier run: use --force to replace them, or choose another --out", d.Path, ErrExists)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output directory %s: %w", d.Path, err)
	}
	if _, err := os.Stat(filepath.Join(d.Path, JournalFile)); err == nil && !force {
		return fmt.Errorf("output directory %s %w: %s, the measurements of a run that did not finish: "+
			"recover them with `scalebench report %s`, use --force to replace them, or choose another --out", d.Path, ErrExists, JournalFile, d.Path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output directory %s: %w", d.Path, err)
	}
	if !force {
		m, err := ReadManifest(d.Path)
		if err != nil {
			return err
		}
		if err := m.Check(ReportFiles...); err != nil {
			return err
		}
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

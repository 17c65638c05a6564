package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/atomicfile"
)

// JournalName is the journal's file name beside results.json.
const JournalName = "results.jsonl"

// A Journal records a run while it is measured, so a crash loses at most
// the measurement in progress: its first line is the run's header (the
// run without repeats), then one line per finished measurement. Each line
// is synced to disk before Append returns, and appending costs the size of
// one measurement however long the run is.
type Journal struct {
	path string
	f    *os.File
}

// Entry is one finished measurement in a journal.
type Entry struct {
	Step   int    `json:"step"` // position in the run order
	Cell   int    `json:"cell"` // index into the run's cells
	Result Repeat `json:"result"`
}

// CreateJournal starts a journal at path (replacing any) with run's header.
func CreateJournal(path string, run *Run) (*Journal, error) {
	head := *run
	head.SchemaVersion = SchemaVersion
	head.Cells = make([]Cell, len(run.Cells))
	for i, c := range run.Cells {
		head.Cells[i] = Cell{Params: c.Params}
	}
	line, err := json.Marshal(&head)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &Journal{path: path, f: f}
	if err := j.write(line); err != nil {
		f.Close()
		return nil, err
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

// Append records one finished measurement and syncs it to disk.
func (j *Journal) Append(e Entry) error {
	line, err := json.Marshal(&e)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return j.write(line)
}

func (j *Journal) write(line []byte) error {
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Close closes the journal file, leaving it on disk.
func (j *Journal) Close() error { return j.f.Close() }

// Remove closes and deletes the journal, once results.json holds the run.
func (j *Journal) Remove() error {
	j.f.Close()
	if err := os.Remove(j.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// ReadJournal recovers a run from a journal: the header and every complete
// measurement line. A last line cut short by a crash is ignored. The run
// is marked interrupted, since a finished run replaces its journal with
// results.json, and its Finished is the end of its last measurement.
func ReadJournal(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("read %s: larger than %d MiB, the limit for a journal", path, MaxFileSize>>20)
	}
	r := bufio.NewReader(f)
	var run *Run
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a line without its newline was cut short by a crash
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		line = bytes.TrimSpace(line)
		if run == nil {
			if run, err = Decode(fmt.Sprintf("%s:%d", path, n), line); err != nil {
				return nil, err
			}
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("read %s:%d: %w", path, n, err)
		}
		if e.Cell < 0 || e.Cell >= len(run.Cells) {
			return nil, fmt.Errorf("read %s:%d: cell %d, but the run has %d cells", path, n, e.Cell, len(run.Cells))
		}
		c := &run.Cells[e.Cell]
		c.Repeats = append(c.Repeats, e.Result)
		r := &e.Result
		if end := r.Started.Add(time.Duration(r.Elapsed * float64(time.Second))); end.After(run.Finished) {
			run.Finished = end // the last measurement's end stands in for the run's
		}
	}
	if run == nil {
		return nil, fmt.Errorf("read %s: empty journal, no header", path)
	}
	for i := range run.Cells {
		slices.SortFunc(run.Cells[i].Repeats, func(a, b Repeat) int { return a.Seq - b.Seq })
	}
	run.Interrupted = true
	return run, nil
}

// ReadDir loads the run recorded in dir: results.json, or when the run
// never finished writing it (a crash), what its journal recovers.
func ReadDir(dir string) (*Run, error) {
	run, err := Read(filepath.Join(dir, "results.json"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return run, err
	}
	jrun, jerr := ReadJournal(filepath.Join(dir, JournalName))
	if jerr != nil {
		if errors.Is(jerr, os.ErrNotExist) {
			return nil, fmt.Errorf("%s holds neither results.json nor %s: %w", strings.TrimSuffix(dir, "/"), JournalName, os.ErrNotExist)
		}
		return nil, jerr
	}
	return jrun, nil
}

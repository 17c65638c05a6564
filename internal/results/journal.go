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
	// size is the length of the journal's complete lines: where the next
	// line starts.
	size int64
	// torn is true while a line that failed to write may be left, in
	// part, past size.
	torn bool
}

// Entry is one finished measurement in a journal.
type Entry struct {
	Step   int    `json:"step"` // the measurement's place in the run: its repeat's Seq
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

// write appends line and syncs it. A line that fails to write or sync (a
// full disk) is cut off again, so the journal holds complete lines only
// and the line can be appended again later; if even that fails, the next
// write tries first.
func (j *Journal) write(line []byte) error {
	if j.torn {
		if err := j.f.Truncate(j.size); err != nil {
			return fmt.Errorf("journal %s: remove the part of a line that failed to write: %w", j.path, err)
		}
		j.torn = false
	}
	line = append(line, '\n')
	_, err := j.f.Write(line)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		if terr := j.f.Truncate(j.size); terr != nil {
			j.torn = true
			return fmt.Errorf("journal %s: %w (and the part written could not be removed: %v)", j.path, err, terr)
		}
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.size += int64(len(line))
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

// ReadJournal recovers a run from a journal: the header and every
// measurement line. A last line cut short (by a crash, or a disk that
// filled up while it was written) is left out, and the warnings say so; a
// bad line before the last, a measurement recorded twice or a value no run
// could record is an error (an *InvalidError for the values). The run is
// marked interrupted, since a finished run replaces its journal with
// results.json, and its Finished is the end of its last measurement.
func ReadJournal(path string) (*Run, []string, error) {
	f, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxFileSize {
		return nil, nil, fmt.Errorf("read %s: larger than %d MiB, the limit for a journal", path, MaxFileSize>>20)
	}
	r := bufio.NewReader(io.LimitReader(f, MaxFileSize))
	var (
		run      *Run
		warnings []string
		steps    = map[int]int{} // line of each step's measurement
		bad      error           // the last line read failed to parse
		badLine  int
	)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("read %s: %w", path, err)
		}
		eof := err != nil
		if eof && len(bytes.TrimSpace(line)) == 0 {
			break
		}
		if bad != nil {
			return nil, nil, bad // a bad line with more after it
		}
		line = bytes.TrimSpace(line)
		where := fmt.Sprintf("%s:%d", path, n)
		if run == nil {
			if eof {
				return nil, nil, fmt.Errorf("read %s: the header line is cut short (%d bytes, no end of line): the run stopped while it started, before any measurement", where, len(line))
			}
			if run, err = Decode(where, line); err != nil {
				return nil, nil, err
			}
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			bad, badLine = fmt.Errorf("read %s: not a whole measurement line (%w), and more lines follow it: remove it to recover the others", where, err), n
			if eof {
				break
			}
			continue
		}
		if e.Cell < 0 || e.Cell >= len(run.Cells) {
			msg := fmt.Sprintf("cell: must index one of the %d cells (0 to %d), got %d", len(run.Cells), len(run.Cells)-1, e.Cell)
			if len(run.Cells) == 0 {
				msg = fmt.Sprintf("cell: names cell %d, but the header lists no cells", e.Cell)
			}
			return nil, nil, &InvalidError{File: where, Problems: []string{msg}}
		}
		if first, ok := steps[e.Step]; ok {
			return nil, nil, &InvalidError{File: where, Problems: []string{fmt.Sprintf("step: %d, the same as line %d: one measurement recorded twice; remove one of the lines", e.Step, first)}}
		}
		steps[e.Step] = n
		v := &validator{}
		v.repeat("result", &e.Result)
		if len(v.problems) > 0 {
			return nil, nil, &InvalidError{File: where, Problems: v.problems, More: v.more}
		}
		c := &run.Cells[e.Cell]
		c.Repeats = append(c.Repeats, e.Result)
		r := &e.Result
		if end := r.Started.Add(time.Duration(r.Elapsed * float64(time.Second))); end.After(run.Finished) {
			run.Finished = end // the last measurement's end stands in for the run's
		}
		if eof {
			break
		}
	}
	if run == nil {
		return nil, nil, fmt.Errorf("read %s: empty journal: no header line, so no run to recover", path)
	}
	if bad != nil {
		recovered := fmt.Sprintf("the %d measurements before it are recovered", len(steps))
		switch len(steps) {
		case 0:
			recovered = "no measurement came before it"
		case 1:
			recovered = "the measurement before it is recovered"
		}
		warnings = append(warnings, fmt.Sprintf("%s:%d: the last line is cut short (the run stopped, or the disk filled up, while it was written): left out; %s",
			path, badLine, recovered))
	}
	for i := range run.Cells {
		slices.SortFunc(run.Cells[i].Repeats, func(a, b Repeat) int { return a.Seq - b.Seq })
	}
	if err := run.Validate(path); err != nil {
		return nil, nil, err
	}
	run.Interrupted = true
	return run, warnings, nil
}

// ReadDir loads the run recorded in dir: results.json, or when the run
// never finished writing it (a crash), what its journal recovers, with
// the journal's warnings.
func ReadDir(dir string) (*Run, []string, error) {
	run, err := Read(filepath.Join(dir, "results.json"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return run, nil, err
	}
	jrun, warnings, jerr := ReadJournal(filepath.Join(dir, JournalName))
	if jerr != nil {
		if errors.Is(jerr, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s holds neither results.json nor %s: %w", strings.TrimSuffix(dir, "/"), JournalName, os.ErrNotExist)
		}
		return nil, nil, jerr
	}
	return jrun, warnings, nil
}

package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/scalebench/scalebench/internal/atomicfile"
	"github.com/scalebench/scalebench/internal/load"
)

// Write stores run at path atomically (see atomicfile.Write), stamped with
// this build's schema version.
func Write(path string, run *Run) error {
	run.SchemaVersion = SchemaVersion
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	data = append(data, '\n')
	return atomicfile.Write(path, data, 0o644)
}

// MaxFileSize is the largest results file or journal Read and ReadJournal
// accept. A measurement takes a few KiB (more with a long window of narrow
// buckets), so this holds tens of thousands of them.
const MaxFileSize = 256 << 20

// ErrNotAFile reports a path that names a directory, a named pipe, a
// device or a socket where a file was expected.
var ErrNotAFile = errors.New("not a regular file")

// Open opens a results file, journal or report page for reading. A path
// that is not a regular file is refused before it is opened: opening a
// named pipe waits for a writer, and a device may never end.
func Open(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if m := fi.Mode(); !m.IsRegular() {
		what := "special file"
		switch {
		case m.IsDir():
			what = "directory"
		case m&fs.ModeNamedPipe != 0:
			what = "named pipe"
		case m&fs.ModeDevice != 0:
			what = "device"
		case m&fs.ModeSocket != 0:
			what = "socket"
		}
		return nil, fmt.Errorf("read %s: a %s: %w", path, what, ErrNotAFile)
	}
	return os.Open(path)
}

// Read loads a results file, checking its size and schema version.
func Read(path string) (*Run, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readLimited(f, MaxFileSize)
	if errors.Is(err, errTooLarge) {
		return nil, fmt.Errorf("read %s: larger than %d MiB, the limit for a results file", path, MaxFileSize>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Decode(path, data)
}

// errTooLarge reports a file larger than the limit readLimited was given.
var errTooLarge = errors.New("file too large")

// readLimited reads all of f, at most limit bytes, into one buffer of the
// file's size: a large file is not copied as the buffer grows.
func readLimited(f *os.File, limit int64) ([]byte, error) {
	size := int64(512)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > limit {
			return nil, errTooLarge
		}
		size = fi.Size() + 1 // +1: EOF is seen without growing the buffer
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // a file that grew, or not a regular file
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Decode parses results JSON of this schema version or of version 1,
// which it converts, and validates it (Run.Validate); name is used in
// error messages.
func Decode(name string, data []byte) (*Run, error) {
	var head struct {
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("read %s: not a results file: %w", name, err)
	}
	switch {
	case head.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("read %s: %w: the file has schema_version %d, this scalebench reads up to %d; use a newer scalebench",
			name, ErrSchema, head.SchemaVersion, SchemaVersion)
	case head.SchemaVersion < 1:
		return nil, fmt.Errorf("read %s: %w: schema_version %d (want 1 to %d)", name, ErrSchema, head.SchemaVersion, SchemaVersion)
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if head.SchemaVersion == 1 {
		if err := fromV1(name, data, &run); err != nil {
			return nil, err
		}
	}
	if err := run.Validate(name); err != nil {
		return nil, err
	}
	return &run, nil
}

// fromV1 completes a run decoded from a schema_version 1 file. Version 1
// cells also held summaries computed while measuring, which decoding
// drops: the analysis recomputes them from the repeats. The load settings
// and check thresholds were only kept inside the resolved scenario.
func fromV1(name string, data []byte, run *Run) error {
	var v1 struct {
		Scenario struct {
			Resolved json.RawMessage `json:"resolved"`
		} `json:"scenario"`
	}
	if err := json.Unmarshal(data, &v1); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if len(v1.Scenario.Resolved) == 0 {
		return fmt.Errorf("read %s: a schema_version 1 file needs scenario.resolved for its load settings and check thresholds, and this one has none: run the scenario again", name)
	}
	var sc struct {
		Load struct {
			Repeats  int    `json:"repeats"`
			Warmup   v1Dur  `json:"warmup"`
			Duration v1Dur  `json:"duration"`
			Think    v1Dur  `json:"think"`
			Timeout  v1Dur  `json:"timeout"`
			Jobs     int    `json:"jobs"`
			Arrival  string `json:"arrival"`
		} `json:"load"`
		Checks *Checks `json:"checks"`
	}
	if err := json.Unmarshal(v1.Scenario.Resolved, &sc); err != nil {
		return fmt.Errorf("read %s: scenario.resolved: %w", name, err)
	}
	if sc.Checks == nil {
		return fmt.Errorf("read %s: scenario.resolved has no checks: the warnings' thresholds are unknown", name)
	}
	l := sc.Load
	run.Scenario.Load = Load{
		Repeats: l.Repeats, Warmup: l.Warmup.s, Think: l.Think.s, Timeout: l.Timeout.s,
		Jobs: l.Jobs, Arrival: l.Arrival,
	}
	if run.Scenario.Model != load.Batch {
		run.Scenario.Load.Window = l.Duration.s
	}
	run.Scenario.Checks = *sc.Checks
	run.SchemaVersion = SchemaVersion
	return nil
}

// v1Dur is a Go duration string ("1.5s") as version 1 stored durations.
type v1Dur struct{ s float64 }

func (d *v1Dur) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.s = v.Seconds()
	return nil
}

package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metrics"
)

// FuzzRead checks that Read never panics on any file, returns either a run
// or an error, and that whatever it reads encodes and reads back.
// It is seeded with the results files under report/testdata, an empty run
// and a few malformed ones.
func FuzzRead(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "report", "testdata", "*.json"))
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	empty := filepath.Join(f.TempDir(), "empty.json")
	if err := Write(empty, &Run{}); err != nil {
		f.Fatal(err)
	}
	if data, err := os.ReadFile(empty); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"", "{}", "null", `{"schema_version": 1}`, `{"schema_version": 1, "cells": [{}]}`,
		`{"schema_version": 1, "cells": null, "scenario": {"matrix": {"workers": [1e308]}}}`,
		`{"schema_version": 99}`, `{"schema_version": "1"}`, `[1, 2]`,
		`{"schema_version": 1, "cells": ` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "results.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		run, err := Read(path)
		if (run == nil) == (err == nil) {
			t.Fatalf("Read = %v, %v: want exactly one of a run and an error", run, err)
		}
		if err != nil {
			return
		}
		// What was read encodes and reads back (Write would do the same,
		// with an fsync per input).
		enc, err := json.Marshal(run)
		if err != nil {
			t.Fatalf("a run that was read cannot be encoded: %v", err)
		}
		if err := os.WriteFile(path, enc, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path); err != nil {
			t.Fatalf("a run that was read cannot be read back: %v\n%s", err, enc)
		}
	})
}

// FuzzReadJournal checks that ReadJournal never panics on any journal,
// returns either a run or an error, and that a run it recovers is valid
// and reads back from results.json. It is seeded with a journal of four
// measurements, cut at a few places, and lines of other journals.
func FuzzReadJournal(f *testing.F) {
	run, entries := seedJournal(f)
	path := filepath.Join(f.TempDir(), JournalName)
	j, err := CreateJournal(path, run)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if err := j.Append(e); err != nil {
			f.Fatal(err)
		}
	}
	j.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole)
	for _, cut := range []int{0, 10, len(whole) / 3, len(whole) / 2, len(whole) - 1} {
		f.Add(whole[:cut])
	}
	lines := strings.SplitAfter(string(whole), "\n")
	f.Add([]byte(lines[0] + lines[1] + lines[1]))
	f.Add([]byte(lines[0] + "{}\n" + lines[2]))
	f.Add([]byte(lines[0] + `{"step":1,"cell":-1,"result":{}}` + "\n"))
	f.Add([]byte("\n\n" + lines[0]))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, JournalName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		run, _, err := ReadJournal(path)
		if (run == nil) == (err == nil) {
			t.Fatalf("ReadJournal = %v, %v: want exactly one of a run and an error", run, err)
		}
		if err != nil {
			return
		}
		if err := run.Validate(path); err != nil {
			t.Fatalf("a recovered run is invalid: %v", err)
		}
		enc, err := json.Marshal(run)
		if err != nil {
			t.Fatalf("a recovered run cannot be encoded: %v", err)
		}
		if _, err := Decode("results.json", enc); err != nil {
			t.Fatalf("a recovered run cannot be read back: %v\n%s", err, enc)
		}
	})
}

// seedJournal is a run of two cells and four measurements to journal.
func seedJournal(f *testing.F) (*Run, []Entry) {
	run := &Run{
		Scenario:    Scenario{Name: "j", Model: "closed", Load: Load{Repeats: 2, Window: 1}},
		Environment: Environment{LogicalCPUs: 2, Started: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		Cells: []Cell{
			{Params: Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1}},
			{Params: Params{GOMAXPROCS: 1, Workers: 2, Replicas: 1}},
		},
	}
	var entries []Entry
	for i := range 4 {
		h := metrics.NewHistogram()
		for v := int64(1); v <= 50; v++ {
			if err := h.RecordValue(v * int64(100+i)); err != nil {
				f.Fatal(err)
			}
		}
		run.Order = append(run.Order, Step{Cell: i % 2, Repeat: i / 2})
		entries = append(entries, Entry{Step: i, Cell: i % 2, Result: Repeat{
			Index: i / 2, Seq: i, Jobs: 50, Throughput: 50, Elapsed: 1,
			Started: run.Environment.Started.Add(time.Duration(i) * time.Second), Histogram: HistogramOf(h),
			Series: Series{Bucket: 0.25, Completed: []int64{12, 13, 12, 13}},
		}})
	}
	return run, entries
}

package results_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
)

func TestReadV1(t *testing.T) {
	for _, tc := range []struct {
		file  string
		model string
		load  results.Load
	}{
		{"testdata/v1-batch.json", "batch", results.Load{Repeats: 2, Warmup: 0.2, Timeout: 30, Jobs: 4}},
		{"testdata/v1-closed.json", "closed", results.Load{Repeats: 2, Warmup: 0.2, Window: 0.5, Timeout: 30}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			run, err := results.Read(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if run.SchemaVersion != results.SchemaVersion || string(run.Scenario.Model) != tc.model {
				t.Errorf("schema %d, model %q", run.SchemaVersion, run.Scenario.Model)
			}
			if run.Scenario.Load != tc.load {
				t.Errorf("load = %+v, want %+v", run.Scenario.Load, tc.load)
			}
			if want := (results.Checks{MaxErrorRate: 0.01, LittleTolerance: 0.1, MinJobs: 100}); run.Scenario.Checks != want {
				t.Errorf("checks = %+v, want %+v", run.Scenario.Checks, want)
			}
			if run.Environment.CPUs() != 2 {
				t.Errorf("recorded CPUs = %v, want 2", run.Environment.CPUs())
			}
			for _, c := range run.Cells {
				if len(c.Repeats) != 2 {
					t.Fatalf("cell %s: %d repeats, want 2", c.Params, len(c.Repeats))
				}
				for _, r := range c.Repeats {
					if n := r.Histogram.HDR().TotalCount(); n != r.Jobs || n == 0 {
						t.Errorf("cell %s: histogram of %d values for %d jobs", c.Params, n, r.Jobs)
					}
				}
			}
		})
	}
}

// journalRun is a run header with cells and n measurements to journal.
func journalRun(n int) (*results.Run, []results.Entry) {
	run := &results.Run{
		Scenario:    results.Scenario{Name: "j", Model: "closed", Load: results.Load{Repeats: n, Window: 1}},
		Environment: results.Environment{LogicalCPUs: 2, Started: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
	}
	for w := 1; w <= 2; w++ {
		run.Cells = append(run.Cells, results.Cell{Params: results.Params{GOMAXPROCS: 1, Workers: w, Replicas: 1}})
	}
	var entries []results.Entry
	for i := range n * len(run.Cells) {
		cell, rep := i%len(run.Cells), i/len(run.Cells)
		run.Order = append(run.Order, results.Step{Cell: cell, Repeat: rep})
		h := metrics.NewHistogram()
		for v := int64(1); v <= 200; v++ {
			_ = h.RecordValue(v * int64(100+i))
		}
		entries = append(entries, results.Entry{Step: i, Cell: cell, Result: results.Repeat{
			Index: rep, Seq: i, Jobs: 200, Throughput: float64(100 + i), Elapsed: 1,
			Started:   run.Environment.Started.Add(time.Duration(i) * time.Second),
			Histogram: results.HistogramOf(h), Series: results.Series{Bucket: 0.25, Completed: []int64{50, 50, 50, 50}},
		}})
	}
	return run, entries
}

func TestJournalRecoversACrashedRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, results.JournalName)
	run, entries := journalRun(3)
	j, err := results.CreateJournal(path, run)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[:4] {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of the fifth line leaves half of it.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"step":4,"cell":0,"result":{"ind`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	got, warnings, err := results.ReadDir(dir) // no results.json: the journal is read
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], path+":6: the last line is cut short") {
		t.Errorf("warnings %q, want one naming line 6, cut short", warnings)
	}
	if !got.Interrupted {
		t.Error("a recovered run is not marked interrupted")
	}
	for ci, c := range got.Cells {
		if len(c.Repeats) != 2 {
			t.Fatalf("cell %d: %d repeats recovered, want 2", ci, len(c.Repeats))
		}
		for ri, r := range c.Repeats {
			want := entries[ri*2+ci].Result
			if r.Seq != want.Seq || r.Throughput != want.Throughput || !r.Histogram.HDR().Equals(want.Histogram.HDR()) {
				t.Errorf("cell %d repeat %d: got seq %d, %v jobs/s; want seq %d, %v", ci, ri, r.Seq, r.Throughput, want.Seq, want.Throughput)
			}
		}
	}
	if !reflect.DeepEqual(got.Order, run.Order) || got.Scenario.Name != "j" {
		t.Errorf("header not recovered: order %v, scenario %+v", got.Order, got.Scenario)
	}

	// Once results.json exists, it is what the directory holds.
	run.Cells[0].Repeats = []results.Repeat{entries[0].Result}
	if err := results.Write(filepath.Join(dir, "results.json"), run); err != nil {
		t.Fatal(err)
	}
	if got, _, err = results.ReadDir(dir); err != nil || got.Interrupted || len(got.Cells[0].Repeats) != 1 {
		t.Errorf("ReadDir with results.json: %v, %+v", err, got)
	}
}

func TestReadDirErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := results.ReadDir(dir); err == nil {
		t.Error("an empty directory read without an error")
	}
	if err := os.WriteFile(filepath.Join(dir, results.JournalName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := results.ReadDir(dir); err == nil {
		t.Error("an empty journal read without an error")
	}
}

// BenchmarkJournalAppend reports the bytes one checkpoint writes at
// several run lengths: it stays the size of one measurement, where
// rewriting results.json after each measurement wrote the whole run.
func BenchmarkJournalAppend(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("measurements=%d", n), func(b *testing.B) {
			run, entries := journalRun(n / 2)
			path := filepath.Join(b.TempDir(), results.JournalName)
			j, err := results.CreateJournal(path, run)
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			// Fill the journal up to n-1 measurements, then time the last one.
			for _, e := range entries[:len(entries)-1] {
				if err := j.Append(e); err != nil {
					b.Fatal(err)
				}
			}
			last := entries[len(entries)-1]
			var written int64
			for b.Loop() {
				before, _ := os.Stat(path)
				if err := j.Append(last); err != nil {
					b.Fatal(err)
				}
				after, _ := os.Stat(path)
				written = after.Size() - before.Size()
			}
			b.ReportMetric(float64(written), "bytes/measurement")
		})
	}
}

// TestReadJournalLines: what a journal's lines may hold after a crash, a
// full disk or a hand edit, and what reading it says.
func TestReadJournalLines(t *testing.T) {
	run, entries := journalRun(2)
	path := filepath.Join(t.TempDir(), results.JournalName)
	j, err := results.CreateJournal(path, run)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")[:5] // the header and 4 measurements
	join := func(ls ...string) string { return strings.Join(ls, "") }
	for _, tc := range []struct {
		name, text string
		measured   int
		warning    string // in the one warning, or "" for none
		err        string // in the error, or "" for none
	}{
		{name: "whole", text: join(lines...), measured: 4},
		{name: "last line cut short", text: join(lines...)[:len(join(lines...))-40], measured: 3,
			warning: ":5: the last line is cut short (the run stopped, or the disk filled up, while it was written): left out; the 3 measurements before it are recovered"},
		{name: "last line cut short, then an end of line", text: join(lines[0], lines[1], lines[2][:30]+"\n"), measured: 1,
			warning: ":3: the last line is cut short (the run stopped, or the disk filled up, while it was written): left out; the measurement before it is recovered"},
		{name: "last line whole but for its end of line", text: strings.TrimSuffix(join(lines...), "\n"), measured: 4},
		{name: "a bad line before the last", text: join(lines[0], lines[1][:30]+"\n", lines[2]), err: ":2: not a whole measurement line (unexpected end of JSON input), and more lines follow it: remove it to recover the others"},
		{name: "header cut short", text: lines[0][:100], err: ":1: the header line is cut short (100 bytes, no end of line)"},
		{name: "empty", text: "", err: "empty journal: no header line"},
		{name: "a line twice", text: join(lines[0], lines[1], lines[2], lines[1]), err: "invalid results: " + path + ":4: step: 0, the same as line 2: one measurement recorded twice"},
		{name: "a value no run records", text: join(lines[0], strings.Replace(lines[1], `"throughput":100`, `"throughput":-259`, 1)),
			err: "invalid results: " + path + ":2: result.throughput: must be finite and >= 0, got -259"},
		{name: "a cell the header lacks", text: join(lines[0], strings.Replace(lines[1], `"cell":0`, `"cell":9`, 1)),
			err: path + ":2: cell: must index one of the 2 cells (0 to 1), got 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, warnings, err := results.ReadJournal(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to say %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range got.Cells {
				n += len(c.Repeats)
			}
			if n != tc.measured {
				t.Errorf("%d measurements recovered, want %d", n, tc.measured)
			}
			if tc.warning == "" && len(warnings) != 0 || tc.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], path+tc.warning)) {
				t.Errorf("warnings %q, want %q", warnings, tc.warning)
			}
		})
	}
}

package results_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
)

func TestWriteReadRoundTrip(t *testing.T) {
	h := metrics.NewHistogram()
	for v := int64(1); v <= 10000; v++ {
		_ = h.RecordValue(v * 100) // 0.1 ms .. 1 s
	}
	enc := results.HistogramOf(h)
	run := &results.Run{
		Scenario: results.Scenario{
			Name: "rt", Model: "closed", Baseline: results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1},
			Load:   results.Load{Repeats: 1, Warmup: 1, Window: 3, Timeout: 30},
			Checks: results.Checks{MaxErrorRate: 0.01, LittleTolerance: 0.1, MinJobs: 100},
			Blocks: []results.Block{
				{Name: "io", ImageLatency: 0.05, ImageJitter: 0.01, ImagePaths: []string{"/640x480/ccc/aaa.jpg"},
					Thumbnail: &results.Thumbnail{Width: 64, Height: 64, Filter: "lanczos", Format: "png"},
					Load:      results.Load{Repeats: 1, Warmup: 1, Window: 3, Timeout: 30}},
				{Name: "cpu", ImagePaths: []string{"/1920x1080/ccc/aaa.jpg"}, Load: results.Load{Repeats: 1, Window: 2, Timeout: 30}},
			},
		},
		Environment: results.Environment{GoVersion: "go1.26", LogicalCPUs: 2, Started: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		Order:       []results.Step{{Cell: 0, Repeat: 0}},
		Cells: []results.Cell{{
			Params:  results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1},
			Repeats: []results.Repeat{{Jobs: 10000, Histogram: enc, Series: results.Series{Bucket: 0.25, Completed: []int64{1, 2}}}},
		}, {
			Params: results.Params{Block: "cpu", GOMAXPROCS: 2, Workers: 4, Replicas: 1},
		}},
		Finished: time.Date(2026, 11, 25, 0, 1, 0, 0, time.UTC),
	}
	path := filepath.Join(t.TempDir(), "sub", "results.json")
	if err := results.Write(path, run); err != nil {
		t.Fatal(err)
	}
	got, err := results.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	back := got.Cells[0].Repeats[0].Histogram.HDR()
	got.Cells[0].Repeats[0].Histogram = enc // compared below
	if !reflect.DeepEqual(got, run) {
		t.Errorf("round trip changed the run:\n got %+v\nwant %+v", got, run)
	}
	// Any percentile can be recomputed from the stored histogram.
	if !back.Equals(h) {
		t.Error("histogram changed through results.json")
	}
	if p := back.ValueAtQuantile(99.9); p < 998000 || p > 1000500 {
		t.Errorf("p99.9 = %d µs, want ~999000", p)
	}
	if got.Baseline() != 0 {
		t.Errorf("Baseline() = %d, want 0", got.Baseline())
	}
	// Each cell's settings are its block's; without a block, the scenario's.
	if s := got.Scenario.Settings(got.Cells[1].Params); s.Name != "cpu" || s.Load.Window != 2 {
		t.Errorf("Settings(cpu cell) = %+v", s)
	}
	if s := got.Scenario.Settings(results.Params{Block: "gone"}); s.Load != run.Scenario.Load || s.ImageLatency != run.Scenario.ImageLatency {
		t.Errorf("Settings(cell without a recorded block) = %+v, want the scenario's", s)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("write left %d files behind, want only results.json", len(entries))
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, text, want string }{
		{"future.json", `{"schema_version": 99}`, "schema_version 99, this scalebench reads up to 2"},
		{"v1-without-checks.json", `{"schema_version": 1, "scenario": {"resolved": {"load": {"repeats": 3}}}}`, "has no checks"},
		{"v1-without-resolved.json", `{"schema_version": 1, "scenario": {"name": "x"}}`, "needs scenario.resolved"},
		{"bad-histogram.json", `{"schema_version": 2, "scenario": {"model": "closed"}, "cells": [{"params": {"gomaxprocs": 1, "workers": 1, "replicas": 1}, "repeats": [{"histogram": {"unit": "ms", "encoded": "AAAA"}}]}]}`, `unit "ms"`},
		{"junk.json", `not json`, "not a results file"},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := results.Read(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: err = %v, want it to name the file and say %q", tc.name, err, tc.want)
		}
	}
	if _, err := results.Read(filepath.Join(dir, "future.json")); !errors.Is(err, results.ErrSchema) {
		t.Errorf("err = %v, want ErrSchema", err)
	}
}

// TestOldFilesReadAsTheThumbnail: a results file from before workloads had
// names measured the thumbnail workload, and reads as such: its stages
// are the thumbnail's, by name.
func TestOldFilesReadAsTheThumbnail(t *testing.T) {
	for _, path := range []string{"testdata/v1-closed.json", "../../report/testdata/quickstart.json"} {
		run, err := results.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		w := run.Scenario.WorkloadOf()
		var names []string
		for _, s := range w.Stages {
			names = append(names, s.Name+":"+s.Kind)
		}
		if w.Name != "thumbnail" || strings.Join(names, " ") != "fetch:io decode:cpu resize:cpu encode:cpu write:io" {
			t.Errorf("%s: workload %s, stages %v", path, w.Name, names)
		}
		if r := run.Cells[0].Repeats[0]; !(r.Stages["fetch"] > 0) {
			t.Errorf("%s: stages %v, want the fetch time by name", path, r.Stages)
		}
	}
}

// A workload's record is checked like the rest of the file.
func TestWorkloadRecordValidated(t *testing.T) {
	run, err := results.Read("testdata/v1-closed.json")
	if err != nil {
		t.Fatal(err)
	}
	run.Scenario.Workload = &results.Workload{Name: "kv", Stages: []results.Stage{{Name: "get", Kind: "gpu"}, {Name: "get"}}}
	err = run.Validate("x.json")
	if err == nil || !strings.Contains(err.Error(), `stages[0].kind: must be cpu, io, wait or none, got "gpu"`) || !strings.Contains(err.Error(), "stages[1].name") {
		t.Errorf("Validate = %v", err)
	}
}

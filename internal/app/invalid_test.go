package app

import (
	"encoding/base64"
	"math"
	"path/filepath"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// fixture is report/testdata's batch run, a valid results file.
var fixture = filepath.Join("..", "..", "report", "testdata", "batch.json")

// TestInvalidResultsAreRefused: report, compare and export refuse a results
// file holding a value no run records with exit 2 and the same message,
// naming the file and the field, where they once printed "-259 jobs/s",
// "∞ jobs/s", or died of memory on a histogram claiming the range
// 1..MaxInt64 at 5 significant digits.
func TestInvalidResultsAreRefused(t *testing.T) {
	wide := hdrhistogram.NewPacked(1, math.MaxInt64, 5)
	if err := wide.RecordValue(1000); err != nil {
		t.Fatal(err)
	}
	wideEnc, err := wide.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		edit func(doc map[string]any)
		want string
	}{
		{"negative throughput", func(d map[string]any) { repeatOf(d, 1, 0)["throughput"] = -259 },
			"cells[1].repeats[0].throughput: must be finite and >= 0, got -259"},
		{"throughput near the largest float", func(d map[string]any) { repeatOf(d, 0, 0)["throughput"] = 1e308 },
			"cells[0].repeats[0].throughput: must be at most 1e+09, got 1e+308"},
		{"negative GOMAXPROCS", func(d map[string]any) { cellOf(d, 0)["params"].(map[string]any)["gomaxprocs"] = -3 },
			"cells[0].params.gomaxprocs: must be 1 to 1024, got -3"},
		{"no workers", func(d map[string]any) { cellOf(d, 1)["params"].(map[string]any)["workers"] = 0 },
			"cells[1].params.workers: must be 1 to 100000, got 0"},
		{"a cell twice", func(d map[string]any) { cellOf(d, 1)["params"] = cellOf(d, 0)["params"] },
			"cells[1].params: the same cell as cells[0]"},
		{"a histogram of any range", func(d map[string]any) {
			repeatOf(d, 0, 1)["histogram"] = map[string]any{"unit": "us", "encoded": base64.StdEncoding.EncodeToString(wideEnc)}
		}, "cells[0].repeats[1].histogram: range 1..9223372036854775807 µs at 5 significant digits; scalebench records 1..3600000000 µs at 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := editResults(t, fixture, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json"), tc.edit)
			for _, args := range [][]string{
				{"report", "--out", t.TempDir(), path},
				{"compare", path, path},
				{"export", path},
				{"export", "--format", "csv", path},
			} {
				code, _, stderr := sb(t, args...)
				if code != ExitUsage || !strings.Contains(stderr, "invalid results: "+path+": "+tc.want) {
					t.Errorf("%s: exit %d, want 2 saying %q\n%s", args[0], code, tc.want, stderr)
				}
			}
		})
	}
}

func cellOf(doc map[string]any, i int) map[string]any {
	return doc["cells"].([]any)[i].(map[string]any)
}

func repeatOf(doc map[string]any, cell, rep int) map[string]any {
	return cellOf(doc, cell)["repeats"].([]any)[rep].(map[string]any)
}

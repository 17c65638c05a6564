package results_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/results"
)

// validDoc is a valid results file, two cells of two repeats, as JSON
// decoded into maps for a test to edit.
func validDoc(t *testing.T) map[string]any {
	t.Helper()
	run, entries := journalRun(2)
	for _, e := range entries {
		run.Cells[e.Cell].Repeats = append(run.Cells[e.Cell].Repeats, e.Result)
	}
	data, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["schema_version"] = results.SchemaVersion
	return doc
}

// at returns the map at path in doc: "cells.1.repeats.0".
func at(doc map[string]any, path string) map[string]any {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			v = x[i]
		}
	}
	return v.(map[string]any)
}

// wideHistogram is a histogram's "encoded" field claiming the range
// 1..MaxInt64 at 5 significant digits: 48 MB of counts once decoded.
func wideHistogram(t *testing.T) string {
	t.Helper()
	p := hdrhistogram.NewPacked(1, math.MaxInt64, 5)
	if err := p.RecordValue(1000); err != nil {
		t.Fatal(err)
	}
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(enc)
}

// TestValidateRefusesImpossibleValues: hand-edited values no run could
// have recorded are refused as invalid results, naming the file and field
// and saying what would be valid.
func TestValidateRefusesImpossibleValues(t *testing.T) {
	wide := wideHistogram(t)
	for _, tc := range []struct {
		name string
		edit func(doc map[string]any)
		want string
	}{
		{"negative throughput", func(d map[string]any) { at(d, "cells.1.repeats.0")["throughput"] = -259.0 },
			"results.json: cells[1].repeats[0].throughput: must be finite and >= 0, got -259"},
		{"throughput beyond any run", func(d map[string]any) { at(d, "cells.0.repeats.1")["throughput"] = 1e308 },
			"results.json: cells[0].repeats[1].throughput: must be at most 1e+09, got 1e+308"},
		{"negative GOMAXPROCS", func(d map[string]any) { at(d, "cells.0.params")["gomaxprocs"] = -3 },
			"results.json: cells[0].params.gomaxprocs: must be 1 to 1024, got -3"},
		{"no workers", func(d map[string]any) { at(d, "cells.1.params")["workers"] = 0 },
			"results.json: cells[1].params.workers: must be 1 to 100000, got 0"},
		{"a cell twice", func(d map[string]any) { at(d, "cells.1")["params"] = at(d, "cells.0")["params"] },
			"results.json: cells[1].params: the same cell as cells[0] (gomaxprocs=1 workers=1 replicas=1)"},
		{"a measurement twice", func(d map[string]any) {
			c := at(d, "cells.0")
			c["repeats"] = append(c["repeats"].([]any), at(d, "cells.0.repeats.0"))
		}, "results.json: cells[0].repeats[2].seq: 0, the same as cells[0].repeats[0]: one measurement recorded twice"},
		{"negative latency", func(d map[string]any) { at(d, "cells.0.repeats.0.latency")["p99"] = -0.5 },
			"results.json: cells[0].repeats[0].latency.p99: must be finite and >= 0, got -0.5"},
		{"negative elapsed", func(d map[string]any) { at(d, "cells.0.repeats.0")["elapsed"] = -1 },
			"results.json: cells[0].repeats[0].elapsed: must be finite and >= 0, got -1"},
		{"run order names no cell", func(d map[string]any) { at(d, "order.0")["cell"] = 7 },
			"results.json: order[0].cell: must index one of the 2 cells (0 to 1), got 7"},
		{"run order of a run without cells", func(d map[string]any) { d["cells"] = nil },
			"results.json: order[0].cell: names cell 0, but the run has no cells"},
		{"unknown model", func(d map[string]any) { at(d, "scenario")["model"] = "spiral" },
			`results.json: scenario.model: must be closed, open or batch, got "spiral"`},
		{"histogram of wide bounds", func(d map[string]any) { at(d, "cells.0.repeats.1.histogram")["encoded"] = wide },
			"results.json: cells[0].repeats[1].histogram: range 1..9223372036854775807 µs at 5 significant digits; scalebench records 1..3600000000 µs at 3"},
		{"histogram in ms", func(d map[string]any) { at(d, "cells.1.repeats.1.histogram")["unit"] = "ms" },
			`results.json: cells[1].repeats[1].histogram: unit "ms", want "us"`},
		{"histogram not base64", func(d map[string]any) { at(d, "cells.1.repeats.1.histogram")["encoded"] = "!!" },
			"results.json: cells[1].repeats[1].histogram: encoded: not base64"},
		{"histogram not HDR", func(d map[string]any) { at(d, "cells.1.repeats.1.histogram")["encoded"] = "AAAAAAAAAAAAAAAA" },
			"results.json: cells[1].repeats[1].histogram: not a valid HDR histogram encoding"},
		{"a baseline's value", func(d map[string]any) {
			base := validDoc(t)
			at(base, "cells.0.repeats.0")["jobs"] = -5
			d["comparison"] = map[string]any{"base_path": "base.json", "base": base}
		}, "results.json: comparison.base.cells[0].repeats[0].jobs: must be >= 0, got -5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := validDoc(t)
			tc.edit(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			_, err = results.Decode("results.json", data)
			if !errors.Is(err, results.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		data, err := json.Marshal(validDoc(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := results.Decode("results.json", data); err != nil {
			t.Fatal(err)
		}
	})
}

// TestInvalidErrorListsFirstProblems: a file with many problems lists the
// first ones, one per line, and counts the rest.
func TestInvalidErrorListsFirstProblems(t *testing.T) {
	doc := validDoc(t)
	for c := range 2 {
		for r := range 2 {
			rep := at(doc, "cells."+string(rune('0'+c))+".repeats."+string(rune('0'+r)))
			rep["jobs"], rep["errors"] = -1, -1
		}
	}
	data, _ := json.Marshal(doc)
	_, err := results.Decode("r.json", data)
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "invalid results: r.json: cells[0].repeats[0].jobs") || lines[5] != "r.json: and 3 more problems" {
		t.Errorf("error:\n%v\nwant five problems and a count of the other 3", err)
	}
}

package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

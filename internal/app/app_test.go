package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
)

func TestFlagsFirst(t *testing.T) {
	app := New(nil, nil, nil)
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"flag after file", []string{"sb", "run", "s.yaml", "--out", "d"}, []string{"sb", "run", "--out", "d", "s.yaml"}},
		{"flag before file", []string{"sb", "run", "--out", "d", "s.yaml"}, []string{"sb", "run", "--out", "d", "s.yaml"}},
		{"bool flag takes no value", []string{"sb", "run", "s.yaml", "-q"}, []string{"sb", "run", "-q", "s.yaml"}},
		{"flag=value", []string{"sb", "fit", "d.csv", "--format=json"}, []string{"sb", "fit", "--format=json", "d.csv"}},
		{"after --", []string{"sb", "run", "--", "-odd.yaml"}, []string{"sb", "run", "--", "-odd.yaml"}},
		{"unknown command untouched", []string{"sb", "nope", "x", "--y"}, []string{"sb", "nope", "x", "--y"}},
		{"app flag only", []string{"sb", "--version"}, []string{"sb", "--version"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := flagsFirst(app, tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{usagef("bad"), ExitUsage},
		{fmt.Errorf("load: %w", scenario.ErrInvalid), ExitUsage},
		{fmt.Errorf("%w after 2 of 8", runner.ErrInterrupted), ExitInterrupted},
		{errors.Join(fmt.Errorf("%w", runner.ErrInterrupted), errors.New("write")), ExitInterrupted},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestMainValidate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte("name: s\nmatrix: {workers: [1, 2]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"validate", path}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "2 cells × 5 repeats = 10 measurements") {
		t.Errorf("validate output:\n%s", out.String())
	}
	out.Reset()
	if code := Main(context.Background(), []string{"validate", filepath.Join(dir, "missing.yaml")}, nil, &out, &errOut); code != ExitUsage {
		t.Errorf("missing file: exit %d, want %d", code, ExitUsage)
	}
}

func TestMainReportSlides(t *testing.T) {
	results := filepath.Join("..", "..", "report", "testdata", "batch.json")
	for _, slides := range []bool{false, true} {
		dir := t.TempDir()
		args := []string{"report", "-o", dir, results}
		if slides {
			args = append(args, "--slides")
		}
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), args, nil, &out, &errOut); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut.String())
		}
		page := filepath.Join(dir, "slides", "index.html")
		_, err := os.Stat(page)
		if got := err == nil; got != slides {
			t.Errorf("%q: slides page written %v, want %v", args, got, slides)
		}
		if got := strings.Contains(out.String(), "slides:  "+page); got != slides {
			t.Errorf("%q: output names the slides %v, want %v:\n%s", args, got, slides, out.String())
		}
	}
}

package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/testutil"
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
		{"live without address", []string{"sb", "run", "s.yaml", "--live"}, []string{"sb", "run", "--live", "127.0.0.1:0", "s.yaml"}},
		{"live before the file", []string{"sb", "run", "--live", "s.yaml"}, []string{"sb", "run", "--live", "127.0.0.1:0", "s.yaml"}},
		{"live with address", []string{"sb", "run", "--live", ":8080", "s.yaml"}, []string{"sb", "run", "--live", ":8080", "s.yaml"}},
		{"live=address", []string{"sb", "run", "s.yaml", "--live=0.0.0.0:8080", "-q"}, []string{"sb", "run", "--live=0.0.0.0:8080", "-q", "s.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := flagsFirst(app, tc.in); err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("flagsFirst(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	for _, in := range [][]string{{"sb", "run", "s.yaml", "--out"}, {"sb", "run", "--out"}, {"sb", "fit", "d.csv", "-f"}} {
		if got, err := flagsFirst(app, in); err == nil || ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "needs a value") {
			t.Errorf("flagsFirst(%q) = %q, %v; want a usage error", in, got, err)
		}
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

// TestMainUsage checks the exit code and message of each kind of misuse.
func TestMainUsage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sc := write("s.yaml", "name: s\n")
	big := write("big.yaml", "name: s\n#"+strings.Repeat("x", scenario.MaxFileSize))
	ray := "N,X\n1,20\n4,78\n8,130\n12,170\n16,190\n20,200\n"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"nope"}, ExitUsage, `unknown command "nope"; commands: run, validate, report, compare, calibrate, export, fit, serve-images`},
		{"unknown flag", []string{"validate", "--bogus", sc}, ExitUsage, "flag provided but not defined: -bogus"},
		{"unknown global flag", []string{"--bogus"}, ExitUsage, "flag provided but not defined: -bogus"},
		{"out without value", []string{"run", sc, "--out"}, ExitUsage, "run: flag --out needs a value"},
		{"no scenario", []string{"validate"}, ExitUsage, "validate: need exactly one scenario file, got 0 arguments"},
		{"scenario too large", []string{"validate", big}, ExitUsage, "big.yaml: file is larger than 256 KiB, the limit for a scenario file"},
		{"help", []string{"help"}, ExitOK, ""},
		{"help command", []string{"help", "fit"}, ExitOK, ""},
		{"help unknown command", []string{"help", "nope"}, ExitUsage, `unknown command "nope"`},
		{"fit one row", []string{"fit", write("one.csv", "N,X\n1,20\n")}, ExitUsage, "fit: " + filepath.Join(dir, "one.csv") + ": need at least 3 distinct N to fit, got 1"},
		{"fit all zero", []string{"fit", write("zero.csv", "N,X\n1,0\n2,0\n3,0\n")}, ExitUsage, "throughput is zero everywhere"},
		{"fit NaN", []string{"fit", write("nan.csv", "N,X\n1,20\n2,nan\n")}, ExitUsage, "nan.csv:3: X: must be a number >= 0"},
		{"fit near 1e308", []string{"fit", write("huge.csv", "N,X\n1,1e308\n2,1.5e308\n3,1.7e308\n")}, ExitUsage, "huge.csv:2: X: must be a number >= 0 and <= 1e+15, got 1e+308"},
		{"fit", []string{"fit", write("ray.csv", ray)}, ExitOK, ""},
		{"report not results", []string{"report", write("results.json", "[1, 2]")}, ExitUsage, "not a results file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), tc.args, nil, &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), tc.code, tc.want)
			}
		})
	}
}

// TestValidateInterrupted checks that validate and run stop with the
// interrupted exit code when a signal came while they parsed.
func TestValidateInterrupted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte("name: s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"validate", path}, nil, &out, &errOut); code != ExitInterrupted || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d and no output", code, out.String(), errOut.String(), ExitInterrupted)
	}
	// run neither starts measuring nor writes anything.
	dir := filepath.Join(t.TempDir(), "out")
	out.Reset()
	errOut.Reset()
	if code := Main(ctx, []string{"run", path, "--out", dir, "--quiet"}, nil, &out, &errOut); code != ExitInterrupted || out.Len() != 0 {
		t.Errorf("run: exit %d, stdout %q, stderr %q; want %d and no output", code, out.String(), errOut.String(), ExitInterrupted)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("run interrupted while parsing made %s (%v)", dir, err)
	}
}

func TestReadResultsLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: larger than the limit without writing it all.
	if err := f.Truncate(results.MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := results.Read(path); err == nil || !strings.Contains(err.Error(), "larger than 256 MiB") {
		t.Errorf("err = %v", err)
	}
}

// TestFitNotConverged checks that a fit whose solver gave up is an error
// (exit code 1) naming the model, and a converged one is not.
func TestFitNotConverged(t *testing.T) {
	usl := &analysis.Fit{Model: "usl", Flags: []string{"fewer than 6 points", flagNotConverged}}
	amdahl := &analysis.Fit{Model: "amdahl"}
	err := checkConverged(usl, amdahl)
	if err == nil || ExitCode(err) != ExitFailure || !strings.Contains(err.Error(), "the usl fit did not converge") {
		t.Errorf("err = %v", err)
	}
	if err := checkConverged(amdahl, nil); err != nil {
		t.Errorf("converged fit: %v", err)
	}

	// Data the solver gives up on (at the time of writing): fit prints the
	// fits, then exits 1 saying which did not converge. Should the solver
	// learn to fit it, exit 0 is right.
	path := filepath.Join(t.TempDir(), "wild.csv")
	n := []float64{1000, 2e6, 3, 4}
	x := []float64{4.747567502816672e+08, 0.5286014352715054, 8.361348831340404e+08, 0.4262028108502791}
	var csv strings.Builder
	csv.WriteString("N,X\n")
	for i := range n {
		fmt.Fprintf(&csv, "%v,%v\n", n[i], x[i])
	}
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fit, err := analysis.FitUSL(n, x)
	if err != nil {
		t.Fatal(err)
	}
	want, wantMsg := ExitOK, ""
	if slices.Contains(fit.Flags, flagNotConverged) {
		want, wantMsg = ExitFailure, "fit: the usl"
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"fit", path}, nil, &out, &errOut)
	if code != want || !strings.Contains(errOut.String(), wantMsg) || !strings.Contains(out.String(), "Universal Scalability Law") {
		t.Errorf("exit %d, stderr %q; want exit %d and %q after the fits", code, errOut.String(), want, wantMsg)
	}
	t.Logf("fit of data that does not converge: exit %d, %s", code, strings.TrimSpace(errOut.String()))
}
func TestMainReportSlides(t *testing.T) {
	testutil.Long(t, "slides of a full report; report's TestWriteSlides renders them")
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

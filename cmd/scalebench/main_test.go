package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/results"
	"go.uber.org/goleak"
)

// bin is the scalebench binary built once for these end-to-end tests.
var bin string

func TestMain(m *testing.M) {
	if os.Getenv(measureEnv) != "" {
		os.Exit(measure())
	}
	dir, err := os.MkdirTemp("", "scalebench-e2e-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "scalebench")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build scalebench: " + err.Error())
	}
	code := m.Run()
	if err := goleak.Find(); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, "goroutines left running:", err)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// scalebench runs the binary with args and returns stdout, stderr and the exit code.
func scalebench(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("scalebench %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// readResults decodes DIR/results.json into v.
func readResults(t testing.TB, dir string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const tinyScenario = `name: tiny
description: end-to-end check
images:
  latency: 20ms
  paths: [/160x120/ccc/aaa.jpg, /64x64.png]
thumbnail: {width: 32, height: 32}
load:
  duration: 500ms
  warmup: 100ms
  repeats: 2
matrix:
  gomaxprocs: [1, 2]
  workers: [1, 4]
`

func TestRunWritesResultsAndReport(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "tiny.yaml", tinyScenario)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, filepath.Join(out, "report.html")) {
		t.Errorf("stdout does not name the report:\n%s", stdout)
	}
	// Not a terminal: one plain line per measurement (4 cells × 2 repeats).
	if n := strings.Count(stderr, " jobs/s, p50 "); n != 8 {
		t.Errorf("%d progress lines, want 8:\n%s", n, stderr)
	}

	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if run.SchemaVersion != results.SchemaVersion || run.Environment.GoVersion == "" || run.Environment.LogicalCPUs < 1 {
		t.Errorf("header: schema %d, go %q, cpus %d", run.SchemaVersion, run.Environment.GoVersion, run.Environment.LogicalCPUs)
	}
	if want := (results.Load{Repeats: 2, Warmup: 0.1, Window: 0.5, Timeout: 30}); run.Scenario.Load != want {
		t.Errorf("recorded load %+v, want %+v", run.Scenario.Load, want)
	}
	if run.Scenario.Checks.MaxErrorRate != 0.01 || run.Scenario.Checks.MinJobs != 100 {
		t.Errorf("recorded checks %+v, want the defaults", run.Scenario.Checks)
	}
	if len(run.Cells) != 4 || len(run.Order) != 8 {
		t.Fatalf("%d cells, %d steps; want 4 and 8", len(run.Cells), len(run.Order))
	}
	if _, err := os.Stat(filepath.Join(out, results.JournalName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal outlived the finished run: %v", err)
	}
	// Interleaved: every cell once before any cell twice.
	for i, s := range run.Order {
		if s.Cell != i%4 || s.Repeat != i/4 {
			t.Errorf("order[%d] = %+v, want cell %d repeat %d", i, s, i%4, i/4)
		}
	}
	cells := analysis.Summarize(run)
	for _, c := range cells {
		if c.Jobs == 0 || c.Throughput <= 0 || c.Errors != 0 || len(c.Repeats) != 2 {
			t.Errorf("cell %+v: jobs %d, throughput %.1f, errors %d, repeats %d", c.Params, c.Jobs, c.Throughput, c.Errors, len(c.Repeats))
		}
		if c.Stages["fetch"] < 0.02 || c.Stages["decode"] <= 0 || c.Stages["resize"] <= 0 {
			t.Errorf("cell %+v: stages %+v: the 20 ms latency is missing", c.Params, c.Stages)
		}
		for _, r := range c.Repeats {
			// A repeat on a machine busy enough to finish no job in its
			// window has no latency to check; every job that did finish
			// waited for the injected 20 ms.
			if r.Jobs > 0 && r.Latency.P50 < 0.02 {
				t.Errorf("cell %+v repeat %d: p50 %.4f: the 20 ms latency is missing", c.Params, r.Index, r.Latency.P50)
			}
			if r.Histogram.HDR().TotalCount() != r.Jobs {
				t.Errorf("cell %+v: a repeat's histogram holds %d of %d jobs", c.Params, r.Histogram.HDR().TotalCount(), r.Jobs)
			}
		}
	}
	// The decomposition's ground: in every repeat, CPU used (cores) times
	// jobs per CPU-second is the throughput, and the machine's counters
	// (on Linux) cover at least the measured processes' CPU.
	for _, c := range cells {
		for _, r := range c.Repeats {
			cpu := r.Resources.UserCPU + r.Resources.SysCPU
			if cpu <= 0 {
				t.Errorf("cell %+v repeat %d: no CPU recorded", c.Params, r.Index)
				continue
			}
			if got := cpu / r.Elapsed * r.Resources.JobsPerCPUSecond; math.Abs(got/r.Throughput-1) > 1e-6 {
				t.Errorf("cell %+v repeat %d: cores × jobs per CPU-second = %.4f, throughput %.4f", c.Params, r.Index, got, r.Throughput)
			}
			if runtime.GOOS == "linux" {
				if m := r.Resources.Machine; m == nil || m.Busy < cpu-0.05 || m.CPUs < 1 {
					t.Errorf("cell %+v repeat %d: machine %+v against the workers' %.3f CPU-seconds", c.Params, r.Index, m, cpu)
				}
			}
		}
	}
	view, stderr, code := scalebench(t, "report", out, "--format", "json")
	if code != 0 {
		t.Fatalf("report --format json: exit %d\n%s", code, stderr)
	}
	checkDecompositions(t, view)

	// 4 workers overlap the 20 ms waits: clearly more throughput than 1.
	if r := cells[1].Throughput / cells[0].Throughput; r < 2 {
		t.Errorf("4 workers / 1 worker throughput = %.2f, want > 2", r)
	}

	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(html, []byte("<svg")); n < 2 {
		t.Errorf("report has %d SVG charts, want >= 2", n)
	}
	if !bytes.Contains(html, []byte("Scalability (throughput) = ")) {
		t.Error("report lacks the ratio table")
	}

	// The report rebuilds from results.json alone.
	again := filepath.Join(dir, "again")
	stdout, stderr, code = scalebench(t, "report", filepath.Join(out, "results.json"), "--out", again)
	if code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rebuilt, err := os.ReadFile(filepath.Join(again, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(rebuilt, []byte("<svg")) != bytes.Count(html, []byte("<svg")) {
		t.Error("rebuilt report has a different number of charts")
	}
	// Every figure is recomputed from the record: the same summary as the run's.
	sameFile(t, filepath.Join(out, "summary.md"), filepath.Join(again, "summary.md"))
}

// checkDecompositions reads the JSON view and checks every ratio's
// decomposition: two factors that multiply to its product, which
// reproduces the ratio within the tolerance, or says that the repeats
// disagree.
func checkDecompositions(t *testing.T, view string) {
	t.Helper()
	var v struct {
		Ratios []struct {
			Cell, Base int
			Throughput struct {
				Value         *float64 `json:"value"`
				Decomposition *struct {
					Ratio, Product float64
					Agrees         bool
					Formula        string
					Factors        []struct{ Value float64 }
				} `json:"decomposition"`
			} `json:"throughput"`
		} `json:"ratios"`
	}
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		t.Fatalf("JSON view: %v\n%s", err, view)
	}
	n := 0
	for _, r := range v.Ratios {
		d := r.Throughput.Decomposition
		if r.Cell == r.Base || r.Throughput.Value == nil {
			continue
		}
		if d == nil || len(d.Factors) != 2 {
			t.Errorf("cell %d: no decomposition of %v", r.Cell, r.Throughput.Value)
			continue
		}
		n++
		p := d.Factors[0].Value * d.Factors[1].Value
		if math.Abs(p-d.Product) > 1e-9 || d.Ratio != *r.Throughput.Value {
			t.Errorf("cell %d: factors multiply to %v, product %v, ratio %v", r.Cell, p, d.Product, d.Ratio)
		}
		if d.Agrees != (math.Abs(p/d.Ratio-1) <= 0.02) || !d.Agrees && !strings.Contains(d.Formula, "the repeats disagree") {
			t.Errorf("cell %d: product %.4f, ratio %.4f, agrees %v, formula %q", r.Cell, p, d.Ratio, d.Agrees, d.Formula)
		}
	}
	if n == 0 {
		t.Error("no decomposed ratio in the view")
	}
}

// sameFile fails the test unless the two files hold the same bytes.
func sameFile(t *testing.T, want, got string) {
	t.Helper()
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w, g) {
		t.Errorf("%s differs from %s:\n--- got ---\n%s\n--- want ---\n%s", got, want, g, w)
	}
}

// ratioOperands matches the operands of a ratio "= a/b = c", leaving c.
var ratioOperands = regexp.MustCompile(`= [^=|/]+/[^=|]+ = `)

// sameText fails the test unless the two files hold the same text once
// every match of ignore is replaced by "= a/b = ".
func sameText(t *testing.T, want, got string, ignore *regexp.Regexp) {
	t.Helper()
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	if ignore == ratioOperands {
		// The figures, not the sentences: findings are judged by today's
		// rules, which the v1 summaries predate.
		// Figures are compared as v1 spelled them, to three significant
		// digits: they are now written with four (one spelling wherever
		// a figure appears, its formula included).
		w, g = threeDigits(cellsSection(w)), threeDigits(cellsSection(g))
	}
	nw := ignore.ReplaceAll(w, []byte("= a/b = "))
	ng := ignore.ReplaceAll(g, []byte("= a/b = "))
	if !bytes.Equal(nw, ng) {
		t.Errorf("%s differs from %s:\n--- got ---\n%s\n--- want ---\n%s", got, want, g, w)
	}
}

// number matches a decimal number in a summary.
var number = regexp.MustCompile(`\d+(\.\d+)?`)

// threeDigits rewrites every number of md with three significant digits.
func threeDigits(md []byte) []byte {
	return number.ReplaceAllFunc(md, func(b []byte) []byte {
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return b
		}
		return []byte(format.Number(v))
	})
}

// cellsSection is the "## Cells" section of a summary.md: every cell's
// figures.
func cellsSection(md []byte) []byte {
	_, after, ok := bytes.Cut(md, []byte("## Cells\n"))
	if !ok {
		return md
	}
	if i := bytes.Index(after, []byte("\n## ")); i >= 0 {
		after = after[:i]
	}
	return after
}

// TestReportSchemaV1 rebuilds the summaries of runs recorded by scalebench
// before results.json became the raw record (schema_version 1, whose cells
// also stored their summaries): every figure is recomputed from the repeats
// and comes out as the run wrote it (the findings, judged by newer rules,
// are not compared). Only the operands of the lesson's
// ratios are compared loosely: they are now printed with the digits the
// ratio was computed from ("84.9ms/43.2ms" where v1 wrote "85ms/43ms").
func TestReportSchemaV1(t *testing.T) {
	for _, name := range []string{"v1-batch", "v1-closed"} {
		t.Run(name, func(t *testing.T) {
			fixtures := filepath.Join("..", "..", "internal", "results", "testdata")
			out := t.TempDir()
			stdout, stderr, code := scalebench(t, "report", filepath.Join(fixtures, name+".json"), "--out", out)
			if code != 0 {
				t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
			}
			sameText(t, filepath.Join(fixtures, name+".summary.md"), filepath.Join(out, "summary.md"), ratioOperands)
		})
	}
	dir := t.TempDir()
	future := writeFile(t, dir, "results.json", `{"schema_version": 3}`)
	_, stderr, code := scalebench(t, "report", future)
	if code != 2 || !strings.Contains(stderr, "schema_version 3, this scalebench reads up to 2") {
		t.Errorf("a newer schema: exit %d, stderr %q; want 2 and both versions named", code, stderr)
	}
}

func TestInvalidScenarioExitsWithPosition(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "bad.yaml", "name: bad\nload:\n  duration: 3 seconds\nmatrix:\n  workers: [0]\n")
	for _, cmd := range []string{"run", "validate"} {
		stdout, stderr, code := scalebench(t, cmd, sc)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s%s", cmd, code, stdout, stderr)
		}
		for _, want := range []string{"bad.yaml:3: load.duration", "bad.yaml:5: matrix.workers"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, stderr)
			}
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%s: stack trace on bad input:\n%s", cmd, stderr)
		}
	}
}

func TestValidatePrintsMatrix(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "tiny.yaml", tinyScenario)
	stdout, stderr, code := scalebench(t, "validate", sc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"4 cells × 2 repeats = 8 measurements", "estimated run time", "baseline"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "run: need exactly one scenario file, got 0 arguments"},
		{[]string{"report", "/nonexistent/results.json"}, "no such file"},
		{[]string{"fit", "--format", "xml", "x.csv"}, `--format must be text or json, got "xml"`},
		{[]string{"run", "--bogus", "x"}, "flag provided but not defined: -bogus"},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"run", "x.yaml", "--out"}, "run: flag --out needs a value"},
	} {
		_, stderr, code := scalebench(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	stdout, _, code := scalebench(t, "--version")
	if code != 0 || !strings.Contains(stdout, "scalebench version") {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
	for _, cmd := range []string{"run", "validate", "report", "fit", "serve-images"} {
		stdout, _, code := scalebench(t, cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "USAGE") {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, stdout)
		}
	}
}

func TestServeImages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve-images", "--latency", "10ms", "--for", "20s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "serving on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q, want \"serving on http://127.0.0.1:PORT\"", line)
	}
	resp, err := http.Get(url + "/320x240/fff/000.jpg")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || len(body) < 1000 {
		t.Errorf("GET image: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}

func TestFitCSV(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "ray.csv", "processors,throughput\n1,20\n4,78\n8,130\n12,170\n16,190\n20,200\n")
	stdout, stderr, code := scalebench(t, "fit", csv, "--format", "json", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var fit struct {
		USL    struct{ Sigma, Kappa, Lambda float64 } `json:"usl"`
		Amdahl struct{ Sigma, Lambda float64 }        `json:"amdahl"`
	}
	if err := json.Unmarshal([]byte(stdout), &fit); err != nil {
		t.Fatalf("fit json: %v\n%s", err, stdout)
	}
	if d := fit.USL.Sigma - 0.02444; d > 1e-4 || d < -1e-4 {
		t.Errorf("usl sigma = %v, want 0.02444", fit.USL.Sigma)
	}
	if _, err := os.Stat(filepath.Join(dir, "fit.svg")); err != nil {
		t.Errorf("fit chart: %v", err)
	}
	bad := writeFile(t, dir, "bad.csv", "n,x\n1,20\n2,abc\n")
	_, stderr, code = scalebench(t, "fit", bad)
	if code != 2 || !strings.Contains(stderr, "bad.csv:3") {
		t.Errorf("bad csv: exit %d, stderr %q; want 2 and a line number", code, stderr)
	}
}

// signalAfter runs a ten-cell scenario, sends sig once two measurements
// have finished, and returns the output directory, what the run printed on
// stderr, and how it ended.
func signalAfter(t *testing.T, sig os.Signal) (out, log string, err error) {
	t.Helper()
	dir := t.TempDir()
	sc := writeFile(t, dir, "long.yaml", `name: long
images: {latency: 10ms, paths: [/64x64.png]}
load: {duration: 500ms, warmup: 0s, repeats: 1}
matrix: {workers: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
`)
	out = filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", sc, "--out", out)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	var b strings.Builder
	for n := 0; n < 2 && lines.Scan(); {
		b.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), " jobs/s, p50 ") {
			n++
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		b.WriteString(lines.Text() + "\n")
	}
	return out, b.String(), cmd.Wait()
}

// Ctrl-C, and a closed terminal or ssh session (SIGHUP), end a run keeping
// what it measured, with a report.
func TestInterruptKeepsMeasurements(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			out, log, err := signalAfter(t, sig)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("exit: %v, want code 130\n%s", err, log)
			}
			var run struct {
				Interrupted bool `json:"interrupted"`
				Cells       []struct {
					Repeats []json.RawMessage `json:"repeats"`
				} `json:"cells"`
			}
			readResults(t, out, &run)
			measured := 0
			for _, c := range run.Cells {
				measured += len(c.Repeats)
			}
			if !run.Interrupted || measured < 2 || measured == 10 {
				t.Errorf("interrupted %v with %d of 10 measurements kept, want true and 2..9", run.Interrupted, measured)
			}
			if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
				t.Errorf("no report after an interrupt: %v", err)
			}
			if !strings.Contains(log, "interrupted") {
				t.Errorf("stderr does not say the run was interrupted:\n%s", log)
			}
		})
	}
}

// TestCrashKeepsJournal kills a run outright (no chance to write
// results.json): its journal still holds every finished measurement, and
// `scalebench report DIR` reports them.
func TestCrashKeepsJournal(t *testing.T) {
	out, _, _ := signalAfter(t, os.Kill)
	if _, err := os.Stat(filepath.Join(out, "results.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a killed run left results.json (%v): the test shows nothing", err)
	}
	stdout, errText, code := scalebench(t, "report", out)
	if code != 0 {
		t.Fatalf("report of a crashed run: exit %d\n%s\n%s", code, stdout, errText)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	run, _, err := results.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	measured := 0
	for _, c := range run.Cells {
		measured += len(c.Repeats)
	}
	if measured < 2 || measured == 10 || !bytes.Contains(md, []byte("nterrupted")) {
		t.Errorf("recovered %d of 10 measurements, want 2..9, and a summary that says the run was interrupted:\n%s", measured, md)
	}
}

func TestRunPinned(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("pinning needs 2 CPUs")
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("no taskset on PATH")
	}
	dir := t.TempDir()
	sc := writeFile(t, dir, "pin.yaml", `name: pin
images: {paths: [/64x64.png]}
load: {duration: 500ms, warmup: 200ms, repeats: 1}
matrix: {gomaxprocs: [1, 2], workers: [2]}
`)
	out := filepath.Join(dir, "out")
	if stdout, stderr, code := scalebench(t, "run", sc, "--pin", "--out", out); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var run struct {
		Environment struct{ Pinned bool } `json:"environment"`
		Cells       []struct {
			Repeats []struct{ CPUs []string } `json:"repeats"`
		} `json:"cells"`
	}
	readResults(t, out, &run)
	if !run.Environment.Pinned {
		t.Error("environment.pinned is false")
	}
	// GOMAXPROCS 1 gets CPU 0; GOMAXPROCS 2 gets CPUs 0 and 1, as each worker reported.
	for i, want := range []string{"0", "0,1"} {
		if got := run.Cells[i].Repeats[0].CPUs; len(got) != 1 || got[0] != want {
			t.Errorf("cell %d ran on CPUs %q, want [%q]", i, got, want)
		}
	}
}

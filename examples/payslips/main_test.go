package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalebench/scalebench/bench"
	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/results"
)

var (
	// dir holds the binaries the tests build.
	dir string
	// bin is the example, built once by the tests that run it.
	bin      string
	binOnce  sync.Once
	binError error
)

// TestMain registers the workload, as main does, for the tests that run
// the command line in this process.
func TestMain(m *testing.M) {
	bench.Register(Payslips)
	var err error
	if dir, err = os.MkdirTemp("", "payslips-e2e-"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built returns the example's binary, built on first use.
func built(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		bin = filepath.Join(dir, "payslips")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Stderr = os.Stderr
		binError = build.Run()
	})
	if binError != nil {
		t.Fatalf("build the example: %v", binError)
	}
	return bin
}

// payslips runs the command line with args in this process, as the
// example's main would.
func payslips(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errw bytes.Buffer
	code = bench.Run(ctx, args, strings.NewReader(""), &out, &errw)
	return out.String(), errw.String(), code
}

func run(t *testing.T, exe string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", exe, args, err)
	}
	return stdout.String(), stderr.String(), 0
}

// The program is a scalebench with one workload: it says so, validates
// its own scenario, and refuses options and workloads it does not know
// with the file and the line.
func TestValidate(t *testing.T) {
	out, _, code := payslips(t, "worker", "--describe")
	if code != 0 || !strings.Contains(out, `"workloads":["payslips"]`) {
		t.Errorf("describe: exit %d, %s", code, out)
	}
	out, stderr, code := payslips(t, "validate", "payslips.yaml")
	if code != 0 || !strings.Contains(out, "6 cells") || !strings.Contains(out, "scale-out") {
		t.Errorf("validate payslips.yaml: exit %d\n%s%s", code, out, stderr)
	}
	if out, stderr, code := payslips(t, "validate", "ci.yaml"); code != 0 || !strings.Contains(out, "1 cells × 8 repeats") {
		t.Errorf("validate ci.yaml: exit %d\n%s%s", code, out, stderr)
	}
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nworkload:\n  name: payslips\n  options:\n    employes: 10\n    months: 13\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = payslips(t, "validate", bad)
	for _, want := range []string{
		bad + `:5: workload.options.employes: unknown field; valid fields here: employees, department, months, method; did you mean "employees"?`,
		bad + ":6: workload.options.months: must be 1..12, got 13",
	} {
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("validate bad.yaml: exit %d, stderr:\n%s\nwant 2 and %s", code, stderr, want)
		}
	}
	thumb := filepath.Join(tmp, "thumb.yaml")
	if err := os.WriteFile(thumb, []byte("name: thumb\nthumbnail: {width: 32}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code = payslips(t, "validate", thumb); code != 2 || !strings.Contains(stderr, `no workload "thumbnail"; it has: payslips`) {
		t.Errorf("a thumbnail scenario: exit %d, stderr:\n%s", code, stderr)
	}
}

// memoryScenario writes a scenario sweeping each replica's memory over
// budgets of the given numbers of reports, with four workers on one core.
func memoryScenario(t *testing.T, dir string, reports ...float64) string {
	t.Helper()
	opts := Options{Employees: 200, Department: 8, Months: 12, Method: fast}
	need, err := opts.JobMemory()
	if err != nil {
		t.Fatal(err)
	}
	var budgets []string
	for _, r := range reports {
		budgets = append(budgets, strconv.FormatInt(int64(r*float64(need)), 10))
	}
	src := fmt.Sprintf(`name: memory
workload: {name: payslips, options: {employees: 200, department: 8, months: 12, method: fast}}
load: {duration: 500ms, warmup: 100ms, repeats: 1}
matrix: {gomaxprocs: [1], workers: [4], memory: [%s]}
`, strings.Join(budgets, ", "))
	p := filepath.Join(dir, "memory.yaml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The workload declares what a report needs (JobMemory), so a scenario may
// sweep memory; one that does not divide its jobs refuses split, and a
// budget below one report is refused naming both sizes.
func TestValidateDimensionHooks(t *testing.T) {
	tmp := t.TempDir()
	if out, stderr, code := payslips(t, "validate", memoryScenario(t, tmp, 1, 2)); code != 0 || !strings.Contains(out, "2 cells") {
		t.Errorf("memory [1, 2] reports: exit %d\n%s%s", code, out, stderr)
	}
	if _, stderr, code := payslips(t, "validate", memoryScenario(t, tmp, 0.5)); code != 2 || !strings.Contains(stderr, "is smaller than the largest job, which needs") {
		t.Errorf("memory of half a report: exit %d, stderr:\n%s", code, stderr)
	}
	split := filepath.Join(tmp, "split.yaml")
	if err := os.WriteFile(split, []byte("name: split\nworkload: {name: payslips}\nmatrix: {split: [1, 2]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := payslips(t, "validate", split); code != 2 || !strings.Contains(stderr, "split.yaml:3: matrix.split: workload payslips does not divide a job among goroutines") {
		t.Errorf("split [1, 2]: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestRunsWithAMemoryBudget: the harness reserves each report's memory
// for a workload that only declares it: with room for one report, three
// of four workers wait in queue; with room for four, hardly any do.
func TestRunsWithAMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example and runs two cells")
	}
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	stdout, stderr, code := run(t, built(t), "run", memoryScenario(t, tmp, 1, 4), "--out", out)
	if code != 0 {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Cells) != 2 {
		t.Fatalf("%d cells, want 2", len(run.Cells))
	}
	one, four := run.Cells[0].Repeats[0], run.Cells[1].Repeats[0]
	service := func(r results.Repeat) float64 { return r.Stages["load"] + r.Stages["compute"] + r.Stages["render"] }
	t.Logf("queue %.4f s, service %.4f s with room for one report; queue %.4f s with room for four", one.Stages.Queue(), service(one), four.Stages.Queue())
	if one.Jobs == 0 || four.Jobs == 0 || !(one.Stages.Queue() > 2*service(one)) || !(four.Stages.Queue() < one.Stages.Queue()/2) {
		t.Errorf("queue %.4f s against service %.4f s with room for one report; queue %.4f s with room for four",
			one.Stages.Queue(), service(one), four.Stages.Queue())
	}
}

// quick is the example's scenario made short: its three blocks, a
// fraction of the time each.
func quick(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile("payslips.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), "  duration: 2s\n  warmup: 500ms\n  repeats: 3\n", "  duration: 500ms\n  warmup: 100ms\n  repeats: 2\n", 1)
	if s == string(src) {
		t.Fatal("payslips.yaml's load section changed: change this test")
	}
	p := filepath.Join(dir, "quick.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunsItsScenario: the binary runs its scenario in worker processes of
// its own, on one machine, and reports it: the workload and its stages in
// results.json, the three lessons, the stage chart with its own stages.
func TestRunsItsScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("the example's scenario takes about 20 s")
	}
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	stdout, stderr, code := run(t, built(t), "run", quick(t, tmp), "--out", out)
	if code != 0 {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	w := run.Scenario.WorkloadOf()
	var opts Options
	if err := json.Unmarshal(w.Options, &opts); err != nil || opts.Department != 8 || opts.Method != "naive" {
		t.Errorf("options recorded as %s (%v)", w.Options, err)
	}
	if w.Name != "payslips" || len(w.Stages) != 3 || w.Stages[2].Name != "render" {
		t.Errorf("workload recorded as %+v", w)
	}
	for _, c := range run.Cells {
		for _, r := range c.Repeats {
			if r.Failure != "" || r.Jobs == 0 || r.Errors != 0 || !(r.Stages["load"] > 0) || !(r.Stages["render"] > 0) {
				t.Errorf("%s: %d jobs, %d errors, stages %v, failure %q", c.Params, r.Jobs, r.Errors, r.Stages, r.Failure)
			}
		}
	}
	for _, want := range []string{"GOMAXPROCS 1 → 2", "replicas 1 → 2", "naive → fast"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the lesson lacks %q:\n%s", want, stdout)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"workload payslips", "render (CPU)", "renders the payslips of one department", "Speedup"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	a := analysis.Analyze(run)
	for _, l := range a.Lessons {
		t.Logf("%s", l.Sentence)
	}
}

// TestGatesTwoBuildsOfItself: the example gates an A/B of two builds of
// itself with its ci.yaml as CI would, the merge base's and the change's: a change that
// makes each report cost a quarter more CPU fails the gate (exit 1); the
// same change as the base, the faster build as the head, passes it.
func TestGatesTwoBuildsOfItself(t *testing.T) {
	if testing.Short() {
		t.Skip("two A/B runs take about a minute")
	}
	bin := built(t)
	tmp := t.TempDir()
	heavier := filepath.Join(tmp, "payslips-heavier")
	build := exec.Command("go", "build", "-o", heavier,
		"-ldflags", "-X github.com/scalebench/scalebench/internal/worker.extraWork=0.25", ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build the heavier example: %v", err)
	}
	sc, err := filepath.Abs("ci.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gate := []string{"--fail-on", "cpu_per_job:+5%", "--gate-only", "--until-resolved", "90s"}
	for _, tc := range []struct {
		name       string
		exe, base  string
		want       int
		verdictHas string
	}{
		{"the heavier head", heavier, bin, 1, "worse"},
		{"the lighter head", bin, heavier, 0, "better"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(tmp, strings.ReplaceAll(tc.name, " ", "-"))
			args := append([]string{"run", sc, "--out", out, "--quiet", "--build", "base=" + tc.base, "--build", "head=self"}, gate...)
			stdout, stderr, code := run(t, tc.exe, args...)
			if code != tc.want {
				t.Fatalf("A/B run: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
			if !strings.Contains(stdout, "cpu_per_job") || !strings.Contains(stdout, tc.verdictHas) {
				t.Errorf("the gate's table does not say cpu_per_job is %s:\n%s", tc.verdictHas, stdout)
			}
			run, err := results.Read(filepath.Join(out, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Builds) != 2 || run.Scenario.WorkloadOf().Name != "payslips" {
				t.Errorf("builds %+v, workload %s", run.Builds, run.Scenario.WorkloadOf().Name)
			}
		})
	}
	// A build without the workload fails at once, naming what it has.
	_, stderr, code := run(t, bin, append([]string{"run", sc, "--out", filepath.Join(tmp, "none"), "--build", "base=" + thumbnailBuild(t, tmp), "--build", "head=self"}, gate...)...)
	if code != 2 || !strings.Contains(stderr, `workload "payslips": `) || !strings.Contains(stderr, "has no such workload; it has: thumbnail") {
		t.Errorf("a build without the workload: exit %d, stderr:\n%s", code, stderr)
	}
}

// thumbnailBuild builds the scalebench executable, which has the thumbnail
// workload only.
func thumbnailBuild(t *testing.T, dir string) string {
	t.Helper()
	exe := filepath.Join(dir, "scalebench")
	build := exec.Command("go", "build", "-o", exe, "../../cmd/scalebench")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(fmt.Errorf("build scalebench: %w", err))
	}
	return exe
}

// The two methods render the same report, byte for byte: fast is the
// same work done another way.
func TestMethodsRenderTheSameReport(t *testing.T) {
	var reports [2][]byte
	for i, method := range []string{naive, fast} {
		opts := Payslips.Defaults
		opts.Method = method
		inst, err := setup(context.Background(), &bench.Process{Workers: 1, Inputs: []string{""}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		var c bench.Call
		c.Begin("")
		if err := inst.Job(context.Background(), &c); err != nil {
			t.Fatal(err)
		}
		reports[i] = bytes.Clone(inst.(*instance).workers[0].out.Bytes())
		if st := c.Stages(); st[stageLoad] <= 0 || st[stageRender] <= 0 {
			t.Errorf("%s: stages %v", method, st)
		}
	}
	if len(reports[0]) == 0 || !bytes.Equal(reports[0], reports[1]) {
		t.Errorf("naive and fast differ:\n%s\n---\n%s", reports[0], reports[1])
	}
	if n := bytes.Count(reports[1], []byte("PAYSLIP ")); n != Payslips.Defaults.Department {
		t.Errorf("%d payslips in a report, want %d", n, Payslips.Defaults.Department)
	}
}

// BenchmarkJob is one report of each method on one goroutine: the time a
// job takes and what it allocates.
func BenchmarkJob(b *testing.B) {
	for _, method := range []string{naive, fast} {
		b.Run("method="+method, func(b *testing.B) {
			opts := Payslips.Defaults
			opts.Method = method
			inst, err := setup(context.Background(), &bench.Process{Workers: 1, Inputs: []string{""}}, opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var c bench.Call
			for b.Loop() {
				c.Begin("")
				if err := inst.Job(context.Background(), &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRunsOnAgentsOfItself: the example's binary is its own agent, on the
// machine as on others: a run spreads its replicas over two agents of it;
// an agent of the scalebench executable, which lacks the workload, is
// refused before anything is measured, naming what it has.
func TestRunsOnAgentsOfItself(t *testing.T) {
	if testing.Short() {
		t.Skip("agents and a run take about 15 s")
	}
	bin := built(t)
	srv, err := cluster.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tmp := t.TempDir()
	agent := func(exe, run, id string) func() {
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, exe, "agent", "--nats", srv.URL, "--run", run, "--id", id)
		cmd.Env = append(os.Environ(), cluster.EnvToken+"="+srv.Token)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return func() { cancel(); _ = cmd.Wait() }
	}
	sc := filepath.Join(tmp, "agents.yaml")
	if err := os.WriteFile(sc, []byte(`name: on-agents
workload: {name: payslips, options: {method: fast}}
load: {duration: 300ms, warmup: 100ms, repeats: 1}
matrix: {replicas: [2]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	runOn := func(run string) (string, string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "run", sc, "--out", filepath.Join(tmp, run), "--quiet",
			"--nats", srv.URL, "--agents", "2", "--run-id", run, "--agents-wait", "30s")
		cmd.Env = append(os.Environ(), cluster.EnvToken+"="+srv.Token)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return stdout.String(), stderr.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), 0
	}

	stop1, stop2 := agent(bin, "own", "box-1"), agent(bin, "own", "box-2")
	stdout, stderr, code := runOn("own")
	stop1()
	stop2()
	if code != 0 {
		t.Fatalf("run on its own agents: exit %d\n%s%s", code, stdout, stderr)
	}
	run, err := results.Read(filepath.Join(tmp, "own", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := run.Cells[0].Repeats[0]
	if r.Failure != "" || r.Jobs == 0 || len(r.Placement) != 2 || r.Placement[0].Agent == r.Placement[1].Agent {
		t.Errorf("repeat: failure %q, %d jobs, placement %+v", r.Failure, r.Jobs, r.Placement)
	}

	stop1, stop2 = agent(bin, "mixed", "box-1"), agent(thumbnailBuild(t, tmp), "mixed", "sb-1")
	defer stop1()
	defer stop2()
	_, stderr, code = runOn("mixed")
	if code == 0 || !strings.Contains(stderr, `workload "payslips": agent sb-1 on `) || !strings.Contains(stderr, "has no such workload; it has: thumbnail") {
		t.Errorf("an agent without the workload: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(tmp, "mixed", "results.json")); err == nil {
		t.Error("a run with an agent lacking the workload wrote results")
	}
}

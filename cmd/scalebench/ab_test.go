package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// abScenario is one CPU-bound cell: every job's CPU work shows in its
// throughput and its CPU time, and eight repeats per build can reach
// significance over the six gated metrics.
const abScenario = `name: ab
images:
  latency: 5ms
  paths: [/640x480/ccc/aaa.jpg]
thumbnail: {width: 64, height: 64, method: fast}
load:
  duration: 400ms
  warmup: 100ms
  repeats: 8
matrix:
  gomaxprocs: [1]
  workers: [4]
`

var (
	heavyOnce sync.Once
	heavyBin  string
	heavyErr  error
)

// heavy builds scalebench with ~20% more CPU work per job, set the only
// way it can be: at build time.
func heavy(t *testing.T) string {
	t.Helper()
	heavyOnce.Do(func() {
		heavyBin = filepath.Join(filepath.Dir(bin), "scalebench-heavy")
		cmd := exec.Command("go", "build", "-o", heavyBin,
			"-ldflags", "-X github.com/scalebench/scalebench/internal/worker.extraWork=0.2", ".")
		cmd.Stderr = os.Stderr
		heavyErr = cmd.Run()
	})
	if heavyErr != nil {
		t.Fatalf("build the heavier scalebench: %v", heavyErr)
	}
	return heavyBin
}

// comparison is `scalebench compare RESULTS.json --format json`, decoded.
type comparison struct {
	ExitCode int `json:"exit_code"`
	Rows     []struct {
		Metric  string `json:"metric"`
		Gated   bool   `json:"gated"`
		Verdict string `json:"verdict"`
	} `json:"rows"`
}

func verdicts(t *testing.T, dir string, gate ...string) (comparison, map[string]string) {
	t.Helper()
	stdout, stderr, _ := scalebench(t, append([]string{"compare", filepath.Join(dir, "results.json"), "--format", "json"}, gate...)...)
	var c comparison
	if err := json.Unmarshal([]byte(stdout[:strings.LastIndex(stdout, "}")+1]), &c); err != nil {
		t.Fatalf("compare --format json: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	v := map[string]string{}
	for _, r := range c.Rows {
		v[r.Metric] = r.Verdict
	}
	return c, v
}

// TestABSameBuildNeverWorse: the same binary as both builds (an A/A run)
// comes out same or inconclusive, never worse, and passes the gate.
func TestABSameBuildNeverWorse(t *testing.T) {
	if testing.Short() {
		t.Skip("an A/A run takes half a minute")
	}
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", abScenario)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out, "--quiet", "--build", "base="+bin, "--build", "head=self")
	if code != 0 {
		t.Fatalf("A/A run: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Builds) != 2 || run.Builds[0].Name != "base" || !run.Builds[1].Self || run.Builds[0].Protocol == 0 {
		t.Errorf("builds recorded as %+v", run.Builds)
	}
	if len(run.Cells) != 2 || len(run.Order) < 16 {
		t.Errorf("%d cells and %d steps, want 2 and at least 16", len(run.Cells), len(run.Order))
	}
	c, _ := verdicts(t, out)
	for _, r := range c.Rows {
		if r.Verdict == "worse" {
			t.Errorf("A/A: %s is worse", r.Metric)
		}
	}
	if c.ExitCode != 0 {
		t.Errorf("compare of the A/A run: exit code %d, want 0", c.ExitCode)
	}
}

// TestABHeavierHeadIsWorse: a head doing ~20% more CPU work per job is
// found worse round by round, confirmed by two more rounds judged with the
// first ones, and fails the gate with exit code 1; report DIR rebuilds the
// same verdict and exit code from results.json.
// (TestABSameBuildNeverWorse is its counterpart with the default gate.)
func TestABHeavierHeadIsWorse(t *testing.T) {
	if testing.Short() {
		t.Skip("an A/B run takes a minute")
	}
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", abScenario)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out, "--quiet",
		"--build", "base="+bin, "--build", "head="+heavy(t),
		// The extra work is CPU time per job; other metrics are shown. A busy
		// machine may need more than the planned rounds to tell.
		"--fail-on", "cpu_per_job:+5%", "--gate-only", "--until-resolved", "90s", "--confirm", "2")
	if code != 1 {
		t.Fatalf("A/B run: exit %d, want 1 (worse)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "paired by round") || !strings.Contains(stderr, "found worse, confirming") {
		t.Errorf("the console does not say how the builds were compared and confirmed:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	c, v := verdicts(t, out, "--fail-on", "cpu_per_job:+5%", "--gate-only")
	if v["cpu_per_job"] != "worse" || c.ExitCode != 1 {
		t.Errorf("compare: cpu_per_job %s, exit code %d; want worse and 1", v["cpu_per_job"], c.ExitCode)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	rounds := map[int]int{}
	for _, c := range run.Cells {
		for _, r := range c.Repeats {
			rounds[r.Round]++
		}
	}
	if rounds[results.RoundMain] < 16 || rounds[results.RoundConfirm] != 4 {
		t.Errorf("repeats per round %v, want at least 16 planned and 4 confirming (2 rounds × 2 builds)", rounds)
	}
	if g := run.Gate; g == nil || g.FailOn != "cpu_per_job:+5%" || !g.GateOnly || g.Stop != "worse" || g.Confirm != 2 {
		t.Errorf("results.json keeps the gate as %+v", run.Gate)
	}
	// The report shows the builds' comparison as it shows a baseline's.
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(page), "Head against base, paired by round") || !strings.Contains(string(page), "worse") {
		t.Errorf("report.html lacks the comparison of the builds: %v", err)
	}
	// report DIR gives the same verdict and exit code, from the file alone.
	again, stderr2, code2 := scalebench(t, "report", out)
	if code2 != 1 || !strings.Contains(again, gateLineOf(stdout)) {
		t.Errorf("report DIR: exit %d, want 1 and the run's gate line %q\nstdout:\n%s\nstderr:\n%s", code2, gateLineOf(stdout), again, stderr2)
	}
}

// gateLineOf returns the "gate: ..." line of a comparison's text.
func gateLineOf(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "gate: ") {
			return l
		}
	}
	return "(no gate line)"
}

func TestABUsageErrors(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", abScenario)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--build", "head=self"}, "needs two"},
		{[]string{"--build", "base", "--build", "head=self"}, "NAME=PATH"},
		{[]string{"--build", "base=/nonexistent/sb", "--build", "head=self"}, "describe /nonexistent/sb"},
		{[]string{"--until-resolved", "1m"}, "needs an A/B run"},
		{[]string{"--build", "base=self", "--build", "head=self", "--fail-on", "nope:5%"}, "nope"},
		{builds(10, "b"), "--build: 10 builds given; an A/B run measures 2 to 8"},
		{builds(3, "v"), "--build: 3 builds (v0, v1, v2), but not one named base and one named head: the gate compares build base with build head"},
	} {
		args := append([]string{"run", sc, "--out", filepath.Join(dir, "out")}, tc.args...)
		_, stderr, code := scalebench(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	// One results file without a build dimension cannot be compared alone.
	run := filepath.Join(dir, "plain.json")
	if err := results.Write(run, &results.Run{Scenario: results.Scenario{Name: "x", Model: "closed"},
		Cells: []results.Cell{{Params: results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := scalebench(t, "compare", run); code != 2 || !strings.Contains(stderr, "no build dimension") {
		t.Errorf("compare of a plain run: exit %d, stderr %q; want 2", code, stderr)
	}
}

// builds is n --build flags, builds named prefix0, prefix1, ..., each the
// running binary.
func builds(n int, prefix string) []string {
	var args []string
	for i := range n {
		args = append(args, "--build", fmt.Sprintf("%s%d=self", prefix, i))
	}
	return args
}

// TestABUntilResolved: pairs still open get more rounds, and the console
// says which pairs are open, until the budget ends.
func TestABUntilResolved(t *testing.T) {
	if testing.Short() {
		t.Skip("an A/A run takes half a minute")
	}
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", strings.Replace(abScenario, "repeats: 8", "repeats: 4", 1))
	out := filepath.Join(dir, "out")
	// Four rounds cannot resolve anything: the budget decides.
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out, "--quiet",
		"--build", "base=self", "--build", "head=self", "--until-resolved", "8s", "--confirm", "0")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "gate: round 5, still open: gomaxprocs=1 workers=4") {
		t.Errorf("stderr does not list the open pairs:\n%s", stderr)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Cells {
		if len(c.Repeats) <= 4 {
			t.Errorf("cell %s: %d repeats, want more than the planned 4", c.Params, len(c.Repeats))
		}
	}
}

// TestScenarioBuilds: builds: in a scenario makes the same A/B run as
// --build, paths relative to the scenario file.
func TestScenarioBuilds(t *testing.T) {
	dir := t.TempDir()
	if err := os.Link(bin, filepath.Join(dir, "sb-base")); err != nil {
		t.Skip("cannot link the binary:", err)
	}
	text := strings.Replace(abScenario, "repeats: 8", "repeats: 2", 1) + "builds:\n  - {name: base, path: ./sb-base}\n  - {name: head, path: self}\n"
	sc := writeFile(t, dir, "ab.yaml", text)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out, "--quiet", "--confirm", "0")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Builds) != 2 || run.Builds[0].Path != filepath.Join(dir, "sb-base") || len(run.Cells) != 2 || len(run.Order) != 4 {
		t.Errorf("builds %+v, %d cells, %d steps; want the scenario's 2 builds, 2 cells, 4 steps", run.Builds, len(run.Cells), len(run.Order))
	}
}

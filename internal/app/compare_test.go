package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// gateScenario is a one-cell scenario whose latency is set by the mock
// image server's injected latency: 8 workers on one core spend about 0.5 ms
// of CPU per job and 100 ms waiting on the network, so a busy machine moves
// p50 by a few percent at most, while 25% more latency makes p50 25% slower
// and throughput 20% lower. 12 repeats let the Holm-corrected Mann–Whitney
// test find that across the 6 gated metrics.
const gateScenario = `name: gate
images: {latency: LATENCY, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 400ms, warmup: 50ms, repeats: 12}
matrix: {gomaxprocs: [1], workers: [8]}
`

// twinFailOn is the gate of the twin comparisons. Their windows hold 32
// jobs (8 workers, 100 ms each, 400 ms), so one job lost to a busy machine
// is 3% of a repeat's throughput, and two separate runs of `make test`'s
// parallel packages lost up to 8%: real, significant, and not the code.
// The twin allows throughput 10%; the slower run (25%) fails either way.
const twinFailOn = "throughput:-10%"

// sb runs the command line and returns its exit code, stdout and stderr.
func sb(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// editResults copies a results file with edit applied to its JSON.
func editResults(t *testing.T, from, to string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, to, string(out))
}

// TestGateRealRuns measures the same scenario three times, twice as it is
// and once with 25% more injected latency, and checks what the gate says:
// a twin never comes out worse, the slower run does (exit 1), in compare as
// in run --baseline; then the exit codes of compare's flags and inputs.
func TestGateRealRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("measures real runs")
	}
	t.Setenv("SCALEBENCH_TEST_WORKER", "1")
	t.Setenv("GITHUB_ACTIONS", "")
	dir := t.TempDir()
	fast := writeFile(t, filepath.Join(dir, "fast.yaml"), strings.Replace(gateScenario, "LATENCY", "100ms", 1))
	slow := writeFile(t, filepath.Join(dir, "slow.yaml"), strings.Replace(gateScenario, "LATENCY", "125ms", 1))
	base, twin, slower := filepath.Join(dir, "base"), filepath.Join(dir, "twin"), filepath.Join(dir, "slower")
	baseJSON := filepath.Join(base, "results.json")

	if code, _, stderr := sb(t, "run", "-q", "--out", base, fast); code != 0 {
		t.Fatalf("run base: exit %d: %s", code, stderr)
	}
	code, out, stderr := sb(t, "run", "-q", "--out", twin, fast, "--baseline", baseJSON, "--fail-on", twinFailOn)
	t.Logf("twin vs base:\n%s", out)
	if code != ExitOK || worseRow.MatchString(out) {
		t.Errorf("twin run with --baseline: exit %d, want 0 and no worse verdict; stderr %s", code, stderr)
	}
	code, out, stderr = sb(t, "run", "-q", "--out", slower, slow, "--baseline", baseJSON)
	t.Logf("25%% slower vs base:\n%s", out)
	switch {
	case code == ExitWorse && (lineHas(out, "p50 ", " worse") || lineHas(out, "throughput ", " worse")):
	case code == ExitOK && noisy(t, baseJSON):
		// On a machine so busy that the base's own p50 varies by more
		// than the change, 12 repeats cannot show it: inconclusive is the
		// honest answer, same or better would not be.
		for _, m := range []string{"throughput ", "p50 "} {
			if lineHas(out, m, " same") || lineHas(out, m, " better") {
				t.Errorf("slower run on a busy machine: %s is not inconclusive:\n%s", m, out)
			}
		}
		t.Logf("the machine was too busy to show a 25%% change with 12 repeats; the gate found it inconclusive")
	default:
		t.Errorf("slower run with --baseline: exit %d, want %d with p50 or throughput worse; stderr %s", code, ExitWorse, stderr)
	}
	// The report and summary show the comparison.
	for _, f := range []string{"report.html", "summary.md"} {
		data, err := os.ReadFile(filepath.Join(slower, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "worse") || !strings.Contains(string(data), baseJSON) {
			t.Errorf("%s does not show the comparison with %s", f, baseJSON)
		}
	}
	if _, err := os.Stat(filepath.Join(slower, "charts", "compare-p50.svg")); err != nil {
		t.Errorf("no chart of head vs base: %v", err)
	}
	// results.json keeps the baseline and the gate's settings: report
	// rebuilds the same comparison, and gives the run's exit code.
	again := filepath.Join(dir, "again")
	if got, _, stderr := sb(t, "report", "--out", again, filepath.Join(slower, "results.json")); got != code {
		t.Errorf("report of the slower run: exit %d, want the run's %d; stderr %s", got, code, stderr)
	}
	want, err := os.ReadFile(filepath.Join(slower, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(again, "summary.md")); err != nil || string(got) != string(want) {
		t.Errorf("the rebuilt summary differs from the run's (%v):\n%s\n--- want ---\n%s", err, got, want)
	}

	// The exit codes of compare are checked against a copy of the base run
	// with half its throughput and twice its latency, which no amount of
	// noise on the machine hides.
	twinJSON := filepath.Join(twin, "results.json")
	slowJSON := editResults(t, baseJSON, filepath.Join(dir, "half.json"), func(d map[string]any) {
		for _, c := range d["cells"].([]any) {
			for _, r := range c.(map[string]any)["repeats"].([]any) {
				rep := r.(map[string]any)
				rep["throughput"] = rep["throughput"].(float64) / 2
				lat := rep["latency"].(map[string]any)
				for k, v := range lat {
					lat[k] = v.(float64) * 2
				}
			}
		}
	})
	other := editResults(t, baseJSON, filepath.Join(dir, "other.json"), func(d map[string]any) {
		d["scenario"].(map[string]any)["name"] = "other"
	})
	future := editResults(t, baseJSON, filepath.Join(dir, "future.json"), func(d map[string]any) {
		d["schema_version"] = results.SchemaVersion + 1
	})
	// Three repeats cannot show a difference: every comparison is inconclusive.
	few := editResults(t, twinJSON, filepath.Join(dir, "few.json"), func(d map[string]any) {
		for _, c := range d["cells"].([]any) {
			cell := c.(map[string]any)
			cell["repeats"] = cell["repeats"].([]any)[:3]
		}
	})
	junit := filepath.Join(dir, "junit.xml")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"twin", []string{baseJSON, twinJSON, "--fail-on", twinFailOn}, ExitOK, "0 worse"},
		{"slower", []string{baseJSON, slowJSON}, ExitWorse, "gate failed"},
		{"slower within wide tolerances", []string{baseJSON, slowJSON, "--fail-on", "throughput:-60%,p50:+150%,p90:+150%,p99:+150%"}, ExitOK, "gate: pass"},
		{"slower gated on p50 at +10%", []string{baseJSON, slowJSON, "--fail-on=p50:+10%"}, ExitWorse, "worse"},
		{"same file", []string{baseJSON, baseJSON}, ExitOK, "0 worse, 0 better"},
		{"few repeats pass", []string{baseJSON, few}, ExitOK, ""},
		{"few repeats fail on inconclusive", []string{baseJSON, few, "--fail-on-inconclusive"}, ExitInconclusive, "inconclusive"},
		{"junit", []string{baseJSON, slowJSON, "--junit", junit}, ExitWorse, ""},
		{"markdown", []string{baseJSON, slowJSON, "--format", "markdown"}, ExitWorse, ""},
		{"json", []string{baseJSON, slowJSON, "-f", "json"}, ExitWorse, ""},
		{"csv", []string{baseJSON, slowJSON, "-f", "csv"}, ExitWorse, ""},
		{"unknown format", []string{baseJSON, slowJSON, "-f", "yaml"}, ExitUsage, `unknown format "yaml"`},
		{"unknown metric", []string{baseJSON, slowJSON, "--fail-on", "latency:+10%"}, ExitUsage, `unknown metric "latency"`},
		{"no change", []string{baseJSON, slowJSON, "--fail-on", "p99"}, ExitUsage, "want metric:change"},
		{"empty fail-on", []string{baseJSON, slowJSON, "--fail-on", ""}, ExitUsage, "--fail-on: empty"},
		{"different scenarios", []string{baseJSON, other}, ExitUsage, `of scenario "other"`},
		{"schema too new", []string{baseJSON, future}, ExitUsage, "use a newer scalebench"},
		{"missing file", []string{baseJSON, filepath.Join(dir, "nope.json")}, ExitUsage, "nope.json"},
		{"one file without builds", []string{baseJSON}, ExitUsage, "no build dimension: compare two result files"},
		{"three files", []string{baseJSON, slowJSON, baseJSON}, ExitUsage, "need a base and a head"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := sb(t, append([]string{"compare"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+stderr, tc.want) {
				t.Errorf("exit %d, want %d and %q\nstdout:\n%s\nstderr: %s", code, tc.code, tc.want, out, stderr)
			}
		})
	}
	if data, err := os.ReadFile(junit); err != nil || !strings.Contains(string(data), "<failure") {
		t.Errorf("junit file: %v\n%s", err, data)
	}

	t.Run("github actions", func(t *testing.T) {
		summary := filepath.Join(t.TempDir(), "summary.md")
		t.Setenv("GITHUB_ACTIONS", "true")
		t.Setenv("GITHUB_STEP_SUMMARY", summary)
		code, out, _ := sb(t, "compare", baseJSON, slowJSON)
		if code != ExitWorse || !strings.Contains(out, "::error title=") {
			t.Errorf("exit %d, want %d and ::error annotations:\n%s", code, ExitWorse, out)
		}
		if data, err := os.ReadFile(summary); err != nil || !strings.Contains(string(data), "|") {
			t.Errorf("step summary: %v\n%s", err, data)
		}
	})

	t.Run("export", func(t *testing.T) {
		code, out, stderr := sb(t, "export", baseJSON)
		if code != 0 || !strings.Contains(out, "BenchmarkThumbnail/gomaxprocs=1/workers=8/replicas=1/method=fast ") || !strings.Contains(out, "goos: ") {
			t.Errorf("export: exit %d, stderr %s\n%s", code, stderr, out)
		}
		if n := strings.Count(out, "\nBenchmarkThumbnail/"); n != 12 {
			t.Errorf("export: %d benchmark lines, want one per repeat (12)", n)
		}
		code, out, _ = sb(t, "export", "--format", "csv", base)
		if code != 0 || strings.Count(out, "\n") != 13 || !strings.HasPrefix(out, "cell,gomaxprocs,workers,replicas,method,repeat,jobs,throughput_jobs_per_s") {
			t.Errorf("export csv: exit %d\n%s", code, out)
		}
		if code, _, stderr := sb(t, "export", "--format", "xml", baseJSON); code != ExitUsage {
			t.Errorf("export --format xml: exit %d, want %d: %s", code, ExitUsage, stderr)
		}
	})

	t.Run("thresholds", func(t *testing.T) {
		// A limit the run cannot meet fails report with exit 1 and is
		// listed; one on a cell the run does not have is exit 2.
		withLimits := func(name string, limits ...map[string]any) string {
			return editResults(t, baseJSON, filepath.Join(dir, name), func(d map[string]any) {
				sc := d["scenario"].(map[string]any)
				var resolved map[string]any
				if err := json.Unmarshal([]byte(mustJSON(t, sc["resolved"])), &resolved); err != nil {
					t.Fatal(err)
				}
				resolved["thresholds"] = limits
				sc["resolved"] = resolved
			})
		}
		out := t.TempDir()
		failing := withLimits("failing.json", map[string]any{"metric": "p50", "max": "10ms"}, map[string]any{"metric": "throughput", "min": "1/s"})
		code, stdout, _ := sb(t, "report", "-o", out, failing)
		if code != ExitWorse || !strings.Contains(stdout, "threshold failed: p50 max") || !strings.Contains(stdout, "1 of 2 limits failed") {
			t.Errorf("failing limit: exit %d, want %d:\n%s", code, ExitWorse, stdout)
		}
		md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
		html, _ := os.ReadFile(filepath.Join(out, "report.html"))
		if !strings.Contains(string(md), "failed**: p50 max") || !strings.Contains(string(html), "Thresholds") {
			t.Errorf("failed limit not in summary.md or report.html:\n%s", md)
		}
		passing := withLimits("passing.json", map[string]any{"metric": "p50", "max": "10s"})
		if code, stdout, stderr := sb(t, "report", "-o", t.TempDir(), passing); code != ExitOK {
			t.Errorf("passing limit: exit %d:\n%s%s", code, stdout, stderr)
		}
		missing := withLimits("missing.json", map[string]any{"metric": "p99", "max": "1s", "where": map[string]any{"workers": "64"}})
		if code, _, stderr := sb(t, "report", "-o", t.TempDir(), missing); code != ExitUsage || !strings.Contains(stderr, "selects no measured cell") {
			t.Errorf("limit on a missing cell: exit %d, want %d: %s", code, ExitUsage, stderr)
		}
		// The scenario's own check: a limit on a cell outside the matrix.
		bad := writeFile(t, filepath.Join(dir, "bad.yaml"), gateScenario+"thresholds: [{metric: p99, max: 1s, where: {workers: 64}}]\n")
		if code, _, stderr := sb(t, "run", "-q", "--out", filepath.Join(dir, "bad"), bad); code != ExitUsage || !strings.Contains(stderr, "no cell has workers=64") {
			t.Errorf("run with a limit on a missing cell: exit %d, want %d: %s", code, ExitUsage, stderr)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noisy reports whether the p50 of the run in path varies so much between
// repeats that its median's interval reaches beyond ±10%.
func noisy(t *testing.T, path string) bool {
	t.Helper()
	run, err := results.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range analysis.Summarize(run) {
		iv := c.LatencyCI["p50"]
		if iv.Hi > 1.1*c.Latency.P50 || iv.Lo < 0.9*c.Latency.P50 {
			return true
		}
	}
	return false
}

// worseRow matches a row of compare's text table with the verdict worse.
var worseRow = regexp.MustCompile(`(?m) worse( \[\d+\])?$`)

// lineHas reports whether a line of text starts with prefix and contains s.
func lineHas(text, prefix, s string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, s) {
			return true
		}
	}
	return false
}

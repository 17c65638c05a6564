package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// slicedScenario is abScenario's CPU-bound cell, two sessions per pair.
var slicedScenario = strings.Replace(abScenario, "repeats: 8", "repeats: 2", 1)

// TestSlicesUsageErrors: --slices is refused, with exit code 2 and what
// would work instead, where slices cannot measure.
func TestSlicesUsageErrors(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", slicedScenario)
	open := writeFile(t, dir, "open.yaml", strings.Replace(slicedScenario, "duration: 400ms", "duration: 400ms\n  model: open\n  rate: 50", 1))
	ab := []string{"--build", "base=self", "--build", "head=self"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", sc, "--slices", "100ms"}, "--slices needs an A/B run"},
		{append([]string{"run", sc, "--slices", "5ms"}, ab...), "--slices 5ms: want 20ms to 500ms"},
		{append([]string{"run", sc, "--slices", "2s"}, ab...), "want 20ms to 500ms"},
		{append([]string{"run", open, "--slices", "100ms"}, ab...), "load model open; slices measure only the closed loop"},
		{append([]string{"run", sc, "--slices", "100ms", "--nats", "nats://127.0.0.1:1", "--agents", "1"}, ab...), "run without --slices"},
		{[]string{"calibrate", sc, "--slices", "1s"}, "want 20ms to 500ms"},
		{[]string{"calibrate", open, "--slices", "100ms"}, "load model open"},
	} {
		args := append(tc.args, "--out", filepath.Join(dir, "out"), "--force")
		_, stderr, code := scalebench(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestSlicedAA: an A/A run in slices passes the gate; every repeat is a
// slice, the builds' slices pair up by index, and the comparison has no
// latency row and says why.
func TestSlicedAA(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("slices need Linux")
	}
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", slicedScenario)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out, "--build", "base="+bin, "--build", "head=self", "--slices", "100ms")
	if code != 0 {
		t.Fatalf("sliced A/A run: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "latency percentiles need whole windows: run without --slices to gate them") {
		t.Errorf("the console does not say latency was not measured:\n%s", stdout)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if run.Gate == nil || run.Gate.Slices != 0.1 {
		t.Errorf("gate recorded as %+v, want slices 0.1 s", run.Gate)
	}
	indices := map[string][]int{}
	for _, c := range run.Cells {
		for _, r := range c.Repeats {
			if r.Slice == nil || r.Failure != "" || r.Latency != (results.Latency{}) {
				t.Fatalf("cell %s: repeat %+v, want a slice without latency", c.Params, r)
			}
			indices[c.Params.Build] = append(indices[c.Params.Build], r.Index)
		}
	}
	if len(indices["base"]) != 20 || !slices.Equal(indices["base"], indices["head"]) {
		t.Errorf("repeat indices base %v, head %v: want the same 20", indices["base"], indices["head"])
	}
	c, v := verdicts(t, out)
	for _, m := range []string{"p50", "p90", "p99", "makespan", "rss"} {
		if _, ok := v[m]; ok {
			t.Errorf("the comparison has a %s row", m)
		}
	}
	if v["throughput"] == "" || v["cpu_per_job"] == "" || c.ExitCode != 0 {
		t.Errorf("verdicts %v, exit code %d; want throughput and CPU per job, and 0", v, c.ExitCode)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(md), "| 0 |") || !strings.Contains(string(md), "latency was not measured") {
		t.Errorf("summary.md shows latencies of 0 or does not say latency was not measured:\n%s", md)
	}
}

// TestSlicedCalibrateFindsSlowdown: in slices, a head doing 50% more CPU
// work per job fails the gate, and the A/A run does not.
func TestSlicedCalibrateFindsSlowdown(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("slices need Linux")
	}
	if testing.Short() {
		t.Skip("an A/A and an A/B run in slices take about 20 s")
	}
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", slicedScenario)
	out := filepath.Join(dir, "cal")
	stdout, stderr, code := scalebench(t, "calibrate", sc, "--slices", "100ms", "--runs", "1", "--effect", "50%", "--out", out,
		"--fail-on", "cpu_per_job:+5%", "--gate-only", "--until-resolved", "30s")
	if code != 0 {
		t.Fatalf("calibrate: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "in slices of 100ms") {
		t.Errorf("the calibration does not say it ran in slices:\n%s", stdout)
	}
	var cal struct {
		AA, AB []struct {
			ExitCode int `json:"exit_code"`
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "calibration.json"))
	if err != nil || json.Unmarshal(data, &cal) != nil || len(cal.AA) != 1 || len(cal.AB) != 1 {
		t.Fatalf("calibration.json: %v\n%s", err, data)
	}
	if cal.AB[0].ExitCode != 1 || cal.AA[0].ExitCode == 1 {
		t.Errorf("A/A exit %d, A/B exit %d; want the 50%% slower head to fail the gate, and only it:\n%s", cal.AA[0].ExitCode, cal.AB[0].ExitCode, stderr)
	}
	run, err := results.Read(filepath.Join(out, "ab-01", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if run.Gate == nil || run.Gate.Slices != 0.1 || run.Cells[0].Repeats[0].Slice == nil {
		t.Errorf("the A/B run was not sliced: gate %+v", run.Gate)
	}
}

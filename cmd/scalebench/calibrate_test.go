package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// TestCalibrate: one A/A and one A/B run of a small CPU-bound scenario,
// the head made 50% slower, give the table, calibration.json and each
// run's results.json; only the A/B run's head carries the slowdown.
func TestCalibrate(t *testing.T) {
	if testing.Short() {
		t.Skip("two A/B runs take half a minute")
	}
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", strings.Replace(strings.Replace(abScenario, "repeats: 8", "repeats: 4", 1), "duration: 400ms", "duration: 250ms", 1))
	out := filepath.Join(dir, "cal")
	stdout, stderr, code := scalebench(t, "calibrate", sc, "--runs", "1", "--effect", "50%", "--out", out,
		"--fail-on", "cpu_per_job:+5%", "--gate-only", "--until-resolved", "20s")
	if code != 0 {
		t.Fatalf("calibrate: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"A/A (same build twice)", "A/B (head 50% slower)", "smallest slowdown found in 80% of runs within 20s", "calibration: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "A/A  1/1: ") || !strings.Contains(stderr, "A/B  1/1: ") {
		t.Errorf("stderr does not report each run:\n%s", stderr)
	}
	var cal struct {
		Effect float64 `json:"effect"`
		AA, AB []struct {
			ExitCode int `json:"exit_code"`
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "calibration.json"))
	if err != nil || json.Unmarshal(data, &cal) != nil || cal.Effect != 0.5 || len(cal.AA) != 1 || len(cal.AB) != 1 {
		t.Fatalf("calibration.json: %v\n%s", err, data)
	}
	if cal.AB[0].ExitCode != 1 {
		t.Errorf("a head doing 50%% more CPU work per job passed the gate: %s", stderr)
	}
	for kind, want := range map[string]float64{"aa-01": 0, "ab-01": 0.5} {
		run, err := results.Read(filepath.Join(out, kind, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Builds) != 2 || run.Builds[0].ExtraWork != 0 || run.Builds[1].ExtraWork != want {
			t.Errorf("%s: builds %+v, want head's extra work %v", kind, run.Builds, want)
		}
	}
}

func TestCalibrateUsageErrors(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "ab.yaml", abScenario)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--effect", "0%"}, "--effect \"0%\": want a slowdown such as 10%, from 1% to 100%"},
		{[]string{"--effect", "10"}, "want a slowdown such as 10%"},
		{[]string{"--runs", "0"}, "--runs 0: want 1 to 1000"},
		{[]string{"--busy", "999"}, "--busy 999"},
		{[]string{"--gate-only"}, "--gate-only: name the metrics"},
	} {
		args := append([]string{"calibrate", sc, "--out", filepath.Join(dir, "out")}, tc.args...)
		_, stderr, code := scalebench(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

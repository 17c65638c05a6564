//go:build linux

package runner

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/worker"
)

// busyChild starts a shell that spins on the CPU, under the harness's
// control as a session's worker would be.
func busyChild(t *testing.T) *worker.Proc {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	p, err := worker.Start(context.Background(), worker.Command{Name: "busy child", Argv: []string{sh, "-c", "read line; while :; do :; done"}, Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.SendSpec(worker.Spec{}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunSliceStopsAndResumes: a slice lets the child run for at least
// its length, leaves it stopped, and counts the CPU it used meanwhile;
// the child's exit while the harness waits for a stop is an error, not a
// hang.
func TestRunSliceStopsAndResumes(t *testing.T) {
	p := busyChild(t)
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := p.AwaitPause(); err != nil {
		t.Fatal(err)
	}
	procs := []*worker.Proc{p}
	sl, err := runSlice(context.Background(), procs, 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if ran := time.Duration(sl.to - sl.from); ran < 30*time.Millisecond || sl.cpu <= 0 || sl.cpu > ran {
		t.Errorf("slice ran %v and used %v of CPU: want at least 30ms, and CPU within it", ran, sl.cpu)
	}
	before, _ := p.CPU()
	time.Sleep(20 * time.Millisecond) // a window to see the clock stand still in
	if after, _ := p.CPU(); after != before {
		t.Errorf("the child ran on after its slice: CPU %v → %v", before, after)
	}
	// Ended context: the slice still stops the child, and says why.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := runSlice(ctx, procs, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("slice in an ended context: %v, want context.Canceled", err)
	}
	before, _ = p.CPU()
	time.Sleep(20 * time.Millisecond) // a window to see the clock stand still in
	if after, _ := p.CPU(); after != before {
		t.Errorf("the child ran on after a cancelled slice: CPU %v → %v", before, after)
	}

	q := busyChild(t)
	q.Kill()
	if err := q.AwaitPause(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("awaiting the stop of a killed child: %v, want an error saying it was killed", err)
	}
}

// TestRunSliced: a sliced A/A run of a tiny scenario gives each cell of
// both builds a repeat per pair of slices, paired by index, with
// throughput and CPU per job and no latency; the scenario's repeats are
// sessions.
func TestRunSliced(t *testing.T) {
	sc := parse(t, `name: t
images: {latency: 5ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 150ms, warmup: 50ms, repeats: 2}
matrix: {gomaxprocs: [1], workers: [2]}
`)
	opt := testOptions()
	for _, name := range []string{"base", "head"} {
		opt.Builds = append(opt.Builds, BuildWorker{
			Build: results.Build{Name: name, Path: os.Args[0], Version: "test", Protocol: worker.ProtocolVersion},
			Argv:  []string{os.Args[0]}, Slices: true,
		})
	}
	opt.Order = rand.New(rand.NewPCG(3, 4))
	opt.Slices = &Slicing{Length: 40 * time.Millisecond, Pairs: 4}
	var progress []Progress
	opt.Progress = func(p Progress) { progress = append(progress, p) }
	opt.Journal = filepath.Join(t.TempDir(), results.JournalName)
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Cells) != 2 || len(run.Order) != 4 || len(progress) != 4 {
		t.Fatalf("%d cells, %d steps, %d progress calls; want 2, 4 (2 sessions of 2 builds), 4", len(run.Cells), len(run.Order), len(progress))
	}
	for _, p := range progress {
		if p.Slices != 4 || p.Result.Jobs == 0 {
			t.Errorf("progress %+v: want 4 slices with jobs", p)
		}
	}
	for _, c := range run.Cells {
		if len(c.Repeats) != 8 {
			t.Fatalf("cell %s: %d repeats, want 8 (2 sessions of 4 pairs)", c.Params, len(c.Repeats))
		}
		for k, r := range c.Repeats {
			if r.Failure != "" {
				t.Fatalf("cell %s slice %d failed: %s", c.Params, k, r.Failure)
			}
			if r.Index != k || r.Slice == nil || r.Slice.Session != k/4 || r.Slice.Pair != k%4 {
				t.Errorf("cell %s repeat %d: index %d, slice %+v", c.Params, k, r.Index, r.Slice)
				continue
			}
			if r.Slice.Length < 0.030 || r.Slice.Length > 0.050 || r.Elapsed < r.Slice.Length {
				t.Errorf("cell %s slice %d: length %.3f s, ran %.3f s", c.Params, k, r.Slice.Length, r.Elapsed)
			}
			if r.Jobs > 0 && !(r.Throughput > 0 && r.Resources.JobsPerCPUSecond > 0) {
				t.Errorf("cell %s slice %d: %d jobs, %.1f jobs/s, %.1f jobs per CPU-second", c.Params, k, r.Jobs, r.Throughput, r.Resources.JobsPerCPUSecond)
			}
			if r.Histogram != nil || r.Latency.P50 != 0 {
				t.Errorf("cell %s slice %d has latency", c.Params, k)
			}
		}
	}
	// Every repeat has a place of its own in the run, in the order the
	// slices were measured.
	seqs := map[int]bool{}
	for _, c := range run.Cells {
		for k, r := range c.Repeats {
			if seqs[r.Seq] {
				t.Errorf("cell %s slice %d: seq %d given twice", c.Params, k, r.Seq)
			}
			seqs[r.Seq] = true
			if k > 0 && (r.Seq <= c.Repeats[k-1].Seq || !r.Started.After(c.Repeats[k-1].Started)) {
				t.Errorf("cell %s slice %d: seq %d after %d, started %v after %v", c.Params, k, r.Seq, c.Repeats[k-1].Seq, r.Started, c.Repeats[k-1].Started)
			}
		}
	}
	if len(seqs) != 16 || !seqs[0] || !seqs[15] {
		t.Errorf("seqs %v, want 0 to 15", seqs)
	}
	journalled, warnings, err := results.ReadJournal(opt.Journal)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("journal: %v %q", err, warnings)
	}
	for i, c := range journalled.Cells {
		for k, r := range c.Repeats {
			if r.Index != run.Cells[i].Repeats[k].Index {
				t.Fatalf("journal: cell %d repeat %d has index %d, the run %d", i, k, r.Index, run.Cells[i].Repeats[k].Index)
			}
		}
	}
}

// TestRunSlicedRefused: what slices cannot measure is refused before
// anything runs.
func TestRunSlicedRefused(t *testing.T) {
	builds := []BuildWorker{{Build: results.Build{Name: "base"}, Slices: true}, {Build: results.Build{Name: "head"}, Slices: true}}
	old := builds[1]
	old.Slices = false
	scenario := func(load, more string) string {
		return "name: t\nimages: {paths: [/64x48/ccc/aaa.jpg]}\nload: {duration: 1s" + load + "}\nmatrix: {workers: [1]}\n" + more
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		name, scenario string
		length         time.Duration
		builds         []BuildWorker
		want           string
	}{
		{"too short", scenario("", ""), 10 * ms, builds, "want 20ms to 500ms"},
		{"too long", scenario("", ""), time.Second, builds, "want 20ms to 500ms"},
		{"open loop", scenario(", model: open, rate: 10", ""), 100 * ms, builds, "load model open"},
		{"batch", scenario(", model: batch, jobs: 10", ""), 100 * ms, builds, "load model batch"},
		{"short timeout", scenario(", timeout: 500ms", ""), 100 * ms, builds, "job timeout of 500ms"},
		{"max jobs", scenario(", max_jobs: 1000", ""), 100 * ms, builds, "max_jobs 1000"},
		{"latency threshold", scenario("", "thresholds: [{metric: p99, max: 1s}]\n"), 100 * ms, builds, "limits p99 (test.yaml:"},
		{"one build", scenario("", ""), 100 * ms, builds[:1], "needs an A/B run"},
		{"an old build", scenario("", ""), 100 * ms, []BuildWorker{builds[0], old}, "build head"},
	} {
		err := CheckSlicing(parse(t, tc.scenario), Slicing{Length: tc.length}, tc.builds)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	if err := CheckSlicing(parse(t, scenario("", "")), Slicing{Length: 100 * ms}, builds); err != nil {
		t.Errorf("a closed loop of two builds: %v", err)
	}
}

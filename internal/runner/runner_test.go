package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/scalebench/scalebench/internal/agent"
	"github.com/scalebench/scalebench/internal/builtin"
	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/internal/workload"
)

// TestMain lets this test binary act as a worker process: Run starts it
// again with SCALEBENCH_TEST_WORKER=1, as `scalebench worker` would be.
func TestMain(m *testing.M) {
	if err := workload.Register(builtin.Thumbnail); err != nil {
		panic(err)
	}
	if os.Getenv("SCALEBENCH_TEST_WORKER") == "1" {
		crash := os.Getenv("SCALEBENCH_TEST_CRASH_WORKERS")
		var err error
		if os.Getenv(cluster.EnvURL) != "" {
			// Over NATS: crash after the go signal, as over the pipes.
			err = agent.OneShot(context.Background(), os.Stdin, func(ctx context.Context, s worker.Spec) (worker.Runner, error) {
				r, err := worker.Prepare(ctx, s)
				if err != nil {
					return nil, err
				}
				return failingRunner{Runner: r, crash: crash != "" && strconv.Itoa(s.Workers) == crash}, nil
			})
		} else {
			err = worker.Main(context.Background(), crashIf(crash), os.Stdout)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// failingRunner is a worker's Runner that, once the go signal came,
// panics when crash is set, as a worker with a bug would mid-measurement,
// or stops its process with SIGSTOP when SCALEBENCH_TEST_STOP_WORKER is
// 1, heartbeats and all.
type failingRunner struct {
	worker.Runner
	crash bool
}

func (r failingRunner) Run(ctx context.Context) (worker.Report, error) {
	if r.crash {
		panic("test worker crash")
	}
	if os.Getenv("SCALEBENCH_TEST_STOP_WORKER") == "1" {
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	}
	return r.Runner.Run(ctx)
}

// crashIf returns the worker's stdin; when the spec asks for the number of
// workers named by crash, the worker instead says ready, waits for go and
// panics, as a worker with a bug would mid-measurement.
func crashIf(crash string) io.Reader {
	in := bufio.NewReader(os.Stdin)
	if crash == "" {
		return in
	}
	line, err := in.ReadBytes('\n')
	if err != nil {
		return bytes.NewReader(line)
	}
	var spec worker.Spec
	if json.Unmarshal(line, &spec) == nil && strconv.Itoa(spec.Workers) == crash {
		fmt.Println("ready")
		_, _ = in.ReadString('\n')
		panic("test worker crash")
	}
	return io.MultiReader(bytes.NewReader(line), in)
}

func testOptions() Options {
	return Options{Worker: []string{os.Args[0]}, Env: []string{"SCALEBENCH_TEST_WORKER=1"}, Version: "test"}
}

func parse(t *testing.T, text string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestRunInterleavesAndSetsGOMAXPROCS(t *testing.T) {
	sc := parse(t, `name: t
images: {latency: 10ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 300ms, warmup: 50ms, repeats: 2}
matrix: {gomaxprocs: [1, 2], workers: [2]}
`)
	var steps []Progress
	opt := testOptions()
	opt.Progress = func(p Progress) { steps = append(steps, p) }
	opt.Journal = filepath.Join(t.TempDir(), results.JournalName)
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 4 {
		t.Fatalf("%d progress calls, want 4", len(steps))
	}
	journalled, _, err := results.ReadJournal(opt.Journal)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range journalled.Cells {
		if len(c.Repeats) != len(run.Cells[i].Repeats) {
			t.Errorf("journal holds %d repeats of cell %d, the run %d", len(c.Repeats), i, len(run.Cells[i].Repeats))
		}
	}
	want := []int{1, 2, 1, 2} // gomaxprocs of each step: A B A B
	for i, s := range steps {
		if s.Params.GOMAXPROCS != want[i] {
			t.Errorf("step %d ran gomaxprocs %d, want %d", i+1, s.Params.GOMAXPROCS, want[i])
		}
	}
	for _, c := range run.Cells {
		if len(c.Repeats) != 2 || c.Repeats[0].Jobs+c.Repeats[1].Jobs == 0 {
			t.Errorf("cell %s: %d repeats, no jobs", c.Params, len(c.Repeats))
		}
		if c.Repeats[0].Seq >= c.Repeats[1].Seq {
			t.Errorf("cell %+v: repeat seqs %d, %d not in run order", c.Params, c.Repeats[0].Seq, c.Repeats[1].Seq)
		}
	}
	if run.Interrupted || run.Environment.GoVersion == "" {
		t.Errorf("interrupted %v, env %+v", run.Interrupted, run.Environment)
	}
}

func TestRunInterruptedKeepsMeasurements(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 300ms, warmup: 0s, repeats: 1}
matrix: {workers: [1, 2, 3, 4]}
`)
	ctx, cancel := context.WithCancel(context.Background())
	opt := testOptions()
	opt.Progress = func(p Progress) {
		if p.Step == 2 {
			cancel()
		}
	}
	start := time.Now()
	run, err := Run(ctx, sc, opt)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if !run.Interrupted || len(run.Cells[0].Repeats) != 1 || len(run.Cells[1].Repeats) != 1 || len(run.Cells[2].Repeats) != 0 {
		t.Errorf("interrupted run kept %+v", run.Cells)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("interruption took %v", time.Since(start))
	}
}

func TestRunReportsWorkerFailure(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
load: {duration: 100ms, warmup: 0s, repeats: 1}
`)
	opt := testOptions()
	opt.Env = nil // the test binary then runs tests instead of a worker: the handshake fails
	opt.Worker = []string{os.Args[0], "-test.run=^$"}
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r := run.Cells[0].Repeats; len(r) != 1 || !strings.Contains(r[0].Failure, "worker process") {
		t.Fatalf("repeats %+v, want one failed with a worker process error", r)
	}
}

// A worker that crashes fails its measurement, which is recorded with the
// panic line; the run goes on with the other cells.
func TestRunRecordsFailedMeasurement(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
load: {duration: 100ms, warmup: 0s, repeats: 2}
matrix: {workers: [1, 2]}
`)
	opt := testOptions()
	opt.Env = append(opt.Env, "SCALEBENCH_TEST_CRASH_WORKERS=2")
	opt.LogDir = t.TempDir()
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatalf("Run: %v (a failed measurement should not stop the run)", err)
	}
	ok, crashed := run.Cells[0], run.Cells[1]
	if len(ok.Repeats) != 2 || ok.Repeats[0].Failure != "" || ok.Repeats[0].Jobs == 0 {
		t.Errorf("the healthy cell: %+v", ok.Repeats)
	}
	if len(crashed.Repeats) != 2 {
		t.Fatalf("the crashing cell has %d repeats, want 2 recorded failures", len(crashed.Repeats))
	}
	for _, r := range crashed.Repeats {
		if !strings.Contains(r.Failure, "panic: test worker crash") || !strings.Contains(r.Failure, "full stderr in") {
			t.Errorf("failure %q should quote the panic and name the saved stderr", r.Failure)
		}
	}
}

// Measurements that keep failing stop the run after a few, not after all.
func TestRunGivesUpOnRepeatedFailures(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
load: {duration: 100ms, warmup: 0s, repeats: 3}
matrix: {workers: [3]}
`)
	opt := testOptions()
	opt.Env = append(opt.Env, "SCALEBENCH_TEST_CRASH_WORKERS=3")
	run, err := Run(context.Background(), sc, opt)
	if !errors.Is(err, ErrGaveUp) {
		t.Fatalf("err = %v, want ErrGaveUp", err)
	}
	if n := len(run.Cells[0].Repeats); n != maxFailedInARow {
		t.Errorf("%d measurements recorded, want the %d that failed", n, maxFailedInARow)
	}
}

func TestRunReplicasAddUp(t *testing.T) {
	sc := parse(t, `name: t
images: {latency: 30ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {model: batch, jobs: 8, warmup: 0s, repeats: 1}
matrix: {workers: [2], replicas: [1, 2]}
`)
	run, err := Run(context.Background(), sc, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	one, two := run.Cells[0].Repeats[0], run.Cells[1].Repeats[0]
	if one.Jobs != 8 || two.Jobs != 8 {
		t.Fatalf("jobs = %d and %d; the batch of 8 must be split across replicas, not repeated", one.Jobs, two.Jobs)
	}
	// 8 jobs on 2 workers take at least 4 rounds of 30 ms; on 2 replicas ×
	// 2 workers at least 2. That two replicas are faster is a timing claim
	// a busy machine can break: BenchmarkReplicas measures it.
	if one.Makespan < 0.12 || two.Makespan < 0.06 {
		t.Errorf("makespan 1 replica %.3fs, 2 replicas %.3fs: want at least 0.12s and 0.06s", one.Makespan, two.Makespan)
	}
}

func TestRunCoolsDownBetweenMeasurements(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 100ms, warmup: 0s, repeats: 1, cooldown: 700ms}
matrix: {workers: [1, 2]}
`)
	var ends []time.Time
	opt := testOptions()
	opt.Progress = func(Progress) { ends = append(ends, time.Now()) }
	if _, err := Run(context.Background(), sc, opt); err != nil {
		t.Fatal(err)
	}
	if len(ends) != 2 {
		t.Fatalf("%d measurements, want 2", len(ends))
	}
	// The second measurement (100 ms) starts only after the 700 ms cooldown.
	if gap := ends[1].Sub(ends[0]); gap < 800*time.Millisecond {
		t.Errorf("measurements ended %v apart, want >= 800ms (cooldown 700ms + window 100ms)", gap)
	}
}

// A checkpoint that cannot be written (the disk filled up mid-run) loses no
// measurement: the run goes on, says so once, and keeps every measurement
// in the results it returns.
func TestRunKeepsMeasurementsWhenCheckpointFails(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full to simulate a full disk")
	}
	defer full.Close()
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
load: {duration: 100ms, warmup: 0s, repeats: 2}
matrix: {workers: [1, 2]}
`)
	opt := testOptions()
	opt.Journal = filepath.Join(t.TempDir(), results.JournalName)
	var warnings []error
	opt.Warn = func(err error) { warnings = append(warnings, err) }
	opt.Progress = func(p Progress) {
		if p.Step != 1 {
			return
		}
		// The disk fills up: the journal's file descriptor now writes to
		// /dev/full, where every write fails with ENOSPC.
		fd := journalFD(t, opt.Journal)
		if err := unix.Dup2(int(full.Fd()), fd); err != nil {
			t.Fatal(err)
		}
	}
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range run.Cells {
		n += len(c.Repeats)
	}
	if n != 4 {
		t.Errorf("%d of 4 measurements kept", n)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "kept in memory") {
		t.Errorf("warnings %v, want one saying the measurement is kept in memory", warnings)
	}
}

// journalFD finds this process's file descriptor open on path.
func journalFD(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	for _, e := range ents {
		if link, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && link == path {
			fd, _ := strconv.Atoi(e.Name())
			return fd
		}
	}
	t.Fatalf("no descriptor open on %s", path)
	return -1
}

// TestRunBlocksUseTheirOwnSettings runs two blocks that differ in image
// latency, image, thumbnail size and batch size: each block's cells see its
// own latency (and none the other block asked for), and the results record
// each block's settings.
func TestRunBlocksUseTheirOwnSettings(t *testing.T) {
	sc := parse(t, `name: t
thumbnail: {width: 16, height: 16}
load: {model: batch, jobs: 2, warmup: 0s, repeats: 1}
blocks:
  - name: slow
    images: {latency: 300ms, paths: [/64x48/ccc/aaa.jpg]}
    matrix: {workers: [1, 2]}
  - name: quick
    images: {latency: 0s, paths: [/32x24/ccc/aaa.jpg]}
    thumbnail: {width: 8, height: 8}
    load: {jobs: 3}
    matrix: {workers: [1]}
`)
	var order []string
	opt := testOptions()
	opt.Progress = func(p Progress) { order = append(order, p.Params.Block) }
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"slow", "slow", "quick"}; !slices.Equal(order, want) {
		t.Errorf("ran blocks %v, want %v", order, want)
	}
	for _, c := range run.Cells {
		r := c.Repeats[0]
		switch c.Params.Block {
		case "slow":
			// The injected latency is a lower bound of every job's latency.
			if r.Jobs != 2 || r.Latency.P50 < 0.3 {
				t.Errorf("%s: %d jobs, p50 %.3fs; want 2 jobs of at least 0.3s", c.Params, r.Jobs, r.Latency.P50)
			}
		case "quick":
			// No latency asked for: jobs of a tiny image take far less than
			// the other block's 300 ms. The median, not the slowest: one
			// job stalled by a busy machine took 0.43 s under the race
			// detector.
			if r.Jobs != 3 || r.Latency.P50 >= 0.3 {
				t.Errorf("%s: %d jobs, p50 %.3fs; want 3 jobs, the median under 0.3s", c.Params, r.Jobs, r.Latency.P50)
			}
		default:
			t.Errorf("cell %s has no block", c.Params)
		}
	}
	want := []results.Block{
		{Name: "slow", Summary: "image server latency 300 ms", Load: results.Load{Repeats: 1, Timeout: 30, Jobs: 2}},
		{Name: "quick", Summary: "image server latency none", Load: results.Load{Repeats: 1, Timeout: 30, Jobs: 3}},
	}
	got := slices.Clone(run.Scenario.Blocks)
	for i := range got {
		got[i].Options = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recorded blocks\n%+v\nwant\n%+v", got, want)
	}
	var opts struct {
		Images    struct{ Latency string }
		Thumbnail struct{ Width, Height int }
	}
	if err := json.Unmarshal(run.Scenario.Blocks[1].Options, &opts); err != nil || opts.Thumbnail.Width != 8 || opts.Images.Latency != "0s" {
		t.Errorf("recorded options %s (%v), want the block's, by their names in a scenario", run.Scenario.Blocks[1].Options, err)
	}
	if w := run.Scenario.Workload; w == nil || w.Name != "thumbnail" || len(w.Stages) != 5 || w.Stages[0].Name != "fetch" {
		t.Errorf("recorded workload %+v, want the thumbnail's with its five stages", w)
	}
}

func TestSpecForUsesTheBlock(t *testing.T) {
	sc := parse(t, `name: t
load: {model: batch, jobs: 5, warmup: 1s}
blocks:
  - name: a
  - name: b
    thumbnail: {width: 8, height: 6, method: naive}
    load: {jobs: 7, warmup: 0s, timeout: 2s}
    matrix: {replicas: [2], split: [3]}
`)
	cells := sc.Cells()
	spec := func(block string, p scenario.Params, input string, i int) (worker.Spec, builtin.ThumbnailOptions) {
		t.Helper()
		blk := &blockRun{Block: sc.Block(block), workload: sc.Workload, inputs: []string{input}}
		s, err := specFor(blk, p, scenario.Step{}, i)
		if err != nil {
			t.Fatal(err)
		}
		var o builtin.ThumbnailOptions
		if err := json.Unmarshal(s.Options, &o); err != nil {
			t.Fatal(err)
		}
		return s, o
	}
	a, ao := spec("a", cells[0], "u", 0)
	b0, bo := spec("b", cells[1], "v", 0)
	b1, _ := spec("b", cells[1], "v", 1)
	if a.Jobs != 5 || a.Warmup != time.Second || ao.Width != 64 || ao.Method != "fast" || a.Split != 0 {
		t.Errorf("block a spec = %+v, %+v", a, ao)
	}
	if b0.Jobs+b1.Jobs != 7 || b0.Warmup != 0 || b0.Timeout != 2*time.Second ||
		bo.Width != 8 || bo.Height != 6 || bo.Method != "naive" || b0.URLs[0] != "v" ||
		b0.Split != 3 || b1.Split != 3 {
		t.Errorf("block b specs = %+v, %+v, %+v", b0, bo, b1)
	}
}

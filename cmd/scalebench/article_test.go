package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testutil"
)

// articleScenario is the article's first and third steps, small: a
// memory budget for one job or two, jobs waiting on a slow link; a job
// split in two at GOMAXPROCS 2.
const articleScenario = `name: steps
thumbnail: {width: 64, height: 64, method: naive}
load: {model: closed, duration: 1500ms, warmup: 700ms, repeats: 2}
blocks:
  - name: memory
    reference: {formula: "180/120 = 1.5X", says: "double the RAM"}
    images: {latency: 0s, bandwidth: 262144, paths: [/640x480/ccc/aaa.jpg]}
    matrix: {workers: [6], memory: [1MiB, 2MiB]}
  - name: split
    images: {latency: 0s, paths: [/640x480/ccc/aaa.jpg]}
    matrix: {gomaxprocs: [2], split: [1, 2]}
baseline: {block: memory, memory: 1MiB, workers: 6}
`

// TestArticleSteps runs a memory budget and a split job through real
// worker processes: the budget holds jobs back in queue, more memory
// admits more at once, and the report writes the memory step as admitted
// concurrency and quotes the article; the split cells measure without an
// error.
func TestArticleSteps(t *testing.T) {
	testutil.Long(t, "real measurements of the memory and split dimensions")
	dir := t.TempDir()
	sc := writeFile(t, dir, "steps.yaml", articleScenario)
	out := filepath.Join(dir, "out")
	stdout, stderr, code := scalebench(t, "run", sc, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	cells := analysis.Summarize(run)
	if len(cells) != 4 {
		t.Fatalf("%d cells", len(cells))
	}
	for _, c := range cells {
		if c.Jobs == 0 || c.Errors != 0 {
			t.Errorf("cell %s: %d jobs, %d errors", c.Params, c.Jobs, c.Errors)
		}
	}
	small, large := cells[0], cells[1]
	if small.Params.Memory != 1<<20 || large.Params.Memory != 2<<20 {
		t.Fatalf("memory cells %s, %s", small.Params, large.Params)
	}
	// One 900 KiB job fits in 1 MiB, two in 2 MiB; six workers wait.
	if !(small.Stages.Queue() > small.ServiceTime()) {
		t.Errorf("1 MiB: time in queue %.3f s against service %.3f s: five of six workers should wait", small.Stages.Queue(), small.ServiceTime())
	}
	if !(large.Throughput > 1.3*small.Throughput) {
		t.Errorf("throughput %.2f at 2 MiB against %.2f at 1 MiB: twice the jobs in flight should show", large.Throughput, small.Throughput)
	}
	view, stderr, code := scalebench(t, "report", out, "--format", "json")
	if code != 0 {
		t.Fatalf("report --format json: exit %d\n%s", code, stderr)
	}
	var v struct {
		Lessons []struct {
			Dim   string
			Ratio struct {
				Decomposition *struct {
					Factors []struct{ Name string }
				}
			}
			Sentence string
		}
	}
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		t.Fatal(err)
	}
	var memory, split bool
	for _, l := range v.Lessons {
		switch l.Dim {
		case "memory":
			memory = true
			if d := l.Ratio.Decomposition; d == nil || d.Factors[0].Name != analysis.FactorAdmitted ||
				!strings.Contains(l.Sentence, "time in queue") {
				t.Errorf("memory lesson: %+v", l)
			}
		case "split":
			split = true
		}
	}
	if !memory || !split {
		t.Errorf("lessons %+v: want the memory and split steps", v.Lessons)
	}
	checkDecompositions(t, view)
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(md), "| in queue (mean) | service (mean) |") {
		t.Errorf("summary.md lacks the time in queue and the service time (%v):\n%s", err, md)
	}
	if !strings.Contains(stdout, "| the article: 180/120 = 1.5X") {
		t.Errorf("the console's lesson does not quote the article:\n%s", stdout)
	}
}

package analysis

import (
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// TestLessonsFollowBlocksAndQuoteTheArticle tells the lessons of a
// scenario of blocks in the order of its blocks, each with the step of the
// article its block quotes and how the two ratios compare.
func TestLessonsFollowBlocksAndQuoteTheArticle(t *testing.T) {
	run := mkRun("closed", results.Params{Block: "servers", GOMAXPROCS: 1, Workers: 1, Replicas: 1},
		cellSpec{block: "servers", gomaxprocs: 1, workers: 1, replicas: 1, tput: 100, p50: 0.01, stages: cpuStages},
		cellSpec{block: "servers", gomaxprocs: 1, workers: 1, replicas: 2, tput: 190, p50: 0.01, stages: cpuStages},
		cellSpec{block: "split", gomaxprocs: 2, workers: 1, replicas: 1, tput: 10, p50: 0.1, stages: cpuStages},
		cellSpec{block: "split", gomaxprocs: 2, workers: 1, replicas: 1, tput: 10, p50: 0.055, stages: cpuStages},
		cellSpec{block: "threads", gomaxprocs: 1, workers: 1, replicas: 1, tput: 3, p50: 0.33, stages: ioStages},
		cellSpec{block: "threads", gomaxprocs: 1, workers: 5, replicas: 1, tput: 15, p50: 0.33, stages: ioStages},
	)
	run.Cells[3].Params.Split, run.Cells[2].Params.Split = 2, 1
	run.Scenario.Blocks = []results.Block{
		{Name: "servers", Reference: &results.Reference{Formula: "350/180 = 1.9X", Says: "double the servers"}},
		{Name: "split", Reference: &results.Reference{Formula: "2/1 = 2X"}},
		{Name: "threads", Reference: &results.Reference{Says: "five URLs in about the time of one"}},
	}
	a := Analyze(run)
	var got []string
	for _, l := range a.Lessons {
		got = append(got, l.Title)
	}
	want := []string{"replicas 1 → 2 with 1 worker", "split 1 → 2", "workers 1 → 5 in threads"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("lessons %q, want %q in the blocks' order", got, want)
	}
	if l := a.Lessons[0]; l.Reference == nil || l.Against != "this run 1.90x, the article 1.9X: about the same" {
		t.Errorf("servers: %+v, %q", l.Reference, l.Against)
	}
	if l := a.Lessons[1]; l.Against != "this run 1.82x, the article 2X: 9% less" || l.FromLabel != "split=1" {
		t.Errorf("split: %q, %q", l.Against, l.FromLabel)
	}
	if l := a.Lessons[2]; l.Reference == nil || l.Against != "" {
		t.Errorf("threads: a reference without a formula compares nothing: %q", l.Against)
	}
}

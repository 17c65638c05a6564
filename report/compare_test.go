package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testutil"
)

// slower returns run with every repeat's throughput lowered and latency
// raised by a quarter.
func slower(run *results.Run) *results.Run {
	out := *run
	out.Cells = make([]results.Cell, len(run.Cells))
	for i, c := range run.Cells {
		c.Repeats = append([]results.Repeat(nil), c.Repeats...)
		for j := range c.Repeats {
			r := &c.Repeats[j]
			r.Throughput *= 0.8
			r.Latency.P50 *= 1.25
			r.Latency.P90 *= 1.25
			r.Latency.P99 *= 1.25
		}
		out.Cells[i] = c
	}
	return &out
}

// TestWriteGate checks (on a fixture of 3 repeats, so every comparison is
// inconclusive) that the report and summary of a gated run show the
// comparison (table with verdict badges, charts of head vs base) and the
// thresholds, and that a report without a gate shows neither.
func TestWriteGate(t *testing.T) {
	testutil.Long(t, "renders the report twice under the race detector; TestWriteBatch renders one")
	base := loadFixture(t, filepath.Join("testdata", "quickstart.json"), quickstartRun)
	head := slower(base)
	res, err := compare.Compare(compare.PairCells(compare.Samples(base), compare.Samples(head)), compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	limits := metric.Thresholds{{Metric: "p50", Max: "1ms"}}
	tr, err := compare.Evaluate(limits, compare.Summaries(compare.Samples(head)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := WriteGate(dir, head, &Gate{Comparison: res, BaseName: "base/results.json", Thresholds: tr})
	if err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(files.HTML)
	md, _ := os.ReadFile(files.Markdown)
	for _, want := range []string{`id="gate"`, "Regression gate", "base/results.json", `class="verdict inconclusive"`, `id="fig-compare-throughput"`, `id="fig-compare-p50"`, "limits failed", `class="verdict fail"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, want := range []string{"## Comparison with base/results.json", "inconclusive", "### Thresholds", "failed**: p50 max"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	for _, name := range []string{"compare-throughput.svg", "compare-p50.svg"} {
		if _, err := os.Stat(filepath.Join(dir, "charts", name)); err != nil {
			t.Errorf("chart %s: %v", name, err)
		}
	}
	// The gate's charts stay out of the other sections.
	if n := strings.Count(string(html), `id="fig-compare-throughput"`); n != 1 {
		t.Errorf("the throughput comparison chart appears %d times", n)
	}

	plain := t.TempDir()
	files, err = Write(plain, head)
	if err != nil {
		t.Fatal(err)
	}
	html, _ = os.ReadFile(files.HTML)
	if strings.Contains(string(html), `id="gate"`) {
		t.Error("a report without a gate shows a gate section")
	}
}

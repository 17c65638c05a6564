package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
)

// TestCellsNotMeasured: a cell whose repeats all failed, or that has none
// (an interrupted run), shows as "not measured" in every table, not as
// "0 jobs/s" and a "0.00x" ratio, and stays out of the series, the
// findings and the cells the charts pick by throughput.
func TestCellsNotMeasured(t *testing.T) {
	base := loadFixture(t, quickstartFile, quickstartRun)
	for _, tc := range []struct {
		name string
		edit func(c *results.Cell)
	}{
		{"every repeat failed", func(c *results.Cell) {
			for i, r := range c.Repeats {
				c.Repeats[i] = results.Repeat{Index: r.Index, Seq: r.Seq, Started: r.Started, Failure: "worker exited: signal: killed"}
			}
		}},
		{"no repeat", func(c *results.Cell) { c.Repeats = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const gone = 3 // gomaxprocs=1 workers=8, the top of the baseline's workers series
			run := variant(t, base, func(r *results.Run) { tc.edit(&r.Cells[gone]) })
			label := run.Cells[gone].Params.String()
			a := compare.Analyze(run)
			if a.Cells[gone].Measured() {
				t.Fatal("the cell counts as measured")
			}
			if r := a.Ratios[gone]; r.Throughput.Text != analysis.NotMeasured || r.Latency.Text != analysis.NotMeasured {
				t.Errorf("ratios %q, %q; want %q", r.Throughput.Text, r.Latency.Text, analysis.NotMeasured)
			}
			for _, s := range a.Series {
				for _, p := range s.Points {
					if p.Cell == gone {
						t.Errorf("series %s %s holds the cell", s.Dim, s.Label)
					}
				}
			}
			for _, f := range a.Findings {
				if strings.Contains(f, "0.00x") || strings.Contains(f, " 8 workers") || strings.Contains(f, "1 → 8") {
					t.Errorf("a finding ranks the cell not measured: %s", f)
				}
			}
			if idx, _ := pickCells(a, 3); slices.Contains(idx, gone) {
				t.Errorf("the charts pick the cell not measured: %v", idx)
			}
			var md, console bytes.Buffer
			if err := Markdown(&md, a); err != nil {
				t.Fatal(err)
			}
			if err := Summary(&console, run); err != nil {
				t.Fatal(err)
			}
			for name, text := range map[string]string{"summary.md": md.String(), "console": console.String()} {
				if strings.Contains(text, "0 jobs/s") || strings.Contains(text, "0.00x") {
					t.Errorf("%s shows the cell as measuring nothing:\n%s", name, text)
				}
				if !strings.Contains(text, "not measured") {
					t.Errorf("%s does not say a cell was not measured:\n%s", name, text)
				}
			}
			if !strings.Contains(md.String(), "| "+strings.ReplaceAll(label, "gomaxprocs", "GOMAXPROCS")+" | not measured | — | — | not measured | not measured |") {
				t.Errorf("summary.md has no row saying %s was not measured:\n%s", label, md.String())
			}
		})
	}
}

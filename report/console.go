package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
)

// Summary writes the result of run as plain text for the end of a
// terminal session: the lessons, the findings and the ratio table, as the
// report leads with them.
func Summary(w io.Writer, run *results.Run) error {
	if run == nil {
		return fmt.Errorf("summary: no run to report")
	}
	return summaryText(w, compare.Analyze(run))
}

func summaryText(w io.Writer, a *analysis.Analysis) error {
	b := bufio.NewWriter(w)
	if lines := lessonText(a); len(lines) > 0 {
		fmt.Fprintln(b, "The lesson")
		for _, l := range lines {
			fmt.Fprintf(b, "  %s\n", l)
		}
		fmt.Fprintln(b)
	}
	if len(a.Findings) > 0 {
		fmt.Fprintln(b, "Findings")
		for _, f := range a.Findings {
			fmt.Fprintf(b, "  - %s\n", f)
		}
		fmt.Fprintln(b)
	}
	if t := mainRatios(a); t != nil && len(t.Rows) > 0 {
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  %s\tthroughput\t%s\t%s\t%s\n", t.StepHeader, t.LatencyLabel, t.ThroughputHeader, t.LatencyHeader)
		for _, r := range t.Rows {
			step := r.Step
			if r.Baseline {
				step += " (baseline)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", step, r.Throughput, r.Latency, r.Scalability, r.Performance)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("summary: %w", err)
		}
		fmt.Fprintln(b)
	}
	if run, cells := warnings(a, nil); len(run)+len(cells) > 0 {
		var kinds []string
		for _, w := range run {
			if !slices.Contains(kinds, w.Kind) {
				kinds = append(kinds, w.Kind)
			}
		}
		for _, g := range cells {
			if !slices.Contains(kinds, g.Kind) {
				kinds = append(kinds, g.Kind)
			}
		}
		fmt.Fprintf(b, "Warnings (see the report): %s\n\n", strings.Join(kinds, ", "))
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("summary: write: %w", err)
	}
	return nil
}

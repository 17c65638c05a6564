package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// Gate is what a run's regression gate found: the comparison with a
// baseline run (run --baseline) and the scenario's thresholds. The report
// and summary.md show both.
type Gate struct {
	// Comparison is the comparison with the baseline run; nil for none.
	Comparison *compare.Result
	// BaseName names the baseline run, e.g. its results file.
	BaseName string
	// Thresholds are the scenario's limits checked on the run.
	Thresholds []compare.ThresholdResult
}

// Write renders run into dir: report.html (self-contained), summary.md, and
// charts/*.svg (and *.png with Options.PNG), listing them in dir's manifest
// (outdir.ManifestFile). It does not touch results.json. A file in the way
// that no earlier report wrote, or that was changed since, is an error
// wrapping outdir.ErrNotOurs, and nothing is written; charts of an
// earlier report that this one does not draw are removed.
func Write(dir string, run *results.Run) (Files, error) { return write(dir, run, Options{}) }

// WriteGate is Write with the gate's comparison and thresholds shown in
// the report and summary.md; g may be nil.
func WriteGate(dir string, run *results.Run, g *Gate) (Files, error) {
	return write(dir, run, Options{Gate: g})
}

// WriteOptions is WriteGate with options.
func WriteOptions(dir string, run *results.Run, opt Options) (Files, error) {
	return write(dir, run, opt)
}

// Options are how WriteOptions and WriteSlidesOptions write a report.
type Options struct {
	// Gate, when set, is shown in the report and summary.md.
	Gate *Gate
	// Force replaces files in the way that no earlier report wrote.
	Force bool
	// PNG also writes each chart of the report as a PNG beside its SVG
	// (slides always have both). Rasterizing takes most of a report's
	// time, so a report has only SVG unless asked.
	PNG bool
}

//go:embed templates/gate.html.tmpl
var gateTemplateText string

var gateTemplate = template.Must(template.New("gate").Parse(gateTemplateText))

// gateView is the template's view of a Gate.
type gateView struct {
	BaseName string
	// Rounds, for an A/B run judged round by round, says over how many.
	Rounds     string
	Status     string
	Failed     bool
	Confidence string
	Rows       []gateRow
	Geomeans   []gateGeomean
	Unpaired   []string
	Warnings   []string
	Figures    []figureView

	Thresholds      []thresholdRow
	ThresholdFailed int
}

type gateRow struct {
	Metric, Cell, Base, Head, Ratio, P, Verdict, Hint string
	// Class is the verdict as a CSS class: "not-worse" for "not worse".
	Class string
	Gated bool
}

type gateGeomean struct {
	Metric, Base, Head, Change string
}

type thresholdRow struct {
	Metric, Cell, Limit, Observed string
	Pass                          bool
}

// fmtMetric writes a value of metric m in its unit: "60.75 ms".
func fmtMetric(m metric.Metric, v float64) string {
	return format.Measured(v, math.NaN(), math.NaN(), m.Unit())
}

// newGateView prepares g for the page; nil when there is nothing to show.
func newGateView(g *Gate) *gateView {
	if g == nil || (g.Comparison == nil && len(g.Thresholds) == 0) {
		return nil
	}
	v := &gateView{BaseName: g.BaseName}
	if r := g.Comparison; r != nil {
		o := r.Outcome()
		v.Confidence = fmt.Sprintf("%.0f%%", 100*r.Confidence)
		if r.Method == compare.MethodPaired {
			v.Rounds = pairedRounds(r)
		}
		switch o.Code {
		case compare.ExitWorse:
			v.Status, v.Failed = fmt.Sprintf("failed: %d of %d gated comparisons are worse", len(o.Worse), r.GatedComparisons), true
		case compare.ExitInconclusive:
			v.Status, v.Failed = fmt.Sprintf("failed: %d of %d gated comparisons are inconclusive", len(o.Inconclusive), r.GatedComparisons), true
		default:
			v.Status = fmt.Sprintf("passed: none of %d gated comparisons is worse", r.GatedComparisons)
		}
		for _, row := range r.Rows {
			p := "–"
			if format.Finite(row.PAdj) {
				p = fmt.Sprintf("%.2g", row.PAdj)
			}
			hint := row.Hint
			if len(row.Warnings) > 0 {
				hint = strings.TrimSpace(hint + " " + strings.Join(row.Warnings, "; "))
			}
			v.Rows = append(v.Rows, gateRow{
				Metric: string(row.Metric), Cell: row.Key.Label,
				Base: row.Base.Text(row.Metric, r.Confidence), Head: row.Head.Text(row.Metric, r.Confidence),
				Ratio: row.RatioText(), P: p, Verdict: string(row.Verdict), Class: strings.ReplaceAll(string(row.Verdict), " ", "-"), Hint: hint, Gated: row.Gated,
			})
		}
		for _, gm := range r.Geomeans {
			v.Geomeans = append(v.Geomeans, gateGeomean{Metric: string(gm.Metric), Base: fmtMetric(gm.Metric, gm.Base), Head: fmtMetric(gm.Metric, gm.Head), Change: format.Change(gm.Ratio - 1)})
		}
		for _, u := range r.Unpaired {
			v.Unpaired = append(v.Unpaired, fmt.Sprintf("%s: only in %s", u.Key.Label, u.Side))
		}
		v.Warnings = r.Warnings
	}
	for _, t := range g.Thresholds {
		op := "≥"
		if t.Bound == "max" {
			op = "≤"
		}
		v.Thresholds = append(v.Thresholds, thresholdRow{
			Metric: string(t.Metric), Cell: t.Key.Label, Limit: op + " " + fmtMetric(t.Metric, t.Limit),
			Observed: fmtMetric(t.Metric, t.Observed), Pass: t.Pass,
		})
		if !t.Pass {
			v.ThresholdFailed++
		}
	}
	return v
}

// gateFigures returns, for throughput and for the latency figure the run
// is judged by (p50, or makespan for a batch run), a bar chart of base and
// head per cell with their medians' intervals.
func gateFigures(r *compare.Result, baseName string) []figure {
	if r == nil {
		return nil
	}
	var figs []figure
	for _, m := range []metric.Metric{metric.Throughput, metric.P50, metric.Makespan} {
		var cats []string
		var base, head chart.BarSeries
		base = chart.BarSeries{Name: "base", Colour: chart.Grey}
		head = chart.BarSeries{Name: "head (this run)", Colour: chart.Blue}
		scale, unit := 1.0, "jobs/s"
		if mi, _ := m.Info(); mi.Unit == "s" {
			scale, unit = 1000, "ms"
		}
		add := func(s *chart.BarSeries, side compare.Side) {
			lo, hi := math.NaN(), math.NaN()
			if side.Conf > 0 && format.Finite(side.Lo) && format.Finite(side.Hi) {
				lo, hi = side.Lo*scale, side.Hi*scale
			}
			s.Values = append(s.Values, side.Median*scale)
			s.Lo, s.Hi = append(s.Lo, lo), append(s.Hi, hi)
		}
		var rows []compare.Row
		for _, row := range r.Rows {
			if row.Metric == m && row.Base.N > 0 && row.Head.N > 0 {
				rows = append(rows, row)
			}
		}
		names := shortLabels(rows)
		for i, row := range rows {
			cats = append(cats, names[i]+"\n"+string(row.Verdict))
			add(&base, row.Base)
			add(&head, row.Head)
		}
		if len(cats) == 0 {
			continue
		}
		title := fmt.Sprintf("%s: this run vs the baseline run, per cell", m)
		caption := fmt.Sprintf("Median %s of each cell over its repeats in %s (base) and in this run (head), with the medians' intervals; the verdict follows each cell's name.", m, baseName)
		if r.Method == compare.MethodPaired {
			head.Name = "head"
			title = fmt.Sprintf("%s: head vs base, per cell", m)
			caption = fmt.Sprintf("Median %s of each cell over the rounds that measured both builds back to back (%s), with the medians' intervals; the verdict, judged on each round's head/base, follows each cell's name.", m, pairedRounds(r))
		}
		f, err := chart.NewBars("compare-"+string(m), chart.Bars{
			Title:      title,
			Categories: cats,
			Series:     []chart.BarSeries{base, head},
			Value:      chart.Axis{Label: fmt.Sprintf("%s (%s), median [%.0f%% interval]", m, unit, 100*r.Confidence), Zero: true},
		})
		if err != nil {
			continue
		}
		figs = append(figs, figure{Figure: f, Section: secGate, Caption: caption})
	}
	return figs
}

// pairedRounds says over how many rounds a paired comparison was made:
// "9 rounds", "6 to 12 rounds".
func pairedRounds(r *compare.Result) string {
	lo, hi := -1, 0
	for _, row := range r.Rows {
		if row.Paired {
			if lo < 0 || row.Rounds < lo {
				lo = row.Rounds
			}
			hi = max(hi, row.Rounds)
		}
	}
	if lo >= 0 && lo != hi {
		return fmt.Sprintf("%d to %d rounds", lo, hi)
	}
	return fmt.Sprintf("%d rounds", hi)
}

// shortLabels names each row's cell by the params that differ between
// the rows ("workers=4"), or by its whole label when none do.
func shortLabels(rows []compare.Row) []string {
	varies := map[string]bool{}
	first := map[string]string{}
	for _, row := range rows {
		for _, p := range row.Key.Params {
			if v, ok := first[p.Key]; !ok {
				first[p.Key] = p.Value
			} else if v != p.Value {
				varies[p.Key] = true
			}
		}
	}
	out := make([]string, len(rows))
	for i, row := range rows {
		var parts []string
		for _, p := range row.Key.Params {
			if varies[p.Key] {
				parts = append(parts, p.Key+"="+p.Value)
			}
		}
		out[i] = strings.Join(parts, " ")
		if out[i] == "" {
			out[i] = row.Key.Label
		}
	}
	return out
}

// gateHTML renders the gate's section of the page with the gate's drawn
// charts, and returns the other charts.
func gateHTML(g *Gate, charts []renderedChart) (template.HTML, []renderedChart, error) {
	var rest []renderedChart
	var figs []figureView
	for _, c := range charts {
		if c.Section != secGate {
			rest = append(rest, c)
			continue
		}
		figs = append(figs, figureView{Name: c.Name, Title: c.Title, Caption: c.Caption, File: c.file, Wide: true, SVG: inlineSVG(c.svg, c.Title)})
	}
	v := newGateView(g)
	if v == nil {
		return "", rest, nil
	}
	v.Figures = figs
	var buf bytes.Buffer
	if err := gateTemplate.Execute(&buf, v); err != nil {
		return "", rest, fmt.Errorf("html: gate: %w", err)
	}
	return template.HTML(buf.String()), rest, nil
}

// secGate is the section key of the gate's charts.
const secGate = "gate"

// gateMarkdown writes the gate's section of summary.md.
func gateMarkdown(w io.Writer, g *Gate) error {
	if g == nil {
		return nil
	}
	if g.Comparison != nil {
		if _, err := fmt.Fprintf(w, "\n## Comparison with %s\n\n", g.BaseName); err != nil {
			return err
		}
		if err := compare.WriteMarkdown(w, g.Comparison); err != nil {
			return err
		}
	}
	if len(g.Thresholds) > 0 {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		return compare.WriteThresholdsMarkdown(w, g.Thresholds)
	}
	return nil
}

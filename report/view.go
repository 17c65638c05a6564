package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// batch reports whether the run used the batch model, where latency means
// the makespan.

// stepLabel names a point of a series: "1 worker", "8 workers", "GOMAXPROCS=2".
func stepLabel(dim, label string) string { return param.Lookup(dim).Count(label) }

// ratioText is a ratio's lesson wording, or a dash when it has none.
func ratioText(r analysis.Ratio) string {
	if r.Text == "" {
		return "—"
	}
	return r.Text
}

// cellRate is the cell's median throughput, or "not measured" for a cell
// without a measurement (every repeat failed, or none ran).
func cellRate(c analysis.Cell) string {
	if !c.Measured() {
		return analysis.NotMeasured
	}
	return format.RateFigure(c.Throughput)
}

// cellDur is a duration figure of the cell, or "—" for a cell without a
// measurement.
func cellDur(c analysis.Cell, v float64) string {
	if !c.Measured() {
		return "—"
	}
	return format.DurationFigure(v, true)
}

// cellRatio returns the ratios of cell i, or zero ratios when absent.
func cellRatio(a *analysis.Analysis, i int) analysis.CellRatio {
	if i >= 0 && i < len(a.Ratios) {
		return a.Ratios[i]
	}
	return analysis.CellRatio{Cell: i}
}

// cellLatency is the latency figure the ratios compare: p50, or makespan
// for a batch run.
func cellLatency(a *analysis.Analysis, c analysis.Cell) string {
	if a.Batch() {
		return cellDur(c, c.Makespan)
	}
	return cellDur(c, c.Latency.P50)
}

// mainRatios is the lesson's ratio table for the main series, or for every
// cell when there is no series.
func mainRatios(a *analysis.Analysis) *ratioTable {
	cells := a.Cells
	if len(cells) == 0 {
		return nil
	}
	t := &ratioTable{LatencyLabel: "p50 latency",
		ThroughputHeader: "scalability (throughput ratio)", LatencyHeader: "performance (latency ratio)"}
	words := "scalability as a throughput ratio, performance as a latency ratio"
	if a.Batch() {
		t.LatencyLabel = "makespan"
	}
	row := func(step string, ci int) ratioRow {
		c := cells[ci]
		r := cellRatio(a, ci)
		return ratioRow{
			Step:        step,
			Throughput:  cellRate(c),
			Latency:     cellLatency(a, c),
			Scalability: ratioText(r.Throughput),
			Performance: ratioText(r.Latency),
			Baseline:    ci == a.Baseline,
		}
	}
	if si := mainSeries(a); si >= 0 {
		s := a.Series[si]
		t.StepHeader = dimName(s.Dim)
		if d := param.Lookup(s.Dim); !d.Resource && d.Noun != param.Method.Noun {
			// An offered rate is load, not a resource or a better way of
			// working: its ratios are plain ratios.
			t.ThroughputHeader, t.LatencyHeader = "throughput ratio", "latency ratio"
			words = "throughput and latency as ratios"
		}
		t.Caption = fmt.Sprintf("Along %s with %s fixed (%s).", dimName(s.Dim), s.Label, lesson(s.Dim))
		type step struct {
			n     float64
			label string
			cell  int
		}
		var steps []step
		for _, p := range s.Points {
			if p.Cell >= 0 && p.Cell < len(cells) {
				steps = append(steps, step{p.N, p.Label, p.Cell})
			}
		}
		// The series' cells without a measurement are not on it: listed
		// in their place, they say so.
		if d := param.Lookup(s.Dim); d.Numeric {
			for i, c := range cells {
				if !c.Measured() && d.Without(c.Params) == s.Fixed {
					steps = append(steps, step{d.Value(c.Params), d.Label(c.Params), i})
				}
			}
		}
		slices.SortStableFunc(steps, func(x, y step) int { return cmp.Compare(x.n, y.n) })
		for _, st := range steps {
			t.Rows = append(t.Rows, row(stepLabel(s.Dim, st.label), st.cell))
		}
	} else {
		t.StepHeader = "cell"
		t.Caption = "Every measured cell."
		ps := make([]results.Params, len(cells))
		for i, c := range cells {
			ps[i] = c.Params
		}
		l := newLabeller(ps)
		for i, c := range cells {
			t.Rows = append(t.Rows, row(l.label(c.Params), i))
		}
	}
	if a.Baseline >= 0 {
		t.Caption += " Ratios compare each step with the baseline cell (" + paramsText(cells[a.Baseline].Params) +
			"): " + words + " (latency: baseline ÷ this, so above 1 is faster)."
	} else {
		t.Caption += " The scenario's baseline cell was not measured, so there are no ratios."
	}
	return t
}

// environment lists where and with what the run was measured.
func environment(run *results.Run) []pair {
	e := run.Environment
	quota := "none"
	if e.CPUQuota > 0 {
		quota = format.Number(e.CPUQuota) + " cores"
	}
	cpus := "—"
	if e.LogicalCPUs > 0 {
		cpus = strconv.Itoa(e.LogicalCPUs)
	}
	out := []pair{
		{"Go version", dash(e.GoVersion)},
		{"CPU model", dash(e.CPUModel)},
		{"logical CPUs", cpus},
		{"cgroup CPU quota", quota},
		{"OS / arch", dash(strings.Trim(e.OS+"/"+e.Arch, "/"))},
		{"host", dash(e.Hostname)},
		{"started", fmtTime(e.Started)},
		{"finished", fmtTime(run.Finished)},
	}
	if !e.Started.IsZero() && run.Finished.After(e.Started) {
		out = append(out, pair{"duration", run.Finished.Sub(e.Started).Round(time.Second).String()})
	}
	out = append(out,
		pair{"scalebench version", dash(e.ScalebenchVersion)},
		pair{"commit", dash(e.Commit)},
	)
	if len(e.Agents) > 0 {
		out = append(out, pair{"agents (replicas ran there)", agentsText(e.Agents)})
	}
	return out
}

// agentsText describes the agents of a distributed run, one after another:
// "a (host-a, 4 CPUs, clock offset 0.12 ms ± 0.05 ms)".
func agentsText(agents []results.Agent) string {
	parts := make([]string, len(agents))
	for i, a := range agents {
		parts[i] = fmt.Sprintf("%s (%s, %d CPUs, clock offset %.2f ms ± %.2f ms)",
			a.ID, dash(a.Host), a.CPUs, a.ClockOffset*1e3, a.ClockRTT*1e3/2)
	}
	return strings.Join(parts, "; ")
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// warnings splits caveats into run-level ones and those of single cells,
// grouped by kind: a kind shows once, with each distinct message and the
// cells it applies to, so a caveat shared by every cell is one line while
// messages that differ (late arrivals at each rate) stay apart. A cell's
// few-repeats warning is left out when it has fewer than two repeats and
// the run-level few-repeats warning already counts it.
func warnings(a *analysis.Analysis, problems []analysis.Warning) ([]analysis.Warning, []warnGroup) {
	run := append(append([]analysis.Warning(nil), a.Warnings...), problems...)
	runFew := false
	for _, w := range a.Warnings {
		runFew = runFew || w.Kind == kindFewRepeats
	}
	cells := a.Cells
	ps := make([]results.Params, len(cells))
	for i, c := range cells {
		ps[i] = c.Params
	}
	l := newLabeller(ps)
	var groups []warnGroup
	last := map[string]int{} // kind → last cell counted
	for ci, c := range cells {
		label := l.label(c.Params)
		for _, w := range c.Warnings {
			if w.Kind == kindFewRepeats && runFew && len(c.Repeats) < 2 {
				continue
			}
			gi := slices.IndexFunc(groups, func(g warnGroup) bool { return g.Kind == w.Kind })
			if gi < 0 {
				groups = append(groups, warnGroup{Kind: w.Kind})
				gi = len(groups) - 1
				last[w.Kind] = -1
			}
			g := &groups[gi]
			if last[w.Kind] != ci {
				g.Cells++
				last[w.Kind] = ci
			}
			ii := slices.IndexFunc(g.Items, func(it warnItem) bool { return it.Message == w.Message })
			if ii < 0 {
				g.Items = append(g.Items, warnItem{Message: w.Message})
				ii = len(g.Items) - 1
			}
			if it := &g.Items[ii]; !slices.Contains(it.Cells, label) {
				it.Cells = append(it.Cells, label)
			}
		}
	}
	for gi := range groups {
		for ii := range groups[gi].Items {
			it := &groups[gi].Items[ii]
			switch n := len(it.Cells); {
			case n == 2 && n == len(cells):
				it.Count, it.Cells = "both cells", nil
			case n > 2 && n == len(cells):
				it.Count, it.Cells = fmt.Sprintf("all %d cells", n), nil
			case n > 1:
				it.Count = fmt.Sprintf("%d cells", n)
			}
		}
	}
	return run, groups
}

// kindFewRepeats is the kind of both the run-level and the per-cell
// warning about too few repeats.
const kindFewRepeats = "few-repeats"

// dimIntro explains what a dimension's section shows.
func dimIntro(dim string) string { return param.Lookup(dim).Intro }

// sections groups the rendered charts under their headings, in page order.
func sections(a *analysis.Analysis, charts []renderedChart) []section {
	var out []section
	find := func(id string) *section {
		for i := range out {
			if out[i].ID == id {
				return &out[i]
			}
		}
		return nil
	}
	for _, c := range charts {
		id, title, intro := c.Section, "", ""
		switch c.Section {
		case secScaling, secLatency:
			id = "dim-" + c.Dim
			title = format.Capitalize(dimName(c.Dim))
			if l := lesson(c.Dim); l != "" {
				title += ": " + l
			}
			title += blocksOf(a, c.Dim)
			intro = dimIntro(c.Dim)
		case secStages:
			title = "Where the time goes: I/O or CPU"
			intro = a.Run.Scenario.WorkloadOf().Description
		case secTime:
			title = "Stability over time"
		case secCDF:
			title = "Latency distribution"
		case secLesson:
			title = "The lesson"
			intro = "The comparisons this scenario was made for, each as two bars with the ratio written on it: " +
				"scalability when resources are added, performance when the same resources do the work better."
		}
		s := find(id)
		if s == nil {
			out = append(out, section{ID: id, Title: title, Intro: intro})
			s = &out[len(out)-1]
		}
		s.Figures = append(s.Figures, figureView{
			Name: c.Name, Title: c.Title, Caption: c.Caption, File: c.file, Wide: c.Wide,
			SVG: inlineSVG(c.svg, c.Title), Points: c.Points(),
		})
	}
	return out
}

// blocksOf names the scenario blocks the series along dim belong to, for
// a heading: " (block cpu-bound)", or "" for a scenario without blocks.
func blocksOf(a *analysis.Analysis, dim string) string {
	var names []string
	for _, s := range seriesOf(a, dim) {
		if b := s.Fixed.Block; b != "" && !slices.Contains(names, b) {
			names = append(names, b)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return " (block " + names[0] + ")"
	}
	return " (blocks " + strings.Join(names, ", ") + ")"
}

// seriesName names a series for tables: "workers (gomaxprocs=1, replicas=1)".
func seriesName(s analysis.Series) string {
	if s.Label == "" {
		return dimName(s.Dim)
	}
	return dimName(s.Dim) + " (" + s.Label + ")"
}

// fmtParam formats an estimate with its standard error and interval.
func fmtParam(v, se float64, ci [2]float64) string {
	s := format.Number(v)
	if format.Finite(se) && se > 0 {
		s += " ± " + format.Number(se)
	}
	if format.Finite(ci[0]) && format.Finite(ci[1]) && ci[1] > ci[0] {
		s += " [" + format.Number(ci[0]) + ", " + format.Number(ci[1]) + "]"
	}
	return s
}

// fitRows lists every fitted model of every series.
func fitRows(a *analysis.Analysis) []fitRow {
	var out []fitRow
	for _, s := range a.Series {
		for _, f := range []*analysis.Fit{s.USL, s.Amdahl} {
			if f == nil {
				continue
			}
			model := "USL"
			if f.Model == "amdahl" {
				model = "Amdahl"
			}
			r := fitRow{
				Series: seriesName(s), Model: model,
				Sigma:  fmtParam(f.Sigma, f.SigmaSE, f.SigmaCI),
				Kappa:  fmtParam(f.Kappa, f.KappaSE, f.KappaCI),
				Lambda: fmtParam(f.Lambda, f.LambdaSE, f.LambdaCI),
				RSE:    format.Number(f.RSE), DF: strconv.Itoa(f.DF), R2: fmtR2(f.R2),
				PeakN: format.Number(f.PeakN), PeakX: format.Number(f.PeakX), Limit: format.Number(f.AmdahlLimit),
				Flags: strings.Join(f.Flags, "; "),
			}
			if f.Model == "amdahl" {
				r.Kappa = "0 (fixed)"
			}
			if maxN := s.Points[len(s.Points)-1].N; format.Finite(f.PeakN) && f.PeakN > maxN {
				// A peak past the data is the model's guess, not a measurement.
				r.PeakNote = "extrapolated"
			}
			out = append(out, r)
		}
	}
	return out
}

func fmtR2(v float64) string {
	if !format.Finite(v) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// classRows is the lesson's concurrency/latency table.
func classRows(a *analysis.Analysis) []classRow {
	var out []classRow
	for _, c := range a.Classes {
		name := "—"
		if c.Series >= 0 && c.Series < len(a.Series) {
			name = seriesName(a.Series[c.Series])
		}
		out = append(out, classRow{
			Series: name, Concurrency: c.Concurrency, Latency: c.Latency,
			Performance: c.Performance, Scalability: c.Scalability, Sentence: c.Sentence,
		})
	}
	return out
}

// dimCells are cell c's values along dims: counts exactly, other numbers
// to three digits, names as they are.
func dimCells(dims []*param.Dimension, c analysis.Cell) []dimCell {
	out := make([]dimCell, len(dims))
	for i, d := range dims {
		switch {
		case !d.Numeric:
			out[i].Value = dash(d.Text(c.Params))
		case d.Resource:
			out[i].Value = strconv.FormatFloat(d.Value(c.Params), 'f', -1, 64)
		default:
			out[i].Value = format.Number(d.Value(c.Params))
		}
		if d == param.Rate {
			out[i].Detail = offered(c.OfferedRate)
		}
	}
	return out
}

// cellRows is the full table of cells.
func cellRows(a *analysis.Analysis) cellTable {
	var t cellTable
	var dims []*param.Dimension
	for _, d := range param.Dimensions {
		shown := !d.Optional
		for _, c := range a.Cells {
			shown = shown || d.Set(c.Params)
		}
		if shown {
			dims = append(dims, d)
			t.Dims = append(t.Dims, dimColumn{Head: d.Column, Numeric: d.Numeric})
		}
	}
	for _, c := range a.Cells {
		t.Makespan = t.Makespan || c.Makespan > 0
	}
	t.Makespan = t.Makespan || a.Batch()
	for _, c := range a.Cells {
		t.Queue = t.Queue || c.Params.Memory > 0 || c.Stages.Queue() > 0
		t.Machine = t.Machine || c.Machine != nil
	}
	for i, c := range a.Cells {
		r := cellRatio(a, i)
		row := cellRow{
			Index: i, Baseline: i == a.Baseline,
			Dims: dimCells(dims, c),
			Jobs: strconv.FormatInt(c.Jobs, 10), Errors: strconv.FormatInt(c.Errors, 10),
			Throughput:   cellRate(c),
			ThroughputCI: fmtInterval(c.ThroughputCI, format.Number),
			P50:          cellDur(c, c.Latency.P50), P90: cellDur(c, c.Latency.P90), P99: cellDur(c, c.Latency.P99),
			P999: cellDur(c, c.Latency.P999), Max: cellDur(c, c.Latency.Max),
			Makespan:    cellDur(c, c.Makespan),
			CPUUtil:     format.Percent(c.Resources.CPUUtil),
			JobsPerCPU:  format.Number(c.Resources.JobsPerCPUSecond),
			PeakRSS:     format.Bytes(c.Resources.MaxRSS),
			HarnessCPU:  format.Duration(c.Resources.HarnessCPU),
			Scalability: ratioText(r.Throughput),
			Performance: ratioText(r.Latency),
			Repeats:     len(c.Repeats),
		}
		if c.Makespan > 0 {
			row.MakespanCI = fmtDurInterval(c.MakespanCI)
		}
		row.Queue, row.Service = cellDur(c, c.Stages.Queue()), cellDur(c, c.ServiceTime())
		row.OtherCPU, row.Steal = "—", "—"
		if m := c.Machine; m != nil {
			row.OtherCPU, row.Steal = format.Number(m.Other), format.Number(m.Steal)
		}
		late := lateness(c)
		row.Late, row.Lag = strconv.FormatInt(late.count, 10), format.Duration(late.lag)
		var detail []string
		if late.maxWait > 0 {
			detail = append(detail, "max "+format.Duration(late.maxWait))
		}
		if late.dropped > 0 {
			detail = append(detail, strconv.FormatInt(late.dropped, 10)+" dropped")
		}
		row.LateDetail = strings.Join(detail, ", ")
		t.Late = t.Late || late.count > 0 || late.dropped > 0
		t.Lag = t.Lag || late.lag > 0
		if c.Resources.JobsPerCPUSecond == 0 || math.IsNaN(c.Resources.JobsPerCPUSecond) {
			row.JobsPerCPU = "—"
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// late sums up how far an open loop's arrivals fell behind over a cell's
// repeats.
type late struct {
	count, dropped int64   // late and dropped arrivals, summed
	maxWait, lag   float64 // longest wait of a late arrival; harness lag; seconds, max
}

func lateness(c analysis.Cell) late {
	var l late
	for _, r := range c.Repeats {
		if format.Finite(r.HarnessLag) {
			l.lag = max(l.lag, r.HarnessLag)
		}
		if r.Late == nil {
			continue
		}
		l.count += r.Late.Count
		l.dropped += r.Late.Dropped
		if format.Finite(r.Late.MaxLag) {
			l.maxWait = max(l.maxWait, r.Late.MaxLag)
		}
	}
	return l
}

// offered shows the rate an open-loop schedule really offered, or "".
func offered(rate float64) string {
	if rate <= 0 || !format.Finite(rate) {
		return ""
	}
	return "offered " + format.Number(rate) + "/s"
}

// fmtInterval formats a confidence interval as "(95% CI lo–hi)", or ""
// when there is none.
func fmtInterval(iv analysis.Interval, f func(float64) string) string {
	return fmtIntervalRange(iv, func(lo, hi float64) string { return f(lo) + "–" + f(hi) })
}

// fmtDurInterval is fmtInterval for durations, with one unit: "(95% CI 1.47–1.65 s)".
func fmtDurInterval(iv analysis.Interval) string { return fmtIntervalRange(iv, format.DurationRange) }

func fmtIntervalRange(iv analysis.Interval, f func(lo, hi float64) string) string {
	if iv.Confidence <= 0 || iv.N < 2 || !format.Finite(iv.Lo) || !format.Finite(iv.Hi) {
		return ""
	}
	return fmt.Sprintf("(%s%% CI %s)", format.Number(iv.Confidence*100), f(iv.Lo, iv.Hi))
}

package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// pickCells chooses at most limit cells to draw individually: all of them
// when they fit, otherwise the baseline, the highest- and lowest-throughput
// cells and others spread evenly by throughput. how says which, for the
// caption.
func pickCells(a *analysis.Analysis, limit int) (idx []int, how string) {
	cells := a.Cells
	var measured []int // cells without a measurement have nothing to show
	for i := range cells {
		if cells[i].Measured() {
			measured = append(measured, i)
		}
	}
	n := len(measured)
	if n == 0 {
		return nil, "no cell"
	}
	which := "cells"
	if n < len(cells) {
		which = "measured cells"
	}
	if n <= limit {
		idx = measured
		if n == 1 && len(cells) == 1 {
			return idx, "the only cell"
		}
		if n == 1 {
			return idx, "the only measured cell"
		}
		return idx, fmt.Sprintf("all %d %s", n, which)
	}
	rank := measured
	slices.SortStableFunc(rank, func(x, y int) int {
		tx, ty := cells[x].Throughput, cells[y].Throughput
		switch {
		case tx > ty:
			return -1
		case tx < ty:
			return 1
		}
		return 0
	})
	pick := func(i int) {
		if i >= 0 && i < len(cells) && cells[i].Measured() && !slices.Contains(idx, i) && len(idx) < limit {
			idx = append(idx, i)
		}
	}
	pick(a.Baseline)
	pick(rank[0])
	pick(rank[n-1])
	for step := 1; len(idx) < limit && step < n; step++ {
		for j := 1; j < limit && len(idx) < limit; j++ {
			pick(rank[j*(n-1)/limit])
		}
		pick(rank[step])
	}
	slices.Sort(idx)
	lead := "the highest- and lowest-throughput cells"
	if a.Baseline >= 0 {
		lead = "the baseline, " + lead
	}
	return idx, fmt.Sprintf("%d of %d %s: %s and others spread evenly by throughput", len(idx), n, which, lead)
}

// cellLabels names the chosen cells by the params that vary among all
// cells, marking the baseline.
func cellLabels(a *analysis.Analysis, idx []int) []string {
	ps := make([]results.Params, len(a.Cells))
	for i, c := range a.Cells {
		ps[i] = c.Params
	}
	l := newLabeller(ps)
	out := make([]string, len(idx))
	for i, ci := range idx {
		out[i] = l.label(a.Cells[ci].Params)
		if ci == a.Baseline {
			out[i] += " (baseline)"
		}
	}
	return out
}

// stage is one of the workload's stages as the stage charts draw it.
type stage struct {
	name, kind, doc string
	colour          color.RGBA
}

// Colours of stages by kind, in the order a workload's stages of that
// kind take them: cool colours wait, warm ones use the CPU.
var (
	waitColours  = []color.RGBA{chart.Sky, chart.Blue, chart.Green}
	cpuColours   = []color.RGBA{chart.Orange, chart.Vermilion, chart.Purple}
	otherColours = []color.RGBA{chart.Grey, chart.Black}
)

// stagesOf returns the stages of the workload run measured, in order,
// each with its colour and the word for its kind.
func stagesOf(run *results.Run) []stage {
	w := run.Scenario.WorkloadOf()
	var out []stage
	var nWait, nCPU, nOther int
	for _, s := range w.Stages {
		st := stage{name: s.Name, doc: s.Doc}
		switch s.Kind {
		case results.StageCPU:
			st.kind, st.colour = "CPU", cpuColours[nCPU%len(cpuColours)]
			nCPU++
		case results.StageIO, results.StageWait:
			st.kind, st.colour = "I/O", waitColours[nWait%len(waitColours)]
			if s.Kind == results.StageWait {
				st.kind = "wait"
			}
			if s.Kind == results.StageIO && nWait == 0 && w.Name == results.DefaultWorkload {
				st.kind = "network I/O"
			}
			nWait++
		default:
			st.colour = otherColours[nOther%len(otherColours)]
			nOther++
		}
		out = append(out, st)
	}
	return out
}

// queueStage is a job's wait for its memory (results.QueueStage), shown
// before its stages where a memory budget made jobs wait.
var queueStage = stage{name: results.QueueStage, kind: queueKind, colour: chart.Grey,
	doc: "In queue is the wait for memory before a job is admitted: more memory shortens it, while the stages after it, the job's service, stay the same."}

// queueKind is the kind of queueStage.
const queueKind = "waiting for memory"

// label names a stage in a chart's legend: "fetch (network I/O)".
func (s stage) label() string {
	if s.kind == "" {
		return s.name
	}
	return s.name + " (" + s.kind + ")"
}

// cpuShare is below this fraction of a job's time in some cell, the CPU
// stages get a panel of their own, where they are not dwarfed by fetch.
const cpuShareAlone = 0.25

// maxStageBars is the most cells the stage charts show, one bar each.
const maxStageBars = 40

// stagesCharts are stacked bars per cell of the mean time a job spends in
// each stage, and the CPU stages alone when I/O dwarfs them.
func stagesCharts(a *analysis.Analysis) []*figure {
	if len(a.Cells) == 0 {
		return nil
	}
	idx, how := pickCells(a, maxStageBars)
	cells := make([]analysis.Cell, len(idx))
	for i, ci := range idx {
		cells[i] = a.Cells[ci]
	}
	n := len(cells)
	labels := cellLabels(a, idx)
	stages := stagesOf(a.Run)
	if slices.ContainsFunc(cells, func(c analysis.Cell) bool { return c.Stages.Queue() > 0 }) {
		// The wait for memory comes first, before the job's service.
		stages = append([]stage{queueStage}, stages...)
	}
	series := func(cpuOnly bool) []chart.BarSeries {
		var out []chart.BarSeries
		for _, st := range stages {
			if cpuOnly && st.kind != "CPU" {
				continue
			}
			b := chart.BarSeries{Name: st.label(), Colour: st.colour, Values: make([]float64, n)}
			used := false
			for i, c := range cells {
				if v := c.Stages[st.name] * 1e3; v > 0 && format.Finite(v) {
					b.Values[i] = v
					used = true
				}
			}
			if used {
				out = append(out, b)
			}
		}
		return out
	}
	all := series(false)
	if len(all) == 0 {
		return nil
	}
	var out []*figure
	f, err := chart.NewBars("stages", chart.Bars{Title: "Where a job's time goes", Categories: labels, Series: all,
		Value: chart.Axis{Label: "mean time per job (ms)"}, Horizontal: true, Stacked: true})
	if err != nil {
		return nil
	}
	out = append(out, &figure{Figure: f, Caption: stagesCaption(a, stages, how)})

	// The CPU stages on their own scale when I/O takes most of the time.
	minShare := 1.0
	for _, c := range cells {
		var cpu, total float64
		for _, st := range stages {
			v := c.Stages[st.name]
			if !format.Finite(v) || v < 0 {
				continue
			}
			total += v
			if st.kind == "CPU" {
				cpu += v
			}
		}
		if total > 0 {
			minShare = math.Min(minShare, cpu/total)
		}
	}
	if cpu := series(true); len(cpu) > 0 && minShare < cpuShareAlone {
		f, err := chart.NewBars("stages-cpu", chart.Bars{Title: "CPU stages alone", Categories: labels, Series: cpu,
			Value: chart.Axis{Label: "mean CPU time per job (ms)"}, Horizontal: true, Stacked: true})
		if err == nil {
			out = append(out, &figure{Figure: f, Caption: "The CPU stages of the chart above on their own scale: in some cells they are under " +
				format.Percent(cpuShareAlone) + " of a job's time and would not show next to the I/O. " +
				"These are the stages more cores or processes speed up, and the ones a faster method shortens."})
		}
	}
	return out
}

// repeatRates converts a repeat's completions per bucket into jobs/s at
// bucket midpoints; a short final bucket uses its real width.
func repeatRates(r results.Repeat) (xs, ys []float64) {
	s := r.Series
	if !(s.Bucket > 0) || len(s.Completed) == 0 {
		return nil, nil
	}
	for i, c := range s.Completed {
		start := float64(i) * s.Bucket
		w := s.Bucket
		if r.Elapsed > 0 && start+w > r.Elapsed {
			w = r.Elapsed - start
		}
		if w < 0.2*s.Bucket {
			continue // a sliver of a bucket is noise, not a rate
		}
		xs, ys = append(xs, start+w/2), append(ys, float64(c)/w)
	}
	return xs, ys
}

// timeseriesChart draws throughput over each measured window as small
// multiples, one panel per cell, all repeats in each.
func timeseriesChart(a *analysis.Analysis) *figure {
	idx, how := pickCells(a, 12)
	var keep []int
	xmax := 0.0
	for _, ci := range idx {
		ok := false
		for _, r := range a.Cells[ci].Repeats {
			xs, _ := repeatRates(r)
			for _, x := range xs {
				ok = true
				xmax = math.Max(xmax, x+r.Series.Bucket/2)
			}
		}
		if ok {
			keep = append(keep, ci)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	if len(keep) < len(idx) {
		how += fmt.Sprintf(" (%d without a time series are left out)", len(idx)-len(keep))
	}
	labels := cellLabels(a, keep)
	g := chart.Grid{Title: "Throughput over time"}
	for i, ci := range keep {
		cell := a.Cells[ci]
		xy := chart.XY{Title: labels[i], X: chart.Axis{Label: "time in window (s)", Min: 0, Max: xmax},
			Y: chart.Axis{Label: "throughput (jobs/s)", Zero: true}}
		for j := len(cell.Repeats) - 1; j >= 0; j-- {
			xs, ys := repeatRates(cell.Repeats[j])
			l := chart.Line{X: xs, Y: ys, Colour: chart.Fade(chart.Sky, 0.8), Glyph: -1, Connect: true, Weight: 1}
			if j == 0 {
				l.Colour, l.Weight = chart.Blue, 1.8
			}
			xy.Lines = append(xy.Lines, l)
		}
		if t := cell.Throughput; t > 0 && format.Finite(t) {
			xy.Curves = append(xy.Curves, chart.Curve{F: func(float64) float64 { return t }, From: 0, To: xmax, Colour: chart.Black, Dash: chart.Dashed})
		}
		g.Panels = append(g.Panels, xy)
	}
	g.Keys = []chart.Key{
		{Name: "first repeat", Colour: chart.Blue, Line: true, Glyph: -1},
		{Name: "other repeats", Colour: chart.Fade(chart.Sky, 0.8), Line: true, Glyph: -1},
		{Name: "median throughput", Colour: chart.Black, Dash: chart.Dashed, Line: true, Glyph: -1},
	}
	f, err := chart.NewGrid("timeseries", g)
	if err != nil {
		return nil
	}
	caption := "Completed jobs per second through each measured window, for " + how + ". " +
		"A ramp at the start is warm-up; a steady band means the window measured a stable state, and repeats that " +
		"disagree mean noise the confidence intervals have to absorb. Panels share the time axis; each has its own throughput scale."
	return &figure{Figure: f, Caption: caption}
}

// cdfQuantiles are the quantiles the CDF is drawn through: dense in the
// body, then each further nine of the tail.
var cdfQuantiles = func() []float64 {
	var qs []float64
	for i := 0; i < 99; i++ {
		qs = append(qs, float64(i)/100)
	}
	for _, base := range []float64{0.99, 0.999, 0.9999} {
		step := (1 - base) / 10
		for j := 0; j < 10; j++ {
			qs = append(qs, base+float64(j)*step)
		}
	}
	return append(qs, 1)
}()

// maxCDFCurves is the most latency distributions one chart tells apart.
const maxCDFCurves = 4

// cdfChart is the latency distribution of chosen cells from their merged
// histograms.
func cdfChart(a *analysis.Analysis) *figure {
	idx, how := pickCells(a, maxCDFCurves)
	type curve struct {
		cell   int
		xs, ys []float64
	}
	var curves []curve
	for _, ci := range idx {
		h := a.Cells[ci].LatencyHistogram()
		if h.TotalCount() == 0 {
			continue
		}
		var c curve
		c.cell = ci
		for _, q := range cdfQuantiles {
			v := float64(h.ValueAtQuantile(q*100)) / 1e3
			if q == 1 {
				v = float64(h.Max()) / 1e3
			}
			if !(v > 0) || !format.Finite(v) {
				continue
			}
			c.xs, c.ys = append(c.xs, v), append(c.ys, q*100)
		}
		if len(c.xs) > 1 {
			curves = append(curves, c)
		}
	}
	if len(curves) == 0 {
		return nil
	}
	if len(curves) < len(idx) {
		how += fmt.Sprintf(" (%d without a latency histogram are left out)", len(idx)-len(curves))
	}
	keep := make([]int, len(curves))
	for i, c := range curves {
		keep[i] = c.cell
	}
	labels := cellLabels(a, keep)
	xy := chart.XY{
		Title: "Latency distribution (CDF)",
		X:     chart.Axis{Label: "latency (ms, log scale)", Log: true},
		Y: chart.Axis{Label: "percentile: jobs done within the latency (%)", Min: 0, Max: 100, Ticks: []chart.Tick{
			{Value: 0, Label: "0"}, {Value: 25, Label: "p25"}, {Value: 50, Label: "p50"}, {Value: 75, Label: "p75"},
			{Value: 90, Label: "p90"}, {Value: 99, Label: "p99"}}},
	}
	for i, c := range curves {
		xy.Lines = append(xy.Lines, chart.Line{Name: labels[i], X: c.xs, Y: c.ys, Colour: chart.Colour(i), Glyph: -1, Connect: true})
	}
	f, err := chart.NewXY("cdf", xy)
	if err != nil {
		return nil
	}
	caption := "Share of jobs that finished within a given latency, for " + how + ", from all repeats merged. " +
		"Read across at p50 for the median and at p99 for the tail; the latency axis is logarithmic, so equal steps are equal factors. " +
		"A curve further left is faster; a steep curve is predictable, " +
		"a long flat tail to the right means a few jobs waited much longer than most (queueing, GC pauses, contention)."
	return &figure{Figure: f, Caption: caption}
}

// stagesCaption explains the stage chart of the cells how names: what each
// kind of stage waits on or computes, and what speeds it up.
func stagesCaption(a *analysis.Analysis, stages []stage, how string) string {
	var wait, cpu []string
	caption := "Mean time one job spends in each stage, for " + how + "."
	for _, st := range stages {
		if st.doc != "" {
			caption += " " + st.doc
		}
		switch st.kind {
		case "CPU":
			cpu = append(cpu, st.name)
		case "", queueKind:
		default:
			wait = append(wait, st.name)
		}
	}
	if len(wait) > 0 {
		caption += " " + format.Capitalize(wordList(wait)) + " mostly " + plural(len(wait), "waits", "wait") +
			", which more workers overlap even on one core. Once the CPU is saturated, " + plural(len(wait), "it also includes", "they also include") +
			" the time the goroutine waited for a core after the wait ended, so " + plural(len(wait), "it grows", "they grow") + " with many workers on few cores"
		if sum := summaryOf(&a.Run.Scenario); sum != "" {
			caption += " while the wait itself (" + sum + ") stays the same"
		}
		caption += "."
	}
	if len(cpu) > 0 {
		caption += " " + format.Capitalize(wordList(cpu)) + " " + plural(len(cpu), "uses", "use") +
			" the CPU: only more cores (GOMAXPROCS) or processes (replicas) speed " + plural(len(cpu), "it", "them") + " up."
	}
	return caption + " Queueing for a free worker is not a stage; it shows in latency."
}

// plural picks one or many by n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// wordList joins names as a sentence lists them: "a", "a and b", "a, b and c".
func wordList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

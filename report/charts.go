package report

import (
	"slices"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// Section keys group charts on the page.
const (
	secScaling = "scaling"
	secLatency = "latency"
	secStages  = "stages"
	secTime    = "timeseries"
	secCDF     = "cdf"
)

// figure is a chart with its caption, placed in a section of the page.
type figure struct {
	*chart.Figure
	Caption string
	Wide    bool   // spans the page width
	Section string // section key
	Dim     string // the series dimension, for per-dimension sections
}

// svg renders f for the page.
func (f figure) svg() ([]byte, error) { return f.SVG(chart.Page) }

// maxLines is the most measured lines one panel shows; more become small
// multiples, one panel per group.
const maxLines = 4

// seriesDims lists the dimensions that have series, in analysis order.
func seriesDims(a *analysis.Analysis) []string {
	var dims []string
	for _, s := range a.Series {
		if len(s.Points) >= 2 && !slices.Contains(dims, s.Dim) {
			dims = append(dims, s.Dim)
		}
	}
	return dims
}

// seriesOf returns the series of one dimension.
func seriesOf(a *analysis.Analysis, dim string) []analysis.Series {
	var out []analysis.Series
	for _, s := range a.Series {
		if s.Dim == dim && len(s.Points) >= 1 {
			out = append(out, s)
		}
	}
	return out
}

// scalingDim reports whether a dimension is a count of resources, for
// which speedup, efficiency and scalability models make sense.
func scalingDim(dim string) bool {
	return param.Lookup(dim).Resource
}

// categorical reports whether a dimension names alternatives rather than
// amounts: its cells are compared as bars, not joined by lines.
func categorical(dim string) bool { return !param.Lookup(dim).Numeric }

// isBatch reports whether a run measured batches (makespan), where
// throughput over time and fitted curves through a staircase mislead.

// buildCharts returns every chart the analysis has data for, in page order.
func buildCharts(a *analysis.Analysis) []figure {
	var out []figure
	add := func(sec, dim string, f *figure) {
		if f != nil && f.Figure != nil {
			f.Section, f.Dim = sec, dim
			if f.WiderThanPage() {
				f.Wide = true
			}
			out = append(out, *f)
		}
	}
	for _, f := range lessonCharts(a) {
		add(secLesson, "", f)
	}
	batch := a.Batch()
	for _, dim := range seriesDims(a) {
		ss := seriesOf(a, dim)
		if categorical(dim) {
			add(secScaling, dim, categoryThroughputChart(dim, ss))
			add(secLatency, dim, categoryLatencyChart(dim, ss, batch))
			continue
		}
		add(secScaling, dim, throughputChart(dim, ss, batch))
		if scalingDim(dim) {
			add(secScaling, dim, speedupChart(dim, ss))
			add(secScaling, dim, efficiencyChart(dim, ss))
			add(secScaling, dim, lossChart(dim, ss))
		}
		add(secLatency, dim, latencyChart(dim, ss))
	}
	for _, f := range stagesCharts(a) {
		add(secStages, "", f)
	}
	if !batch {
		add(secTime, "", timeseriesChart(a))
	}
	add(secCDF, "", cdfChart(a))
	return out
}

// groupLabels names each series by the fixed params that differ between
// them: "GOMAXPROCS=1", "GOMAXPROCS=2".
func groupLabels(ss []analysis.Series) []string {
	ps := make([]results.Params, len(ss))
	for i, s := range ss {
		ps[i] = s.Fixed
	}
	l := newLabeller(ps)
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(ss) == 1 {
			out[i] = s.Label
			continue
		}
		out[i] = l.label(s.Fixed)
	}
	return out
}

// categories returns the point labels (method names) of the series in
// order of first appearance.
func categories(ss []analysis.Series) []string {
	var cats []string
	for _, s := range ss {
		for _, p := range s.Points {
			if !slices.Contains(cats, p.Label) {
				cats = append(cats, p.Label)
			}
		}
	}
	return cats
}

// xValues returns the measured values of a numeric dimension across ss,
// sorted and without repeats.
func xValues(ss []analysis.Series) []float64 {
	var ns []float64
	for _, s := range ss {
		for _, p := range s.Points {
			if format.Finite(p.N) {
				ns = append(ns, p.N)
			}
		}
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// xAxis is the axis of a numeric dimension: logarithmic, ticked at the
// measured values, when they double (1, 2, 4, 8), so each step is the same
// distance; linear otherwise.
func xAxis(dim string, ss []analysis.Series) chart.Axis {
	ns := xValues(ss)
	ax := chart.Axis{Label: dimAxis(dim), Values: ns}
	if d := param.Lookup(dim); d != nil && d.Kind == param.Bytes {
		ax.Format = param.BytesLabel // 32MiB, not 33554432
	}
	if chart.Doubling(ns) {
		ax.Log = true
		ax.Label += ", log scale"
	}
	return ax
}

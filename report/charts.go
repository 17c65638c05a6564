package report

import (
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// Section keys group charts on the page.
const (
	secScaling = "scaling"
	secLatency = "latency"
	secStages  = "stages"
	secTime    = "timeseries"
	secCDF     = "cdf"
)

// figure is a chart placed in a section of the page.
type figure struct {
	*chart
	Section string
	Dim     string // the series dimension, for per-dimension sections
}

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
func scalingDim(dim string) bool { return param.Lookup(dim).Resource }

// buildCharts returns every chart the analysis has data for, in page order.
func buildCharts(a *analysis.Analysis) []figure {
	var out []figure
	add := func(sec, dim string, c *chart) {
		if c != nil {
			out = append(out, figure{chart: c, Section: sec, Dim: dim})
		}
	}
	for _, dim := range seriesDims(a) {
		ss := seriesOf(a, dim)
		add(secScaling, dim, throughputChart(dim, ss))
		if scalingDim(dim) {
			add(secScaling, dim, speedupChart(dim, ss))
			add(secScaling, dim, efficiencyChart(dim, ss))
		}
		add(secLatency, dim, latencyChart(dim, ss))
	}
	add(secStages, "", stagesChart(a))
	add(secTime, "", timeseriesChart(a))
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

// xOf returns the x positions of a series' points: N, or the category
// index when the dimension is nominal.
func xOf(s analysis.Series, cats []string) []float64 {
	xs := make([]float64, len(s.Points))
	for i, p := range s.Points {
		if cats != nil {
			xs[i] = float64(slices.Index(cats, p.Label))
		} else {
			xs[i] = p.N
		}
	}
	return xs
}

// nominal returns the categories of a nominal dimension, nil for numeric ones.
func nominal(dim string, ss []analysis.Series) []string {
	if !param.Lookup(dim).Numeric {
		return categories(ss)
	}
	return nil
}

// standard wraps a plot and its legend as a chart of the standard size,
// taller by the legend when that has to go below the plot.
func standard(name, title, caption string, p *plot.Plot, k *keys) *chart {
	return &chart{
		Name: name, Title: title, Caption: caption, w: chartW, h: chartH + k.extraHeight(chartW),
		draw: func(dc draw.Canvas) { drawWithKeys(dc, p, k) },
	}
}

// sameConf keeps a confidence level while every interval shares it, and
// becomes 0 when they differ.
func sameConf(have, next float64, first bool) float64 {
	if first || have == next {
		return next
	}
	return 0
}

// throughputChart is throughput against N, one line per fixed-params group.
func throughputChart(dim string, ss []analysis.Series) *chart {
	cats := nominal(dim, ss)
	labels := groupLabels(ss)
	lines := make([]scaleLine, len(ss))
	for i, s := range ss {
		l := scaleLine{label: labels[i], n: xOf(s, cats), connect: true, usl: s.USL, amdahl: s.Amdahl}
		var anyCI bool
		for _, p := range s.Points {
			l.y = append(l.y, p.Throughput)
			lo, hi := math.NaN(), math.NaN()
			if ci := p.ThroughputCI; ci.Confidence > 0 && ci.N > 1 {
				lo, hi = ci.Lo, ci.Hi
				l.conf = sameConf(l.conf, ci.Confidence, !anyCI)
				anyCI = true
			}
			l.lo, l.hi = append(l.lo, lo), append(l.hi, hi)
		}
		if !anyCI {
			l.lo, l.hi = nil, nil
		}
		lines[i] = l
	}
	o := scaleOpts{
		title:  "Throughput vs " + dimName(dim),
		xLabel: dimAxis(dim),
		yLabel: "throughput (jobs/s)",
		cats:   cats,
	}
	caption := "Measured throughput (median of repeats; bars: confidence interval of the median) against " + dimName(dim) + ". "
	switch {
	case scalingDim(dim):
		o.ideal, o.fits = idealLinear, true
		caption += "The dotted line is ideal linear scaling from the first point: the closer the measured line stays to it, the better " +
			dimName(dim) + " scale. Dashed curves are the fitted Universal Scalability Law and Amdahl's law; " +
			"a USL peak N* marks where adding more starts to cost throughput."
		if len(lines) > maxModelLines {
			caption = "Measured throughput (median of repeats; bars: confidence interval of the median) against " + dimName(dim) +
				", one line per group. With this many lines the fitted curves are left out; the models table lists every fit. " +
				"Lines that keep rising scale; lines that flatten have hit a bottleneck."
		}
	case dim == param.Rate.Name:
		o.ideal = idealIdentity
		caption += "While the system keeps up, throughput follows the offered rate (dotted line); where it bends away, the system is saturated and queues grow."
	default:
		caption += "Each point is one method at otherwise equal settings: the higher, the more work per second."
	}
	p, k, err := scalingPlot(o, lines)
	if err != nil {
		return nil
	}
	return standard("throughput-"+dim, o.title, caption, p, k)
}

// speedupChart is the speedup over the first point of each series.
func speedupChart(dim string, ss []analysis.Series) *chart {
	labels := groupLabels(ss)
	var lines []scaleLine
	for i, s := range ss {
		l := scaleLine{label: labels[i], n: xOf(s, nil), connect: true}
		var anyCI bool
		for _, p := range s.Points {
			l.y = append(l.y, p.Speedup.Value)
			lo, hi := math.NaN(), math.NaN()
			if r := p.Speedup; r.Conf > 0 && r.Lo <= r.Value && r.Value <= r.Hi && r.Hi > r.Lo {
				lo, hi = r.Lo, r.Hi
				l.conf = sameConf(l.conf, r.Conf, !anyCI)
				anyCI = true
			}
			l.lo, l.hi = append(l.lo, lo), append(l.hi, hi)
		}
		if !anyCI {
			l.lo, l.hi = nil, nil
		}
		lines = append(lines, l)
	}
	o := scaleOpts{
		title: "Speedup vs " + dimName(dim), xLabel: dimAxis(dim),
		yLabel: "speedup (× first point)", ideal: idealLinear,
	}
	p, k, err := scalingPlot(o, lines)
	if err != nil {
		return nil
	}
	caption := "Throughput relative to the smallest " + dimName(dim) + " of each line. On the dotted diagonal, doubling " +
		dimName(dim) + " doubles throughput (linear scalability); a line that flattens has hit a bottleneck, one that falls has a coherency cost."
	return standard("speedup-"+dim, o.title, caption, p, k)
}

// efficiencyChart is speedup per unit of N: 1.0 is linear scaling.
func efficiencyChart(dim string, ss []analysis.Series) *chart {
	labels := groupLabels(ss)
	var lines []scaleLine
	for i, s := range ss {
		l := scaleLine{label: labels[i], n: xOf(s, nil), connect: true}
		for _, p := range s.Points {
			l.y = append(l.y, p.Efficiency)
		}
		lines = append(lines, l)
	}
	o := scaleOpts{
		title: "Efficiency vs " + dimName(dim), xLabel: dimAxis(dim),
		yLabel: "efficiency (speedup / N)", ideal: idealOne,
	}
	p, k, err := scalingPlot(o, lines)
	if err != nil {
		return nil
	}
	caption := "How much of each added unit turns into throughput. 1.0 (dotted) is perfectly linear; " +
		"above it is superlinear (e.g. caches), and a falling line shows how much each added " + dimName(dim) + " is wasted on waiting or contention."
	return standard("efficiency-"+dim, o.title, caption, p, k)
}

// latencyChart is p50/p90/p99 latency against N.
func latencyChart(dim string, ss []analysis.Series) *chart {
	cats := nominal(dim, ss)
	labels := groupLabels(ss)
	pcts := []struct {
		name string
		get  func(results.Latency) float64
	}{
		{"p50", func(l results.Latency) float64 { return l.P50 }},
		{"p90", func(l results.Latency) float64 { return l.P90 }},
		{"p99", func(l results.Latency) float64 { return l.P99 }},
	}
	dashes := [][]float64{nil, {6, 3}, {1.5, 2.5}}
	if len(ss) > 2 {
		// p50 and p99 only: three line styles per group would be a tangle.
		pcts = []struct {
			name string
			get  func(results.Latency) float64
		}{pcts[0], pcts[2]}
		dashes = [][]float64{nil, {1.5, 2.5}}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.Points {
			for _, q := range pcts {
				if v := q.get(p.Latency) * 1e3; v > 0 && finite(v) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	if !(hi > 0) {
		return nil
	}
	logY := hi/lo > 10
	title := "Latency vs " + dimName(dim)
	p := newPlot(title, dimAxis(dim), "latency (ms)")
	var ns []float64
	k := newKeys()
	single := len(ss) == 1
	pctColours := []int{0, 1, 3} // blue, orange, vermilion
	glyphsFor := []int{0, 2, 1}
	for i, s := range ss {
		xs := xOf(s, cats)
		for qi, q := range pcts {
			var pts plotter.XYs
			for j, pt := range s.Points {
				v := q.get(pt.Latency) * 1e3
				if !finite(v) || !finite(xs[j]) || (logY && v <= 0) {
					continue
				}
				pts = append(pts, plotter.XY{X: xs[j], Y: v})
				ns = append(ns, xs[j])
			}
			if len(pts) == 0 {
				continue
			}
			ci := i
			gi := i
			if single {
				ci, gi = pctColours[qi], glyphsFor[qi]
			}
			sty := lineStyle(colour(ci), dataWidth, points(dashes[qi]))
			ms := markerStyle(gi)
			ms.Color = colour(ci)
			if len(pts) > 1 {
				if ln, err := plotter.NewLine(pts); err == nil {
					ln.LineStyle = sty
					p.Add(ln)
				}
			}
			if sc, err := plotter.NewScatter(pts); err == nil {
				sc.GlyphStyle = ms
				p.Add(sc)
			}
			if single {
				k.add(q.name, legendLine{line: sty, glyph: &ms})
			}
		}
		if !single {
			ms := markerStyle(i)
			k.add(labels[i], legendLine{line: lineStyle(colour(i), dataWidth, nil), glyph: &ms})
		}
	}
	if len(ns) == 0 {
		return nil
	}
	if !single {
		for qi, q := range pcts {
			k.add(q.name, legendLine{line: lineStyle(refGrey, dataWidth, points(dashes[qi]))})
		}
	}
	if cats != nil {
		p.X.Tick.Marker = nominalTicks(cats)
		p.X.Min, p.X.Max = -0.3, float64(len(cats))-0.7
	} else {
		slices.Sort(ns)
		p.X.Tick.Marker = valueTicks(slices.Compact(ns))
		pad := (p.X.Max - p.X.Min) * 0.03
		p.X.Min -= pad
		p.X.Max += pad
	}
	if logY {
		setLogAxis(&p.Y, lo, hi)
		p.Y.Label.Text = "latency (ms, log scale)"
	} else {
		p.Y.Min = 0
		p.Y.Max *= 1.08
	}
	which := "Median (p50), p90 and p99"
	if len(pcts) == 2 {
		which = "Median (p50) and p99"
	}
	caption := which + " job latency, measured from each job's intended start so queueing is included. " +
		"Flat lines while throughput grows mean the added " + dimName(dim) + " run in parallel; rising lines mean jobs wait for a busy resource " +
		"(the concurrency/latency trade-off). A widening gap between p50 and p99 is queueing or contention in the tail."
	if logY {
		caption += " The y axis is logarithmic because latency spans more than a factor of ten."
	}
	return standard("latency-"+dim, title, caption, p, k)
}

package report

import (
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// scaleLine is one measured curve of a scaling chart.
type scaleLine struct {
	label       string
	n, y        []float64
	lo, hi      []float64 // interval per point, NaN where none; nil for none at all
	conf        float64   // the intervals' confidence level, 0 when unknown or mixed
	usl, amdahl *analysis.Fit
}

// Ideal reference kinds for a scaling chart.
const (
	idealLinear   = "linear"   // y grows in proportion to n from the first point
	idealIdentity = "identity" // y = x (throughput equals the offered rate)
	idealOne      = "one"      // y = 1 (efficiency)
)

// scaleOpts describes a scaling chart.
type scaleOpts struct {
	title string
	x     chart.Axis
	y     string // y axis label
	ideal string
	fits  bool // draw USL and Amdahl curves and the USL peak
}

// maxFitLines is the most lines one panel draws model curves for; beyond
// it they would hide the measurements.
const maxFitLines = 2

// idealHeadroom is how far above the highest measurement an ideal line is
// drawn: far enough to show the gap, not so far it squashes the data.
const idealHeadroom = 1.25

// usableFit reports whether f is worth drawing: fitted, and with no
// parameter stuck at a bound (then the curve is an artefact of the bound).
func usableFit(f *analysis.Fit) bool {
	if f == nil || !format.Finite(f.Lambda) {
		return false
	}
	return !slices.ContainsFunc(f.Flags, func(s string) bool { return strings.Contains(s, "at bound") })
}

// sameConf keeps a confidence level while every interval shares it, and
// becomes 0 when they differ.
func sameConf(have, next float64, first bool) float64 {
	if first || have == next {
		return next
	}
	return 0
}

// scalingFigure draws lines in one panel, or as small multiples (one
// panel per line) when there are more than maxLines.
func scalingFigure(name string, o scaleOpts, lines []scaleLine) (*chart.Figure, error) {
	if len(lines) <= maxLines {
		return chart.NewXY(name, scalingPanel(o, lines, o.title, len(lines) > maxFitLines))
	}
	g := chart.Grid{Title: o.title}
	for _, l := range lines {
		l := l
		g.Panels = append(g.Panels, scalingPanel(o, []scaleLine{l}, l.label, false))
	}
	// One legend for all panels, from the first that draws.
	for _, p := range g.Panels {
		if xy, err := chart.NewXY("", p); err == nil && xy != nil {
			g.Keys = panelKeys(p)
			break
		}
	}
	return chart.NewGrid(name, g)
}

// panelKeys lists the legend of a single-line panel for a grid's shared
// legend.
func panelKeys(p chart.XY) []chart.Key {
	var keys []chart.Key
	seen := map[string]bool{}
	add := func(k chart.Key) {
		if k.Name != "" && !seen[k.Name] {
			seen[k.Name] = true
			keys = append(keys, k)
		}
	}
	for _, l := range p.Lines {
		add(chart.Key{Name: l.Name, Colour: l.Colour, Dash: l.Dash, Line: l.Connect, Glyph: l.Glyph})
	}
	for _, c := range p.Curves {
		add(chart.Key{Name: c.Name, Colour: c.Colour, Dash: c.Dash, Line: true, Glyph: -1})
	}
	for _, k := range p.Keys {
		add(k)
	}
	return keys
}

// scalingPanel is the chart of lines with their ideal reference and, when
// there are few enough lines, their fitted models. noFits leaves the
// models out.
func scalingPanel(o scaleOpts, lines []scaleLine, title string, noFits bool) chart.XY {
	xy := chart.XY{Title: title, X: o.x, Y: chart.Axis{Label: o.y, Zero: true}}
	single := len(lines) == 1
	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, l := range lines {
		for j, n := range l.n {
			if j < len(l.y) && format.Finite(n) && format.Finite(l.y[j]) {
				xmin, xmax, ymax = math.Min(xmin, n), math.Max(xmax, n), math.Max(ymax, l.y[j])
			}
		}
	}
	if !(xmax >= xmin) {
		return xy
	}
	yClip := ymax * idealHeadroom
	var confs []float64
	hasCI := false
	idealDrawn := map[[2]float64]bool{}
	for i, l := range lines {
		c := chart.Colour(i)
		name := l.label
		if single || name == "" {
			name = "measured"
		}
		xy.Lines = append(xy.Lines, chart.Line{Name: name, X: l.n, Y: l.y, Lo: l.lo, Hi: l.hi, Colour: c, Glyph: i, Connect: true})
		if l.lo != nil {
			hasCI = true
			confs = append(confs, l.conf)
		}
		n1, y1 := firstPoint(l)
		switch o.ideal {
		case idealLinear:
			key := [2]float64{n1, y1}
			if !(n1 > 0 && y1 > 0) || idealDrawn[key] {
				break
			}
			idealDrawn[key] = true
			// Ideal linear scaling, clipped where it leaves the data behind.
			to := math.Min(xmax, yClip*n1/y1)
			xy.Curves = append(xy.Curves, chart.Curve{Name: "ideal linear", F: func(x float64) float64 { return y1 * x / n1 },
				From: n1, To: to, Colour: chart.Grey, Dash: chart.Dotted})
		case idealIdentity:
			if i == 0 {
				xy.Curves = append(xy.Curves, chart.Curve{Name: "ideal: X = rate", F: func(x float64) float64 { return x },
					From: xmin, To: math.Min(xmax, yClip), Colour: chart.Grey, Dash: chart.Dotted})
			}
		case idealOne:
			if i == 0 {
				xy.Curves = append(xy.Curves, chart.Curve{Name: "ideal = 1.0", F: func(float64) float64 { return 1 },
					From: xmin, To: xmax, Colour: chart.Grey, Dash: chart.Dotted})
			}
		}
		if !o.fits || noFits {
			continue
		}
		// Models only over the measured range: a fit says nothing beyond it.
		uslC, amdC := color.Color(chart.Vermilion), color.Color(chart.Green)
		if !single {
			uslC, amdC = c, c
		}
		if usableFit(l.amdahl) {
			xy.Curves = append(xy.Curves, chart.Curve{Name: "Amdahl fit", F: l.amdahl.Predict, From: xmin, To: xmax,
				Colour: amdC, Dash: chart.DashDot, Model: true})
		}
		if usableFit(l.usl) {
			xy.Curves = append(xy.Curves, chart.Curve{Name: "USL fit", F: l.usl.Predict, From: xmin, To: xmax,
				Colour: uslC, Dash: chart.Dashed, Model: true})
			if f := l.usl; format.Finite(f.PeakN) && format.Finite(f.PeakX) && f.PeakN >= xmin && f.PeakN <= xmax {
				xy.Marks = append(xy.Marks, chart.Mark{X: f.PeakN, Y: f.PeakX, Colour: uslC, Drop: true,
					Label: "N* ≈ " + format.Number(f.PeakN) + ", " + format.Number(f.PeakX) + " jobs/s"})
			}
		}
	}
	if hasCI {
		name := "CI"
		if c := confs[0]; c > 0 && !slices.ContainsFunc(confs, func(v float64) bool { return v != c }) {
			name = format.Number(c*100) + "% CI"
		}
		xy.Keys = append(xy.Keys, chart.Key{Name: name, Bar: true, Glyph: -1})
	}
	if !single {
		// Model keys in grey: each line's models take its colour.
		for i, c := range xy.Curves {
			if c.Model {
				xy.Curves[i].Name = ""
				xy.Keys = appendKey(xy.Keys, chart.Key{Name: map[chart.Dash]string{chart.Dashed: "USL fit", chart.DashDot: "Amdahl fit"}[c.Dash],
					Colour: chart.Grey, Dash: c.Dash, Line: true, Glyph: -1})
			}
		}
	}
	return xy
}

// appendKey appends k unless a key of its name is there.
func appendKey(keys []chart.Key, k chart.Key) []chart.Key {
	if slices.ContainsFunc(keys, func(e chart.Key) bool { return e.Name == k.Name }) {
		return keys
	}
	return append(keys, k)
}

// firstPoint is the point of l at its smallest n.
func firstPoint(l scaleLine) (float64, float64) {
	n1, y1 := math.Inf(1), math.NaN()
	for j, n := range l.n {
		if j < len(l.y) && format.Finite(n) && format.Finite(l.y[j]) && n < n1 {
			n1, y1 = n, l.y[j]
		}
	}
	return n1, y1
}

// throughputLines are the series' throughput medians with their intervals.
func throughputLines(ss []analysis.Series) []scaleLine {
	labels := groupLabels(ss)
	lines := make([]scaleLine, len(ss))
	for i, s := range ss {
		l := scaleLine{label: labels[i], usl: s.USL, amdahl: s.Amdahl}
		var anyCI bool
		for _, p := range s.Points {
			l.n = append(l.n, p.N)
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
	return lines
}

// throughputChart is throughput against N, one line per fixed-params group.
func throughputChart(dim string, ss []analysis.Series, batch bool) *figure {
	lines := throughputLines(ss)
	o := scaleOpts{title: "Throughput vs " + dimName(dim), x: xAxis(dim, ss), y: "throughput (jobs/s)"}
	caption := "Measured throughput (median of repeats; bars: confidence interval of the median) against " + dimName(dim) + ". "
	switch {
	case scalingDim(dim):
		o.ideal = idealLinear
		o.fits = !batch
		caption += "The dotted line is ideal linear scaling from the first point: the closer the measured line stays to it, the better " +
			dimName(dim) + " scale."
		if o.fits && len(lines) <= maxFitLines {
			caption += " Dashed curves are the fitted Universal Scalability Law and Amdahl's law, drawn over the measured range only " +
				"and left out where a fit is pinned at a bound; a USL peak N* inside that range marks where adding more starts to cost throughput."
		}
		if len(lines) > maxLines {
			caption += " One panel per group, each with its own scale."
		}
	case dim == param.Rate.Name:
		o.ideal = idealIdentity
		caption += "While the system keeps up, throughput follows the offered rate (dotted line); where it bends away, the system is saturated and queues grow."
	}
	if o.x.Log {
		caption += " The x axis is logarithmic, so each doubling is the same step."
	}
	f, err := scalingFigure("throughput-"+dim, o, lines)
	if err != nil {
		return nil
	}
	return &figure{Figure: f, Caption: caption}
}

// speedupChart is the speedup over the first point of each series.
func speedupChart(dim string, ss []analysis.Series) *figure {
	labels := groupLabels(ss)
	var lines []scaleLine
	for i, s := range ss {
		l := scaleLine{label: labels[i]}
		var anyCI bool
		for _, p := range s.Points {
			l.n = append(l.n, p.N)
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
	o := scaleOpts{title: "Speedup vs " + dimName(dim), x: xAxis(dim, ss), y: "speedup (× first point)", ideal: idealLinear}
	f, err := scalingFigure("speedup-"+dim, o, lines)
	if err != nil {
		return nil
	}
	caption := "Throughput relative to the smallest " + dimName(dim) + " of each line. On the dotted diagonal, doubling " +
		dimName(dim) + " doubles throughput (linear scalability); a line that flattens has hit a bottleneck, one that falls has a coherency cost."
	return &figure{Figure: f, Caption: caption}
}

// efficiencyChart is speedup per unit of N: 1.0 is linear scaling.
func efficiencyChart(dim string, ss []analysis.Series) *figure {
	labels := groupLabels(ss)
	var lines []scaleLine
	for i, s := range ss {
		l := scaleLine{label: labels[i]}
		for _, p := range s.Points {
			l.n = append(l.n, p.N)
			l.y = append(l.y, p.Efficiency)
		}
		lines = append(lines, l)
	}
	o := scaleOpts{title: "Efficiency vs " + dimName(dim), x: xAxis(dim, ss), y: "efficiency (speedup / N)", ideal: idealOne}
	f, err := scalingFigure("efficiency-"+dim, o, lines)
	if err != nil {
		return nil
	}
	caption := "How much of each added unit turns into throughput. 1.0 (dotted) is perfectly linear; " +
		"above it is superlinear (e.g. caches), and a falling line shows how much each added " + dimName(dim) + " is wasted on waiting or contention."
	return &figure{Figure: f, Caption: caption}
}

// percentile picks one latency percentile.
type percentile struct {
	name string
	get  func(results.Latency) float64
	dash chart.Dash
	c    color.Color
}

var latencyPercentiles = []percentile{
	{"p50", func(l results.Latency) float64 { return l.P50 }, chart.Solid, chart.Blue},
	{"p90", func(l results.Latency) float64 { return l.P90 }, chart.Dashed, chart.Orange},
	{"p99", func(l results.Latency) float64 { return l.P99 }, chart.Dotted, chart.Vermilion},
}

// percentilesOf returns the percentiles worth drawing for ss: all three,
// or p50 and "p90 = p99" when those two coincide at every point (a batch
// of five jobs has no tail between them), so no line hides under another.
func percentilesOf(ss []analysis.Series) []percentile {
	same := true
	for _, s := range ss {
		for _, p := range s.Points {
			same = same && p.Latency.P90 == p.Latency.P99
		}
	}
	if !same {
		return latencyPercentiles
	}
	p99 := latencyPercentiles[2]
	p99.name = "p90 = p99"
	return []percentile{latencyPercentiles[0], p99}
}

// latencyPanel is p50/p90/p99 of one series against N, in ms.
func latencyPanel(title string, x chart.Axis, s analysis.Series, pcts []percentile, logY bool) chart.XY {
	xy := chart.XY{Title: title, X: x, Y: chart.Axis{Label: "latency (ms)", Zero: !logY, Log: logY}}
	if logY {
		xy.Y.Label = "latency (ms, log scale)"
	}
	for qi, q := range pcts {
		l := chart.Line{Name: q.name, Colour: q.c, Dash: q.dash, Glyph: qi, Connect: true}
		for _, p := range s.Points {
			l.X = append(l.X, p.N)
			l.Y = append(l.Y, q.get(p.Latency)*1e3)
		}
		xy.Lines = append(xy.Lines, l)
	}
	return xy
}

// latencyChart is p50/p90/p99 latency against N: one panel for one
// series, small multiples (one per group) for more.
func latencyChart(dim string, ss []analysis.Series) *figure {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.Points {
			for _, q := range latencyPercentiles {
				if v := q.get(p.Latency); v > 0 && format.Finite(v) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	if !(hi > 0) {
		return nil
	}
	logY := hi/lo > 10
	pcts := percentilesOf(ss)
	title := "Latency vs " + dimName(dim)
	x := xAxis(dim, ss)
	var f *chart.Figure
	var err error
	if len(ss) == 1 {
		f, err = chart.NewXY("latency-"+dim, latencyPanel(title, x, ss[0], pcts, logY))
	} else {
		labels := groupLabels(ss)
		g := chart.Grid{Title: title}
		for i, s := range ss {
			g.Panels = append(g.Panels, latencyPanel(labels[i], x, s, pcts, logY))
		}
		for qi, q := range pcts {
			g.Keys = append(g.Keys, chart.Key{Name: q.name, Colour: q.c, Dash: q.dash, Line: true, Glyph: qi})
		}
		f, err = chart.NewGrid("latency-"+dim, g)
	}
	if err != nil {
		return nil
	}
	which := "Median (p50), p90 and p99"
	if len(pcts) == 2 {
		which = "Median (p50) and p90 (here equal to p99)"
	}
	reading := "Flat lines while throughput grows mean the added " + dimName(dim) + " work in parallel; rising lines mean jobs wait for a busy resource " +
		"(the concurrency/latency trade-off)."
	if !scalingDim(dim) {
		// Not a resource: an offered rate is load.
		reading = "Flat lines mean the system keeps up with the " + dimName(dim) + "; a sharp rise marks saturation, where jobs queue for a busy resource."
	}
	caption := which + " job latency, measured from each job's intended start so queueing is included. " +
		reading + " A widening gap between p50 and p99 is queueing or contention in the tail."
	if len(ss) > 1 {
		caption += " One panel per group."
	}
	if logY {
		caption += " The y axis is logarithmic because latency spans more than a factor of ten."
	}
	return &figure{Figure: f, Caption: caption}
}

// categoryBars lays the series' values out as bars by category: one bar
// series per group.
func categoryBars(ss []analysis.Series, value func(analysis.Point) (v, lo, hi float64), label func(float64) string) ([]string, []chart.BarSeries) {
	cats := categories(ss)
	labels := groupLabels(ss)
	var out []chart.BarSeries
	for i, s := range ss {
		b := chart.BarSeries{Name: labels[i], Values: make([]float64, len(cats)), Lo: make([]float64, len(cats)),
			Hi: make([]float64, len(cats)), Labels: make([]string, len(cats)), Colour: chart.Colour(i)}
		for j := range cats {
			b.Values[j], b.Lo[j], b.Hi[j] = math.NaN(), math.NaN(), math.NaN()
		}
		for _, p := range s.Points {
			j := slices.Index(cats, p.Label)
			v, lo, hi := value(p)
			b.Values[j], b.Lo[j], b.Hi[j] = v, lo, hi
			if format.Finite(v) {
				b.Labels[j] = label(v)
			}
		}
		out = append(out, b)
	}
	if len(ss) == 1 {
		out[0].Name = ""
	}
	return cats, out
}

// categoryThroughputChart compares throughput across the alternatives of a
// categorical dimension (methods) as bars.
func categoryThroughputChart(dim string, ss []analysis.Series) *figure {
	cats, bars := categoryBars(ss, func(p analysis.Point) (float64, float64, float64) {
		lo, hi := math.NaN(), math.NaN()
		if ci := p.ThroughputCI; ci.Confidence > 0 && ci.N > 1 {
			lo, hi = ci.Lo, ci.Hi
		}
		return p.Throughput, lo, hi
	}, format.Number)
	f, err := chart.NewBars("throughput-"+dim, chart.Bars{
		Title: "Throughput by " + dimName(dim), Categories: cats, Series: bars,
		Value: chart.Axis{Label: "throughput (jobs/s)"},
	})
	if err != nil {
		return nil
	}
	caption := "Throughput of each " + dimName(dim) + " at otherwise equal settings (median of repeats; whiskers: confidence interval of the median). " +
		"The alternatives are not a scale, so they are bars, not a line: the taller, the more work per second on the same resources (performance)."
	return &figure{Figure: f, Caption: caption}
}

// categoryLatencyChart compares the latency (makespan for batches) of the
// alternatives of a categorical dimension as bars.
func categoryLatencyChart(dim string, ss []analysis.Series, batch bool) *figure {
	what, get := "p50 latency", func(p analysis.Point) float64 { return p.Latency.P50 }
	if batch {
		what = "p50 job latency"
	}
	measured := false
	for _, s := range ss {
		for _, p := range s.Points {
			measured = measured || format.Finite(get(p))
		}
	}
	if !measured {
		return nil // a sliced run measures no latency
	}
	cats, bars := categoryBars(ss, func(p analysis.Point) (float64, float64, float64) {
		return get(p) * 1e3, math.NaN(), math.NaN()
	}, func(ms float64) string { return format.Duration(ms / 1e3) })
	f, err := chart.NewBars("latency-"+dim, chart.Bars{
		Title: "Latency by " + dimName(dim), Categories: cats, Series: bars,
		Value: chart.Axis{Label: what + " (ms)"},
	})
	if err != nil {
		return nil
	}
	caption := "Median job latency of each " + dimName(dim) + " at otherwise equal settings: the shorter, the faster each job is done."
	return &figure{Figure: f, Caption: caption}
}

// lossChart shows, for each series of a resource, where its throughput
// went: the ideal speedup (linear in the resource), the speedup the CPU
// the measured processes actually used allows (each job costing the CPU
// it cost at the first point), and the measured speedup. The gap from the
// ideal to the second line is CPU that was not used; from the second to
// the measured line, CPU each job cost more.
func lossChart(dim string, ss []analysis.Series) *figure {
	labels := groupLabels(ss)
	var panels []chart.XY
	x := xAxis(dim, ss)
	factor := analysis.FactorCPU // what the resources used allow: the decompositions' first factor
	for i, s := range ss {
		n, measured, allowed := []float64{}, []float64{}, []float64{}
		for j, p := range s.Points {
			n = append(n, p.N)
			measured = append(measured, p.Speedup.Value)
			switch dc := p.Speedup.Decomposition; {
			case j == 0:
				allowed = append(allowed, 1)
			case dc != nil:
				allowed = append(allowed, dc.Factors[0].Value)
				factor = dc.Factors[0].Name
			default:
				allowed = append(allowed, math.NaN())
			}
		}
		if !slices.ContainsFunc(allowed[1:], format.Finite) || !(s.Points[0].N > 0) {
			continue
		}
		n0, top := s.Points[0].N, n[len(n)-1]
		title := "Where the throughput went"
		if len(ss) > 1 {
			title = labels[i]
		}
		panels = append(panels, chart.XY{
			Title: title, X: x, Y: chart.Axis{Label: "speedup (× first point)", Zero: true},
			Lines: []chart.Line{
				{Name: factor + " allows", X: n, Y: allowed, Colour: chart.Colour(1), Dash: chart.Dashed, Glyph: 1, Connect: true},
				{Name: "measured", X: n, Y: measured, Colour: chart.Colour(0), Glyph: 0, Connect: true},
			},
			Curves: []chart.Curve{{Name: "ideal linear", F: func(v float64) float64 { return v / n0 }, From: n0, To: top,
				Colour: chart.Grey, Dash: chart.Dotted}},
		})
	}
	if len(panels) == 0 {
		return nil
	}
	var f *chart.Figure
	var err error
	if len(panels) == 1 {
		panels[0].Title = "Where the throughput went vs " + dimName(dim)
		f, err = chart.NewXY("loss-"+dim, panels[0])
	} else {
		f, err = chart.NewGrid("loss-"+dim, chart.Grid{Title: "Where the throughput went vs " + dimName(dim), Panels: panels, Keys: panelKeys(panels[0])})
	}
	if err != nil {
		return nil
	}
	caption := "The dotted line is ideal scaling; the dashed line is the speedup the CPU actually used allows, " +
		"had each job cost the CPU it cost at the first point (CPU used, in cores, relative to the first point); the solid line is measured. " +
		"The gap between the dotted and dashed lines is CPU the measured processes did not get or did not use (other processes, waiting); " +
		"the gap between the dashed and solid lines is CPU each job cost more (contention)."
	if factor == analysis.FactorAdmitted {
		caption = "The dotted line is ideal scaling; the dashed line is the speedup the jobs admitted at once allow " +
			"(jobs in service at once, relative to the first point), had each been served as fast as at the first point; the solid line is measured. " +
			"The gap between the dotted and dashed lines is budget the jobs did not fill; " +
			"the gap between the dashed and solid lines is service each job took longer."
	}
	return &figure{Figure: f, Caption: caption}
}

package report

import (
	"errors"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalebench/scalebench/internal/analysis"
)

// errNoData reports a chart with nothing to draw; such a chart is omitted.
var errNoData = errors.New("report: no data to chart")

// scaleLine is one measured curve of a scaling chart.
type scaleLine struct {
	label       string
	n, y        []float64
	lo, hi      []float64 // interval per point, NaN where none; nil for none at all
	conf        float64   // the intervals' confidence level, 0 when unknown or mixed
	usl, amdahl *analysis.Fit
	connect     bool // join the points with a line (false for raw repeated samples)
}

// Ideal reference kinds for a scaling chart.
const (
	idealNone     = ""
	idealLinear   = "linear"   // y grows in proportion to n from the first point
	idealIdentity = "identity" // y = x (throughput equals the offered rate)
	idealOne      = "one"      // y = 1 (efficiency)
)

// scaleOpts describes a scaling chart.
type scaleOpts struct {
	title, xLabel, yLabel string
	ideal                 string
	fits                  bool     // draw USL and Amdahl curves and the USL peak
	cats                  []string // category names when x is nominal (method)
}

// peakShown reports whether f's USL peak is finite and close enough to the
// measured range (within twice the largest n) to be worth marking.
func peakShown(f *analysis.Fit, xmax float64) bool {
	return f != nil && finite(f.PeakN) && finite(f.PeakX) && f.PeakN > 0 && f.PeakX > 0 && f.PeakN <= 2*xmax
}

// maxModelLines is the most lines a chart draws model curves and
// per-line ideals for; beyond it they would hide the measurements.
const maxModelLines = 3

// scalingPlot draws measured lines with their reference and model curves.
func scalingPlot(o scaleOpts, lines []scaleLine) (*plot.Plot, *keys, error) {
	crowded := len(lines) > maxModelLines
	if crowded {
		o.fits = false
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	var ns []float64
	for _, l := range lines {
		for j, n := range l.n {
			if finite(n) && finite(l.y[j]) {
				xmin, xmax = math.Min(xmin, n), math.Max(xmax, n)
				ns = append(ns, n)
			}
		}
	}
	if len(ns) == 0 {
		return nil, nil, errNoData
	}
	xEnd := xmax
	if o.fits {
		for _, l := range lines {
			if peakShown(l.usl, xmax) {
				xEnd = math.Max(xEnd, l.usl.PeakN*1.04)
			}
		}
	}
	single := len(lines) == 1
	p := newPlot(o.title, o.xLabel, o.yLabel)
	if o.cats != nil {
		p.X.Tick.Marker = nominalTicks(o.cats)
		p.X.Min, p.X.Max = -0.3, float64(len(o.cats))-0.7
	} else {
		slices.Sort(ns)
		ticks := valueTicks(slices.Compact(ns))
		if xEnd > xmax*1.1 {
			for _, t := range (niceTicks{}).Ticks(xmin, xEnd) {
				if t.Value > xmax*1.1 && t.Value <= xEnd {
					ticks = append(ticks, t.Value)
				}
			}
		}
		p.X.Tick.Marker = ticks
	}
	k := newKeys()
	var (
		idealDrawn = map[[2]float64]bool{}
		hasIdeal   bool
		hasUSL     bool
		hasAmdahl  bool
		hasPeak    bool
		hasCI      bool
		confs      []float64
	)
	uslColour := func(i int) color.Color {
		if single {
			return okVermilion
		}
		return colour(i)
	}
	amdahlColour := func(i int) color.Color {
		if single {
			return okGreen
		}
		return colour(i)
	}
	for i, l := range lines {
		pts := finiteXYs(l.n, l.y)
		if len(pts) == 0 {
			continue
		}
		n1, y1 := pts[0].X, meanAt(pts, pts[0].X)
		switch {
		case o.cats != nil:
		case o.ideal == idealLinear && n1 > 0 && y1 > 0:
			key := [2]float64{n1, y1}
			if crowded && !sharedIdeal(lines) {
				break
			}
			if !idealDrawn[key] {
				idealDrawn[key] = true
				c := color.Color(refGrey)
				if !single && len(lines) > 1 && !sharedIdeal(lines) {
					c = colour(i)
				}
				addCurve(p, func(x float64) float64 { return y1 * x / n1 }, n1, xEnd, lineStyle(c, refWidth, dashIdeal))
				hasIdeal = true
			}
		case o.ideal == idealIdentity && i == 0:
			addCurve(p, func(x float64) float64 { return x }, xmin, xEnd, lineStyle(refGrey, refWidth, dashIdeal))
			hasIdeal = true
		case o.ideal == idealOne && i == 0:
			addCurve(p, func(float64) float64 { return 1 }, xmin, xEnd, lineStyle(refGrey, refWidth, dashIdeal))
			hasIdeal = true
		}
		if o.fits && o.cats == nil {
			lo := math.Min(n1, 1)
			if l.amdahl != nil && finite(l.amdahl.Lambda) {
				addCurve(p, l.amdahl.Predict, lo, xEnd, lineStyle(amdahlColour(i), fitWidth, dashAmdahl))
				hasAmdahl = true
			}
			if l.usl != nil && finite(l.usl.Lambda) {
				addCurve(p, l.usl.Predict, lo, xEnd, lineStyle(uslColour(i), fitWidth, dashFit))
				hasUSL = true
			}
			if peakShown(l.usl, xmax) {
				addPeak(p, l.usl, uslColour(i), xEnd)
				hasPeak = true
			}
		}
		if bars := errorBars(l, colour(i)); bars != nil {
			p.Add(bars)
			hasCI = true
			confs = append(confs, l.conf)
		}
		ms := markerStyle(i)
		if l.connect && len(pts) > 1 {
			if ln, err := plotter.NewLine(pts); err == nil {
				ln.LineStyle = lineStyle(colour(i), dataWidth, nil)
				p.Add(ln)
			}
		}
		if sc, err := plotter.NewScatter(pts); err == nil {
			sc.GlyphStyle = ms
			p.Add(sc)
		}
		name := l.label
		if name == "" || single {
			name = "measured"
		}
		thumb := legendLine{glyph: &ms}
		if l.connect {
			thumb.line = lineStyle(colour(i), dataWidth, nil)
		}
		k.add(name, thumb)
	}
	keyColour := func(c color.Color) color.Color {
		if single {
			return c
		}
		return refGrey
	}
	if hasCI {
		name := "CI"
		if c := confs[0]; c > 0 && !slices.ContainsFunc(confs, func(v float64) bool { return v != c }) {
			name = fmtNum(c*100) + "% CI"
		}
		k.add(name, errorThumb{})
	}
	if hasIdeal {
		name := "ideal linear"
		switch o.ideal {
		case idealIdentity:
			name = "ideal: X = rate"
		case idealOne:
			name = "ideal = 1.0"
		}
		k.add(name, legendLine{line: lineStyle(refGrey, refWidth, dashIdeal)})
	}
	if hasUSL {
		k.add("USL fit", legendLine{line: lineStyle(keyColour(okVermilion), fitWidth, dashFit)})
	}
	if hasAmdahl {
		k.add("Amdahl fit", legendLine{line: lineStyle(keyColour(okGreen), fitWidth, dashAmdahl)})
	}
	if hasPeak {
		k.add("USL peak N*", legendLine{line: lineStyle(keyColour(okVermilion), refWidth, dashIdeal)})
	}
	p.Y.Min = math.Min(0, p.Y.Min)
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.08
	if o.cats == nil {
		p.X.Min = math.Min(p.X.Min, xmin)
		pad := (xEnd - xmin) * 0.03
		p.X.Min -= pad
		p.X.Max = xEnd + pad
	}
	return p, k, nil
}

// sharedIdeal reports whether every line starts at the same point, so one
// ideal line serves all.
func sharedIdeal(lines []scaleLine) bool {
	var first [2]float64
	for i, l := range lines {
		pts := finiteXYs(l.n, l.y)
		if len(pts) == 0 {
			continue
		}
		k := [2]float64{pts[0].X, meanAt(pts, pts[0].X)}
		if i == 0 {
			first = k
		} else if k != first {
			return false
		}
	}
	return true
}

// finiteXYs pairs x and y, dropping non-finite points, sorted by x.
func finiteXYs(x, y []float64) plotter.XYs {
	var pts plotter.XYs
	for i := range x {
		if i < len(y) && finite(x[i]) && finite(y[i]) {
			pts = append(pts, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	slices.SortStableFunc(pts, func(a, b plotter.XY) int {
		switch {
		case a.X < b.X:
			return -1
		case a.X > b.X:
			return 1
		}
		return 0
	})
	return pts
}

// meanAt is the mean y of the points at x.
func meanAt(pts plotter.XYs, x float64) float64 {
	var s float64
	var c int
	for _, p := range pts {
		if p.X == x {
			s += p.Y
			c++
		}
	}
	if c == 0 {
		return math.NaN()
	}
	return s / float64(c)
}

// addCurve samples f over [lo, hi] and adds it as a line, skipping
// non-finite values.
func addCurve(p *plot.Plot, f func(float64) float64, lo, hi float64, sty draw.LineStyle) {
	if !(hi > lo) {
		return
	}
	const samples = 120
	var pts plotter.XYs
	for i := 0; i <= samples; i++ {
		x := lo + (hi-lo)*float64(i)/samples
		if y := f(x); finite(y) {
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
	}
	if len(pts) < 2 {
		return
	}
	ln, err := plotter.NewLine(pts)
	if err != nil {
		return
	}
	ln.LineStyle = sty
	p.Add(ln)
}

// addPeak marks the USL peak with a dotted drop line and a label.
func addPeak(p *plot.Plot, f *analysis.Fit, c color.Color, xEnd float64) {
	drop, err := plotter.NewLine(plotter.XYs{{X: f.PeakN, Y: 0}, {X: f.PeakN, Y: f.PeakX}})
	if err != nil {
		return
	}
	drop.LineStyle = lineStyle(c, refWidth, dashIdeal)
	p.Add(drop)
	lb, err := plotter.NewLabels(plotter.XYLabels{
		XYs:    plotter.XYs{{X: f.PeakN, Y: f.PeakX}},
		Labels: []string{"N* ≈ " + fmtNum(f.PeakN) + ", " + fmtNum(f.PeakX) + " jobs/s"},
	})
	if err != nil {
		return
	}
	sty := textStyle(noteSize, true)
	sty.Color = c
	sty.XAlign = draw.XCenter
	if f.PeakN > 0.85*xEnd {
		sty.XAlign = draw.XRight
	}
	lb.TextStyle = []draw.TextStyle{sty}
	lb.Offset = vg.Point{Y: vg.Points(5)}
	p.Add(lb)
}

// errorBars draws l's intervals, or returns nil when it has none.
func errorBars(l scaleLine, c color.Color) *plotter.YErrorBars {
	if l.lo == nil || l.hi == nil {
		return nil
	}
	var e errPoints
	for i := range l.n {
		if i >= len(l.lo) || i >= len(l.hi) || i >= len(l.y) {
			break
		}
		n, y, lo, hi := l.n[i], l.y[i], l.lo[i], l.hi[i]
		if !finite(n) || !finite(y) || !finite(lo) || !finite(hi) || hi <= lo {
			continue
		}
		e.xys = append(e.xys, plotter.XY{X: n, Y: y})
		e.errs = append(e.errs, [2]float64{math.Max(0, y-lo), math.Max(0, hi-y)})
	}
	if len(e.xys) == 0 {
		return nil
	}
	bars, err := plotter.NewYErrorBars(e)
	if err != nil {
		return nil
	}
	bars.LineStyle = lineStyle(c, thinWidth, nil)
	bars.CapWidth = vg.Points(6)
	return bars
}

// errPoints adapts points with asymmetric errors to plotter.YErrorer.
type errPoints struct {
	xys  plotter.XYs
	errs [][2]float64
}

func (e errPoints) Len() int                        { return len(e.xys) }
func (e errPoints) XY(i int) (float64, float64)     { return e.xys[i].X, e.xys[i].Y }
func (e errPoints) YError(i int) (float64, float64) { return e.errs[i][0], e.errs[i][1] }

// errorThumb is the legend key for error bars.
type errorThumb struct{}

// Thumbnail implements plot.Thumbnailer.
func (errorThumb) Thumbnail(c *draw.Canvas) {
	sty := lineStyle(refGrey, thinWidth, nil)
	x := c.Center().X
	h := (c.Max.Y - c.Min.Y) * 0.45
	y := c.Center().Y
	w := vg.Points(3)
	c.StrokeLine2(sty, x, y-h, x, y+h)
	c.StrokeLine2(sty, x-w, y-h, x+w, y-h)
	c.StrokeLine2(sty, x-w, y+h, x+w, y+h)
}

// nominalTicks labels integer positions with names.
func nominalTicks(names []string) plot.ConstantTicks {
	ts := make(plot.ConstantTicks, len(names))
	for i, n := range names {
		ts[i] = plot.Tick{Value: float64(i), Label: n}
	}
	return ts
}

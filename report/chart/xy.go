package chart

import (
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Tick is a labelled position on an axis.
type Tick struct {
	Value float64
	Label string
}

// Axis specifies one axis of a chart.
type Axis struct {
	Label string
	// Log makes the axis logarithmic; with Values it is read as a
	// doubling axis (1, 2, 4, 8) ticked at the values.
	Log bool
	// Values are the measured positions to tick, e.g. the workers counts.
	Values []float64
	// Format, when set, writes the labels of the Values' ticks (a size
	// as 32MiB); otherwise they are written as numbers.
	Format func(float64) string
	// Ticks, when set, are the only ticks, e.g. percentiles on a CDF.
	Ticks []Tick
	// Categories make the axis nominal: position i is Categories[i].
	Categories []string
	// Min and Max fix the range when Max > Min; otherwise it fits the data.
	Min, Max float64
	// Zero keeps 0 in a linear axis's range.
	Zero bool
}

// Line is a measured series: points, optionally joined, with intervals.
type Line struct {
	Name    string    // legend entry; "" for none
	X, Y    []float64 // the points; non-finite ones are skipped
	Lo, Hi  []float64 // the interval at each point, NaN where none; nil for none
	Colour  color.Color
	Dash    Dash
	Glyph   int     // glyph index, -1 for none
	Connect bool    // join the points with a line
	Weight  float64 // line width in points on a page; 0 for the data width
}

// Curve is a function drawn over [From, To]: a model or a reference.
type Curve struct {
	Name     string // legend entry; "" for none (entries of one name appear once)
	F        func(x float64) float64
	From, To float64
	Colour   color.Color
	Dash     Dash
	Model    bool // drawn as a fitted model rather than a thin reference
}

// Mark labels a point, with a dotted drop line to the x axis when Drop is set.
type Mark struct {
	X, Y   float64
	Label  string
	Colour color.Color
	Drop   bool
}

// XY is a chart of lines and curves against a numeric or nominal x axis.
type XY struct {
	Title  string
	X, Y   Axis
	Lines  []Line
	Curves []Curve
	Marks  []Mark
	// Keys follow the lines' and curves' own legend entries.
	Keys []Key
}

// NewXY returns xy as a figure named name, page-sized and taller by its
// legend when that goes below the plot.
func NewXY(name string, xy XY) (*Figure, error) {
	if _, _, err := themeFor(Page).buildXY(xy, true); err != nil {
		return nil, err
	}
	return &Figure{Name: name, Title: xy.Title, d: xy}, nil
}

// layout implements drawer.
func (xy XY) layout(th theme, w vg.Length) (vg.Length, func(draw.Canvas)) {
	p, keys, err := th.buildXY(xy, true)
	h := pageH + th.keysHeight(keys, w, true)
	return h, func(dc draw.Canvas) {
		if err != nil {
			panic(err)
		}
		th.drawWithKeys(dc, p, keys)
	}
}

// buildXY makes the plot of xy and its legend keys.
func (t theme) buildXY(xy XY, titled bool) (*plot.Plot, []Key, error) {
	title := ""
	if titled {
		title = xy.Title
	}
	p := t.newPlot(title, xy.X.Label, xy.Y.Label)
	var lineKeys, curveKeys []Key
	named := map[string]bool{}
	add := func(keys *[]Key, k Key) {
		if k.Name == "" || named[k.Name] {
			return
		}
		named[k.Name] = true
		*keys = append(*keys, k)
	}
	var xs, ys []float64
	for _, l := range xy.Lines {
		for i := range l.X {
			if i < len(l.Y) && finite(l.X[i]) && finite(l.Y[i]) && (!xy.X.Log || l.X[i] > 0) && (!xy.Y.Log || l.Y[i] > 0) {
				xs, ys = append(xs, l.X[i]), append(ys, l.Y[i])
			}
		}
	}
	if len(xs) == 0 {
		return nil, nil, ErrNoData
	}
	xlo, xhi := slices.Min(xs), slices.Max(xs)
	ylo, yhi := slices.Min(ys), slices.Max(ys)
	for _, c := range xy.Curves {
		if c.F == nil || !(c.To > c.From) {
			continue
		}
		xlo, xhi = math.Min(xlo, c.From), math.Max(xhi, c.To)
		pts := t.sample(c, xy.Y.Log)
		for _, pt := range pts {
			ylo, yhi = math.Min(ylo, pt.Y), math.Max(yhi, pt.Y)
		}
		if len(pts) < 2 {
			continue
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		w := t.refWidth()
		if c.Model {
			w = t.fitWidth()
		}
		ln.LineStyle = t.line(c.Colour, w, c.Dash)
		p.Add(ln)
		curveKeys = append(curveKeys, Key{Name: c.Name, Colour: c.Colour, Dash: c.Dash, Line: true, Glyph: -1})
	}
	for _, m := range xy.Marks {
		if m.Drop {
			if drop, err := plotter.NewLine(plotter.XYs{{X: m.X, Y: 0}, {X: m.X, Y: m.Y}}); err == nil {
				drop.LineStyle = t.line(m.Colour, t.refWidth(), Dotted)
				p.Add(drop)
			}
		}
	}
	for i, l := range xy.Lines {
		pts := pointsOf(l.X, l.Y, xy.X.Log, xy.Y.Log)
		if len(pts) == 0 {
			continue
		}
		if bars := t.errorBars(l); bars != nil {
			p.Add(bars)
			for j := range l.Hi {
				if j < len(l.Lo) && finite(l.Lo[j]) && finite(l.Hi[j]) {
					ylo, yhi = math.Min(ylo, l.Lo[j]), math.Max(yhi, l.Hi[j])
				}
			}
		}
		c := l.Colour
		if c == nil {
			c = Colour(i)
		}
		w := t.dataWidth()
		if l.Weight > 0 {
			w = t.width(l.Weight)
		}
		if l.Connect && len(pts) > 1 {
			if ln, err := plotter.NewLine(pts); err == nil {
				ln.LineStyle = t.line(c, w, l.Dash)
				p.Add(ln)
			}
		}
		if l.Glyph >= 0 {
			if sc, err := plotter.NewScatter(pts); err == nil {
				sc.GlyphStyle = t.glyph(l.Glyph, c)
				p.Add(sc)
			}
		}
		add(&lineKeys, Key{Name: l.Name, Colour: c, Dash: l.Dash, Line: l.Connect, Glyph: l.Glyph})
	}
	for _, m := range xy.Marks {
		if m.Label == "" {
			continue
		}
		at, off := plotter.XY{X: m.X, Y: m.Y}, vg.Point{Y: t.size(5)}
		sty := t.text(noteSize, true)
		sty.Color = m.Colour
		sty.XAlign = draw.XCenter
		if m.Drop {
			// At the foot of the drop line, clear of the curves above.
			at.Y = 0
			sty.XAlign = draw.XLeft
			off = vg.Point{X: t.size(4), Y: t.size(4)}
			if m.X > xlo+0.6*(xhi-xlo) {
				sty.XAlign = draw.XRight
				off.X = -off.X
			}
		}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{at}, Labels: []string{m.Label}})
		if err != nil {
			continue
		}
		lb.TextStyle = []draw.TextStyle{sty}
		lb.Offset = off
		p.Add(lb)
		if !m.Drop {
			yhi = math.Max(yhi, m.Y*1.1)
		}
	}
	for _, k := range xy.Keys {
		add(&lineKeys, k)
	}
	for _, k := range curveKeys {
		add(&lineKeys, k)
	}
	keys := lineKeys
	t.setAxis(&p.X, xy.X, xlo, xhi, false)
	t.setAxis(&p.Y, xy.Y, ylo, yhi, true)
	return p, keys, nil
}

// setAxis applies spec to ax for data spanning [lo, hi].
func (t theme) setAxis(ax *plot.Axis, spec Axis, lo, hi float64, vertical bool) {
	switch {
	case spec.Categories != nil:
		ts := make(plot.ConstantTicks, len(spec.Categories))
		for i, n := range spec.Categories {
			ts[i] = plot.Tick{Value: float64(i), Label: n}
		}
		ax.Tick.Marker = ts
		ax.Min, ax.Max = -0.5, float64(len(spec.Categories))-0.5
		return
	case spec.Log:
		ax.Scale = plot.LogScale{}
		if len(spec.Values) > 0 {
			// A doubling axis: a little room either side of the measured values.
			ax.Tick.Marker = valueTicks{vs: slices.Compact(slices.Sorted(slices.Values(spec.Values))), log: true, format: spec.Format}
			ax.Min, ax.Max = lo/1.12, hi*1.12
		} else {
			ax.Tick.Marker = logTicks{}
			// Out to 1-2-5 steps so the ends carry labels, unless that
			// would waste much of the axis.
			ax.Min, ax.Max = roundDown125(lo), roundUp125(hi)
			if ax.Min < lo/1.6 {
				ax.Min = lo / 1.1
			}
			if ax.Max > hi*1.6 {
				ax.Max = hi * 1.1
			}
		}
	default:
		if len(spec.Values) > 0 {
			ax.Tick.Marker = valueTicks{vs: slices.Compact(slices.Sorted(slices.Values(spec.Values))), format: spec.Format}
		}
		if spec.Zero {
			lo = math.Min(0, lo)
		}
		if !(hi > lo) {
			hi = lo + 1
		}
		if vertical {
			ax.Min, ax.Max = lo, hi+(hi-lo)*0.08
			if lo < 0 {
				ax.Min = lo - (hi-lo)*0.04
			}
		} else {
			pad := (hi - lo) * 0.04
			ax.Min, ax.Max = lo-pad, hi+pad
			if spec.Zero && lo == 0 {
				ax.Min = 0
			}
		}
	}
	if spec.Ticks != nil {
		ts := make(plot.ConstantTicks, len(spec.Ticks))
		for i, tk := range spec.Ticks {
			ts[i] = plot.Tick{Value: tk.Value, Label: tk.Label}
		}
		ax.Tick.Marker = ts
	}
	if spec.Max > spec.Min {
		ax.Min, ax.Max = spec.Min, spec.Max
	}
}

// sample evaluates c at evenly spaced x (log-spaced on a log x axis is not
// needed: the curves are smooth), skipping non-finite values.
func (t theme) sample(c Curve, logY bool) plotter.XYs {
	const samples = 160
	var pts plotter.XYs
	for i := 0; i <= samples; i++ {
		x := c.From + (c.To-c.From)*float64(i)/samples
		if y := c.F(x); finite(y) && (!logY || y > 0) {
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
	}
	return pts
}

// pointsOf pairs x and y, dropping points a finite (and, on log axes,
// positive) position cannot show, sorted by x.
func pointsOf(x, y []float64, logX, logY bool) plotter.XYs {
	var pts plotter.XYs
	for i := range x {
		if i < len(y) && finite(x[i]) && finite(y[i]) && (!logX || x[i] > 0) && (!logY || y[i] > 0) {
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

// errorBars draws l's intervals, or returns nil when it has none.
func (t theme) errorBars(l Line) *plotter.YErrorBars {
	if l.Lo == nil || l.Hi == nil {
		return nil
	}
	var e errPoints
	for i := range l.X {
		if i >= len(l.Lo) || i >= len(l.Hi) || i >= len(l.Y) {
			break
		}
		n, y, lo, hi := l.X[i], l.Y[i], l.Lo[i], l.Hi[i]
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
	c := l.Colour
	if c == nil {
		c = Grey
	}
	bars.LineStyle = t.line(c, t.thinWidth(), Solid)
	bars.CapWidth = t.width(6)
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

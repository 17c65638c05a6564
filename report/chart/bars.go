package chart

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BarSeries is one set of bars, one per category.
type BarSeries struct {
	Name   string
	Values []float64
	Lo, Hi []float64 // interval per bar, NaN where none; nil for none
	Labels []string  // text at the end of each bar; nil for none
	Colour color.Color
}

// Bars is a bar chart over categories: side by side or stacked, vertical
// or horizontal (then the first category is at the top).
type Bars struct {
	Title      string
	Categories []string
	Series     []BarSeries
	// Value is the value axis; its Categories are ignored.
	Value      Axis
	Horizontal bool
	Stacked    bool
	Keys       []Key // follow the series' own legend entries
	// Formula, when set, is written in large type under the title: the
	// calculation the bars illustrate, "1.54s/330ms = 4.67x".
	Formula string
	// Notes, with a Formula, are lines written under it in the title's
	// type: the formula it stands beside ("the article: 180/120 = 1.5X"),
	// the ratio's interval.
	Notes []string
}

// Type sizes of a formula card, in points on a page.
const formulaSize = 24

// NewBars returns b as a figure named name.
func NewBars(name string, b Bars) (*Figure, error) {
	if _, err := themeFor(Page).buildBars(b, pageW); err != nil {
		return nil, err
	}
	w := vg.Length(0)
	if b.Horizontal {
		w = 7 * vg.Inch
	}
	return &Figure{Name: name, Title: b.Title, d: b, w: w}, nil
}

// layout implements drawer.
func (b Bars) layout(th theme, w vg.Length) (vg.Length, func(draw.Canvas)) {
	h := pageH
	if b.Horizontal {
		h = max(3*vg.Inch, 1.4*vg.Inch+vg.Length(len(b.Categories))*0.32*vg.Inch)
	}
	keys := b.keys()
	h += th.keysHeight(keys, w, true)
	if b.Formula != "" {
		return h, b.drawFormula(th, keys)
	}
	return h, func(dc draw.Canvas) {
		// The data area along the category axis sets the bars' width.
		extent := dc.Max.X - dc.Min.X - th.size(90)
		if b.Horizontal {
			extent = dc.Max.Y - dc.Min.Y - th.keysHeight(keys, w, true) - th.size(70)
		}
		p, err := th.buildBars(b, extent)
		if err != nil {
			panic(err)
		}
		th.drawWithKeys(dc, p, keys)
	}
}

// keys is the legend of b: one box per named series, then b.Keys.
func (b Bars) keys() []Key {
	var keys []Key
	for si, s := range b.Series {
		if s.Name == "" {
			continue
		}
		c := s.Colour
		if c == nil {
			c = Colour(si)
		}
		keys = append(keys, Key{Name: s.Name, Colour: c, Box: true, Glyph: -1})
	}
	return append(keys, b.Keys...)
}

// buildBars makes the plot of b; extent is the length of the category axis.
func (t theme) buildBars(b Bars, extent vg.Length) (*plot.Plot, error) {
	n := len(b.Categories)
	if n == 0 || len(b.Series) == 0 {
		return nil, ErrNoData
	}
	// Category i sits at position pos(i): the first at the top when horizontal.
	pos := func(i int) float64 { return float64(i) }
	cats := b.Categories
	if b.Horizontal {
		pos = func(i int) float64 { return float64(n - 1 - i) }
		cats = make([]string, n)
		for i, c := range b.Categories {
			cats[n-1-i] = c
		}
	}
	xl, yl := "", b.Value.Label
	if b.Horizontal {
		xl, yl = b.Value.Label, ""
	}
	p := t.newPlot(b.Title, xl, yl)
	if b.Horizontal {
		p.NominalY(cats...)
		p.Y.Tick.Label.Font.Size = t.size(tickSize)
	} else {
		p.NominalX(cats...)
		p.X.Tick.Label.Font.Size = t.size(tickSize)
	}
	group := len(b.Series)
	if b.Stacked {
		group = 1
	}
	slot := 0.76 / float64(group) // share of a category's width per bar
	width := extent / vg.Length(n) * vg.Length(slot)
	var prev *plotter.BarChart
	var tops []float64
	var lbls plotter.XYLabels
	any := false
	for si, s := range b.Series {
		vals := make(plotter.Values, n)
		for i := range n {
			if i < len(s.Values) && finite(s.Values[i]) && s.Values[i] > 0 {
				vals[int(pos(i))] = s.Values[i]
				any = true
			}
		}
		c := s.Colour
		if c == nil {
			c = Colour(si)
		}
		bar, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bar.Horizontal = b.Horizontal
		bar.Color = c
		bar.LineStyle = t.line(white, t.width(0.5), Solid)
		shift := 0.0
		if b.Stacked {
			if prev != nil {
				bar.StackOn(prev)
			}
			prev = bar
		} else {
			shift = -0.38 + slot*(float64(si)+0.5)
			bar.XMin = shift
		}
		p.Add(bar)
		var e errPoints
		for i := range n {
			v := vals[int(pos(i))]
			top := v
			if !b.Stacked && i < len(s.Lo) && i < len(s.Hi) && finite(s.Lo[i]) && finite(s.Hi[i]) && s.Hi[i] > s.Lo[i] && v > 0 {
				e.xys = append(e.xys, plotter.XY{X: pos(i) + shift, Y: v})
				e.errs = append(e.errs, [2]float64{math.Max(0, v-s.Lo[i]), math.Max(0, s.Hi[i]-v)})
				top = math.Max(top, s.Hi[i])
			}
			tops = append(tops, top)
			if !b.Stacked && i < len(s.Labels) && s.Labels[i] != "" && v > 0 {
				at := plotter.XY{X: pos(i) + shift, Y: top}
				if b.Horizontal {
					at = plotter.XY{X: top, Y: pos(i) + shift}
				}
				lbls.XYs = append(lbls.XYs, at)
				lbls.Labels = append(lbls.Labels, s.Labels[i])
			}
		}
		if len(e.xys) > 0 && !b.Horizontal {
			if eb, err := plotter.NewYErrorBars(e); err == nil {
				eb.LineStyle = t.line(Black, t.thinWidth(), Solid)
				eb.CapWidth = t.width(6)
				p.Add(eb)
			}
		}
	}
	if !any {
		return nil, ErrNoData
	}
	if len(lbls.XYs) > 0 {
		if lb, err := plotter.NewLabels(lbls); err == nil {
			sty := t.text(labelSize, true)
			if b.Horizontal {
				sty.YAlign = draw.YCenter
				lb.Offset = vg.Point{X: t.size(4)}
			} else {
				sty.XAlign = draw.XCenter
				lb.Offset = vg.Point{Y: t.size(4)}
			}
			lb.TextStyle = make([]draw.TextStyle, len(lbls.XYs))
			for i := range lb.TextStyle {
				lb.TextStyle[i] = sty
			}
			p.Add(lb)
		}
	}
	// The value axis starts at zero, with room for intervals and labels.
	top := 0.0
	for _, v := range tops {
		top = math.Max(top, v)
	}
	if stacked := prev; stacked != nil {
		_, _, _, ymax := stacked.DataRange()
		if b.Horizontal {
			_, ymax, _, _ = stacked.DataRange()
		}
		top = math.Max(top, ymax)
	}
	room := 1.08
	if len(lbls.XYs) > 0 {
		room = 1.2
	}
	// Half a category of room either side of the first and last bars.
	cat, ax := &p.X, &p.Y
	if b.Horizontal {
		cat, ax = &p.Y, &p.X
	}
	cat.Min, cat.Max = -0.5, float64(n)-0.5
	ax.Min, ax.Max = 0, top*room
	if b.Value.Max > b.Value.Min {
		ax.Min, ax.Max = b.Value.Min, b.Value.Max
	}
	return p, nil
}

// drawFormula draws b as a card: its title and formula centred at the top
// in large type, the bars below.
func (b Bars) drawFormula(th theme, keys []Key) func(draw.Canvas) {
	return func(dc draw.Canvas) {
		title := th.text(titleSize, true)
		title.XAlign, title.YAlign = draw.XCenter, draw.YTop
		formula := th.text(formulaSize, true)
		formula.XAlign, formula.YAlign = draw.XCenter, draw.YTop
		mid := (dc.Min.X + dc.Max.X) / 2
		y := dc.Max.Y - th.size(8)
		if b.Title != "" {
			dc.FillText(title, vg.Point{X: mid, Y: y}, b.Title)
			y -= title.Height(b.Title) + th.size(6)
		}
		dc.FillText(formula, vg.Point{X: mid, Y: y}, b.Formula)
		y -= formula.Height(b.Formula) + th.size(6)
		for _, note := range b.Notes {
			ref := th.text(titleSize, false)
			ref.XAlign, ref.YAlign = draw.XCenter, draw.YTop
			dc.FillText(ref, vg.Point{X: mid, Y: y}, note)
			y -= ref.Height(note) + th.size(6)
		}
		body := b
		body.Title = ""
		pc := dc
		pc.Max.Y = y
		// Leave room for the value axis and its labels, larger on a slide.
		p, err := th.buildBars(body, (pc.Max.X-pc.Min.X-th.size(90))*0.8)
		if err != nil {
			panic(err)
		}
		th.drawWithKeys(pc, p, keys)
	}
}

package chart

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Key is a legend entry: a name and what its thumbnail shows.
type Key struct {
	Name   string
	Colour color.Color // line, glyph or box colour
	Dash   Dash
	Line   bool // a line
	Glyph  int  // glyph index, -1 for none
	Box    bool // a filled box, for bars
	Bar    bool // an error bar
}

// thumb draws a key's thumbnail.
type thumb struct {
	k  Key
	th theme
}

// Thumbnail implements plot.Thumbnailer.
func (t thumb) Thumbnail(c *draw.Canvas) {
	k, th := t.k, t.th
	y := c.Center().Y
	h := c.Max.Y - c.Min.Y
	switch {
	case k.Box:
		r := []vg.Point{
			{X: c.Min.X, Y: c.Min.Y + h*0.1}, {X: c.Max.X, Y: c.Min.Y + h*0.1},
			{X: c.Max.X, Y: c.Max.Y - h*0.1}, {X: c.Min.X, Y: c.Max.Y - h*0.1},
		}
		c.FillPolygon(k.Colour, r)
		return
	case k.Bar:
		sty := th.line(Grey, th.thinWidth(), Solid)
		x := c.Center().X
		hh := h * 0.45
		w := th.width(3)
		c.StrokeLine2(sty, x, y-hh, x, y+hh)
		c.StrokeLine2(sty, x-w, y-hh, x+w, y-hh)
		c.StrokeLine2(sty, x-w, y+hh, x+w, y+hh)
		return
	}
	if k.Line {
		c.StrokeLine2(th.line(k.Colour, th.dataWidth(), k.Dash), c.Min.X, y, c.Max.X, y)
	}
	if k.Glyph >= 0 {
		c.DrawGlyph(th.glyph(k.Glyph, k.Colour), c.Center())
	}
}

// newLegend returns a legend of keys in the shared style.
func (t theme) newLegend(keys []Key) plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sansFont, t.size(legendSize))
	l.ThumbnailWidth = t.size(24)
	l.Padding = t.size(3)
	l.Top = true
	l.Left = true
	for _, k := range keys {
		l.Add(k.Name, thumb{k, t})
	}
	return l
}

// keyLayout is where a legend goes: beside the data area, or in columns
// below it.
type keyLayout struct {
	beside     bool
	cols, rows int
	colW, h    vg.Length // column width; height of the legend block below
}

func (t theme) keyPad() vg.Length { return t.size(10) }

// keyLayout places a legend of keys on a chart of the given width, beside
// the plot when allowed and narrow enough.
func (t theme) keyLayout(keys []Key, width vg.Length, beside bool) keyLayout {
	all := t.newLegend(keys)
	r := all.Rectangle(draw.Canvas{})
	lw := r.Max.X - r.Min.X
	if beside && lw <= width*0.3 {
		return keyLayout{beside: true, colW: lw}
	}
	colW := lw + 2*t.keyPad()
	cols := max(1, min(4, len(keys), int(width*0.92/colW)))
	rows := (len(keys) + cols - 1) / cols
	col := t.newLegend(keys[:rows])
	h := col.Rectangle(draw.Canvas{})
	return keyLayout{cols: cols, rows: rows, colW: colW, h: h.Max.Y - h.Min.Y}
}

// keysHeight is the height a legend below the plot adds to a chart.
func (t theme) keysHeight(keys []Key, width vg.Length, beside bool) vg.Length {
	if len(keys) == 0 {
		return 0
	}
	if l := t.keyLayout(keys, width, beside); !l.beside {
		return l.h + t.keyPad()
	}
	return 0
}

// drawWithKeys draws p with its legend beside the data area, or in up to
// four columns below it when the legend is too wide to sit beside.
func (t theme) drawWithKeys(dc draw.Canvas, p *plot.Plot, keys []Key) {
	if len(keys) == 0 {
		p.Draw(dc)
		return
	}
	l := t.keyLayout(keys, dc.Max.X-dc.Min.X, true)
	if l.beside {
		pc := draw.Crop(dc, 0, -(l.colW + 2*t.keyPad()), 0, 0)
		p.Draw(pc)
		lc := dc
		lc.Min.X = pc.Max.X + t.keyPad()
		lc.Max.Y = p.DataCanvas(pc).Max.Y
		leg := t.newLegend(keys)
		leg.Draw(lc)
		return
	}
	pc := draw.Crop(dc, 0, 0, l.h+t.keyPad(), 0)
	p.Draw(pc)
	x0 := p.DataCanvas(pc).Min.X
	t.drawKeyColumns(dc, keys, l, x0)
}

// drawKeyColumns draws keys in l's columns along the bottom of dc from x0.
func (t theme) drawKeyColumns(dc draw.Canvas, keys []Key, l keyLayout, x0 vg.Length) {
	for c := 0; c < l.cols; c++ {
		lo, hi := c*l.rows, min((c+1)*l.rows, len(keys))
		if lo >= hi {
			break
		}
		lc := dc
		lc.Min.X = x0 + vg.Length(c)*l.colW
		lc.Max.Y = dc.Min.Y + l.h + t.keyPad()/2
		leg := t.newLegend(keys[lo:hi])
		leg.Draw(lc)
	}
}

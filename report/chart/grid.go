package chart

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Grid is small multiples: one XY panel per group, each with its own y
// range, under one title and one legend.
type Grid struct {
	Title  string
	Panels []XY // each panel's Title names its group
	Keys   []Key
	// Cols is the number of columns; 0 chooses up to three on a page and
	// up to four on a slide.
	Cols int
}

// NewGrid returns g as a figure named name, 3.2 in wide per column on a
// page; panels with no data are left out.
func NewGrid(name string, g Grid) (*Figure, error) {
	th := themeFor(Page)
	n := 0
	for _, p := range g.Panels {
		if _, _, err := th.buildXY(p, true); err == nil {
			n++
		}
	}
	if n == 0 {
		return nil, ErrNoData
	}
	cols := g.columns()
	w := vg.Length(cols) * 3.2 * vg.Inch
	if cols == 1 {
		w = pageW
	}
	return &Figure{Name: name, Title: g.Title, d: g, w: w}, nil
}

// WiderThanPage reports whether f is much wider than a page chart (three
// panels or more) and so should span the page.
func (f *Figure) WiderThanPage() bool { return f.w > pageW*1.2 }

func (g Grid) columns() int {
	if g.Cols > 0 {
		return g.Cols
	}
	switch n := len(g.Panels); {
	case n == 1:
		return 1
	case n == 2 || n == 4:
		return 2
	}
	return 3
}

// layout implements drawer.
func (g Grid) layout(th theme, w vg.Length) (vg.Length, func(draw.Canvas)) {
	cols := g.columns()
	pt := th // the panels' theme
	if th.medium == Slide {
		// A slide is wide: up to four panels side by side, and smaller
		// type in the panels when they stack, so their data keeps its room.
		if len(g.Panels) > 4 {
			pt.k = min(pt.k, 1.3)
		}
		if g.Cols == 0 {
			cols = max(1, min(4, len(g.Panels)))
		}
		if len(g.Panels) > cols {
			pt.k = min(pt.k, 1.3)
		}
	}
	var panels []*plot.Plot
	for _, spec := range g.Panels {
		p, _, err := pt.buildXY(spec, true)
		if err != nil {
			continue
		}
		// Panel titles as large as fits the panel's width.
		ts := pt.text(labelSize, true)
		size := ts.Font.Size
		if tw, room := ts.Width(spec.Title), (w/vg.Length(cols))*0.92; tw > room {
			size = max(size*room/tw, th.size(labelSize)/th.vk())
		}
		p.Title.TextStyle.Font.Size = size
		p.Title.Padding = pt.size(4)
		panels = append(panels, p)
	}
	cols = min(cols, max(1, len(panels)))
	rows := (len(panels) + cols - 1) / cols
	panelH := 2.3 * vg.Inch
	if th.medium == Slide {
		panelH = (slideH - th.size(titleSize)*3 - th.keysHeight(g.Keys, w, false)) / vg.Length(max(1, rows))
	}
	titleH := th.size(titleSize) * 2.2
	keysH := th.keysHeight(g.Keys, w, false)
	// One axis label for all panels, along the bottom and the left side: a
	// panel's own label wider than the panel would break its layout.
	var xLabel, yLabel string
	if len(g.Panels) > 0 {
		xLabel, yLabel = g.Panels[0].X.Label, g.Panels[0].Y.Label
	}
	for _, p := range panels {
		p.X.Label.Text, p.Y.Label.Text = "", ""
	}
	ls := pt.text(labelSize, false)
	labelH := ls.Height("M") * 1.6
	h := titleH + vg.Length(rows)*panelH + keysH + labelH
	return h, func(dc draw.Canvas) {
		ts := th.text(titleSize, true)
		ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
		dc.FillText(ts, vg.Point{X: dc.Center().X, Y: dc.Max.Y - th.size(4)}, g.Title)
		grid := make([][]*plot.Plot, rows)
		for r := range grid {
			grid[r] = make([]*plot.Plot, cols)
		}
		for i, p := range panels {
			grid[i/cols][i%cols] = p
		}
		if xLabel != "" {
			xs := ls
			xs.XAlign, xs.YAlign = draw.XCenter, draw.YBottom
			dc.FillText(xs, vg.Point{X: dc.Center().X + labelH/2, Y: dc.Min.Y + keysH + th.size(2)}, xLabel)
		}
		if yLabel != "" {
			ys := ls
			ys.Rotation = math.Pi / 2
			ys.XAlign, ys.YAlign = draw.XCenter, draw.YTop
			dc.FillText(ys, vg.Point{X: dc.Min.X + th.size(2), Y: dc.Min.Y + keysH + labelH + (dc.Max.Y-dc.Min.Y-titleH-keysH-labelH)/2}, yLabel)
		}
		body := dc
		body.Min.Y += keysH + labelH
		body.Min.X += labelH
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadTop: titleH, PadBottom: th.size(4),
			PadLeft: th.size(4), PadRight: th.size(8), PadX: th.size(12), PadY: th.size(8)}
		cs := plot.Align(grid, tiles, body)
		for r := range grid {
			for c, p := range grid[r] {
				if p != nil {
					p.Draw(cs[r][c])
				}
			}
		}
		if len(g.Keys) > 0 {
			th.drawKeyColumns(dc, g.Keys, th.keyLayout(g.Keys, w, false), dc.Min.X+th.keyPad())
		}
	}
}

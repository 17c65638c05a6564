package chart

import (
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
	// Cols is the number of columns; 0 chooses up to three.
	Cols int
}

// NewGrid returns g as a figure named name; wide says it spans the page.
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

// WiderThanPage reports whether f is wider than a page chart and so should span
// the page.
func (f *Figure) WiderThanPage() bool { return f.w > pageW }

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
	var panels []*plot.Plot
	for _, spec := range g.Panels {
		p, _, err := th.buildXY(spec, true)
		if err != nil {
			continue
		}
		p.Title.TextStyle.Font.Size = th.size(labelSize)
		p.Title.Padding = th.size(4)
		panels = append(panels, p)
	}
	cols := min(g.columns(), max(1, len(panels)))
	rows := (len(panels) + cols - 1) / cols
	panelH := 2.3 * vg.Inch
	if th.medium == Slide {
		panelH = (slideH - th.size(titleSize)*3 - th.keysHeight(g.Keys, w, false)) / vg.Length(max(1, rows))
	}
	titleH := th.size(titleSize) * 2.2
	keysH := th.keysHeight(g.Keys, w, false)
	h := titleH + vg.Length(rows)*panelH + keysH
	return h, func(dc draw.Canvas) {
		ts := th.text(titleSize, true)
		ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
		dc.FillText(ts, vg.Point{X: dc.Center().X, Y: dc.Max.Y - th.size(4)}, g.Title)
		grid := make([][]*plot.Plot, rows)
		for r := range grid {
			grid[r] = make([]*plot.Plot, cols)
		}
		for i, p := range panels {
			r, c := i/cols, i%cols
			// Label only the outer axes.
			if r != rows-1 && i+cols < len(panels) {
				p.X.Label.Text = ""
			}
			if c != 0 {
				p.Y.Label.Text = ""
			}
			grid[r][c] = p
		}
		body := dc
		body.Min.Y += keysH
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

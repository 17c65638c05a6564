package report

import (
	"image/color"
	"math"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The one chart style every figure shares: fonts, line widths, dash
// patterns and the Okabe–Ito colour-blind-safe palette.

// Chart sizes: the standard chart is 6×4 in, 1200×800 px as PNG.
const (
	chartW = 6 * vg.Inch
	chartH = 4 * vg.Inch
	pngDPI = 200
)

// Font sizes in points.
const (
	titleSize  = 13
	labelSize  = 11
	tickSize   = 10
	legendSize = 10
	noteSize   = 9
)

// Line widths.
var (
	dataWidth = vg.Points(2)
	fitWidth  = vg.Points(1.6)
	refWidth  = vg.Points(1.2)
	thinWidth = vg.Points(0.9)
)

// Dash patterns: measured data is solid; models and references are not.
var (
	dashFit    = []vg.Length{vg.Points(6), vg.Points(3)}
	dashAmdahl = []vg.Length{vg.Points(7), vg.Points(2.5), vg.Points(1.5), vg.Points(2.5)}
	dashIdeal  = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
)

func hex(rgb uint32) color.RGBA {
	return color.RGBA{R: uint8(rgb >> 16), G: uint8(rgb >> 8), B: uint8(rgb), A: 0xff}
}

// Okabe–Ito colours by name.
var (
	okOrange    = hex(0xE69F00)
	okSky       = hex(0x56B4E9)
	okGreen     = hex(0x009E73)
	okBlue      = hex(0x0072B2)
	okVermilion = hex(0xD55E00)
	okPurple    = hex(0xCC79A7)
	okBlack     = hex(0x000000)

	refGrey  = hex(0x666666)
	gridGrey = hex(0xDDDDDD)
)

// palette orders the Okabe–Ito colours for lines on white; the pale yellow
// is left out because thin lines in it vanish.
var palette = []color.RGBA{okBlue, okOrange, okGreen, okVermilion, okPurple, okSky, okBlack}

// colour returns the i-th series colour; callers dash lines past the
// palette's length.
func colour(i int) color.RGBA { return palette[((i%len(palette))+len(palette))%len(palette)] }

// fade returns c with alpha a in [0, 1], premultiplied as color.RGBA requires.
func fade(c color.RGBA, a float64) color.RGBA {
	m := func(v uint8) uint8 { return uint8(math.Round(float64(v) * a)) }
	return color.RGBA{R: m(c.R), G: m(c.G), B: m(c.B), A: m(0xff)}
}

// glyphs distinguish series by shape as well as colour.
var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

func glyph(i int) draw.GlyphDrawer { return glyphs[((i%len(glyphs))+len(glyphs))%len(glyphs)] }

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// textStyle returns a text style in the chart font.
func textStyle(size float64, bold bool) text.Style {
	f := sansFont
	if bold {
		f = boldFont
	}
	return text.Style{
		Color:   okBlack,
		Font:    font.From(f, vg.Points(size)),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot in the shared style with a light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(boldFont, titleSize)
	p.Title.Padding = vg.Points(8)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, labelSize)
		ax.Tick.Label.Font = font.From(sansFont, tickSize)
		ax.Label.Padding = vg.Points(4)
		ax.Tick.Length = vg.Points(4)
		ax.Padding = vg.Points(3)
		ax.LineStyle.Color = refGrey
		ax.Tick.LineStyle.Color = refGrey
		ax.Tick.Marker = niceTicks{}
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	g := plotter.NewGrid()
	g.Vertical.Color = gridGrey
	g.Horizontal.Color = gridGrey
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Width = vg.Points(0.5)
	p.Add(g)
	return p
}

// newLegend returns an empty legend in the shared style.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sansFont, legendSize)
	l.ThumbnailWidth = vg.Points(24)
	l.Padding = vg.Points(3)
	l.Top = true
	l.Left = true
	return l
}

// points converts a dash pattern in points to lengths.
func points(dashes []float64) []vg.Length {
	if dashes == nil {
		return nil
	}
	out := make([]vg.Length, len(dashes))
	for i, d := range dashes {
		out[i] = vg.Points(d)
	}
	return out
}

// lineStyle is a line of the given colour, width and dashes.
func lineStyle(c color.Color, w vg.Length, dashes []vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: w, Dashes: dashes}
}

// legendLine is a legend thumbnail: a line, optionally with a glyph.
type legendLine struct {
	line  draw.LineStyle
	glyph *draw.GlyphStyle
	fill  color.Color // a filled box instead of a line when set
}

// Thumbnail implements plot.Thumbnailer.
func (t legendLine) Thumbnail(c *draw.Canvas) {
	if t.fill != nil {
		h := c.Max.Y - c.Min.Y
		r := []vg.Point{
			{X: c.Min.X, Y: c.Min.Y + h*0.1}, {X: c.Max.X, Y: c.Min.Y + h*0.1},
			{X: c.Max.X, Y: c.Max.Y - h*0.1}, {X: c.Min.X, Y: c.Max.Y - h*0.1},
		}
		c.FillPolygon(t.fill, r)
		return
	}
	if t.line.Color != nil && t.line.Width > 0 {
		y := c.Center().Y
		c.StrokeLine2(t.line, c.Min.X, y, c.Max.X, y)
	}
	if t.glyph != nil {
		c.DrawGlyph(*t.glyph, c.Center())
	}
}

// markerStyle is the glyph for measured points of series i.
func markerStyle(i int) draw.GlyphStyle {
	return draw.GlyphStyle{Color: colour(i), Radius: vg.Points(3), Shape: glyph(i)}
}

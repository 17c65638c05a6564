package chart

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

// Page chart size: 6×4 in.
const (
	pageW = 6 * vg.Inch
	pageH = 4 * vg.Inch
)

// theme is the type and line sizes for a medium.
type theme struct {
	medium Medium
	k      float64 // type scale
	lw     float64 // line-width scale
}

func themeFor(m Medium) theme {
	if m == Slide {
		return theme{medium: m, k: 1.75, lw: 1.6}
	}
	return theme{medium: m, k: 1, lw: 1}
}

// Font sizes in points on a page.
const (
	titleSize  = 13
	labelSize  = 11
	tickSize   = 10
	legendSize = 10
	noteSize   = 9
)

func (t theme) size(pt float64) vg.Length  { return vg.Points(pt * t.k) }
func (t theme) width(pt float64) vg.Length { return vg.Points(pt * t.lw) }

// vk is the type scale, the factor from page type to t's.
func (t theme) vk() vg.Length { return vg.Length(t.k) }

// Line weights.
func (t theme) dataWidth() vg.Length { return t.width(2) }
func (t theme) fitWidth() vg.Length  { return t.width(1.6) }
func (t theme) refWidth() vg.Length  { return t.width(1.2) }
func (t theme) thinWidth() vg.Length { return t.width(0.9) }

// Dash is a line's pattern: measured data is solid; models and references
// are not.
type Dash int

// Dash patterns.
const (
	Solid Dash = iota
	Dashed
	Dotted
	DashDot
)

func (t theme) dashes(d Dash) []vg.Length {
	var pts []float64
	switch d {
	case Dashed:
		pts = []float64{6, 3}
	case Dotted:
		pts = []float64{1.5, 2.5}
	case DashDot:
		pts = []float64{7, 2.5, 1.5, 2.5}
	default:
		return nil
	}
	out := make([]vg.Length, len(pts))
	for i, p := range pts {
		out[i] = t.width(p)
	}
	return out
}

func hex(rgb uint32) color.RGBA {
	return color.RGBA{R: uint8(rgb >> 16), G: uint8(rgb >> 8), B: uint8(rgb), A: 0xff}
}

// Okabe–Ito colours by name, and greys for references.
var (
	Orange    = hex(0xE69F00)
	Sky       = hex(0x56B4E9)
	Green     = hex(0x009E73)
	Blue      = hex(0x0072B2)
	Vermilion = hex(0xD55E00)
	Purple    = hex(0xCC79A7)
	Black     = hex(0x000000)
	Grey      = hex(0x666666)

	gridGrey = hex(0xDDDDDD)
	white    = hex(0xFFFFFF)
)

// palette orders the Okabe–Ito colours for lines on white; the pale yellow
// is left out because thin lines in it vanish.
var palette = []color.RGBA{Blue, Orange, Green, Vermilion, Purple, Sky, Black}

// Colour returns the i-th series colour.
func Colour(i int) color.RGBA { return palette[((i%len(palette))+len(palette))%len(palette)] }

// Fade returns c with alpha a in [0, 1], premultiplied as color.RGBA requires.
func Fade(c color.RGBA, a float64) color.RGBA {
	m := func(v uint8) uint8 { return uint8(math.Round(float64(v) * a)) }
	return color.RGBA{R: m(c.R), G: m(c.G), B: m(c.B), A: m(0xff)}
}

// glyphs distinguish series by shape as well as colour.
var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

func (t theme) glyph(i int, c color.Color) draw.GlyphStyle {
	return draw.GlyphStyle{Color: c, Radius: t.width(3), Shape: glyphs[((i%len(glyphs))+len(glyphs))%len(glyphs)]}
}

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// text returns a text style in the chart font.
func (t theme) text(pt float64, bold bool) text.Style {
	f := sansFont
	if bold {
		f = boldFont
	}
	return text.Style{
		Color:   Black,
		Font:    font.From(f, t.size(pt)),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot in the shared style with a light grid.
func (t theme) newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = color.Transparent
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(boldFont, t.size(titleSize))
	p.Title.Padding = t.size(8)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, t.size(labelSize))
		ax.Tick.Label.Font = font.From(sansFont, t.size(tickSize))
		ax.Label.Padding = t.size(4)
		ax.Tick.Length = t.size(4)
		ax.Padding = t.size(3)
		ax.LineStyle.Color = Grey
		ax.LineStyle.Width = t.width(0.5)
		ax.Tick.LineStyle.Color = Grey
		ax.Tick.LineStyle.Width = t.width(0.5)
		ax.Tick.Marker = niceTicks{}
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	g := plotter.NewGrid()
	g.Vertical.Color = gridGrey
	g.Horizontal.Color = gridGrey
	g.Vertical.Width = t.width(0.5)
	g.Horizontal.Width = t.width(0.5)
	p.Add(g)
	return p
}

// line is a line style of the given colour, width and dashes.
func (t theme) line(c color.Color, w vg.Length, d Dash) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: w, Dashes: t.dashes(d)}
}

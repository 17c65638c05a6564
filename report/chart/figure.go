// Package chart draws the report's figures with gonum/plot: line charts
// with intervals and reference curves, bars, stacked bars and small
// multiples, in one colour-blind-safe style, as SVG or PNG, at page size or
// as 16:9 slides with large type. It knows only plain data: numbers,
// labels and axis specifications, never where they came from.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ErrNoData reports a chart with nothing to draw.
var ErrNoData = errors.New("no data to chart")

// Medium is where a figure is shown: on a page, or on a 16:9 slide with
// large type.
type Medium int

const (
	// Page is the report's size: about 6×4 in, 1200×800 px as PNG.
	Page Medium = iota
	// Slide is 16:9, 1920×1080 px as PNG, with type readable from the
	// back of a room.
	Slide
)

// Slide size, and the resolutions PNGs are rendered at: 1200×800 px for a
// page chart, 1920×1080 for a slide.
const (
	slideW   = 10 * vg.Inch
	slideH   = 5.625 * vg.Inch
	pageDPI  = 200
	slideDPI = 192
)

// drawer lays a chart out for a medium and a width: it returns the height
// the chart needs and the function that draws it.
type drawer interface {
	layout(th theme, w vg.Length) (vg.Length, func(draw.Canvas))
}

// Figure is one chart, drawable as SVG and PNG on a page or a slide.
type Figure struct {
	Name  string // file stem, e.g. "throughput-workers"
	Title string // what the chart shows, also its accessible name
	d     drawer
	w     vg.Length // width on a page; 0 for the standard width
}

// Kind names the kind of chart f is: "xy", "grid" (small multiples) or
// "bars".
func (f *Figure) Kind() string {
	switch f.d.(type) {
	case Grid:
		return "grid"
	case Bars:
		return "bars"
	}
	return "xy"
}

// size returns the canvas size of f on m, and its drawing.
func (f *Figure) size(m Medium) (vg.Length, vg.Length, func(draw.Canvas)) {
	th := themeFor(m)
	if m == Slide {
		_, fn := f.d.layout(th, slideW)
		return slideW, slideH, fn
	}
	w := f.w
	if w == 0 {
		w = pageW
	}
	h, fn := f.d.layout(th, w)
	return w, h, fn
}

// maxHeight is the tallest figure drawn: as a PNG, 20,000 pixels by 1,900
// take 150 MB. A figure of more panels or legend entries than fit is
// refused (ErrTooLarge).
const maxHeight = 100 * vg.Inch

// ErrTooLarge reports a figure too tall to draw.
var ErrTooLarge = errors.New("too large to draw")

// checkSize refuses a figure taller than maxHeight.
func (f *Figure) checkSize(h vg.Length) error {
	if h > maxHeight {
		return fmt.Errorf("chart %s: %w: %.0f in tall, more than %.0f in (too many panels or legend entries)", f.Name, ErrTooLarge, float64(h/vg.Inch), float64(maxHeight/vg.Inch))
	}
	return nil
}

// SVG renders f as a standalone SVG document.
func (f *Figure) SVG(m Medium) ([]byte, error) {
	w, h, fn := f.size(m)
	if err := f.checkSize(h); err != nil {
		return nil, err
	}
	b, err := f.render(vgsvg.New(w, h), fn)
	if err != nil {
		return nil, err
	}
	return fontFallback(b), nil
}

// PNG renders f as a PNG image.
func (f *Figure) PNG(m Medium) ([]byte, error) {
	w, h, fn := f.size(m)
	if err := f.checkSize(h); err != nil {
		return nil, err
	}
	dpi := pageDPI
	if m == Slide {
		dpi = slideDPI
	}
	cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	return f.render(vgimg.PngCanvas{Canvas: cv}, fn)
}

// render draws onto cw and encodes it. gonum/plot panics on some
// degenerate input; that becomes an error so a bad chart can be left out
// instead of taking its page down.
func (f *Figure) render(cw vg.CanvasWriterTo, fn func(draw.Canvas)) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("draw chart %s: %v", f.Name, r)
		}
	}()
	c := draw.New(cw)
	c.FillPolygon(white, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
	fn(c)
	var buf bytes.Buffer
	if _, err := cw.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode chart %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// Liberation Sans is metric-compatible with Arial and Helvetica, so a
// viewer without it still lays the text out as measured.
var fontFamily = regexp.MustCompile(`font-family:Liberation (Sans|Serif|Mono);`)

func fontFallback(svg []byte) []byte {
	return fontFamily.ReplaceAllFunc(svg, func(m []byte) []byte {
		switch {
		case bytes.Contains(m, []byte("Sans")):
			return []byte(`font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`)
		case bytes.Contains(m, []byte("Mono")):
			return []byte(`font-family:'Liberation Mono','Courier New',monospace;`)
		}
		return []byte(`font-family:'Liberation Serif','Times New Roman',serif;`)
	})
}

// Points is the number of measured values f plots: the finite points of
// its lines, in every panel, and its bars. Reference curves and marks are
// not counted.
func (f *Figure) Points() int {
	return points(f.d)
}

func points(d drawer) int {
	n := 0
	switch d := d.(type) {
	case XY:
		for _, l := range d.Lines {
			for i := range l.X {
				if i < len(l.Y) && finite(l.X[i]) && finite(l.Y[i]) {
					n++
				}
			}
		}
	case Grid:
		for _, p := range d.Panels {
			n += points(p)
		}
	case Bars:
		for _, s := range d.Series {
			for _, v := range s.Values {
				if finite(v) {
					n++
				}
			}
		}
	}
	return n
}

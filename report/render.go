package report

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// chart is one figure of the report, drawable as SVG and PNG.
type chart struct {
	Name    string // file stem under charts/, e.g. "throughput-workers"
	Title   string // what the chart shows, also its accessible name
	Caption string // what to look for
	Wide    bool   // spans the page width
	w, h    vg.Length
	draw    func(dc draw.Canvas)
}

// svg renders c as a standalone SVG document.
func (c *chart) svg() ([]byte, error) {
	b, err := c.render(vgsvg.New(c.w, c.h))
	if err != nil {
		return nil, err
	}
	return fontFallback(b), nil
}

// png renders c as a PNG image at pngDPI.
func (c *chart) png() ([]byte, error) {
	cv := vgimg.NewWith(vgimg.UseWH(c.w, c.h), vgimg.UseDPI(pngDPI))
	return c.render(vgimg.PngCanvas{Canvas: cv})
}

// render draws c onto cw and encodes it. gonum/plot panics on some
// degenerate input; that becomes an error so a bad chart is left out
// instead of taking the report down.
func (c *chart) render(cw vg.CanvasWriterTo) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("report: draw chart %s: %v", c.Name, r)
		}
	}()
	c.draw(draw.New(cw))
	var buf bytes.Buffer
	if _, err := cw.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: encode chart %s: %w", c.Name, err)
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

var (
	svgProlog = regexp.MustCompile(`(?s)^.*?<svg\s`)
	svgSize   = regexp.MustCompile(`\s(width|height)="[^"]*"`)
	svgNS     = regexp.MustCompile(`\sxmlns(:xlink)?="[^"]*"`)
)

// inlineSVG turns a standalone SVG document into an element for an HTML
// page: no XML prolog, no fixed size (the viewBox and CSS scale it), no
// namespace URLs (HTML implies them), and an accessible name.
func inlineSVG(doc []byte, title string) template.HTML {
	s := string(doc)
	open := svgProlog.FindStringIndex(s)
	if open == nil {
		return ""
	}
	head, rest, _ := strings.Cut(s[open[1]:], ">")
	head = svgSize.ReplaceAllString(" "+head, "")
	head = svgNS.ReplaceAllString(head, "")
	head = strings.Join(strings.Fields(head), " ")
	el := `<svg ` + head + ` role="img" aria-label="` + template.HTMLEscapeString(title) + `">` + rest
	// Text is html-escaped by the SVG writer; the rest is our own drawing.
	return template.HTML(strings.TrimSpace(el))
}

// keys is a chart's legend, laid out when the chart is drawn.
type keys struct{ entries []keyEntry }

type keyEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

func newKeys() *keys { return &keys{} }

func (k *keys) add(name string, thumbs ...plot.Thumbnailer) {
	k.entries = append(k.entries, keyEntry{name, thumbs})
}

func legendOf(entries []keyEntry) plot.Legend {
	l := newLegend()
	for _, e := range entries {
		l.Add(e.name, e.thumbs...)
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

const keyPad = vg.Length(10)

// layout places k's legend on a chart of the given width.
func (k *keys) layout(width vg.Length) keyLayout {
	all := legendOf(k.entries)
	r := all.Rectangle(draw.Canvas{})
	lw := r.Max.X - r.Min.X
	if lw <= width*0.34 {
		return keyLayout{beside: true, colW: lw}
	}
	colW := lw + 2*keyPad
	cols := max(1, min(3, len(k.entries), int(width*0.9/colW)))
	rows := (len(k.entries) + cols - 1) / cols
	col := legendOf(k.entries[:rows])
	h := col.Rectangle(draw.Canvas{})
	return keyLayout{cols: cols, rows: rows, colW: colW, h: h.Max.Y - h.Min.Y}
}

// extraHeight is the height a legend below the plot adds to a chart.
func (k *keys) extraHeight(width vg.Length) vg.Length {
	if k == nil || len(k.entries) == 0 {
		return 0
	}
	if l := k.layout(width); !l.beside {
		return l.h + keyPad
	}
	return 0
}

// drawWithKeys draws p with its legend beside the data area, or in up to
// three columns below it when the legend is too wide to sit beside.
func drawWithKeys(dc draw.Canvas, p *plot.Plot, k *keys) {
	if k == nil || len(k.entries) == 0 {
		p.Draw(dc)
		return
	}
	l := k.layout(dc.Max.X - dc.Min.X)
	if l.beside {
		pc := draw.Crop(dc, 0, -(l.colW + 2*keyPad), 0, 0)
		p.Draw(pc)
		lc := dc
		lc.Min.X = pc.Max.X + keyPad
		lc.Max.Y = p.DataCanvas(pc).Max.Y
		all := legendOf(k.entries)
		all.Draw(lc)
		return
	}
	pc := draw.Crop(dc, 0, 0, l.h+keyPad, 0)
	p.Draw(pc)
	x0 := p.DataCanvas(pc).Min.X
	for c := 0; c < l.cols; c++ {
		lo, hi := c*l.rows, min((c+1)*l.rows, len(k.entries))
		if lo >= hi {
			break
		}
		lc := dc
		lc.Min.X = x0 + vg.Length(c)*l.colW
		lc.Max.Y = dc.Min.Y + l.h + keyPad/2
		leg := legendOf(k.entries[lo:hi])
		leg.Draw(lc)
	}
}

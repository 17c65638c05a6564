package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/scalebench/scalebench/internal/testutil"
)

func labels(ts []plot.Tick) []string {
	var out []string
	for _, tk := range ts {
		if tk.Label != "" {
			out = append(out, tk.Label)
		}
	}
	return out
}

func TestLogTicks(t *testing.T) {
	if got, want := labels(logTicks{}.Ticks(2, 900)), []string{"2", "5", "10", "20", "50", "100", "200", "500"}; !reflect.DeepEqual(got, want) {
		t.Errorf("labels = %q, want %q", got, want)
	}
	if len(logTicks{}.Ticks(0, 10)) != 0 || len(logTicks{}.Ticks(5, 5)) != 0 {
		t.Error("degenerate ranges should give no ticks")
	}
}

func TestValueTicks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		vt     valueTicks
		lo, hi float64
		want   []string
	}{
		{"doubling on a log axis keeps every value", valueTicks{vs: []float64{1, 2, 4, 8, 16, 32, 64}, log: true}, 0.9, 72,
			[]string{"1", "2", "4", "8", "16", "32", "64"}},
		{"linear axis drops crowded labels", valueTicks{vs: []float64{1, 2, 4, 8, 16, 32, 64}}, 0, 64,
			[]string{"1", "4", "8", "16", "32", "64"}},
		{"values outside the range are left out", valueTicks{vs: []float64{1, 2, 100}}, 0, 10, []string{"1", "2"}},
		{"labels written as asked", valueTicks{vs: []float64{2 << 20, 4 << 20}, format: func(v float64) string { return fmt.Sprintf("%gMiB", v/(1<<20)) }},
			1 << 20, 5 << 20, []string{"2MiB", "4MiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := labels(tc.vt.Ticks(tc.lo, tc.hi)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("labels = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDoubling(t *testing.T) {
	for _, tc := range []struct {
		vs   []float64
		want bool
	}{
		{[]float64{1, 2, 4, 8, 16, 32, 64}, true},
		{[]float64{8, 1, 4, 2, 2}, true},
		{[]float64{1, 4, 16}, true},
		{[]float64{1, 2}, false},
		{[]float64{1, 2, 3, 4}, false},
		{[]float64{0, 1, 2, 4}, false},
		{[]float64{10, 20, 40, 60}, false},
	} {
		if got := Doubling(tc.vs); got != tc.want {
			t.Errorf("Doubling(%v) = %v, want %v", tc.vs, got, tc.want)
		}
	}
}

func sampleXY() XY {
	return XY{
		Title: "Throughput vs workers",
		X:     Axis{Label: "workers", Log: true, Values: []float64{1, 2, 4, 8}},
		Y:     Axis{Label: "jobs/s", Zero: true},
		Lines: []Line{{Name: "measured", X: []float64{1, 2, 4, 8}, Y: []float64{10, 19, 30, 33},
			Lo: []float64{9, 18, math.NaN(), 31}, Hi: []float64{11, 20, math.NaN(), 35}, Glyph: 0, Connect: true}},
		Curves: []Curve{{Name: "ideal linear", F: func(x float64) float64 { return 10 * x }, From: 1, To: 4, Colour: Grey, Dash: Dotted}},
		Marks:  []Mark{{X: 6, Y: 34, Label: "N* ≈ 6", Colour: Vermilion, Drop: true}},
	}
}

// TestMedia renders each kind of chart on a page and on a slide: the slide
// PNG is 1920×1080 and the SVGs name the font with fallbacks.
func TestMedia(t *testing.T) {
	testutil.Long(t, "every kind of chart as 1920x1080 PNG under the race detector")
	xy, err := NewXY("xy", sampleXY())
	if err != nil {
		t.Fatal(err)
	}
	p2 := sampleXY()
	p2.Title = "other"
	grid, err := NewGrid("grid", Grid{Title: "small multiples", Panels: []XY{sampleXY(), p2, sampleXY()},
		Keys: []Key{{Name: "measured", Colour: Blue, Line: true, Glyph: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	bars, err := NewBars("bars", Bars{Title: "by method", Categories: []string{"naive", "fast"},
		Series: []BarSeries{{Values: []float64{3, 9}, Lo: []float64{2.5, 8}, Hi: []float64{3.5, 10}, Labels: []string{"3", "9"}}},
		Value:  Axis{Label: "jobs/s"}})
	if err != nil {
		t.Fatal(err)
	}
	stacked, err := NewBars("stacked", Bars{Title: "stages", Categories: []string{"a", "b", "c"}, Horizontal: true, Stacked: true,
		Series: []BarSeries{{Name: "fetch", Values: []float64{50, 51, 52}, Colour: Sky}, {Name: "decode", Values: []float64{1, 2, 3}, Colour: Orange}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*Figure{xy, grid, bars, stacked} {
		for _, m := range []Medium{Page, Slide} {
			svg, err := f.SVG(m)
			if err != nil {
				t.Fatalf("%s: SVG: %v", f.Name, err)
			}
			if !bytes.Contains(svg, []byte("'Liberation Sans',Arial")) {
				t.Errorf("%s: SVG lacks the font fallback", f.Name)
			}
			b, err := f.PNG(m)
			if err != nil {
				t.Fatalf("%s: PNG: %v", f.Name, err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			if m == Slide && (w != 1920 || h != 1080) {
				t.Errorf("%s: slide is %d×%d, want 1920×1080", f.Name, w, h)
			}
			if m == Page && (w < 1000 || h < 500) {
				t.Errorf("%s: page chart is only %d×%d", f.Name, w, h)
			}
		}
	}
	if !grid.WiderThanPage() || xy.WiderThanPage() {
		t.Error("a three-panel grid spans the page; a single chart does not")
	}
}

func TestNoData(t *testing.T) {
	if _, err := NewXY("empty", XY{Lines: []Line{{X: []float64{math.NaN()}, Y: []float64{1}}}}); err != ErrNoData {
		t.Errorf("NewXY of no finite points: err = %v, want ErrNoData", err)
	}
	if _, err := NewBars("empty", Bars{Categories: []string{"a"}, Series: []BarSeries{{Values: []float64{0}}}}); err != ErrNoData {
		t.Errorf("NewBars of zeros: err = %v, want ErrNoData", err)
	}
	if _, err := NewGrid("empty", Grid{}); err != ErrNoData {
		t.Errorf("NewGrid of nothing: err = %v, want ErrNoData", err)
	}
}

// TestSlideType checks that a slide's type is larger than a page's.
func TestSlideType(t *testing.T) {
	xy, _ := NewXY("xy", sampleXY())
	page, _ := xy.SVG(Page)
	slide, _ := xy.SVG(Slide)
	size := func(svg []byte) string {
		i := strings.Index(string(svg), "font-size:")
		if i < 0 {
			return ""
		}
		return strings.SplitN(string(svg[i+len("font-size:"):]), "px", 2)[0]
	}
	if size(page) == "" || size(page) == size(slide) {
		t.Errorf("title font size: page %q, slide %q", size(page), size(slide))
	}
}

// TestTooLarge: a figure of more panels or bars than a page can hold is
// refused before its canvas is allocated (a stacked bar chart of 10,000
// cells once asked for a 3.6 GB image), and one that fits is drawn.
func TestTooLarge(t *testing.T) {
	for _, tc := range []struct {
		bars int
		want error
	}{{40, nil}, {10000, ErrTooLarge}} {
		cats := make([]string, tc.bars)
		vals := make([]float64, tc.bars)
		for i := range cats {
			cats[i], vals[i] = fmt.Sprint("cell ", i), 1
		}
		f, err := NewBars("stages", Bars{Title: "stages", Categories: cats, Horizontal: true, Stacked: true,
			Series: []BarSeries{{Name: "fetch", Values: vals, Colour: Sky}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.SVG(Page); !errors.Is(err, tc.want) {
			t.Errorf("%d bars: SVG: %v, want %v", tc.bars, err, tc.want)
		}
		if tc.want == nil && testing.Short() {
			continue // a tall PNG takes seconds under the race detector; make test-long draws it
		}
		if _, err := f.PNG(Page); !errors.Is(err, tc.want) {
			t.Errorf("%d bars: PNG: %v, want %v", tc.bars, err, tc.want)
		}
	}
}

// Points counts the measured values a figure plots, not its curves.
func TestPoints(t *testing.T) {
	nan := math.NaN()
	line := XY{Lines: []Line{
		{X: []float64{1, 2, 4}, Y: []float64{10, nan, 30}},
		{X: []float64{1, 2}, Y: []float64{5, 6, 7}},
	}, Curves: []Curve{{F: func(x float64) float64 { return x }, From: 1, To: 4}}}
	for _, tc := range []struct {
		name string
		make func() (*Figure, error)
		want int
	}{
		{"lines", func() (*Figure, error) { return NewXY("xy", line) }, 4},
		{"panels", func() (*Figure, error) { return NewGrid("grid", Grid{Panels: []XY{line, line}}) }, 8},
		{"bars", func() (*Figure, error) {
			return NewBars("bars", Bars{Categories: []string{"a", "b"}, Series: []BarSeries{{Values: []float64{1, nan}}, {Values: []float64{3, 4}}}})
		}, 3},
	} {
		f, err := tc.make()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := f.Points(); got != tc.want {
			t.Errorf("%s: %d points, want %d", tc.name, got, tc.want)
		}
	}
}

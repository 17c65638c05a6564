// Package trend writes the history report: one offline HTML page with a
// trend chart per series and metric (each run's repeats as dots, their
// medians as a line, the level of each stretch between change points as a
// dashed line, and each change point marked with its commits and size),
// and a table of the change points found.
package trend

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/atomicfile"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/history"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/stats"
	"github.com/scalebench/scalebench/report/chart"
)

//go:embed trend.html.tmpl
var files embed.FS

var page = template.Must(template.New("trend.html.tmpl").Funcs(template.FuncMap{"join": func(xs []string) string { return strings.Join(xs, ", ") }}).ParseFS(files, "trend.html.tmpl"))

// FileName is the report's file in its directory.
const FileName = "history.html"

// Options describe the report.
type Options struct {
	// Store names the history the trends come from.
	Store string
	// Level is the change points' significance level.
	Level float64
	// Now is when the report was made (the zero time leaves it out).
	Now time.Time
}

// Write writes DIR/history.html for the trends and their change points,
// and returns its path.
func Write(dir string, tcs []history.TrendChanges, opt Options) (string, error) {
	path := filepath.Join(dir, FileName)
	err := atomicfile.WriteWith(path, 0o644, func(w io.Writer) error { return Render(w, tcs, opt) })
	if err != nil {
		return "", fmt.Errorf("write history report: %w", err)
	}
	return path, nil
}

// view is what the template shows.
type view struct {
	Store, Made   string
	Level         string
	Runs, Series  int
	Changes       []changeRow
	Groups        []group
	Commits       int
	Branches      []string
	ChartFailures []string
}

type group struct {
	Heading string
	Testbed string
	Trends  []trendView
}

type trendView struct {
	ID, Title, Caption string
	SVG                template.HTML
	Changes            int
}

type changeRow struct {
	Anchor, Series    string
	Worse             bool
	Verdict, Size     string
	Before, After     string
	Commits, Range, P string
	New               bool
}

// Render writes the report page for the trends to w.
func Render(w io.Writer, tcs []history.TrendChanges, opt Options) error {
	v := view{Store: opt.Store, Level: format.Percent(opt.Level), Series: len(tcs)}
	if !opt.Now.IsZero() {
		v.Made = opt.Now.UTC().Format("2006-01-02 15:04 UTC")
	}
	runs, commits, branches := map[int64]bool{}, map[string]bool{}, map[string]bool{}
	common := commonParams(tcs)
	var cur *group
	for i, tc := range tcs {
		t := tc.Trend
		for _, p := range t.Points {
			runs[p.Run.ID] = true
			commits[p.Run.Commit] = true
		}
		if !branches[t.Branch] {
			branches[t.Branch] = true
			v.Branches = append(v.Branches, t.Branch)
		}
		heading := fmt.Sprintf("%s (scenario %s) on %s", t.Scenario.Name, t.Scenario.Hash[:min(8, len(t.Scenario.Hash))], t.Testbed.Name())
		if cur == nil || cur.Heading != heading {
			v.Groups = append(v.Groups, group{Heading: heading, Testbed: t.Testbed.Describe()})
			cur = &v.Groups[len(v.Groups)-1]
		}
		id := fmt.Sprintf("t%d", i)
		tv := trendView{ID: id, Title: fmt.Sprintf("%s · %s · %s", t.Cell, t.Metric, t.Branch), Changes: len(tc.Changes)}
		tv.Caption = fmt.Sprintf("%d runs from %s to %s", len(t.Points), short(t.Points[0].Run.Commit), short(t.Points[len(t.Points)-1].Run.Commit))
		fig, err := Figure(id, chartTitle(t, common), tc)
		if err == nil {
			var svg []byte
			if svg, err = fig.SVG(chart.Page); err == nil {
				tv.SVG = template.HTML(stripProlog(svg)) // our own renderer's SVG
			}
		}
		if err != nil {
			v.ChartFailures = append(v.ChartFailures, fmt.Sprintf("%s: %v", t.Title(), err))
		}
		cur.Trends = append(cur.Trends, tv)
		for _, f := range tc.Changes {
			v.Changes = append(v.Changes, row(id, t, f))
		}
	}
	v.Runs, v.Commits = len(runs), len(commits)
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("render history report: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

func row(anchor string, t *history.Trend, f history.Found) changeRow {
	unit := t.Metric.Unit()
	from, to := f.Range(t)
	r := changeRow{
		Anchor: anchor, Series: t.Title(), Worse: f.Worse, New: f.New,
		Size:    format.Change(f.Relative()),
		Before:  format.Measured(f.Before.Median, f.Before.Lo, f.Before.Hi, unit) + fmt.Sprintf(" (%d runs)", f.Before.Len()),
		After:   format.Measured(f.After.Median, f.After.Lo, f.After.Hi, unit) + fmt.Sprintf(" (%d runs)", f.After.Len()),
		Commits: short(f.RunBefore(t).Commit) + " → " + short(f.RunAfter(t).Commit),
		Range:   short(from.Commit) + " .. " + short(to.Commit),
		P:       pValue(f.P),
	}
	r.Verdict = "better"
	if f.Worse {
		r.Verdict = "worse"
	}
	return r
}

// pValue writes a p-value: "0.0031", "< 0.0001".
func pValue(p float64) string {
	if p < 1e-4 {
		return "< 0.0001"
	}
	return fmt.Sprintf("%.4f", p)
}

// short is a commit's first 10 characters.
func short(c string) string {
	if len(c) > 10 {
		return c[:10]
	}
	return c
}

// stripProlog drops an SVG document's XML prolog, for inlining in HTML.
func stripProlog(svg []byte) []byte {
	if i := bytes.Index(svg, []byte("<svg")); i > 0 {
		return svg[i:]
	}
	return svg
}

// displayScale returns the factor and unit a metric's base-unit values
// are charted in: milliseconds for short times, MiB for memory.
func displayScale(m metric.Metric, typical float64) (float64, string) {
	switch m.Unit() {
	case "s":
		if typical < 1 {
			return 1000, "ms"
		}
		return 1, "s"
	case "B":
		return 1.0 / (1 << 20), "MiB"
	}
	return 1, m.Unit()
}

// Figure is the trend chart of tc.
// Its title is title, or when empty the trend's.
func Figure(name, title string, tc history.TrendChanges) (*chart.Figure, error) {
	t := tc.Trend
	n := len(t.Points)
	if n == 0 {
		return nil, chart.ErrNoData
	}
	meds := t.Medians()
	scale, unit := displayScale(t.Metric, median(meds))
	var dx, dy, mx, my []float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range t.Points {
		vals := p.Repeats
		if len(vals) == 0 {
			vals = []float64{p.Median}
		}
		for _, v := range vals {
			dx, dy = append(dx, float64(i)), append(dy, v*scale)
			lo, hi = math.Min(lo, v*scale), math.Max(hi, v*scale)
		}
		mx, my = append(mx, float64(i)), append(my, p.Median*scale)
	}
	ylabel := string(t.Metric)
	if unit != "" {
		ylabel += " (" + unit + ")"
	}
	xy := chart.XY{
		Title: cmpOr(title, t.Title()),
		X:     chart.Axis{Label: "run, by commit (oldest first)", Ticks: commitTicks(t), Min: -0.5, Max: float64(n) - 0.5},
		Y:     chart.Axis{Label: ylabel},
		Lines: []chart.Line{
			{Name: "repeats", X: dx, Y: dy, Colour: chart.Fade(chart.Sky, 0.8), Glyph: 0},
			{Name: "median of the run", X: mx, Y: my, Colour: chart.Blue, Glyph: -1, Connect: true},
		},
	}
	// The level of each stretch between change points.
	start := 0
	bounds := append([]int{}, indexes(tc.Changes)...)
	bounds = append(bounds, n)
	for _, end := range bounds {
		level := median(meds[start:end]) * scale
		xy.Lines = append(xy.Lines, chart.Line{Name: "level between change points", X: []float64{float64(start) - 0.4, float64(end) - 0.6},
			Y: []float64{level, level}, Colour: chart.Grey, Dash: chart.Dashed, Glyph: -1, Connect: true, Weight: 1.2})
		start = end
	}
	for _, f := range tc.Changes {
		x := float64(f.Index) - 0.5
		c := chart.Green
		name := "change point (better)"
		if f.Worse {
			c, name = chart.Vermilion, "change point (worse)"
		}
		xy.Lines = append(xy.Lines, chart.Line{Name: name, X: []float64{x, x}, Y: []float64{lo, hi}, Colour: c, Dash: chart.Dotted, Glyph: -1, Connect: true, Weight: 1.6})
		if f.From < f.To {
			// The 95% range of where the change happened, as a bar at the foot.
			y := lo - (hi-lo)*0.03
			xy.Lines = append(xy.Lines, chart.Line{Name: "95% range of the change", X: []float64{float64(f.From) - 0.5, float64(f.To) - 0.5}, Y: []float64{y, y},
				Colour: chart.Fade(c, 0.6), Glyph: -1, Connect: true, Weight: 4})
		}
		xy.Marks = append(xy.Marks, chart.Mark{X: x, Y: hi, Colour: c,
			Label: fmt.Sprintf("%s %s→%s", format.Change(f.Relative()), short(f.RunBefore(t).Commit), short(f.RunAfter(t).Commit))})
	}
	return chart.NewXY(name, xy)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// commonParams returns the name=value pairs every trend's cell has: the
// charts' titles leave them out.
func commonParams(tcs []history.TrendChanges) map[string]bool {
	count := map[string]int{}
	for _, tc := range tcs {
		for _, kv := range strings.Fields(tc.Trend.Cell) {
			count[kv]++
		}
	}
	common := map[string]bool{}
	for kv, n := range count {
		if n == len(tcs) && len(tcs) > 1 {
			common[kv] = true
		}
	}
	return common
}

// chartTitle names a trend's chart by its metric, the values of its cell
// that others do not share, and its branch: "cpu_per_job · workers=32 ·
// main".
func chartTitle(t *history.Trend, common map[string]bool) string {
	var own []string
	for _, kv := range strings.Fields(t.Cell) {
		if !common[kv] {
			own = append(own, kv)
		}
	}
	parts := []string{string(t.Metric)}
	if len(own) > 0 {
		parts = append(parts, strings.Join(own, " "))
	}
	return strings.Join(append(parts, t.Branch), " · ")
}

func indexes(fs []history.Found) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = f.Index
	}
	return out
}

// commitTicks labels at most 8 runs on the x axis with their commits'
// first 8 characters.
func commitTicks(t *history.Trend) []chart.Tick {
	n := len(t.Points)
	step := max(1, (n+7)/8)
	var ticks []chart.Tick
	for i := 0; i < n; i += step {
		c := t.Points[i].Run.Commit
		ticks = append(ticks, chart.Tick{Value: float64(i), Label: c[:min(8, len(c))]})
	}
	return ticks
}

func median(xs []float64) float64 { return stats.Median(xs) }

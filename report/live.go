package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// The live page: the report's page in the making. Its body is the
// report's own (Body), redrawn from the measurements so far; above it, the
// plan and the measurement under way (LivePlan, LiveCurrent). A small
// script swaps in each part as the server sends it, and at the end puts
// the finished report.html in the page's place.

//go:embed templates/live.html.tmpl
var liveTemplateText string

//go:embed live.css
var liveCSS string

//go:embed live.js
var liveJS string

var liveTemplate = template.Must(template.New("live").Funcs(template.FuncMap{
	"pct": func(done, of int) string {
		if of <= 0 {
			return "0"
		}
		return format.Number(math.Min(100, 100*float64(done)/float64(of)))
	},
}).Parse(liveTemplateText))

// liveScriptHash is the script's hash, for the page's
// Content-Security-Policy: the one script it runs.
var liveScriptHash = func() string {
	sum := sha256.Sum256([]byte(liveJS))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

// Content-Security-Policies of the pages, for a server to send as a
// header as well as the pages state them: the report's (styles and
// images inline, nothing else) and the live page's (its one script, and
// connections to its own server).
var (
	ReportPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
	LivePolicy   = ReportPolicy + "; connect-src 'self'; script-src '" + liveScriptHash + "'"
)

// Body renders the report of a as report.html has it and returns the parts
// a live page shows: the page's header and its body (what <main> holds).
func Body(a *analysis.Analysis) (header, main []byte, err error) {
	var buf bytes.Buffer
	if err := HTML(&buf, a); err != nil {
		return nil, nil, err
	}
	page := buf.Bytes()
	header, ok := between(page, `<header class="top">`, `</header>`)
	if !ok {
		return nil, nil, errors.New("html: the page has no header")
	}
	if main, ok = between(page, "<main>", "</main>"); !ok {
		return nil, nil, errors.New("html: the page has no main")
	}
	return header, main, nil
}

// between returns what page holds between the first open and the close
// after it.
func between(page []byte, open, close string) ([]byte, bool) {
	i := bytes.Index(page, []byte(open))
	if i < 0 {
		return nil, false
	}
	rest := page[i+len(open):]
	j := bytes.Index(rest, []byte(close))
	if j < 0 {
		return nil, false
	}
	return bytes.TrimSpace(rest[:j]), true
}

// LiveState is where a watched run is.
type LiveState string

// The states of a watched run.
const (
	// LiveWaiting: no run yet (a watched directory without a journal).
	LiveWaiting LiveState = "waiting"
	// LiveRunning: measuring.
	LiveRunning LiveState = "running"
	// LiveEnded: no more measurements; the report is being written.
	LiveEnded LiveState = "ended"
)

// Live is a run in progress as its live page shows it.
type Live struct {
	State LiveState
	// Run holds the run's header and its measurements so far; nil while
	// waiting.
	Run *results.Run
	// Done counts the measurements recorded, Planned those in the plan.
	Done, Planned int
	// Started is when the run started; Heard when a measurement was last
	// recorded (or the run started).
	Started, Heard time.Time
	// Left estimates the time the run still takes; negative when unknown.
	Left time.Duration
	// Current is the measurement under way, if known.
	Current *Measurement
	// Warnings are the harness's, as it printed them.
	Warnings []string
	// Source says where the run is followed from: "" for this process's
	// own run, or the journal a watch follows.
	Source string
}

// Measurement is a measurement under way.
type Measurement struct {
	Step, Cell, Repeat, Attempt, Replicas int
	// Started is when it started, Warmup and Window its load's (Window 0:
	// a batch) and Bucket the width of its buckets.
	Started                time.Time
	Warmup, Window, Bucket time.Duration
	// Buckets are the buckets of the window so far, merged over the
	// replicas: nil when none has arrived (or none are sent).
	Buckets []Bucket
}

// Bucket is one bucket of a measurement's window.
type Bucket struct {
	Width        time.Duration
	Jobs, Errors int64
	// P50 and P99 are the latencies of the bucket's jobs, in seconds; NaN
	// when it has none.
	P50, P99 float64
}

// planView is the template's view of the plan.
type planView struct {
	*Live
	Status string
	// Now names what is being measured.
	Now    string
	Blocks []planBlock
	// Quiet says a watched run has recorded nothing for long.
	Quiet string
	// Elapsed and LeftText are the clocks as rendered; From and Until the
	// times (Unix milliseconds) the page counts them from and down to.
	Elapsed, LeftText string
	From, Until       int64
}

type planBlock struct {
	Name  string
	Cells []planCell
}

type planCell struct {
	Label      string
	Done, Of   int
	Current    bool
	Throughput string
	Repeats    []bool // one per planned repeat: recorded or not
}

// LivePlan writes the plan's part of the live page: the cells by block,
// each with its measurements done and left, and the time left.
func LivePlan(w io.Writer, l *Live) error {
	v := planView{Live: l}
	switch {
	case l.State == LiveWaiting || l.Run == nil:
		v.Status = "Waiting for the run to start"
		if l.Source != "" {
			v.Status += ": no journal in " + l.Source + " yet"
		}
	case l.State == LiveEnded:
		v.Status = fmt.Sprintf("Measured: %d measurements; writing the report", l.Done)
	default:
		v.Status = fmt.Sprintf("%d of %d measurements done, %d left", l.Done, l.Planned, max(l.Planned-l.Done, 0))
	}
	if !l.Started.IsZero() {
		now := time.Now()
		v.Elapsed, v.From = clockText(now.Sub(l.Started)), l.Started.UnixMilli()
		if l.Left >= 0 {
			v.LeftText, v.Until = clockText(l.Left), now.Add(l.Left).UnixMilli()
		}
	}
	if l.Run != nil {
		v.Blocks = planBlocks(l)
		if c := l.Current; c != nil && c.Cell >= 0 && c.Cell < len(l.Run.Cells) && l.State == LiveRunning {
			v.Now = fmt.Sprintf("%s, repeat %d (measurement %d of %d", cellLabel(l.Run, c.Cell), c.Repeat+1, c.Step+1, max(l.Planned, c.Step+1))
			if c.Attempt > 0 {
				v.Now += fmt.Sprintf(", attempt %d", c.Attempt+1)
			}
			v.Now += ")"
		}
		if l.State == LiveRunning && l.Source != "" && !l.Heard.IsZero() {
			if d := time.Since(l.Heard); d > time.Minute {
				v.Quiet = "no measurement recorded for " + clockText(d) + ": the run may have stopped"
			}
		}
	}
	if err := liveTemplate.ExecuteTemplate(w, "plan", v); err != nil {
		return fmt.Errorf("live page: plan: %w", err)
	}
	return nil
}

// planBlocks groups the run's cells by block, each with its repeats.
func planBlocks(l *Live) []planBlock {
	run := l.Run
	planned := make([]int, len(run.Cells))
	for _, s := range run.Order {
		if s.Cell >= 0 && s.Cell < len(planned) {
			planned[s.Cell]++
		}
	}
	ps := make([]results.Params, len(run.Cells))
	for i, c := range run.Cells {
		ps[i] = c.Params
	}
	lab := newLabeller(ps)
	var out []planBlock
	for i, c := range run.Cells {
		name := c.Params.Block
		if len(out) == 0 || out[len(out)-1].Name != name {
			out = append(out, planBlock{Name: name})
		}
		b := &out[len(out)-1]
		label := lab.label(c.Params)
		if name != "" {
			label = strings.TrimSpace(strings.TrimPrefix(label, name))
		}
		pc := planCell{Label: dash(label), Done: len(c.Repeats), Of: max(planned[i], len(c.Repeats)),
			Current: l.Current != nil && l.Current.Cell == i && l.State == LiveRunning, Throughput: "—"}
		for j := range pc.Of {
			pc.Repeats = append(pc.Repeats, j < pc.Done)
		}
		if rate := medianRate(c.Repeats); rate > 0 {
			pc.Throughput = format.Rate(rate)
		}
		b.Cells = append(b.Cells, pc)
	}
	return out
}

// medianRate is the median throughput of the successful repeats, 0 when
// none succeeded.
func medianRate(reps []results.Repeat) float64 {
	var xs []float64
	for _, r := range reps {
		if r.Failure == "" && r.Throughput > 0 {
			xs = append(xs, r.Throughput)
		}
	}
	if len(xs) == 0 {
		return 0
	}
	return median(xs)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// cellLabel names cell i among the run's cells.
func cellLabel(run *results.Run, i int) string {
	ps := make([]results.Params, len(run.Cells))
	for j, c := range run.Cells {
		ps[j] = c.Params
	}
	return newLabeller(ps).label(run.Cells[i].Params)
}

// currentView is the template's view of the measurement under way.
type currentView struct {
	Title  string
	Phase  string
	Stats  []pair
	Chart  template.HTML
	Points int
	Note   string
}

// LiveCurrent writes the part of the live page that shows the measurement
// under way: its phase, its latest bucket and, drawn as the report draws
// its charts, throughput and p50/p99 per bucket of its window so far.
func LiveCurrent(w io.Writer, l *Live) error {
	var v currentView
	c := l.Current
	switch {
	case l.Run == nil || c == nil || c.Cell < 0 || c.Cell >= len(l.Run.Cells) || l.State != LiveRunning:
	default:
		v.Title = fmt.Sprintf("Now: %s, repeat %d", cellLabel(l.Run, c.Cell), c.Repeat+1)
		v.Phase, v.Stats = phase(l, c)
		if len(c.Buckets) > 0 {
			f, err := bucketChart(c)
			if err == nil {
				svg, err := f.SVG(chart.Page)
				if err == nil {
					v.Chart, v.Points = inlineSVG(svg, f.Title), f.Points()
				}
			}
		}
		if l.Source != "" && len(c.Buckets) == 0 {
			v.Note = "Followed from its journal: the buckets of a window are not recorded there, so this page shows each measurement once it is recorded."
		}
	}
	if err := liveTemplate.ExecuteTemplate(w, "current", v); err != nil {
		return fmt.Errorf("live page: current measurement: %w", err)
	}
	return nil
}

// phase says what the measurement is doing and its latest figures.
func phase(l *Live, c *Measurement) (string, []pair) {
	if len(c.Buckets) == 0 {
		if c.Warmup > 0 {
			return fmt.Sprintf("starting its worker processes, then %s of warm-up", format.Duration(c.Warmup.Seconds())), nil
		}
		return "starting its worker processes", nil
	}
	var elapsed time.Duration
	var jobs, errs int64
	for _, b := range c.Buckets {
		elapsed += b.Width
		jobs += b.Jobs
		errs += b.Errors
	}
	what := "measuring: " + format.Duration(elapsed.Seconds())
	if c.Window > 0 {
		what += " of " + format.Duration(c.Window.Seconds())
	}
	last := c.Buckets[len(c.Buckets)-1]
	stats := []pair{
		{"jobs so far", fmt.Sprint(jobs)},
		{"throughput, last bucket", format.Rate(float64(last.Jobs) / last.Width.Seconds())},
		{"p50, last bucket", durOrDash(last.P50)},
		{"p99, last bucket", durOrDash(last.P99)},
	}
	if errs > 0 {
		stats = append(stats, pair{"errors so far", fmt.Sprint(errs)})
	}
	return what, stats
}

func durOrDash(s float64) string {
	if !format.Finite(s) || s <= 0 {
		return "—"
	}
	return format.Duration(s)
}

// bucketChart draws the measurement's buckets so far: throughput, and p50
// and p99 latency, against the time in the window.
func bucketChart(c *Measurement) (*chart.Figure, error) {
	var xs, rate, p50, p99 []float64
	t := 0.0
	for _, b := range c.Buckets {
		w := b.Width.Seconds()
		if w <= 0 {
			continue
		}
		xs = append(xs, t+w/2)
		rate = append(rate, float64(b.Jobs)/w)
		p50 = append(p50, b.P50*1e3)
		p99 = append(p99, b.P99*1e3)
		t += w
	}
	end := c.Window.Seconds()
	if end < t {
		end = t
	}
	x := chart.Axis{Label: "time in window (s)", Min: 0, Max: end}
	g := chart.Grid{Title: "This measurement, bucket by bucket", Cols: 2, Panels: []chart.XY{
		{Title: "throughput", X: x, Y: chart.Axis{Label: "jobs/s", Zero: true},
			Lines: []chart.Line{{Name: "throughput", X: xs, Y: rate, Colour: chart.Blue, Glyph: 0, Connect: true}}},
		{Title: "latency", X: x, Y: chart.Axis{Label: "ms", Zero: true}, Lines: []chart.Line{
			{Name: "p50", X: xs, Y: p50, Colour: chart.Blue, Glyph: 0, Connect: true},
			{Name: "p99", X: xs, Y: p99, Colour: chart.Orange, Dash: chart.Dashed, Glyph: 1, Connect: true},
		}},
	}}
	return chart.NewGrid("live-buckets", g)
}

// LivePageData is what a live page is first served with: the parts the
// server last sent, and where its stream is.
type LivePageData struct {
	Title string
	// Header, Plan, Current and Report are the parts as last rendered
	// (Body, LivePlan, LiveCurrent); empty until they are.
	Header, Plan, Current, Report []byte
	// Since is the id of the stream's last event the parts include.
	Since string
	// Events is the path of the event stream, relative to the page.
	Events string
}

// LivePage writes the live page: the report's styles, the parts as last
// rendered, and the script that follows the event stream and swaps in
// each part it is sent. Its Content-Security-Policy lets it run that
// script alone and connect to its own server alone.
func LivePage(w io.Writer, d LivePageData) error {
	v := struct {
		LivePageData
		CSS                           template.CSS
		Script                        template.JS
		Policy                        string
		Header, Plan, Current, Report template.HTML
	}{
		LivePageData: d, CSS: template.CSS(styleCSS + liveCSS), Script: template.JS(liveJS), Policy: LivePolicy,
		// The parts are this package's own rendering.
		Header: template.HTML(d.Header), Plan: template.HTML(d.Plan), Current: template.HTML(d.Current), Report: template.HTML(d.Report),
	}
	if v.Title == "" {
		v.Title = "scalebench run"
	}
	if err := liveTemplate.ExecuteTemplate(w, "page", v); err != nil {
		return fmt.Errorf("live page: %w", err)
	}
	return nil
}

// clockText writes a duration as m:ss, or h:mm:ss from an hour.
func clockText(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

//go:embed templates/report.html.tmpl
var reportTemplate string

//go:embed style.css
var styleCSS string

var pageTemplate = template.Must(template.New("report").Parse(reportTemplate))

// HTML writes a self-contained HTML report of a: text, tables, inline SVG
// charts and the raw results, with no references outside the file.
func HTML(w io.Writer, a *analysis.Analysis) error {
	if a == nil || a.Run == nil {
		return fmt.Errorf("html: no run to report")
	}
	var svgs []renderedChart
	var problems []analysis.Warning
	for _, f := range buildCharts(a) {
		doc, err := f.svg()
		if err != nil {
			problems = append(problems, chartWarning(f, err))
			continue
		}
		svgs = append(svgs, renderedChart{figure: f, svg: doc})
	}
	var buf bytes.Buffer
	if err := renderHTML(&buf, a, svgs, problems, ""); err != nil {
		return err
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("html: write: %w", err)
	}
	return nil
}

// renderedChart is a figure with its SVG document.
type renderedChart struct {
	figure
	svg  []byte
	file string // path relative to the report, "" when not written
}

func chartWarning(f figure, err error) analysis.Warning {
	return analysis.Warning{Kind: "chart", Message: fmt.Sprintf("chart %q could not be drawn and is left out: %v", f.Name, err)}
}

// renderHTML executes the page template into w; on an error w may hold
// part of the page.
func renderHTML(w io.Writer, a *analysis.Analysis, charts []renderedChart, problems []analysis.Warning, gate template.HTML) error {
	pg, err := newPage(a, charts, problems)
	if err != nil {
		return err
	}
	pg.Gate = gate
	if err := pageTemplate.Execute(w, pg); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	return nil
}

// page is the template's view of a report.
type page struct {
	Title       string
	Description string
	Meta        []string
	Interrupted bool
	Progress    string
	Findings    []string
	// Lesson is the section of lesson cards, shown before the findings;
	// nil when the run has no comparison to tell.
	Lesson       *section
	Main         *ratioTable
	Env          []pair
	RunWarnings  []analysis.Warning
	CellWarnings []warnGroup
	Sections     []section
	Fits         []fitRow
	Classes      []classRow
	Cells        cellTable
	Source       string
	Version      string
	CSS          template.CSS
	JSON         template.JS
	Gate         template.HTML // the regression gate's section, if any
}

type pair struct{ Key, Value string }

// warnGroup is one kind of per-cell warning: each distinct message with
// the cells that have it.
type warnGroup struct {
	Kind  string
	Cells int // cells with a warning of this kind
	Items []warnItem
}

// warnItem is one message and the cells it applies to.
type warnItem struct {
	Message string
	// Count is "3 cells", "both cells" or "all 8 cells"; empty for a
	// single cell.
	Count string
	// Cells are the cells' labels; nil when Count names all cells.
	Cells []string
}

// cellText names the cells of an item in one string: "GOMAXPROCS=1
// workers=8", "2 cells: workers=1, workers=2" or "all 8 cells".
func (it warnItem) cellText() string {
	list := strings.Join(it.Cells, ", ")
	switch {
	case it.Count == "":
		return list
	case list == "":
		return it.Count
	}
	return it.Count + ": " + list
}

// section is a group of figures under one heading.
type section struct {
	ID, Title, Intro string
	Figures          []figureView
}

type figureView struct {
	Name, Title, Caption, File string
	Wide                       bool
	SVG                        template.HTML
	// Points is the number of measured values the chart plots.
	Points int
}

// ratioTable is the lesson's table of ratios for the main series.
type ratioTable struct {
	Caption      string
	StepHeader   string
	LatencyLabel string
	// ThroughputHeader and LatencyHeader head the ratio columns in the
	// lesson's words for the series: "scalability (throughput ratio)" for
	// added resources, "throughput ratio" along an offered rate.
	ThroughputHeader, LatencyHeader string
	Rows                            []ratioRow
}

type ratioRow struct {
	Step, Throughput, Latency, Scalability, Performance string
	Baseline                                            bool
}

type fitRow struct {
	Series, Model, Sigma, Kappa, Lambda, RSE, DF, R2, PeakN, PeakX, Limit, Flags string
	// PeakNote marks a peak beyond the measured range as the model's
	// extrapolation.
	PeakNote string
}

type classRow struct {
	Series, Concurrency, Latency, Performance, Scalability, Sentence string
}

type cellTable struct {
	// Dims are the dimension columns: every dimension, optional ones only
	// when some cell has a value.
	Dims     []dimColumn
	Makespan bool
	// Late and Lag show the open loop's late arrivals and harness lag,
	// when any cell has them.
	Late, Lag bool
	// Queue shows each job's time in queue (waiting for memory) and
	// service time, when any cell had a memory budget.
	Queue bool
	// Machine shows what other processes and the hypervisor took, when
	// any cell recorded it.
	Machine bool
	Rows    []cellRow
}

// dimColumn heads a dimension's column of the cell table.
type dimColumn struct {
	Head    string
	Numeric bool
}

// dimCell is a cell's value along a dimension, with the measured figure
// beside it (the offered rate under the nominal one).
type dimCell struct {
	Value, Detail string
}

type cellRow struct {
	Index                        int
	Baseline                     bool
	Dims                         []dimCell // one per cellTable.Dims
	Jobs, Errors                 string
	Throughput, ThroughputCI     string
	P50, P90, P99, P999, Max     string
	Makespan, MakespanCI         string
	Late, LateDetail, Lag        string
	CPUUtil, JobsPerCPU, PeakRSS string
	HarnessCPU, Offered          string
	Queue, Service               string
	OtherCPU, Steal              string
	Scalability, Performance     string
	Repeats                      int
}

func newPage(a *analysis.Analysis, charts []renderedChart, problems []analysis.Warning) (*page, error) {
	run := a.Run
	sc := run.Scenario
	pg := &page{
		Title:       sc.Name,
		Description: sc.Description,
		Interrupted: run.Interrupted,
		Findings:    a.Findings,
		Source:      sc.Source,
		Version:     run.Environment.ScalebenchVersion,
		CSS:         template.CSS(styleCSS),
	}
	if pg.Title == "" {
		pg.Title = "scalebench run"
	}
	switch m := sc.Model; m {
	case "":
	case load.Batch:
		pg.Meta = append(pg.Meta, "batch (makespan)")
	default:
		pg.Meta = append(pg.Meta, string(m)+" loop")
	}
	if w := sc.WorkloadOf(); w.Name != results.DefaultWorkload {
		pg.Meta = append(pg.Meta, "workload "+w.Name)
	}
	if l := summaryOf(&sc); l != "" {
		pg.Meta = append(pg.Meta, l)
	}
	pg.Meta = append(pg.Meta, fmt.Sprintf("%d cells", len(run.Cells)))
	if sc.File != "" {
		pg.Meta = append(pg.Meta, sc.File)
	}
	if run.Interrupted {
		done := 0
		for _, c := range run.Cells {
			done += len(c.Repeats)
		}
		pg.Progress = fmt.Sprintf("%d measurements of %d cells were recorded before the run stopped", done, len(run.Cells))
		if len(run.Order) > done {
			pg.Progress = fmt.Sprintf("%d of %d planned measurements were recorded before the run stopped", done, len(run.Order))
		}
	}
	pg.Main = mainRatios(a)
	pg.Env = environment(run)
	pg.RunWarnings, pg.CellWarnings = warnings(a, problems)
	for _, s := range sections(a, charts) {
		if s.ID == secLesson {
			pg.Lesson = &s
			continue
		}
		pg.Sections = append(pg.Sections, s)
	}
	pg.Fits = fitRows(a)
	pg.Classes = classRows(a)
	pg.Cells = cellRows(a)
	// json.Marshal escapes <, > and & as \u003c etc., so "</script>" cannot
	// occur inside the data block.
	js, err := json.Marshal(run)
	if err != nil {
		// Only a run built in memory can hold what JSON cannot (±Inf, NaN);
		// the report is still worth having.
		js = []byte("null")
		pg.RunWarnings = append(pg.RunWarnings, analysis.Warning{Kind: "record",
			Message: fmt.Sprintf("the results could not be embedded in this page: %v", err)})
	}
	pg.JSON = template.JS(js)
	return pg, nil
}

// mainSeries picks the series the headline ratio table follows: the
// workers series through the baseline, else the longest series through the
// baseline, else the longest series; -1 when there are none.
func mainSeries(a *analysis.Analysis) int {
	best, bestLen := -1, 0
	through := func(s analysis.Series) bool {
		for _, p := range s.Points {
			if p.Cell == a.Baseline {
				return true
			}
		}
		return false
	}
	for i, s := range a.Series {
		if a.Baseline >= 0 && through(s) && s.Dim == param.Workers.Name {
			return i
		}
	}
	for pass := 0; pass < 2 && best < 0; pass++ {
		for i, s := range a.Series {
			if pass == 0 && (a.Baseline < 0 || !through(s)) {
				continue
			}
			if len(s.Points) > bestLen {
				best, bestLen = i, len(s.Points)
			}
		}
	}
	return best
}

// summaryOf says what the run's workload options change: the summary the
// workload gave of them, one, or one per block ("io-bound image server
// latency 50 ms, cpu-bound image server latency none"); for a file from
// before workloads had names, the mock server's injected latency. "" when
// there is nothing to say.
func summaryOf(sc *results.Scenario) string {
	if sc.Workload == nil {
		if l := imageLatency(sc); l != "" {
			return "image server latency " + l
		}
		return ""
	}
	if len(sc.Blocks) == 0 {
		return sc.Workload.Summary
	}
	var parts []string
	differ := false
	for _, b := range sc.Blocks {
		if b.Summary != "" {
			parts = append(parts, b.Name+" "+b.Summary)
		}
		differ = differ || b.Summary != sc.Blocks[0].Summary
	}
	if !differ {
		return sc.Blocks[0].Summary
	}
	return strings.Join(parts, ", ")
}

// imageLatency names the mock server's injected latency, as files from
// before workloads had names record it: one figure, or one per block
// ("io-bound 50 ms, cpu-bound 0 s") when the scenario has blocks; "" when
// no cell had any.
func imageLatency(sc *results.Scenario) string {
	if len(sc.Blocks) == 0 {
		if sc.ImageLatency > 0 && format.Finite(sc.ImageLatency) {
			return format.Duration(sc.ImageLatency)
		}
		return ""
	}
	var parts []string
	any := false
	for _, b := range sc.Blocks {
		l := "none"
		if b.ImageLatency > 0 {
			l, any = format.Duration(b.ImageLatency), true
		}
		parts = append(parts, b.Name+" "+l)
	}
	if !any {
		return ""
	}
	return strings.Join(parts, ", ")
}

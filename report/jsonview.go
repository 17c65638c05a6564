package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
)

// JSONSchemaVersion is the version of the derived view JSON writes. It
// changes when a field changes meaning or goes; new fields may appear
// within a version.
const JSONSchemaVersion = 1

// JSON writes the derived view of run as one JSON document: every
// finding, lesson and ratio the report shows, with its operands, its
// interval and its decomposition, so that tools read the figures the page
// prints instead of scraping it. Figures that cannot be formed are null.
func JSON(w io.Writer, run *results.Run) error {
	if run == nil {
		return fmt.Errorf("json view: no run to report")
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(newJSONView(compare.Analyze(run))); err != nil {
		return fmt.Errorf("json view: %w", err)
	}
	return nil
}

// jnum is a float that a non-finite value writes as null.
type jnum float64

func (v jnum) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

type jsonView struct {
	SchemaVersion int          `json:"schema_version"`
	Scenario      string       `json:"scenario"`
	Model         string       `json:"model"`
	Started       time.Time    `json:"started"`
	Finished      time.Time    `json:"finished"`
	CPUs          jnum         `json:"cpus"`
	Baseline      int          `json:"baseline"` // cell index, -1 when not measured
	Findings      []string     `json:"findings"`
	Lessons       []jLesson    `json:"lessons"`
	Ratios        []jCellRatio `json:"ratios"`
	Series        []jSeries    `json:"series"`
	Classes       []jClass     `json:"classes"`
	Cells         []jCell      `json:"cells"`
	Warnings      []jWarning   `json:"warnings"`
}

type jInterval struct {
	Lo         jnum `json:"lo"`
	Hi         jnum `json:"hi"`
	Confidence jnum `json:"confidence"`
}

type jRatio struct {
	Text          string          `json:"text"`
	Value         jnum            `json:"value"`
	Num           jnum            `json:"num"`
	Den           jnum            `json:"den"`
	Interval      *jInterval      `json:"interval"`
	Decomposition *jDecomposition `json:"decomposition"`
}

type jFactor struct {
	Name  string `json:"name"`
	Value jnum   `json:"value"`
	From  jnum   `json:"from"`
	To    jnum   `json:"to"`
	Unit  string `json:"unit"`
}

type jMachine struct {
	Other   jnum `json:"other"`
	Harness jnum `json:"harness"`
	Steal   jnum `json:"steal"`
	CPUs    int  `json:"cpus"`
}

type jDecomposition struct {
	Ratio       jnum      `json:"ratio"`
	Product     jnum      `json:"product"`
	Agrees      bool      `json:"agrees"`
	Factors     []jFactor `json:"factors"`
	Ideal       jnum      `json:"ideal,omitempty"`
	MachineFrom *jMachine `json:"machine_from"`
	MachineTo   *jMachine `json:"machine_to"`
	Unavailable string    `json:"unavailable,omitempty"`
	Formula     string    `json:"formula"`
	Reasons     []string  `json:"reasons"`
	Sentence    string    `json:"sentence"`
}

type jEnd struct {
	Cell  int    `json:"cell"`
	Label string `json:"label"`
	Value jnum   `json:"value"`
}

type jLesson struct {
	Kind     string `json:"kind"`
	Dim      string `json:"dim,omitempty"`
	Title    string `json:"title"`
	Measure  string `json:"measure"`
	Unit     string `json:"unit"`
	From     jEnd   `json:"from"`
	To       jEnd   `json:"to"`
	Ratio    jRatio `json:"ratio"`
	Quotient string `json:"quotient"`
	Verdict  string `json:"verdict"`
	Sentence string `json:"sentence"`
}

type jCellRatio struct {
	Cell       int    `json:"cell"`
	Base       int    `json:"base"`
	Throughput jRatio `json:"throughput"`
	Latency    jRatio `json:"latency"`
}

type jPoint struct {
	N          jnum       `json:"n"`
	Label      string     `json:"label"`
	Cell       int        `json:"cell"`
	Throughput jnum       `json:"throughput"`
	Interval   *jInterval `json:"interval"`
	Speedup    jRatio     `json:"speedup"`
	Efficiency jnum       `json:"efficiency"`
	P50        jnum       `json:"p50"`
}

type jSeries struct {
	Dim    string   `json:"dim"`
	Label  string   `json:"label"`
	Points []jPoint `json:"points"`
	USL    *jFit    `json:"usl"`
	Amdahl *jFit    `json:"amdahl"`
}

type jFit struct {
	Sigma  jnum     `json:"sigma"`
	Kappa  jnum     `json:"kappa"`
	Lambda jnum     `json:"lambda"`
	PeakN  jnum     `json:"peak_n"`
	PeakX  jnum     `json:"peak_x"`
	R2     jnum     `json:"r2"`
	Flags  []string `json:"flags"`
}

type jClass struct {
	Series      int    `json:"series"`
	Concurrency string `json:"concurrency"`
	Latency     string `json:"latency"`
	Performance string `json:"performance"`
	Scalability string `json:"scalability"`
	Sentence    string `json:"sentence"`
}

type jLatency struct {
	Mean jnum `json:"mean"`
	P50  jnum `json:"p50"`
	P90  jnum `json:"p90"`
	P99  jnum `json:"p99"`
	P999 jnum `json:"p999"`
	Max  jnum `json:"max"`
}

type jCell struct {
	Index            int                `json:"index"`
	Params           results.Params     `json:"params"`
	Label            string             `json:"label"`
	Measured         bool               `json:"measured"`
	Repeats          int                `json:"repeats"`
	Jobs             int64              `json:"jobs"`
	Errors           int64              `json:"errors"`
	Throughput       jnum               `json:"throughput"`
	Interval         *jInterval         `json:"interval"`
	Latency          jLatency           `json:"latency"`
	Makespan         jnum               `json:"makespan,omitempty"`
	Stages           map[string]jnum    `json:"stages"`
	Queue            jnum               `json:"queue"`
	Service          jnum               `json:"service"`
	CPU              jnum               `json:"cpu"`
	JobsPerCPUSecond jnum               `json:"jobs_per_cpu_second"`
	Machine          *jMachine          `json:"machine"`
	Warnings         []analysis.Warning `json:"warnings"`
}

type jWarning struct {
	Cell    int    `json:"cell"` // -1 for the run
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func newJSONView(a *analysis.Analysis) jsonView {
	run := a.Run
	v := jsonView{
		SchemaVersion: JSONSchemaVersion,
		Scenario:      run.Scenario.Name,
		Model:         string(run.Scenario.Model),
		Started:       run.Environment.Started,
		Finished:      run.Finished,
		CPUs:          jnum(run.Environment.CPUs()),
		Baseline:      a.Baseline,
		Findings:      append([]string{}, a.Findings...),
		Lessons:       []jLesson{},
		Ratios:        []jCellRatio{},
		Series:        []jSeries{},
		Classes:       []jClass{},
		Cells:         []jCell{},
		Warnings:      []jWarning{},
	}
	for _, l := range a.Lessons {
		unit := "jobs/s"
		if l.Seconds {
			unit = "s"
		}
		v.Lessons = append(v.Lessons, jLesson{
			Kind: string(l.Kind), Dim: l.Dim, Title: l.Title, Measure: l.Measure, Unit: unit,
			From:  jEnd{Cell: l.From, Label: l.FromLabel, Value: jnum(l.FromValue)},
			To:    jEnd{Cell: l.To, Label: l.ToLabel, Value: jnum(l.ToValue)},
			Ratio: jsonRatio(l.Ratio), Quotient: l.Quotient, Verdict: l.Verdict, Sentence: l.Sentence,
		})
	}
	for _, r := range a.Ratios {
		v.Ratios = append(v.Ratios, jCellRatio{Cell: r.Cell, Base: r.Base, Throughput: jsonRatio(r.Throughput), Latency: jsonRatio(r.Latency)})
	}
	for _, s := range a.Series {
		js := jSeries{Dim: s.Dim, Label: s.Label, USL: jsonFit(s.USL), Amdahl: jsonFit(s.Amdahl)}
		for _, p := range s.Points {
			js.Points = append(js.Points, jPoint{
				N: jnum(p.N), Label: p.Label, Cell: p.Cell, Throughput: jnum(p.Throughput),
				Interval: jsonInterval(p.ThroughputCI), Speedup: jsonRatio(p.Speedup),
				Efficiency: jnum(p.Efficiency), P50: jnum(p.Latency.P50),
			})
		}
		v.Series = append(v.Series, js)
	}
	for _, c := range a.Classes {
		v.Classes = append(v.Classes, jClass{Series: c.Series, Concurrency: c.Concurrency, Latency: c.Latency,
			Performance: c.Performance, Scalability: c.Scalability, Sentence: c.Sentence})
	}
	ps := make([]results.Params, len(a.Cells))
	for i, c := range a.Cells {
		ps[i] = c.Params
	}
	labels := newLabeller(ps)
	for i, c := range a.Cells {
		l := c.Latency
		jc := jCell{
			Index: i, Params: c.Params, Label: labels.label(c.Params), Measured: c.Measured(),
			Repeats: len(c.Repeats), Jobs: c.Jobs, Errors: c.Errors,
			Throughput: jnum(c.Throughput), Interval: jsonInterval(c.ThroughputCI),
			Latency:  jLatency{Mean: jnum(l.Mean), P50: jnum(l.P50), P90: jnum(l.P90), P99: jnum(l.P99), P999: jnum(l.P999), Max: jnum(l.Max)},
			Makespan: jnum(c.Makespan),
			Stages: map[string]jnum{"fetch": jnum(c.Stages.Fetch), "decode": jnum(c.Stages.Decode), "resize": jnum(c.Stages.Resize),
				"encode": jnum(c.Stages.Encode), "write": jnum(c.Stages.Write)},
			Queue: jnum(c.Stages.Queue), Service: jnum(c.ServiceTime()),
			CPU: jnum(c.CPU), JobsPerCPUSecond: jnum(c.Resources.JobsPerCPUSecond),
			Machine: jsonMachine(c.Machine), Warnings: append([]analysis.Warning{}, c.Warnings...),
		}
		if !c.Measured() {
			jc.Throughput, jc.CPU, jc.JobsPerCPUSecond = jnum(math.NaN()), jnum(math.NaN()), jnum(math.NaN())
		}
		v.Cells = append(v.Cells, jc)
		for _, w := range c.Warnings {
			v.Warnings = append(v.Warnings, jWarning{Cell: i, Kind: w.Kind, Message: w.Message})
		}
	}
	for _, w := range a.Warnings {
		v.Warnings = append(v.Warnings, jWarning{Cell: -1, Kind: w.Kind, Message: w.Message})
	}
	return v
}

func jsonInterval(iv analysis.Interval) *jInterval {
	if iv.Confidence <= 0 {
		return nil
	}
	return &jInterval{Lo: jnum(iv.Lo), Hi: jnum(iv.Hi), Confidence: jnum(iv.Confidence)}
}

func jsonRatio(r analysis.Ratio) jRatio {
	out := jRatio{Text: r.Text, Value: jnum(r.Value), Num: jnum(r.Num), Den: jnum(r.Den)}
	if r.Value == 0 {
		out.Value = jnum(math.NaN())
	}
	if r.Conf > 0 {
		out.Interval = &jInterval{Lo: jnum(r.Lo), Hi: jnum(r.Hi), Confidence: jnum(r.Conf)}
	}
	if d := r.Decomposition; d != nil {
		jd := &jDecomposition{
			Ratio: jnum(d.Ratio), Product: jnum(d.Product), Agrees: d.Agrees(), Ideal: jnum(d.Ideal),
			MachineFrom: jsonMachine(d.From), MachineTo: jsonMachine(d.To), Unavailable: d.Unavailable,
			Formula: d.Formula, Reasons: append([]string{}, d.Reasons...), Sentence: d.Sentence,
		}
		for _, f := range d.Factors {
			jd.Factors = append(jd.Factors, jFactor{Name: f.Name, Value: jnum(f.Value), From: jnum(f.From), To: jnum(f.To), Unit: f.Unit})
		}
		out.Decomposition = jd
	}
	return out
}

func jsonMachine(m *analysis.MachineShare) *jMachine {
	if m == nil {
		return nil
	}
	return &jMachine{Other: jnum(m.Other), Harness: jnum(m.Harness), Steal: jnum(m.Steal), CPUs: m.CPUs}
}

func jsonFit(f *analysis.Fit) *jFit {
	if f == nil {
		return nil
	}
	return &jFit{Sigma: jnum(f.Sigma), Kappa: jnum(f.Kappa), Lambda: jnum(f.Lambda), PeakN: jnum(f.PeakN), PeakX: jnum(f.PeakX),
		R2: jnum(f.R2), Flags: append([]string{}, f.Flags...)}
}

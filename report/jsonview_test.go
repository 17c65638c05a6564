package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
)

// decodedView is the part of the JSON view the tests read back.
type decodedView struct {
	SchemaVersion int      `json:"schema_version"`
	Findings      []string `json:"findings"`
	Lessons       []struct {
		Quotient string       `json:"quotient"`
		Sentence string       `json:"sentence"`
		Ratio    decodedRatio `json:"ratio"`
	} `json:"lessons"`
	Ratios []struct {
		Cell       int          `json:"cell"`
		Base       int          `json:"base"`
		Throughput decodedRatio `json:"throughput"`
	} `json:"ratios"`
	Series []struct {
		Points []struct {
			Speedup decodedRatio `json:"speedup"`
		} `json:"points"`
	} `json:"series"`
	Cells []json.RawMessage `json:"cells"`
}

type decodedRatio struct {
	Text     string   `json:"text"`
	Value    *float64 `json:"value"`
	Num      *float64 `json:"num"`
	Den      *float64 `json:"den"`
	Interval *struct {
		Lo, Hi, Confidence float64
	} `json:"interval"`
	Decomposition *struct {
		Ratio   float64 `json:"ratio"`
		Product float64 `json:"product"`
		Agrees  bool    `json:"agrees"`
		Factors []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		} `json:"factors"`
		Sentence string `json:"sentence"`
	} `json:"decomposition"`
}

// TestJSONView reads the derived view of each fixture back: what the page
// says (findings, lessons, ratios with their operands and intervals) is
// there, and each decomposition's factors multiply to its ratio.
func TestJSONView(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		gen     func() *results.Run
	}{
		{quickstartFile, quickstartRun},
		{batchFile, batchRun},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			run := loadFixture(t, tc.fixture, tc.gen)
			var buf bytes.Buffer
			if err := JSON(&buf, run); err != nil {
				t.Fatal(err)
			}
			var v decodedView
			if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, buf.String())
			}
			a := compare.Analyze(run)
			if v.SchemaVersion != JSONSchemaVersion || len(v.Findings) != len(a.Findings) || len(v.Cells) != len(a.Cells) {
				t.Fatalf("schema %d, %d findings, %d cells; want %d, %d, %d", v.SchemaVersion, len(v.Findings), len(v.Cells),
					JSONSchemaVersion, len(a.Findings), len(a.Cells))
			}
			for i, f := range a.Findings {
				if v.Findings[i] != f {
					t.Errorf("finding %d: %q, want %q", i, v.Findings[i], f)
				}
			}
			var ratios []decodedRatio
			for i, l := range v.Lessons {
				if l.Quotient != a.Lessons[i].Quotient || l.Ratio.Text != a.Lessons[i].Ratio.Text {
					t.Errorf("lesson %d: %q / %q", i, l.Quotient, l.Ratio.Text)
				}
				ratios = append(ratios, l.Ratio)
			}
			for _, r := range v.Ratios {
				ratios = append(ratios, r.Throughput)
			}
			for _, s := range v.Series {
				for _, p := range s.Points {
					ratios = append(ratios, p.Speedup)
				}
			}
			decomposed := 0
			for _, r := range ratios {
				if r.Value == nil || r.Num == nil || r.Den == nil {
					continue
				}
				if math.Abs(*r.Num / *r.Den - *r.Value) > 1e-9 {
					t.Errorf("%q: num/den %v/%v is not its value %v", r.Text, *r.Num, *r.Den, *r.Value)
				}
				if r.Interval != nil && !(r.Interval.Lo <= *r.Value && *r.Value <= r.Interval.Hi) {
					t.Errorf("%q: value outside its interval %+v", r.Text, *r.Interval)
				}
				d := r.Decomposition
				if d == nil {
					continue
				}
				decomposed++
				p := 1.0
				for _, f := range d.Factors {
					p *= f.Value
				}
				if len(d.Factors) != 2 || d.Factors[0].Name != analysis.FactorCPU || d.Factors[1].Name != analysis.FactorJobsCPU {
					t.Errorf("%q: factors %+v", r.Text, d.Factors)
				}
				if math.Abs(p-d.Product) > 1e-9 || d.Ratio != *r.Value {
					t.Errorf("%q: factors multiply to %v, product %v, ratio %v (value %v)", r.Text, p, d.Product, d.Ratio, *r.Value)
				}
				if agrees := math.Abs(p / *r.Value - 1) <= analysis.DecompositionTolerance; agrees != d.Agrees || !agrees {
					t.Errorf("%q: product %.4f against ratio %.4f (agrees %v)", r.Text, p, *r.Value, d.Agrees)
				}
				if !strings.Contains(d.Sentence, " CPU used × ") {
					t.Errorf("%q: sentence %q", r.Text, d.Sentence)
				}
			}
			if decomposed == 0 {
				t.Error("no decomposition in the view")
			}
		})
	}
}

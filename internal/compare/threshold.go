package compare

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Threshold is an absolute limit on a metric, as k6 users write them in a
// scenario:
//
//	thresholds:
//	  - {metric: p99, max: 200ms}
//	  - {metric: throughput, min: 50/s, where: {workers: 64}}
//	  - {metric: efficiency, min: 0.8}
//
// Min and Max keep the text as written; their form depends on the metric:
// a duration (200ms, 1.5s) for latencies, makespan and CPU per job; a rate
// (50/s, 3000/min, or a plain number of jobs per second) for throughput; a
// size (512MiB, 1GB, or plain bytes) for RSS; a number or a percentage
// (0.8, 80%) otherwise. Where selects the cells by dimension values; an
// empty Where selects every cell.
type Threshold struct {
	Metric string            `json:"metric" yaml:"metric"`
	Min    string            `json:"min,omitempty" yaml:"min,omitempty"`
	Max    string            `json:"max,omitempty" yaml:"max,omitempty"`
	Where  map[string]string `json:"where,omitempty" yaml:"where,omitempty"`
	// Pos locates the threshold in its file for error messages, e.g.
	// "scenario.yaml:12"; when empty, messages say "thresholds[i]".
	Pos string `json:"-" yaml:"-"`
}

// Thresholds is the thresholds block of a scenario.
type Thresholds []Threshold

// CellSummary is one cell's value of each metric (the median over its
// repeats), on which thresholds are evaluated.
type CellSummary struct {
	Key    Key
	Values map[Metric]float64
}

// ThresholdResult is one threshold checked on one cell.
type ThresholdResult struct {
	// Index is the threshold's position in Thresholds.
	Index     int
	Threshold Threshold
	Key       Key
	Metric    Metric
	// Bound is "min" or "max"; Limit its value in base units.
	Bound    string
	Limit    float64
	Observed float64
	Pass     bool
}

func (t Threshold) where(i int) string {
	if t.Pos != "" {
		return t.Pos
	}
	return fmt.Sprintf("thresholds[%d]", i)
}

// parsed holds a validated threshold.
type parsed struct {
	metric   Metric
	min, max float64 // NaN when absent
}

// parse checks one threshold's metric and limits.
func (t Threshold) parse(i int) (parsed, error) {
	at := t.where(i)
	m, err := ParseMetric(t.Metric)
	if err != nil {
		return parsed{}, fmt.Errorf("%s: metric: %w", at, err)
	}
	mi, _ := m.Info()
	p := parsed{metric: m, min: math.NaN(), max: math.NaN()}
	if strings.TrimSpace(t.Min) == "" && strings.TrimSpace(t.Max) == "" {
		return parsed{}, fmt.Errorf("%s: %s: give min, max or both", at, m)
	}
	for _, b := range []struct {
		name string
		text string
		dst  *float64
	}{{"min", t.Min, &p.min}, {"max", t.Max, &p.max}} {
		if strings.TrimSpace(b.text) == "" {
			continue
		}
		v, err := parseLimit(strings.TrimSpace(b.text), mi)
		if err != nil {
			return parsed{}, fmt.Errorf("%s: %s %s: %w", at, m, b.name, err)
		}
		*b.dst = v
	}
	if p.min > p.max {
		return parsed{}, fmt.Errorf("%s: %s: min %s is above max %s", at, m, t.Min, t.Max)
	}
	return p, nil
}

// parseLimit parses a limit written for metric mi into base units.
func parseLimit(s string, mi MetricInfo) (float64, error) {
	bad := func(example string) error {
		return fmt.Errorf("%q is not %s", s, example)
	}
	var v float64
	switch mi.Unit {
	case "s":
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, bad("a duration such as 200ms or 1.5s")
		}
		v = d.Seconds()
	case "jobs/s":
		num, per, found := strings.Cut(s, "/")
		scale := 1.0
		if found {
			switch per {
			case "s":
			case "min", "m":
				scale = 1.0 / 60
			case "h":
				scale = 1.0 / 3600
			default:
				return 0, bad("a rate such as 50/s or 3000/min")
			}
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, bad("a rate such as 50/s or 3000/min")
		}
		v = f * scale
	case "B":
		num, scale := s, 1.0
		for _, u := range []struct {
			suffix string
			scale  float64
		}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
			if n, ok := strings.CutSuffix(s, u.suffix); ok {
				num, scale = strings.TrimSpace(n), u.scale
				break
			}
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, bad("a size such as 512MiB or 1GB")
		}
		v = f * scale
	default:
		num, pct := strings.CutSuffix(s, "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil {
			return 0, bad("a number such as 0.8 or a percentage such as 80%")
		}
		if pct {
			f /= 100
		}
		v = f
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("%q must be a finite, non-negative limit", s)
	}
	return v, nil
}

// Validate checks every threshold: a known metric, limits that parse for
// that metric, and a selector naming known dimensions and values that some
// cell has. knownDims maps each dimension of the scenario to the values its
// cells take. It returns all problems at once, each naming its threshold.
func (ts Thresholds) Validate(knownDims map[string][]string) error {
	dims := slices.Sorted(maps.Keys(knownDims))
	var errs []error
	for i, t := range ts {
		if _, err := t.parse(i); err != nil {
			errs = append(errs, err)
		}
		for _, k := range slices.Sorted(maps.Keys(t.Where)) {
			vals, ok := knownDims[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: where: unknown dimension %q (valid: %s)", t.where(i), k, strings.Join(dims, ", ")))
				continue
			}
			if !slices.Contains(vals, t.Where[k]) {
				errs = append(errs, fmt.Errorf("%s: where: no cell has %s=%s (%s takes %s)", t.where(i), k, t.Where[k], k, strings.Join(vals, ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return &UnusableError{errors.Join(errs...)}
	}
	return nil
}

// matches tells whether key has every dimension value sel asks for.
func matches(key Key, sel map[string]string) bool {
	for k, v := range sel {
		found := false
		for _, p := range key.Params {
			if p.Key == k && p.Value == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Evaluate checks every threshold on every cell it selects and returns one
// result per threshold, cell and bound, in threshold order. A threshold
// that is invalid, selects no cell, or whose metric none of its cells
// measured is an error (the gate's ExitUnusable), so a misnamed threshold
// never passes silently.
func (ts Thresholds) Evaluate(cells []CellSummary) ([]ThresholdResult, error) {
	var out []ThresholdResult
	var errs []error
	for i, t := range ts {
		p, err := t.parse(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		selected, measured := 0, 0
		for _, c := range cells {
			if !matches(c.Key, t.Where) {
				continue
			}
			selected++
			v, ok := c.Values[p.metric]
			if !ok || math.IsNaN(v) {
				continue
			}
			measured++
			if !math.IsNaN(p.min) {
				out = append(out, ThresholdResult{Index: i, Threshold: t, Key: c.Key, Metric: p.metric, Bound: "min", Limit: p.min, Observed: v, Pass: v >= p.min})
			}
			if !math.IsNaN(p.max) {
				out = append(out, ThresholdResult{Index: i, Threshold: t, Key: c.Key, Metric: p.metric, Bound: "max", Limit: p.max, Observed: v, Pass: v <= p.max})
			}
		}
		switch {
		case selected == 0:
			errs = append(errs, fmt.Errorf("%s: where %s selects no measured cell", t.where(i), fmtWhere(t.Where)))
		case measured == 0:
			errs = append(errs, fmt.Errorf("%s: none of the %d selected cells has a value for %s", t.where(i), selected, p.metric))
		}
	}
	if len(errs) > 0 {
		return out, &UnusableError{errors.Join(errs...)}
	}
	return out, nil
}

func fmtWhere(sel map[string]string) string {
	if len(sel) == 0 {
		return "{}"
	}
	keys := slices.Sorted(maps.Keys(sel))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + sel[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// ThresholdsOutcome returns ExitWorse when any limit failed, else ExitOK.
func ThresholdsOutcome(results []ThresholdResult) ExitCode {
	for _, r := range results {
		if !r.Pass {
			return ExitWorse
		}
	}
	return ExitOK
}

func (r ThresholdResult) failure() string {
	op := ">="
	if r.Bound == "max" {
		op = "<="
	}
	return fmt.Sprintf("%s %s in %s: %s, want %s %s", r.Metric, r.Bound, r.Key.label(), fmtValue(r.Metric, r.Observed), op, fmtValue(r.Metric, r.Limit))
}

// WriteThresholdsMarkdown writes a Markdown list of the failed limits
// with their observed values, or a line saying all passed.
func WriteThresholdsMarkdown(w io.Writer, results []ThresholdResult) error {
	var b strings.Builder
	b.WriteString("### Thresholds\n\n")
	failed := 0
	for _, r := range results {
		if !r.Pass {
			failed++
			fmt.Fprintf(&b, "- 🔴 **failed**: %s\n", mdEscape(r.failure()))
		}
	}
	if failed == 0 {
		fmt.Fprintf(&b, "✅ all %d limits passed\n", len(results))
	} else {
		fmt.Fprintf(&b, "\n**%d of %d limits failed**\n", failed, len(results))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteThresholdAnnotations writes a GitHub Actions ::error line per
// failed limit.
func WriteThresholdAnnotations(w io.Writer, results []ThresholdResult) error {
	var b strings.Builder
	for _, r := range results {
		if !r.Pass {
			fmt.Fprintf(&b, "::error title=%s::%s\n", escapeProperty("scalebench: threshold failed"), escapeData(r.failure()))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteThresholds writes one line per failed limit with the observed
// value, then a count of the limits checked; passing limits are counted,
// not listed.
func WriteThresholds(w io.Writer, results []ThresholdResult) error {
	var b strings.Builder
	failed := 0
	sorted := slices.Clone(results)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Index < sorted[j].Index })
	for _, r := range sorted {
		if r.Pass {
			continue
		}
		failed++
		fmt.Fprintf(&b, "threshold failed: %s\n", r.failure())
	}
	fmt.Fprintf(&b, "thresholds: %d of %d limits failed\n", failed, len(results))
	_, err := io.WriteString(w, b.String())
	return err
}

package compare

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/metric"
)

// CellSummary is one cell's value of each metric (the median over its
// repeats), on which thresholds are evaluated.
type CellSummary struct {
	Key    Key
	Values map[metric.Metric]float64
}

// ThresholdResult is one threshold checked on one cell.
type ThresholdResult struct {
	// Index is the threshold's position in Thresholds.
	Index     int
	Threshold metric.Threshold
	Key       Key
	Metric    metric.Metric
	// Bound is "min" or "max"; Limit its value in base units.
	Bound    string
	Limit    float64
	Observed float64
	Pass     bool
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

// Evaluate checks every threshold of ts on every cell it selects and returns one
// result per threshold, cell and bound, in threshold order. A threshold
// that is invalid, selects no cell, or whose metric none of its cells
// measured is an error (the gate's ExitUnusable), so a misnamed threshold
// never passes silently.
func Evaluate(ts metric.Thresholds, cells []CellSummary) ([]ThresholdResult, error) {
	var out []ThresholdResult
	var errs []error
	for i, t := range ts {
		p, err := t.Parse(i)
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
			v, ok := c.Values[p.Metric]
			if !ok || math.IsNaN(v) {
				continue
			}
			measured++
			if !math.IsNaN(p.Min) {
				out = append(out, ThresholdResult{Index: i, Threshold: t, Key: c.Key, Metric: p.Metric, Bound: "min", Limit: p.Min, Observed: v, Pass: v >= p.Min})
			}
			if !math.IsNaN(p.Max) {
				out = append(out, ThresholdResult{Index: i, Threshold: t, Key: c.Key, Metric: p.Metric, Bound: "max", Limit: p.Max, Observed: v, Pass: v <= p.Max})
			}
		}
		switch {
		case selected == 0:
			errs = append(errs, fmt.Errorf("%s: where %s selects no measured cell", t.At(i), fmtWhere(t.Where)))
		case measured == 0:
			errs = append(errs, fmt.Errorf("%s: none of the %d selected cells has a value for %s", t.At(i), selected, p.Metric))
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
	return fmt.Sprintf("%s %s in %s: %s, want %s %s", r.Metric, r.Bound, r.Key.label(), format.Measured(r.Observed, math.NaN(), math.NaN(), r.Metric.Unit()), op, format.Measured(r.Limit, math.NaN(), math.NaN(), r.Metric.Unit()))
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

package compare

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/metric"
)

// Gate says which metrics the gate looks at and with what tolerance. The
// zero value gates every point metric at its default tolerance.
type Gate struct {
	// Tolerances overrides the default tolerance of a metric (0.05 = 5%).
	// A metric given a tolerance gates, even a curve metric that does not
	// by default.
	Tolerances map[metric.Metric]float64
	// Only, when not empty, restricts the gate to these metrics; the
	// other metrics are still compared and shown, but do not gate.
	Only []metric.Metric
	// FailOnInconclusive makes an inconclusive gated row fail the gate
	// with ExitInconclusive.
	FailOnInconclusive bool
}

// Tolerance returns the tolerance the gate applies to m.
func (g Gate) Tolerance(m metric.Metric) float64 {
	if t, ok := g.Tolerances[m]; ok {
		return t
	}
	mi, _ := m.Info()
	return mi.Tolerance
}

// GatesCurves tells whether the gate looks at any curve metric.
func (g Gate) GatesCurves() bool {
	for _, mi := range metric.Metrics() {
		if mi.Kind == metric.Bootstrap && g.Gates(mi.Metric) {
			return true
		}
	}
	return false
}

// Gates tells whether rows of metric m count for the gate.
func (g Gate) Gates(m metric.Metric) bool {
	if len(g.Only) > 0 {
		return slices.Contains(g.Only, m)
	}
	if _, ok := g.Tolerances[m]; ok {
		return true
	}
	mi, _ := m.Info()
	return mi.Gated
}

func (g Gate) validate() error {
	for m, t := range g.Tolerances {
		if _, ok := m.Info(); !ok {
			return unusable("gate: unknown metric %q (valid: %s)", m, metric.MetricNames())
		}
		if !(t > 0) || math.IsInf(t, 0) {
			return unusable("gate: tolerance of %s must be a positive percentage, got %v", m, t)
		}
	}
	for _, m := range g.Only {
		if _, ok := m.Info(); !ok {
			return unusable("gate: unknown metric %q (valid: %s)", m, metric.MetricNames())
		}
	}
	return nil
}

// ParseFailOn parses a --fail-on value such as "throughput:-5%,p99:+10%":
// comma-separated metric:change items, where the change is the tolerated
// relative change in the metric's bad direction (minus for metrics where
// higher is better, plus where lower is better; the sign may be left out)
// and ends in %. Listed metrics gate at the given tolerance; the other
// point metrics keep gating at their defaults; curve metrics such as
// kappa:+50% gate only when listed. To gate listed metrics only, set Only
// to the keys of Tolerances.
func ParseFailOn(spec string) (Gate, error) {
	g := Gate{Tolerances: map[metric.Metric]float64{}}
	if strings.TrimSpace(spec) == "" {
		return Gate{}, unusable("--fail-on: empty; want metric:change items such as throughput:-5%%,p99:+10%%")
	}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		name, change, ok := strings.Cut(item, ":")
		if !ok {
			return Gate{}, unusable("--fail-on: %q: want metric:change such as throughput:-5%%", item)
		}
		m, err := metric.ParseMetric(name)
		if err != nil {
			return Gate{}, unusable("--fail-on: %w", err)
		}
		if _, dup := g.Tolerances[m]; dup {
			return Gate{}, unusable("--fail-on: metric %s given twice", m)
		}
		mi, _ := m.Info()
		tol, err := parseChange(strings.TrimSpace(change), mi)
		if err != nil {
			return Gate{}, unusable("--fail-on: %s: %w", m, err)
		}
		g.Tolerances[m] = tol
	}
	return g, nil
}

// parseChange parses "-5%", "+10%" or "10%" for metric mi.
func parseChange(s string, mi metric.MetricInfo) (float64, error) {
	bad := "+"
	if mi.Direction == metric.HigherIsBetter {
		bad = "-"
	}
	example := bad + "5%"
	num, pct := strings.CutSuffix(s, "%")
	if !pct {
		return 0, fmt.Errorf("change %q must be a percentage such as %s", s, example)
	}
	sign := ""
	if strings.HasPrefix(num, "+") || strings.HasPrefix(num, "-") {
		sign, num = num[:1], num[1:]
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || strings.ContainsAny(num, "+-") {
		return 0, fmt.Errorf("change %q is not a positive percentage such as %s", s, example)
	}
	if sign != "" && sign != bad {
		return 0, fmt.Errorf("change %q has the wrong sign: %s is worse when it goes %s (%s is better), so write %s%s%%", s, mi.Metric, map[string]string{"+": "up", "-": "down"}[bad], mi.Direction, bad, num)
	}
	if mi.Direction == metric.HigherIsBetter && v >= 100 {
		return 0, fmt.Errorf("change %q: a drop of 100%% or more cannot happen", s)
	}
	return v / 100, nil
}

package metric

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
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

// At locates threshold i in error messages: its Pos, or "thresholds[i]".
func (t Threshold) At(i int) string {
	if t.Pos != "" {
		return t.Pos
	}
	return fmt.Sprintf("thresholds[%d]", i)
}

// Limits is a validated threshold: its metric and its bounds in base units.
type Limits struct {
	Metric   Metric
	Min, Max float64 // NaN when absent
}

// Parse checks threshold i's metric and limits.
func (t Threshold) Parse(i int) (Limits, error) {
	at := t.At(i)
	m, err := ParseMetric(t.Metric)
	if err != nil {
		return Limits{}, fmt.Errorf("%s: metric: %w", at, err)
	}
	mi, _ := m.Info()
	p := Limits{Metric: m, Min: math.NaN(), Max: math.NaN()}
	if strings.TrimSpace(t.Min) == "" && strings.TrimSpace(t.Max) == "" {
		return Limits{}, fmt.Errorf("%s: %s: give min, max or both", at, m)
	}
	for _, b := range []struct {
		name string
		text string
		dst  *float64
	}{{"min", t.Min, &p.Min}, {"max", t.Max, &p.Max}} {
		if strings.TrimSpace(b.text) == "" {
			continue
		}
		v, err := parseLimit(strings.TrimSpace(b.text), mi)
		if err != nil {
			return Limits{}, fmt.Errorf("%s: %s %s: %w", at, m, b.name, err)
		}
		*b.dst = v
	}
	if p.Min > p.Max {
		return Limits{}, fmt.Errorf("%s: %s: min %s is above max %s", at, m, t.Min, t.Max)
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
		if _, err := t.Parse(i); err != nil {
			errs = append(errs, err)
		}
		for _, k := range slices.Sorted(maps.Keys(t.Where)) {
			vals, ok := knownDims[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: where: unknown dimension %q (valid: %s)", t.At(i), k, strings.Join(dims, ", ")))
				continue
			}
			if !slices.Contains(vals, t.Where[k]) {
				errs = append(errs, fmt.Errorf("%s: where: no cell has %s=%s (%s takes %s)", t.At(i), k, t.Where[k], k, strings.Join(vals, ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

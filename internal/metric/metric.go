// Package metric is the vocabulary of what a run is judged on: the names,
// units and directions of the compared metrics, and the thresholds a
// scenario declares on them.
package metric

import (
	"fmt"
	"slices"
	"strings"
)

// Metric names a compared quantity. Values are in base units: seconds for
// latencies, makespan and CPU per job, jobs per second for throughput, bytes
// for RSS, plain numbers for efficiency and the curve parameters.
type Metric string

// The point metrics, measured once per repeat of a cell.
const (
	Throughput Metric = "throughput"
	P50        Metric = "p50"
	P90        Metric = "p90"
	P99        Metric = "p99"
	Makespan   Metric = "makespan"
	Efficiency Metric = "efficiency"
	CPUPerJob  Metric = "cpu_per_job"
	RSS        Metric = "rss"
)

// The curve metrics, fitted per series and given as bootstrap replicates
// over the repeats rather than one value per repeat.
const (
	Sigma         Metric = "sigma"
	Kappa         Metric = "kappa"
	PeakN         Metric = "peak_n"
	EfficiencyMax Metric = "efficiency_max_n"
)

// Direction says which way a metric improves.
type Direction int

// Directions.
const (
	HigherIsBetter Direction = 1
	LowerIsBetter  Direction = -1
)

// String returns "higher" or "lower".
func (d Direction) String() string {
	if d == HigherIsBetter {
		return "higher"
	}
	return "lower"
}

// Kind tells how a metric's samples were obtained.
type Kind int

// Kinds of samples.
const (
	// Repeats: one value per repeat of the cell; tested with Mann–Whitney.
	Repeats Kind = iota
	// Bootstrap: replicates of a fitted value from resampling the repeats;
	// tested with the bootstrap distribution of the ratio.
	Bootstrap
)

// MetricInfo describes a metric.
type MetricInfo struct {
	Metric    Metric
	Direction Direction
	// Tolerance is the default relative change tolerated before a
	// significant change counts as worse or better (0.05 = 5%).
	Tolerance float64
	Kind      Kind
	// Unit is the display unit of the base-unit values: "s", "jobs/s", "B" or "".
	Unit string
	// BenchUnit is the unit name used in Go benchmark format.
	BenchUnit string
	// Gated tells whether the metric is in the default gate (curve
	// metrics are opt-in through --fail-on).
	Gated bool
}

// metrics lists every metric in display order.
//
// CPU per job and peak RSS are compared and shown but gate only when
// --fail-on names them: between two runs they follow how busy the machine
// was more than the code (a twin run on a shared two-core machine came out
// 24% "worse" in CPU per job, significant after correction). Measured in
// one run, base and head interleaved, they are worth gating on.
//
// Tolerances not fixed by the design: efficiency 5% (it is a throughput
// ratio, so it gets throughput's tolerance); the USL σ and κ 50% (small
// numbers near zero whose fitted values move a lot between samples);
// peak N* 20% (it is a ratio of √ of the fitted parameters); efficiency at
// the largest N 10%.
var metrics = []MetricInfo{
	{Throughput, HigherIsBetter, 0.05, Repeats, "jobs/s", "jobs/s", true},
	{P50, LowerIsBetter, 0.10, Repeats, "s", "p50-sec", true},
	{P90, LowerIsBetter, 0.10, Repeats, "s", "p90-sec", true},
	{P99, LowerIsBetter, 0.10, Repeats, "s", "p99-sec", true},
	{Makespan, LowerIsBetter, 0.10, Repeats, "s", "makespan-sec", true},
	{Efficiency, HigherIsBetter, 0.05, Repeats, "", "efficiency", true},
	{CPUPerJob, LowerIsBetter, 0.05, Repeats, "s", "cpu-sec/job", false},
	{RSS, LowerIsBetter, 0.10, Repeats, "B", "peak-rss-B", false},
	{Sigma, LowerIsBetter, 0.50, Bootstrap, "", "usl-sigma", false},
	{Kappa, LowerIsBetter, 0.50, Bootstrap, "", "usl-kappa", false},
	{PeakN, HigherIsBetter, 0.20, Bootstrap, "", "peak-n", false},
	{EfficiencyMax, HigherIsBetter, 0.10, Bootstrap, "", "efficiency-max-n", false},
}

// Metrics returns the description of every metric, in display order.
func Metrics() []MetricInfo { return slices.Clone(metrics) }

// Info returns the description of m.
func (m Metric) Info() (MetricInfo, bool) {
	for _, mi := range metrics {
		if mi.Metric == m {
			return mi, true
		}
	}
	return MetricInfo{}, false
}

// Unit is the display unit of m's values ("" when m is unknown).
func (m Metric) Unit() string {
	mi, _ := m.Info()
	return mi.Unit
}

// Order returns m's position in display order (unknown metrics last).
func (m Metric) Order() int {
	for i, mi := range metrics {
		if mi.Metric == m {
			return i
		}
	}
	return len(metrics)
}

// MetricNames returns the names of all metrics, comma-separated, for error
// messages.
func MetricNames() string {
	names := make([]string, len(metrics))
	for i, mi := range metrics {
		names[i] = string(mi.Metric)
	}
	return strings.Join(names, ", ")
}

// ParseMetric returns the metric named s, or an error naming the valid ones.
func ParseMetric(s string) (Metric, error) {
	m := Metric(strings.TrimSpace(s))
	if _, ok := m.Info(); ok {
		return m, nil
	}
	return "", fmt.Errorf("unknown metric %q (valid: %s)", s, MetricNames())
}

package analysis

import (
	"fmt"
	"math"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// The rules every sentence of the analysis is judged by. Each takes the
// measured figures (with their intervals where the repeats give one) and
// returns a verdict; the sentences only put verdicts into words.

// Kind says what a comparison between two cells is, in the lesson's words.
type Kind string

// Title is how a heading names k: "Scalability", "Performance", or
// "Comparison" for the other kinds.
func (k Kind) Title() string {
	switch k {
	case Scalability, Performance:
		return format.Capitalize(string(k))
	}
	return "Comparison"
}

const (
	// Scalability compares added resources (workers, cores, replicas):
	// a dimension with Resource set.
	Scalability Kind = "scalability"
	// Performance compares the same resources doing the work better (a
	// method, a build): a dimension whose Noun is "performance".
	Performance Kind = "performance"
	// Load compares offered rates: a point on the load curve, not a
	// property of the system.
	Load Kind = "load"
	// Mixed compares cells that differ in dimensions of different kinds.
	Mixed Kind = "mixed"
)

// dimKind is the kind of varying one dimension, from its fields.
func dimKind(d *param.Dimension) Kind {
	switch {
	case d.Resource:
		return Scalability
	case d.Noun == param.Method.Noun:
		return Performance
	case d.Noun == param.Rate.Noun:
		return Load
	}
	return Mixed
}

// kindOf is the kind of comparing cell x with cell y: the kind shared by
// every dimension they differ in, Mixed when those differ, "" when x and
// y are the same point.
func kindOf(x, y results.Params) Kind {
	var k Kind
	for _, d := range param.Dimensions {
		if d.Label(x) == d.Label(y) {
			continue
		}
		dk := dimKind(d)
		switch {
		case k == "":
			k = dk
		case k != dk:
			return Mixed
		}
	}
	return k
}

// Direction is the verdict on a ratio: a clear rise, a clear fall, or no
// clear change.
type Direction int

const (
	// NoClearChange: the ratio's interval includes 1, or the ratio is
	// within the noise band around 1.
	NoClearChange Direction = iota
	// Up: the ratio is clearly above 1.
	Up
	// Down: the ratio is clearly below 1.
	Down
)

// Noise bands: a ratio closer to 1 than this is no clear change, even when
// its interval excludes 1 (a few percent is within what a busy machine
// moves between runs). Without an interval the band is wider.
const (
	noiseWithCI    = 1.05
	noiseWithoutCI = 1.10
)

// direction judges ratio r (its Value, and its interval when the repeats
// gave one).
func direction(r Ratio) Direction {
	v := r.Value
	if !usable(v) {
		return NoClearChange
	}
	band := noiseWithoutCI
	if r.Conf > 0 && r.Lo < r.Hi {
		if r.Lo <= 1 && 1 <= r.Hi {
			return NoClearChange
		}
		band = noiseWithCI
	}
	switch {
	case v >= band:
		return Up
	case v <= 1/band:
		return Down
	}
	return NoClearChange
}

// Scaling is the verdict on throughput along a resource step from N0 to
// N1, judged against the step's ideal k = N1/N0.
type Scaling int

const (
	// ScalingNone: no clear change in throughput.
	ScalingNone Scaling = iota
	// ScalingLoss: clearly less throughput.
	ScalingLoss
	// ScalingLittle: a clear gain of less than a third of the ideal gain.
	ScalingLittle
	// ScalingSublinear: a clear gain, below 80% of the ideal.
	ScalingSublinear
	// ScalingLinear: at least 80% of the ideal and at most 110%.
	ScalingLinear
	// ScalingSuperlinear: more than 110% of the ideal.
	ScalingSuperlinear
)

// Thresholds of judgeScaling, as shares of the ideal step k.
const (
	linearShare      = 0.8     // speedup >= 0.8k is near-linear
	superShare       = 1.1     // speedup > 1.1k is superlinear
	littleGainShare  = 1.0 / 3 // gain (s-1) below a third of (k-1) is little
	concurrencyShare = littleGainShare
)

// judgeScaling judges speedup s for a step of k times the resources.
func judgeScaling(s Ratio, k float64) Scaling {
	switch direction(s) {
	case NoClearChange:
		return ScalingNone
	case Down:
		return ScalingLoss
	}
	v := s.Value
	switch {
	case !(k > 1):
		return ScalingSuperlinear // more throughput from no more resources
	case v > superShare*k:
		return ScalingSuperlinear
	case v >= linearShare*k:
		return ScalingLinear
	case (v-1)/(k-1) < littleGainShare:
		return ScalingLittle
	}
	return ScalingSublinear
}

// scalingWords describes a scaling verdict for a step of k times the
// resources along d: "near-linear for 8x the workers".
func scalingWords(v Scaling, k float64, d *param.Dimension) string {
	step := fmt.Sprintf("for %s the %s", fmtStep(k), d.Word)
	switch v {
	case ScalingNone:
		return "no clear change " + step
	case ScalingLoss:
		return "less throughput " + step
	case ScalingLittle:
		return "little gain " + step
	case ScalingSublinear:
		return "below linear " + step
	case ScalingLinear:
		return "near-linear " + step
	}
	return "superlinear: more than " + fmtStep(k) + " " + step
}

// fmtStep writes a step in N, "8x", "2.5x".
func fmtStep(k float64) string {
	if k == math.Trunc(k) {
		return fmt.Sprintf("%.0fx", k)
	}
	return format.Times(k)
}

// latencyWords describes how a latency figure (p50, makespan) moved from
// first to last: "latency falls 2.9x (p50 910 ms → 316 ms)", "latency
// shows no clear change (p50 50 ms vs 51 ms)". r is last/first with its
// interval.
func latencyWords(what string, r Ratio, first, last float64) string {
	if math.IsNaN(first) || math.IsNaN(last) {
		return what + " was not measured (slices)"
	}
	label := "p50"
	if what != "latency" {
		label = ""
	}
	pair := func(sep string) string {
		s := format.DurationFigure(first, true) + sep + format.DurationFigure(last, true)
		if label != "" {
			s = label + " " + s
		}
		return "(" + s + ")"
	}
	switch direction(r) {
	case Up:
		return what + " rises " + change(r.Value) + " " + pair(" → ")
	case Down:
		return what + " falls " + fall(r.Value) + " " + pair(" → ")
	}
	return what + " shows no clear change " + pair(" vs ")
}

// change words a factor above 1: "45%" below 2, "2.9x" from 2.
func change(f float64) string {
	if f < 2 {
		return fmt.Sprintf("%.0f%%", (f-1)*100)
	}
	return format.Times(f)
}

// fall words a factor below 1 as the drop it is: "43%" (21 ms → 12 ms)
// down to half, then "2.9x" (910 ms → 316 ms).
func fall(f float64) string {
	if 1/f < 2 {
		return fmt.Sprintf("%.0f%%", (1-f)*100)
	}
	return format.Times(1 / f)
}

// latencyMove is last/first of the latency figure with its interval.
func (a *Analysis) latencyMove(first, last *Cell, batchMakespan bool) Ratio {
	get, rep := func(c *Cell) float64 { return c.Latency.P50 }, repP50
	if batchMakespan {
		get, rep = func(c *Cell) float64 { return c.Makespan }, repMakespan
	}
	return makeRatio(get(last), get(first), repeatValues(last, rep), repeatValues(first, rep),
		func(q string) string { return q }, format.Seconds)
}

// saturation is the verdict on one open-loop cell.
type saturation struct {
	offered   float64 // arrivals scheduled per second (the nominal rate when unknown)
	keepsUp   bool    // delivers at least keepUp of the offered rate
	queueing  bool    // jobs wait longer than they work: mean latency > queueFactor × stage time
	saturated bool    // !keepsUp || queueing
}

// queueFactor is how many times the work a job's mean latency must reach
// before its waiting counts as queueing.
const queueFactor = 2

// saturationOf judges an open-loop cell by the offered against the
// achieved rate and by how long jobs wait, not by any single late start:
// random arrivals bunch, and a few wait a little even far from capacity.
func saturationOf(c *Cell) saturation {
	s := saturation{offered: c.Params.Rate}
	if c.OfferedRate > 0 {
		s.offered = c.OfferedRate
	}
	s.keepsUp = s.offered > 0 && c.Throughput >= keepUp*s.offered
	work := c.Stages.Service()
	s.queueing = usable(work) && c.Latency.Mean > queueFactor*work
	s.saturated = !s.keepsUp || s.queueing
	return s
}

// fitMeaningful reports whether a USL fit may be quoted as a finding: not
// flagged (no parameter at a bound, six or more points, converged, no
// superlinear points) and its peak within the measured range.
func fitMeaningful(f *Fit, minN, maxN float64) bool {
	if f == nil || len(f.Flags) > 0 {
		return false
	}
	return !math.IsInf(f.PeakN, 0) && f.PeakN >= minN && f.PeakN <= maxN
}

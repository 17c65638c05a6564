package report

import (
	"math"
	"slices"

	"gonum.org/v1/plot"
)

// niceTicks are gonum's default major tick positions with short labels.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label != "" {
			ts = append(ts, plot.Tick{Value: t.Value, Label: fmtNum(t.Value)})
		}
	}
	return ts
}

// logTicks marks a log axis at 1-2-5 steps per decade (or only powers of
// ten over many decades), with unlabelled minor ticks in between.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || !finite(lo) || !finite(hi) {
		return nil
	}
	steps := []float64{1, 2, 5}
	if math.Log10(hi/lo) > 3 {
		steps = []float64{1}
	}
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * base
			if v < lo*0.999 || v > hi*1.001 {
				continue
			}
			t := plot.Tick{Value: v}
			if slices.Contains(steps, m) {
				t.Label = fmtNum(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// valueTicks marks exactly the measured values of a dimension (1, 2, 4, 8),
// falling back to nice ticks when there are too many to label.
type valueTicks []float64

// Ticks implements plot.Ticker.
func (vs valueTicks) Ticks(lo, hi float64) []plot.Tick {
	if len(vs) == 0 || len(vs) > 12 {
		return niceTicks{}.Ticks(lo, hi)
	}
	ts := make([]plot.Tick, 0, len(vs))
	for _, v := range vs {
		ts = append(ts, plot.Tick{Value: v, Label: fmtNum(v)})
	}
	// Labels closer than 4% of the axis collide; keep the first of such.
	span := hi - lo
	out := ts[:0]
	last := math.Inf(-1)
	for _, t := range ts {
		if span > 0 && (t.Value-last)/span < 0.04 {
			continue
		}
		out = append(out, t)
		last = t.Value
	}
	return out
}

// setLogAxis switches ax to a log scale over [lo, hi] (lo > 0).
func setLogAxis(ax *plot.Axis, lo, hi float64) {
	ax.Scale = plot.LogScale{}
	ax.Tick.Marker = logTicks{}
	// Round out to 1-2-5 steps so the ends carry labels.
	ax.Min = roundDown125(lo)
	ax.Max = roundUp125(hi)
}

func roundDown125(v float64) float64 {
	base := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*base <= v {
			return m * base
		}
	}
	return base
}

func roundUp125(v float64) float64 {
	base := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*base >= v*0.9999 {
			return m * base
		}
	}
	return 10 * base
}

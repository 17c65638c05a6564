package chart

import (
	"math"
	"slices"

	"gonum.org/v1/plot"

	"github.com/scalebench/scalebench/internal/format"
)

var (
	finite = format.Finite
	fmtNum = format.Number
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

// valueTicks marks exactly the given values (the measured 1, 2, 4, 8),
// falling back to nice ticks when there are too many to label. log says
// the axis is logarithmic, where labels collide by ratio, not distance;
// format, when set, writes the labels.
type valueTicks struct {
	vs     []float64
	log    bool
	format func(float64) string // the labels; nil: numbers
}

// Ticks implements plot.Ticker.
func (vt valueTicks) Ticks(lo, hi float64) []plot.Tick {
	if len(vt.vs) == 0 || len(vt.vs) > 12 {
		if vt.log {
			return logTicks{}.Ticks(lo, hi)
		}
		return niceTicks{}.Ticks(lo, hi)
	}
	pos := func(v float64) float64 {
		if vt.log {
			return math.Log(v)
		}
		return v
	}
	span := pos(hi) - pos(lo)
	var out []plot.Tick
	last := math.Inf(-1)
	for _, v := range vt.vs {
		if v < lo || v > hi {
			continue
		}
		// Labels closer than 4% of the axis collide; keep the first.
		if span > 0 && (pos(v)-last)/span < 0.04 {
			continue
		}
		label := fmtNum(v)
		if vt.format != nil {
			label = vt.format(v)
		}
		out = append(out, plot.Tick{Value: v, Label: label})
		last = pos(v)
	}
	return out
}

// roundDown125 and roundUp125 round v out to a 1-2-5 step so the ends of a
// log axis carry labels.
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

// Doubling reports whether the sorted positive values grow by a constant
// factor of at least 1.5 (1, 2, 4, 8 or 1, 4, 16): such a series is read
// on a log axis, where each step is the same distance.
func Doubling(vs []float64) bool {
	vs = slices.Compact(slices.Sorted(slices.Values(vs)))
	if len(vs) < 3 || !(vs[0] > 0) {
		return false
	}
	f := vs[1] / vs[0]
	if f < 1.5 {
		return false
	}
	for i := 2; i < len(vs); i++ {
		if r := vs[i] / vs[i-1]; math.Abs(r-f) > 0.1*f {
			return false
		}
	}
	return true
}

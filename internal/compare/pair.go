package compare

import (
	"math"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/stats"
)

// CellSamples is one cell of one side: for each metric, one value per
// repeat (point metrics) or bootstrap replicates (curve metrics).
type CellSamples struct {
	Key     Key
	Samples map[metric.Metric][]float64
	// Repeats is the number of repeats behind the cell's samples, used
	// for the warnings of curve metrics.
	Repeats int
}

// identity is a cell's params as a canonical string, independent of their
// order; the label when there are no params.
func (k Key) identity() string {
	if len(k.Params) == 0 {
		return "\x00" + k.Label
	}
	parts := make([]string, len(k.Params))
	for i, p := range k.Params {
		parts[i] = p.Key + "=" + p.Value
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x00")
}

// PairCells pairs the cells of base and head by their params (in any
// order) and returns one Pair per metric measured on both sides, in head's
// cell order and the display order of metrics. Cells found on one side
// only are listed in Unpaired, base's first.
func PairCells(base, head []CellSamples) Input {
	var in Input
	byID := map[string]CellSamples{}
	for _, c := range base {
		byID[c.Key.identity()] = c
	}
	paired := map[string]bool{}
	for _, h := range head {
		id := h.Key.identity()
		b, ok := byID[id]
		if !ok {
			continue
		}
		paired[id] = true
		for _, mi := range metric.Metrics() {
			bs, okB := b.Samples[mi.Metric]
			hs, okH := h.Samples[mi.Metric]
			if !okB || !okH {
				continue
			}
			in.Pairs = append(in.Pairs, Pair{Key: h.Key, Metric: mi.Metric, Base: bs, Head: hs, BaseRepeats: b.Repeats, HeadRepeats: h.Repeats})
		}
	}
	for _, b := range base {
		if !paired[b.Key.identity()] {
			in.Unpaired = append(in.Unpaired, Unpaired{Key: b.Key, Side: "base"})
		}
	}
	for _, h := range head {
		if _, ok := byID[h.Key.identity()]; !ok {
			in.Unpaired = append(in.Unpaired, Unpaired{Key: h.Key, Side: "head"})
		}
	}
	return in
}

// Summarize returns the cell's median of each metric, for thresholds.
func (c CellSamples) Summarize() CellSummary {
	s := CellSummary{Key: c.Key, Values: map[metric.Metric]float64{}}
	for m, xs := range c.Samples {
		if v := stats.Median(xs); !math.IsNaN(v) {
			s.Values[m] = v
		}
	}
	return s
}

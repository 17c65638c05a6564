package analysis

import (
	"fmt"
	"math"
	"slices"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
)

// maxPeakFindings caps the USL peak sentences, so a large matrix does not
// drown the other findings.
const maxPeakFindings = 3

// findings writes the headline sentences, most important first: the
// lessons (each comparison the scenario was made for, the baseline
// against the best cell among them), the load curve of an open loop, and
// USL peaks that the fit supports. Every verdict comes from the rules in
// rules.go.
func (a *Analysis) findings() {
	if a.bestCell() < 0 {
		a.add("No cell completed any job.")
		return
	}
	a.Findings = append(a.Findings, a.judged...)
	if len(a.Cells) == 1 {
		c := &a.Cells[0]
		if c.Sliced {
			a.add("One cell measured (%s): %s.", paramsLabel(c.Params, ""), format.RateFigure(c.Throughput))
			return
		}
		a.add("One cell measured (%s): %s, p50 %s.", paramsLabel(c.Params, ""),
			format.RateFigure(c.Throughput), format.DurationFigure(c.Latency.P50, true))
		return
	}
	for _, l := range a.Lessons {
		a.add("%s", l.Sentence)
	}
	a.baselineBestFinding()
	a.loadCurveFinding()
	a.peakFindings()
}

func (a *Analysis) add(format string, args ...any) {
	a.Findings = append(a.Findings, fmt.Sprintf(format, args...))
}

// baselineBestFinding says so when the baseline has the highest
// throughput of several cells compared by resources or method.
func (a *Analysis) baselineBestFinding() {
	best := a.bestCell()
	if best != a.Baseline || len(a.Lessons) > 0 {
		return
	}
	for i := range a.Cells {
		if k := kindOf(a.Cells[a.Baseline].Params, a.Cells[i].Params); k == Load {
			return // the load curve tells it
		}
	}
	c := &a.Cells[best]
	a.add("The baseline (%s) has the highest throughput, %s: no other cell does better.",
		paramsLabel(c.Params, ""), format.RateFigure(c.Throughput))
}

// baselineSeries returns the index of the dim series through the baseline
// cell, else the first dim series, else -1.
func (a *Analysis) baselineSeries(dim string) int {
	first := -1
	for i, s := range a.Series {
		if s.Dim != dim {
			continue
		}
		if a.Baseline >= 0 && s.Fixed == withoutDim(a.Run.Scenario.Baseline, dim) {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// keepUp is the fraction of the offered rate an open-loop cell must deliver
// to count as keeping up.
const keepUp = 0.95

// loadCurveFinding follows the offered rate up to where the system keeps
// up, and on to the saturated cells: the first, and the highest rate,
// which teaches most.
func (a *Analysis) loadCurveFinding() {
	si := a.baselineSeries(param.Rate.Name)
	if si < 0 {
		return
	}
	pts := a.Series[si].Points
	sat := make([]saturation, len(pts))
	last := -1
	for i, pt := range pts {
		sat[i] = saturationOf(&a.Cells[pt.Cell])
	}
	for i := range pts {
		if sat[i].saturated {
			break
		}
		last = i
	}
	describe := func(i int) string {
		p, s := pts[i], sat[i]
		msg := fmt.Sprintf("at %s it delivers %s of %s offered (%.0f%%)", p.Label, format.RateFigure(p.Throughput),
			format.Number(s.offered)+"/s", 100*p.Throughput/s.offered)
		if s.keepsUp {
			msg = fmt.Sprintf("at %s it still delivers %s of %s offered", p.Label, format.RateFigure(p.Throughput), format.Number(s.offered)+"/s")
		}
		c := &a.Cells[p.Cell]
		msg += fmt.Sprintf(" and p50 is %s", format.DurationFigure(p.Latency.P50, true))
		if s.queueing {
			msg += fmt.Sprintf(": jobs queue (mean latency %s against %s of work)", format.DurationFixed(c.Latency.Mean, true), format.DurationFixed(c.Stages.Service(), true))
		}
		return msg
	}
	switch {
	case last == len(pts)-1:
		p := pts[last]
		a.add("Load curve: throughput follows every offered rate up to %s (p50 %s → %s); no cell saturated the system.",
			p.Label, format.DurationFigure(pts[0].Latency.P50, true), format.DurationFigure(p.Latency.P50, true))
	case last >= 0:
		p := pts[last]
		msg := fmt.Sprintf("Load curve: throughput follows the offered rate up to %s (p50 %s); past it the system saturates: %s",
			p.Label, format.DurationFigure(p.Latency.P50, true), describe(last+1))
		if end := len(pts) - 1; end > last+1 {
			msg += "; " + describe(end)
		}
		a.add("%s.", msg)
	default:
		msg := "Load curve: the system is saturated from the lowest offered rate: " + describe(0)
		if end := len(pts) - 1; end > 0 {
			msg += "; " + describe(end)
		}
		a.add("%s.", msg)
	}
}

// peakFindings reports USL peaks the fit supports: an unflagged fit
// (no parameter at a bound, six or more points, converged) whose peak lies
// within the measured range. An extrapolated peak is left to the fit table.
func (a *Analysis) peakFindings() {
	if a.Batch() {
		return
	}
	var peaks []*Series
	for i := range a.Series {
		s := &a.Series[i]
		if fitMeaningful(s.USL, s.Points[0].N, s.Points[len(s.Points)-1].N) {
			peaks = append(peaks, s)
		}
	}
	// Baseline-related series first, then by dimension order (already so).
	through := func(s *Series) bool {
		return a.Baseline >= 0 && s.Fixed == withoutDim(a.Run.Scenario.Baseline, s.Dim)
	}
	slices.SortStableFunc(peaks, func(x, y *Series) int {
		switch bx, by := through(x), through(y); {
		case bx && !by:
			return -1
		case by && !bx:
			return 1
		}
		return 0
	})
	for i, s := range peaks {
		if i == maxPeakFindings {
			break
		}
		f := s.USL
		a.add("USL fit, %s (%s): throughput peaks near %s at about %s, within the measured range (%s to %s); contention σ = %s, coherency κ = %s.",
			dimWord(s.Dim), s.Label, countWord(s.Dim, fmt.Sprintf("%.0f", math.Round(f.PeakN))), format.Rate(f.PeakX),
			s.Points[0].Label, countWord(s.Dim, s.Points[len(s.Points)-1].Label), format.Number(f.Sigma), format.Number(f.Kappa))
	}
}

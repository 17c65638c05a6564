package analysis

import (
	"fmt"
	"github.com/scalebench/scalebench/internal/param"
	"math"
	"slices"
)

// maxPeakFindings caps the USL peak sentences, so a large matrix does not
// drown the other findings.
const maxPeakFindings = 3

// findings writes the headline sentences, most important first: the best
// cell against the baseline; workers at the baseline (the batch sentence
// for the batch model); methods; GOMAXPROCS; replicas; the open-loop rate;
// USL peaks.
func (a *Analysis) findings() {
	a.bestFinding()
	if a.batch() {
		a.batchFinding()
	} else {
		a.growthFinding(param.Workers.Name)
	}
	a.methodFindings()
	a.gomaxprocsFinding()
	a.growthFinding(param.Replicas.Name)
	a.rateFinding()
	a.peakFindings()
}

func (a *Analysis) add(format string, args ...any) {
	a.Findings = append(a.Findings, fmt.Sprintf(format, args...))
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

func (a *Analysis) bestFinding() {
	cells := a.Cells
	best := -1
	for i, c := range cells {
		if a.Baseline >= 0 && c.Params.Block != cells[a.Baseline].Params.Block {
			continue // other blocks ran with other settings
		}
		if usable(c.Throughput) && (best < 0 || c.Throughput > cells[best].Throughput) {
			best = i
		}
	}
	if best < 0 {
		a.add("No cell completed any job.")
		return
	}
	c := &cells[best]
	switch {
	case len(cells) == 1:
		a.add("One cell measured (%s): %s, p50 %s.", paramsLabel(c.Params, ""),
			fmtThroughput(c.Throughput), fmtDur(c.Latency.P50, true))
	case a.Baseline == best:
		a.add("The baseline (%s) has the highest throughput, %s: adding resources did not help.",
			paramsLabel(c.Params, ""), fmtThroughput(c.Throughput))
	case a.Baseline >= 0 && a.Ratios[best].Throughput.Value > 0:
		a.add("Highest throughput: %s at %s; %s against the baseline (%s).",
			fmtThroughput(c.Throughput), paramsLabel(c.Params, ""), a.Ratios[best].Throughput.Text,
			paramsLabel(cells[a.Baseline].Params, ""))
	default:
		a.add("Highest throughput: %s at %s.", fmtThroughput(c.Throughput), paramsLabel(c.Params, ""))
	}
}

// latencyChange describes p50 at the last point against the first:
// "latency unchanged (p50 51 ms vs 50 ms)".
func latencyChange(first, last float64) string {
	vs := fmt.Sprintf("(p50 %s vs %s)", fmtDur(last, true), fmtDur(first, true))
	if !usable(first) || math.IsNaN(last) {
		return "latency " + vs
	}
	r := last / first
	switch {
	case r < 0.83:
		return "latency down to " + fmtTimes(r) + " " + vs
	case r <= 1.2:
		return "latency unchanged " + vs
	case r < 1.8:
		return fmt.Sprintf("latency up %.0f%% %s", (r-1)*100, vs)
	case r < 2.25:
		return "latency doubled " + vs
	default:
		return "latency " + fmtTimes(r) + " higher " + vs
	}
}

// growthFinding: "8 workers: 7.6x the throughput of 1, latency unchanged
// (p50 51 ms vs 50 ms)".
func (a *Analysis) growthFinding(dim string) {
	si := a.baselineSeries(dim)
	if si < 0 {
		return
	}
	s := a.Series[si]
	first, last := s.Points[0], s.Points[len(s.Points)-1]
	if last.Speedup.Value == 0 {
		return
	}
	at := ""
	if a.Baseline < 0 || s.Fixed != withoutDim(a.Run.Scenario.Baseline, dim) {
		at = " (" + s.Label + ")"
	}
	a.add("%s: %s the throughput of %s%s, %s.", countWord(dim, last.Label), fmtTimes(last.Speedup.Value),
		first.Label, at, latencyChange(first.Latency.P50, last.Latency.P50))
}

// batchFinding: "5 jobs in 310 ms with 5 workers vs 1.52 s with 1: 4.9x,
// about the time of one job".
func (a *Analysis) batchFinding() {
	si := a.baselineSeries(param.Workers.Name)
	if si < 0 {
		return
	}
	s := a.Series[si]
	fp, lp := s.Points[0], s.Points[len(s.Points)-1]
	fc, lc := &a.Cells[fp.Cell], &a.Cells[lp.Cell]
	if !usable(fc.Makespan) || !usable(lc.Makespan) {
		return
	}
	jobs := a.Run.Scenario.Settings(fc.Params).Load.Jobs
	what := "the batch"
	if jobs == 1 {
		what = "1 job"
	} else if jobs > 1 {
		what = fmt.Sprintf("%d jobs", jobs)
	}
	msg := fmt.Sprintf("%s in %s with %s vs %s with %s: %s", what, fmtDur(lc.Makespan, true),
		countWord(param.Workers.Name, lp.Label), fmtDur(fc.Makespan, true), fp.Label, fmtTimes(fc.Makespan/lc.Makespan))
	if fp.N == 1 && jobs > 1 && lc.Makespan <= 1.5*fc.Makespan/float64(jobs) {
		// One worker runs the jobs one after another: its makespan per job
		// is the time of one job.
		msg += ", about the time of one job"
	}
	a.add("%s.", msg)
}

// methodFindings: "fast vs naive: Performance (latency) = 11ms/3.1ms =
// 3.55x, throughput 3.4x".
func (a *Analysis) methodFindings() {
	si := a.baselineSeries(param.Method.Name)
	if si < 0 {
		return
	}
	s := a.Series[si]
	cells := a.Cells
	fp := s.Points[0]
	fc := &cells[fp.Cell]
	for _, pt := range s.Points[1:] {
		c := &cells[pt.Cell]
		lat := latencyRatio(a.cellLatency(fc), a.cellLatency(c), nil, nil)
		if lat.Value == 0 || pt.Speedup.Value == 0 {
			continue
		}
		a.add("%s vs %s: %s, throughput %s.", pt.Label, fp.Label, lat.Text, fmtTimes(pt.Speedup.Value))
	}
}

// gomaxprocsFinding: "GOMAXPROCS 1→2 with 8 workers: 1.90x the throughput,
// latency unchanged (...)", on the GOMAXPROCS series with the most workers
// among those matching the baseline's other dimensions.
func (a *Analysis) gomaxprocsFinding() {
	pick := -1
	for i, s := range a.Series {
		if s.Dim != param.GOMAXPROCS.Name {
			continue
		}
		// In the baseline's block, the series must match the baseline's
		// other dimensions; another block, made with settings of its own,
		// may hold the series the scenario was made for.
		if base := a.Run.Scenario.Baseline; a.Baseline >= 0 && s.Fixed.Block == base.Block {
			b := withoutDim(withoutDim(base, param.GOMAXPROCS.Name), param.Workers.Name)
			if withoutDim(s.Fixed, param.Workers.Name) != b {
				continue
			}
		}
		if pick < 0 || s.Fixed.Workers > a.Series[pick].Fixed.Workers {
			pick = i
		}
	}
	if pick < 0 {
		return
	}
	s := a.Series[pick]
	p0, p1 := s.Points[0], s.Points[1]
	if p1.Speedup.Value == 0 {
		return
	}
	why := ""
	kind := boundKind(a.Cells[p0.Cell].Stages)
	switch {
	case kind == "I/O-bound" && p1.Speedup.Value < 1.1:
		why = ": the jobs wait on I/O, so more cores add little"
	case kind == "CPU-bound" && p1.Speedup.Value >= 0.85*p1.N/p0.N:
		why = ": the CPU-bound jobs run in parallel"
	}
	a.add("GOMAXPROCS %s→%s with %s: %s the throughput, %s%s.", p0.Label, p1.Label,
		countWord(param.Workers.Name, fmt.Sprint(s.Fixed.Workers)), fmtTimes(p1.Speedup.Value),
		latencyChange(p0.Latency.P50, p1.Latency.P50), why)
}

// keepUp is the fraction of the offered rate an open-loop cell must deliver
// to count as keeping up.
const keepUp = 0.95

// rateFinding says up to which offered rate throughput keeps up.
func (a *Analysis) rateFinding() {
	si := a.baselineSeries(param.Rate.Name)
	if si < 0 {
		return
	}
	pts := a.Series[si].Points
	last := -1
	for i, pt := range pts {
		// Judge against the arrivals actually scheduled in the window when
		// known: a Poisson schedule offers more or less than the nominal rate.
		offered := pt.N
		if o := a.Cells[pt.Cell].OfferedRate; o > 0 {
			offered = o
		}
		if offered > 0 && pt.Throughput >= keepUp*offered {
			last = i
		} else {
			break
		}
	}
	switch {
	case last == len(pts)-1:
		p := pts[last]
		a.add("Open loop: throughput keeps up with every offered rate, up to %s (p50 %s).",
			p.Label, fmtDur(p.Latency.P50, true))
	case last >= 0:
		p, q := pts[last], pts[last+1]
		a.add("Open loop: throughput keeps up with the offered rate up to %s (p50 %s); at %s it delivers %s and p50 is %s.",
			p.Label, fmtDur(p.Latency.P50, true), q.Label, fmtThroughput(q.Throughput), fmtDur(q.Latency.P50, true))
	default:
		p := pts[0]
		a.add("Open loop: throughput falls short of even the lowest offered rate, %s (%s, p50 %s).",
			p.Label, fmtThroughput(p.Throughput), fmtDur(p.Latency.P50, true))
	}
}

// peakFindings reports USL peaks that lie within 4× the largest N measured.
func (a *Analysis) peakFindings() {
	type peak struct {
		s    *Series
		maxN float64
	}
	var peaks []peak
	for i := range a.Series {
		s := &a.Series[i]
		if s.USL == nil {
			continue
		}
		maxN := s.Points[len(s.Points)-1].N
		if math.IsInf(s.USL.PeakN, 0) || !(s.USL.PeakN >= 1) || s.USL.PeakN > 4*maxN {
			continue
		}
		peaks = append(peaks, peak{s, maxN})
	}
	// Baseline-related series first, then by dimension order (already so).
	slices.SortStableFunc(peaks, func(x, y peak) int {
		bx := a.Baseline >= 0 && x.s.Fixed == withoutDim(a.Run.Scenario.Baseline, x.s.Dim)
		by := a.Baseline >= 0 && y.s.Fixed == withoutDim(a.Run.Scenario.Baseline, y.s.Dim)
		switch {
		case bx && !by:
			return -1
		case by && !bx:
			return 1
		}
		return 0
	})
	for i, p := range peaks {
		if i == maxPeakFindings {
			break
		}
		f := p.s.USL
		where := "beyond the largest measured"
		if f.PeakN <= p.maxN {
			where = "within the measured range"
		}
		a.add("USL, %s (%s): throughput peaks near %s at about %s, %s (%s); contention σ = %s, coherency κ = %s.",
			dimWord(p.s.Dim), p.s.Label, countWord(p.s.Dim, fmt.Sprintf("%.0f", f.PeakN)), fmtThroughput(f.PeakX),
			where, countWord(p.s.Dim, p.s.Points[len(p.s.Points)-1].Label), fmtNum(f.Sigma), fmtNum(f.Kappa))
	}
}

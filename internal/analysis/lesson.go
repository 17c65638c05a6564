package analysis

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// Lesson is one comparison a scenario was made for, told as the lesson
// tells it: serial against threads (workers), one core against two
// (GOMAXPROCS), one replica against two, naive against fast (method), and
// the baseline against the best cell when none of those reaches it.
type Lesson struct {
	Kind Kind
	// Dim is the dimension varied; "" for the baseline against the best
	// cell.
	Dim string
	// Title names the comparison: "workers 1 → 5", "naive → fast".
	Title string
	// From and To index Cells: the cell compared against and the one
	// compared.
	From, To           int
	FromLabel, ToLabel string // "1 worker", "5 workers"
	// Measure is the figure compared: "makespan", "throughput" or "p50
	// latency"; Seconds is true for the two durations.
	Measure            string
	Seconds            bool
	FromValue, ToValue float64
	// Ratio is the comparison with above 1 meaning better: To/From for
	// throughput, From/To for durations. Its Text is in the lesson's
	// wording, "Scalability (makespan) = 1.52s/310ms = 4.90x".
	Ratio Ratio
	// Quotient is the formula alone, "1.52s/310ms = 4.90x", for a card;
	// FromText and ToText are the two figures as it spells them, for the
	// card's bars and every other place that prints them.
	Quotient         string
	FromText, ToText string
	// Verdict says what the ratio means, judged against its interval and
	// the step: "near-linear for 5x the workers", "no clear change".
	Verdict string
	// Sentence is the finding that tells this comparison.
	Sentence string
	// Reference is the lesson's own worked example of the step, when the
	// scenario's block quotes it; Against then compares the two ratios:
	// "this run 1.70x, the article 1.5X: 13% more".
	Reference *results.Reference
	Against   string
}

// ratioLabel is the lesson's name for a ratio of measure between cells
// compared as kind: "Scalability (throughput)", "Performance (latency)".
func ratioLabel(k Kind, measure string) string {
	switch {
	case k == Scalability && measure == "throughput":
		return "Scalability (throughput)"
	case k == Scalability:
		return "Scalability (" + measure + ")"
	case k == Performance && measure == "throughput":
		return "Throughput"
	case k == Performance:
		return "Performance (" + measure + ")"
	case measure == "throughput":
		return "Throughput"
	}
	return format.Capitalize(measure)
}

// lessons finds the comparisons the run was made for, in the order of
// param.Series, then the baseline against the best cell.
func (a *Analysis) lessons() {
	covered := map[int]bool{}
	for _, d := range param.Series {
		if d == param.Build && a.judged != nil {
			// The builds of an A/B run are told cell by cell, as the
			// gate judged them (the Judge), not by one pair of cells.
			continue
		}
		si := a.lessonSeries(d)
		if si < 0 {
			continue
		}
		var l *Lesson
		switch dimKind(d) {
		case Scalability:
			l = a.scalabilityLesson(d, &a.Series[si])
		case Performance:
			l = a.performanceLesson(d, &a.Series[si])
		}
		if l != nil {
			a.Lessons = append(a.Lessons, *l)
			covered[l.To] = true
		}
	}
	if l := a.bestLesson(covered); l != nil {
		a.Lessons = append(a.Lessons, *l)
	}
	// A scenario of blocks tells its lessons in the order of its blocks,
	// as a lesson's steps follow one another.
	if len(a.Run.Scenario.Blocks) > 1 {
		order := map[string]int{}
		for i, b := range a.Run.Scenario.Blocks {
			order[b.Name] = i
		}
		slices.SortStableFunc(a.Lessons, func(x, y Lesson) int {
			return cmp.Compare(order[a.Cells[x.To].Params.Block], order[a.Cells[y.To].Params.Block])
		})
	}
	for i := range a.Lessons {
		a.reference(&a.Lessons[i])
	}
}

// reference attaches to l the step of the lesson's example its block
// quotes, and compares the ratios.
func (a *Analysis) reference(l *Lesson) {
	r := a.Run.Scenario.Settings(a.Cells[l.To].Params).Reference
	if r == nil {
		return
	}
	l.Reference = r
	theirs, ok := referenceRatio(r.Formula)
	if r.Formula == "" || !ok || !usable(l.Ratio.Value) {
		return
	}
	ours := l.Ratio.Value
	l.Against = fmt.Sprintf("this run %s, the article %s", format.Factor(ours), strings.TrimSpace(r.Formula[strings.LastIndex(r.Formula, "=")+1:]))
	switch d := ours/theirs - 1; {
	case math.Abs(d) < 0.05:
		l.Against += ": about the same"
	case d > 0:
		l.Against += fmt.Sprintf(": %s more", pct(d))
	default:
		l.Against += fmt.Sprintf(": %s less", pct(-d))
	}
}

// referenceFormula matches a quoted formula's ratio, "… = 1.5X".
var referenceFormula = regexp.MustCompile(`=\s*([0-9.]+)\s*[xX]\s*$`)

// referenceRatio is the ratio a quoted formula ends with.
func referenceRatio(formula string) (float64, bool) {
	m := referenceFormula.FindStringSubmatch(formula)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil && v > 0
}

// lessonSeries picks the series of d a lesson follows: for workers (the
// first resource) the series through the baseline; for the other resource
// dimensions the series matching the baseline's other dimensions with the
// most workers (GOMAXPROCS 1 → 2 shows only when there is work for two
// cores); for other dimensions the series through the baseline.
func (a *Analysis) lessonSeries(d *param.Dimension) int {
	if !d.Resource || d == param.Workers || a.Baseline < 0 {
		return a.baselineSeries(d.Name)
	}
	key := func(p results.Params) results.Params { return param.Workers.Without(d.Without(p)) }
	b := key(a.Run.Scenario.Baseline)
	pick, other := -1, -1
	for i, s := range a.Series {
		if s.Dim != d.Name {
			continue
		}
		if s.Fixed.Block != a.Run.Scenario.Baseline.Block {
			// Another block, made with settings of its own, may hold the
			// series the scenario was made for.
			if other < 0 || s.Fixed.Workers > a.Series[other].Fixed.Workers {
				other = i
			}
			continue
		}
		if key(s.Fixed) != b {
			continue
		}
		if pick < 0 || s.Fixed.Workers > a.Series[pick].Fixed.Workers {
			pick = i
		}
	}
	if pick < 0 {
		return other
	}
	return pick
}

// newLesson fills the figures of a comparison of cell from against cell
// to by measure.
func (a *Analysis) newLesson(k Kind, measure string, from, to int) *Lesson {
	fc, tc := &a.Cells[from], &a.Cells[to]
	l := &Lesson{Kind: k, From: from, To: to, Measure: measure}
	var num, den float64
	var numRep, denRep []float64
	fk := format.Plain
	switch measure {
	case "makespan":
		l.Seconds, fk = true, format.Seconds
		l.FromValue, l.ToValue = fc.Makespan, tc.Makespan
		num, den = fc.Makespan, tc.Makespan
		numRep, denRep = repeatValues(fc, repMakespan), repeatValues(tc, repMakespan)
	case "p50 latency":
		l.Seconds, fk = true, format.Seconds
		l.FromValue, l.ToValue = fc.Latency.P50, tc.Latency.P50
		num, den = fc.Latency.P50, tc.Latency.P50
		numRep, denRep = repeatValues(fc, repP50), repeatValues(tc, repP50)
	default:
		l.FromValue, l.ToValue = fc.Throughput, tc.Throughput
		num, den = tc.Throughput, fc.Throughput
		numRep, denRep = repeatValues(tc, repThroughput), repeatValues(fc, repThroughput)
	}
	word := measure
	if measure == "p50 latency" {
		word = "latency"
	}
	label := ratioLabel(k, word)
	l.Ratio = makeRatio(num, den, numRep, denRep, func(q string) string { return label + " = " + q }, fk)
	if l.Ratio.Value == 0 {
		return nil
	}
	if measure != "p50 latency" {
		l.Ratio.Decomposition = a.decompose(from, to, l.Ratio.Value, onlyDim(fc.Params, tc.Params))
	}
	l.Quotient = format.Quotient(num, den, fk)
	a1, b1, _ := format.QuotientParts(num, den, fk)
	if l.Seconds {
		l.FromText, l.ToText = a1, b1
	} else {
		l.FromText, l.ToText = b1, a1
	}
	return l
}

// scalabilityLesson compares the first point of a resource series with
// the best (batch: the last, the most resources).
func (a *Analysis) scalabilityLesson(d *param.Dimension, s *Series) *Lesson {
	first := s.Points[0]
	to := s.Points[len(s.Points)-1]
	if !a.Batch() {
		// The best point, when it is clearly better than the first;
		// otherwise the most resources, to show they did not help.
		best := to
		for _, pt := range s.Points[1:] {
			if pt.Throughput > best.Throughput {
				best = pt
			}
		}
		if direction(best.Speedup) == Up {
			to = best
		}
	}
	measure := "throughput"
	if a.Batch() {
		measure = "makespan"
	}
	l := a.newLesson(Scalability, measure, first.Cell, to.Cell)
	if l == nil {
		return nil
	}
	l.Dim = d.Name
	l.FromLabel, l.ToLabel = d.Count(first.Label), d.Count(to.Label)
	l.Title = d.Word + " " + first.Label + " → " + to.Label
	switch {
	case a.Baseline >= 0 && d == param.Workers && s.Fixed.Block != a.Run.Scenario.Baseline.Block && len(a.Run.Scenario.Blocks) > 1:
		// Another block than the baseline's: its name tells the settings.
		l.Title += " in " + s.Fixed.Block
	case a.Baseline < 0 || s.Fixed != d.Without(a.Run.Scenario.Baseline) && d == param.Workers:
		l.Title += " (" + s.Label + ")"
	case d != param.Workers && s.Fixed.Workers > 0:
		l.Title += " with " + param.Workers.Count(fmt.Sprint(s.Fixed.Workers))
	}
	k := to.N / first.N
	verdict := judgeScaling(l.Ratio, k)
	l.Verdict = scalingWords(verdict, k, d)
	fc, tc := &a.Cells[first.Cell], &a.Cells[to.Cell]
	var b []byte
	b = fmt.Appendf(b, "Scalability (%s), %s: ", d.Noun, l.Title)
	if a.Batch() {
		b = fmt.Appendf(b, "%s in %s with %s vs %s with %s: %s, %s", a.jobsWord(fc.Params), format.Spaced(l.ToText), l.ToLabel,
			format.Spaced(l.FromText), l.FromLabel, l.Ratio.Text, l.Verdict)
		if jobs := a.Run.Scenario.Settings(fc.Params).Load.Jobs; first.N == 1 && jobs > 1 && tc.Makespan <= 1.5*fc.Makespan/float64(jobs) {
			// One worker runs the jobs one after another: its makespan
			// per job is the time of one job.
			b = append(b, "; the batch takes about the time of one job"...)
		}
	} else if d == param.Memory {
		b = fmt.Appendf(b, "%s, %s; %s", l.Ratio.Text, l.Verdict, queueWords(fc, tc))
	} else {
		lat := latencyWords("latency", a.latencyMove(fc, tc, false), fc.Latency.P50, tc.Latency.P50)
		if fc.Sliced || tc.Sliced {
			lat = "latency was not measured (" + a.noLatency() + ")"
		}
		b = fmt.Appendf(b, "%s, %s; %s", l.Ratio.Text, l.Verdict, lat)
		b = append(b, boundReason(a.Run.Scenario.WorkloadOf(), d, fc, verdict)...)
	}
	b = append(b, '.')
	if dc := l.Ratio.Decomposition; dc != nil {
		b = fmt.Appendf(b, " Decomposed: %s.", dc.Sentence)
	}
	l.Sentence = string(b)
	return l
}

// boundReason explains a verdict on more cores by where the time goes.
func boundReason(w results.Workload, d *param.Dimension, first *Cell, v Scaling) string {
	if d != param.GOMAXPROCS {
		return ""
	}
	kind := boundKind(w, first.Stages)
	switch {
	case kind == "I/O-bound" && v <= ScalingLittle:
		return ": the jobs wait on I/O, so more cores add little"
	case kind == "CPU-bound" && v >= ScalingLinear:
		return ": the CPU-bound jobs run in parallel"
	}
	return ""
}

func (a *Analysis) jobsWord(p results.Params) string {
	switch jobs := a.Run.Scenario.Settings(p).Load.Jobs; {
	case jobs == 1:
		return "1 job"
	case jobs > 1:
		return fmt.Sprintf("%d jobs", jobs)
	}
	return "the batch"
}

// performanceLesson compares the baseline's value of d with the one of
// lowest latency (batch: makespan).
func (a *Analysis) performanceLesson(d *param.Dimension, s *Series) *Lesson {
	first := s.Points[0]
	best := -1
	for i, pt := range s.Points[1:] {
		v := a.cellLatency(&a.Cells[pt.Cell])
		if usable(v) && (best < 0 || v < a.cellLatency(&a.Cells[s.Points[best+1].Cell])) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	to := s.Points[best+1]
	measure := "p50 latency"
	if a.Batch() {
		measure = "makespan"
	}
	l := a.newLesson(Performance, measure, first.Cell, to.Cell)
	if l == nil {
		return nil
	}
	l.Dim = d.Name
	l.FromLabel, l.ToLabel = d.Count(first.Label), d.Count(to.Label)
	l.Title = first.Label + " → " + to.Label
	if d.Numeric {
		l.Title = d.Word + " " + l.Title // "split 1 → 2"
		l.FromLabel, l.ToLabel = d.Tag+"="+first.Label, d.Tag+"="+to.Label
	}
	switch direction(l.Ratio) {
	case Up:
		l.Verdict = "faster with the same resources"
	case Down:
		l.Verdict = "slower with the same resources"
	default:
		l.Verdict = "no clear change"
	}
	tr := to.Speedup
	tw := "throughput " + format.Factor(tr.Value)
	if direction(tr) == NoClearChange {
		tw = "no clear change in throughput (" + format.Factor(tr.Value) + ")"
	}
	l.Sentence = fmt.Sprintf("Performance (%s), %s: %s, %s; %s", d.Word, l.Title, l.Ratio.Text, l.Verdict, tw)
	fj, tj := a.Cells[first.Cell].Resources.JobsPerCPUSecond, a.Cells[to.Cell].Resources.JobsPerCPUSecond
	if usable(fj) && usable(tj) {
		// What each job cost tells a faster method (less work) from a
		// split job (the same work on more cores at once).
		l.Sentence += fmt.Sprintf("; CPU per job %s → %s", format.DurationFigure(1/fj, true), format.DurationFigure(1/tj, true))
		if r := fj / tj; d == param.Split && r > 1/sameWork && r < sameWork {
			l.Sentence += ": the same work, on more cores at once"
		}
	}
	if fc, tc := &a.Cells[first.Cell], &a.Cells[to.Cell]; d == param.Split && usable(tc.CPU) && tc.Params.Workers == 1 && to.N > first.N {
		// With one job in flight, the CPU used is the cores each job ran
		// on at once: what the split could have, against what it got.
		l.Sentence += fmt.Sprintf("; with one job at a time, the CPU used went from %s to %s cores", coresText(fc.CPU), coresText(tc.CPU))
		if m := tc.Machine; m != nil {
			var took []string
			if m.Other >= otherMatters {
				took = append(took, fmt.Sprintf("other processes took %s of a core", coresText(m.Other)))
			}
			if m.Steal >= stealMatters {
				took = append(took, fmt.Sprintf("the hypervisor took %s of a core (steal time)", coresText(m.Steal)))
			}
			if len(took) > 0 {
				l.Sentence += " while " + strings.Join(took, " and ")
			}
		}
	}
	l.Sentence += "."
	return l
}

// bestLesson compares the baseline with the cell of highest throughput
// when no other lesson ends there and the two differ in something other
// than the offered rate.
func (a *Analysis) bestLesson(covered map[int]bool) *Lesson {
	best := a.bestCell()
	if best < 0 || a.Baseline < 0 || best == a.Baseline || covered[best] || !a.Cells[a.Baseline].Measured() {
		return nil
	}
	k := kindOf(a.Cells[a.Baseline].Params, a.Cells[best].Params)
	if k == Load || k == "" {
		return nil
	}
	l := a.newLesson(k, "throughput", a.Baseline, best)
	if l == nil {
		return nil
	}
	l.FromLabel, l.ToLabel = "baseline", "best cell"
	l.Title = "baseline → best cell"
	switch direction(l.Ratio) {
	case Up:
		l.Verdict = "more throughput"
	case Down:
		l.Verdict = "less throughput"
	default:
		l.Verdict = "no clear change"
	}
	c := &a.Cells[best]
	l.Sentence = fmt.Sprintf("Highest throughput: %s at %s; %s against the baseline (%s).",
		format.RateFigure(c.Throughput), paramsLabel(c.Params, ""), l.Ratio.Text, paramsLabel(a.Cells[a.Baseline].Params, ""))
	if l.Ratio.Value > 0 && direction(l.Ratio) == NoClearChange {
		l.Sentence = fmt.Sprintf("Highest throughput: %s at %s, no clear change from the baseline (%s; %s).",
			format.RateFigure(c.Throughput), paramsLabel(c.Params, ""), paramsLabel(a.Cells[a.Baseline].Params, ""), l.Ratio.Text)
	}
	return l
}

// bestCell is the cell of highest throughput, -1 when none completed a job.
func (a *Analysis) bestCell() int {
	best := -1
	for i, c := range a.Cells {
		if c.Measured() && usable(c.Throughput) && (best < 0 || c.Throughput > a.Cells[best].Throughput) {
			best = i
		}
	}
	return best
}

// ratioKind is the kind of the ratios of cell c against the baseline.
func (a *Analysis) ratioKind(c int) Kind {
	if a.Baseline < 0 {
		return Scalability
	}
	k := kindOf(a.Cells[a.baselineOf(c)].Params, a.Cells[c].Params)
	if k == "" {
		// The baseline against itself: named as the run's first series.
		for _, s := range a.Series {
			return dimKind(param.Lookup(s.Dim))
		}
		return Scalability
	}
	return k
}

// paramsLabel names params in words, e.g. "gomaxprocs=2, workers=8,
// replicas=1"; skip names the dimension to leave out ("" for none). Rate
// and method appear only when set.
func paramsLabel(p results.Params, skip string) string {
	return p.Text(", ", param.Lookup(skip))
}

// dimWord is how sentences name a dimension.
func dimWord(dim string) string { return param.Lookup(dim).Word }

// countWord is "8 workers", "1 worker", "4 replicas", "GOMAXPROCS=2".
func countWord(dim, label string) string { return param.Lookup(dim).Count(label) }

// queueWords tells a job's latency as its two parts, service time and
// time in queue, from cell fc to cell tc: "service time 412 ms → 409 ms,
// time in queue 1.21 s → 402 ms (means)".
func queueWords(fc, tc *Cell) string {
	return fmt.Sprintf("service time %s → %s, time in queue %s → %s (means)",
		format.DurationFigure(fc.ServiceTime(), true), format.DurationFigure(tc.ServiceTime(), true),
		format.DurationFigure(fc.Stages.Queue(), true), format.DurationFigure(tc.Stages.Queue(), true))
}

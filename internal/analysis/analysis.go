// Package analysis turns a results.Run into the lesson's figures: ratios
// against the baseline cell ("Scalability (throughput) = 180/120 = 1.50x",
// "Performance (latency) = 2s/1s = 2.00x") with confidence intervals,
// one-dimensional series with speedup and efficiency, fits of Amdahl's law
// and the Universal Scalability Law, the lesson's concurrency/latency
// classification, and plain-words findings.
package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/stats"
)

// confidence is the confidence level of every interval the analysis forms.
const confidence = 0.95

// Analysis is everything derived from one run.
type Analysis struct {
	Run *results.Run
	// Cells are the run's cells with the figures derived from their
	// repeats, in the order of Run.Cells.
	Cells    []Cell
	Baseline int         // index of the baseline cell in Cells, -1 if absent
	Ratios   []CellRatio // one per cell, same order as Run.Cells
	Series   []Series    // every one-dimensional series with >= 2 points
	Classes  []Class     // the lesson's concurrency/latency table, one per series that varies workers, gomaxprocs or replicas
	Lessons  []Lesson    // the comparisons the scenario was made for, as the lesson tells them
	Findings []string    // headline findings in plain words, most important first
	Warnings []Warning   // analysis-level caveats (no baseline, fit flags, few repeats)

	// judged holds, for an A/B run whose builds were compared, what the
	// comparison found, told first among the findings; nil otherwise.
	judged []string
}

// A Judge compares the builds of an A/B run with the gate the run was
// made with and says what it found, in sentences.
type Judge func(run *results.Run) ([]string, error)

// CellRatio compares one cell with the baseline cell.
type CellRatio struct {
	Cell int
	// Base is the cell compared with (the baseline, or the first cell of
	// the cell's block); -1 when there is none.
	Base int
	// Throughput is cell throughput / baseline throughput.
	Throughput Ratio
	// Latency is baseline p50 / cell p50 (> 1 means faster); for the batch
	// model, baseline makespan / cell makespan.
	Latency Ratio
}

// Ratio is one of the lesson's ratios. A ratio that cannot be formed (no
// baseline, a zero or missing figure) has Value 0; its Text then says
// "undefined" when the figures exist, and is empty when they do not.
type Ratio struct {
	// Value is Num/Den; Lo and Hi are its 95% interval from the repeats
	// (stats.RatioCI), equal to Value when not computable.
	Value, Lo, Hi float64
	Conf          float64 // achieved confidence (0 if none)
	Num, Den      float64 // the two figures compared
	// Text is the lesson's wording: "Scalability (throughput) = 180/120 =
	// 1.50x", "Performance (latency) = 2.0s/1.0s = 2.00x".
	Text string
	// Decomposition, for a ratio of throughputs (or of a batch's
	// makespans), writes it as CPU used × jobs per CPU-second; nil for
	// other ratios and where the cells lack CPU figures.
	Decomposition *Decomposition
}

// Series is a set of cells that differ only in one dimension.
type Series struct {
	Dim    string         // the varying dimension
	Label  string         // the fixed dimensions in words, e.g. "gomaxprocs=2, replicas=1"
	Fixed  results.Params // the fixed dimensions (the varying one's field zeroed)
	Points []Point        // sorted by N
	// USL and Amdahl are fitted for workers, gomaxprocs and replicas series
	// with at least 3 points; nil otherwise or when the fit failed.
	USL, Amdahl *Fit
}

// Point is one cell of a series.
type Point struct {
	N            float64 // value of the varying dimension; for method, its index (0, 1, ...)
	Label        string  // "8", "100/s" or "fast"
	Cell         int     // index in Run.Cells
	Throughput   float64
	ThroughputCI Interval
	Speedup      Ratio   // throughput / throughput of the series' first point
	Efficiency   float64 // Speedup.Value / (N / N_first) for numeric dims; 0 for method
	Latency      results.Latency
}

// Class places a series in the lesson's table relating concurrency and
// latency to performance and scalability.
//
// Concurrency is "high" when throughput keeps growing along the series
// for the resources added: from the first point to the last, a clear gain
// (judgeScaling: the interval of the speedup excludes 1 and it lies outside
// the noise band) of at least a third of the ideal gain for the step in N
// (k = N_last/N_first, ideal speedup k). Latency is "high" when p50 at the
// last point is clearly more than 1.5 times p50 at the first, or, outside a
// batch, when latency there is dominated by waiting (mean latency more than
// twice the sum of the mean stage times: jobs queue longer than they work).
//
// The lesson's table gives high/low → performance high, scalability high;
// high/high → variable, variable (sensitive to outside factors such as the
// network); low/high → poor, poor. It has no row for low/low; here it is
// performance "good" (jobs are fast) and scalability "limited" (adding this
// resource adds little or no clear throughput).
//
// The Sentence also says whether the work is I/O-bound (fetching takes more
// than half of the stage time at the series' first point) or CPU-bound.
type Class struct {
	Series      int    // index into Analysis.Series
	Concurrency string // "high" or "low"
	Latency     string // "high" or "low"
	Performance string // "high", "variable", "poor" or "good"
	Scalability string // "high", "variable", "poor" or "limited"
	Sentence    string
}

// Analyze derives ratios, series, fits, classes and findings from run. It
// never fails: what cannot be computed is left out and explained in
// Warnings.
//
// Fits use every repeat's throughput as a separate observation when every
// point of the series has at least two repeats (so the standard errors
// reflect the run-to-run noise), and the cells' median throughputs
// otherwise.
//
// An A/B run's builds are not compared: AnalyzeJudged has them compared.
func Analyze(run *results.Run) *Analysis { return AnalyzeJudged(run, nil) }

// AnalyzeJudged is Analyze with judge comparing an A/B run's builds; what
// it found leads the findings.
func AnalyzeJudged(run *results.Run, judge Judge) *Analysis {
	a := &Analysis{Run: run, Baseline: -1}
	if run == nil {
		a.warn("no-run", "there is no run to analyse")
		return a
	}
	if len(run.Cells) == 0 {
		a.warn("no-cells", "the run has no measured cells")
		return a
	}
	a.Cells = Summarize(run)
	if slicedRun(run) {
		a.warn("slices", SlicesNote)
	}
	if run.Interrupted {
		a.warn("interrupted", "the run was interrupted: some cells may be missing or have fewer repeats than planned")
	}
	a.Baseline = run.Baseline()
	if a.Baseline < 0 {
		a.warn("no-baseline", fmt.Sprintf("the scenario's baseline (%s) is not among the measured cells: no ratios against it",
			paramsLabel(run.Scenario.Baseline, "")))
	}
	few := 0
	for _, c := range a.Cells {
		if len(c.Repeats) < 2 {
			few++
		}
	}
	if few > 0 {
		a.warn("few-repeats", fmt.Sprintf("%d of %d cells have fewer than 2 repeats: their ratios have no confidence interval; repeats: 6 or more give 95%% intervals",
			few, len(run.Cells)))
	}
	a.series()
	a.ratios()
	a.classify()
	a.judgeBuilds(judge)
	a.lessons()
	a.findings()
	return a
}

// SlicesNote says what a sliced run did not measure.
const SlicesNote = "latency was not measured: the builds ran in slices (run --slices), which measure throughput, errors and CPU per job only; " +
	"latency percentiles need whole windows: run without --slices to gate them"

// judgeBuilds has judge compare an A/B run's builds as its gate did.
func (a *Analysis) judgeBuilds(judge Judge) {
	if judge == nil || len(a.Run.Builds) < 2 || a.Run.Interrupted {
		return
	}
	found, err := judge(a.Run)
	if err != nil {
		a.warn("builds", fmt.Sprintf("the builds could not be compared: %v", err))
		return
	}
	a.judged = append([]string{}, found...)
}

func (a *Analysis) warn(kind, msg string) {
	a.Warnings = append(a.Warnings, Warning{Kind: kind, Message: msg})
}

// Batch reports whether the run measured the batch model.
func (a *Analysis) Batch() bool { return a.Run.Scenario.Model == load.Batch }

// repeatValues returns one figure from each repeat of c.
func repeatValues(c *Cell, get func(*results.Repeat) float64) []float64 {
	out := make([]float64, 0, len(c.Repeats))
	for i := range c.Repeats {
		out = append(out, get(&c.Repeats[i]))
	}
	return out
}

func repThroughput(r *results.Repeat) float64 { return r.Throughput }
func repP50(r *results.Repeat) float64        { return r.Latency.P50 }
func repMakespan(r *results.Repeat) float64   { return r.Makespan }

// cellLatency is the figure the latency ratio compares: p50, or the
// makespan for the batch model.
func (a *Analysis) cellLatency(c *Cell) float64 {
	if a.Batch() {
		return c.Makespan
	}
	return c.Latency.P50
}

func (a *Analysis) latencyRepeats(c *Cell) []float64 {
	if a.Batch() {
		return repeatValues(c, repMakespan)
	}
	return repeatValues(c, repP50)
}

func usable(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// makeRatio forms num/den with an interval from the repeat samples; text
// puts the quotient ("a/b = cx", operands written as kind) into the
// lesson's wording.
func makeRatio(num, den float64, numRep, denRep []float64, text func(quotient string) string, kind format.Kind) Ratio {
	r := Ratio{Num: num, Den: den}
	if math.IsNaN(num) || math.IsNaN(den) {
		return r
	}
	if !usable(den) || !(num >= 0) || math.IsInf(num, 0) {
		r.Text = text(format.Operands(num, den, kind)) + " (undefined)"
		return r
	}
	r.Value = num / den
	r.Lo, r.Hi = r.Value, r.Value
	if _, lo, hi, conf := stats.RatioCI(numRep, denRep, confidence); conf > 0 && !math.IsNaN(lo) && !math.IsNaN(hi) {
		r.Lo, r.Hi, r.Conf = lo, hi, conf
	}
	r.Text = text(format.Quotient(num, den, kind))
	return r
}

// throughputRatio is num/den of throughputs, named as comparisons of
// kind k are.
func throughputRatio(k Kind, num, den float64, numRep, denRep []float64) Ratio {
	label := ratioLabel(k, "throughput")
	return makeRatio(num, den, numRep, denRep, func(q string) string { return label + " = " + q }, format.Plain)
}

// latencyRatio is num/den of latencies (baseline over cell), named as
// comparisons of kind k are.
func latencyRatio(k Kind, num, den float64, numRep, denRep []float64) Ratio {
	label := ratioLabel(k, "latency")
	if k == Scalability {
		// More resources that lower latency raise performance: the
		// lesson's step 3 wording.
		label = "Performance (latency)"
	}
	return makeRatio(num, den, numRep, denRep, func(q string) string { return label + " = " + q }, format.Seconds)
}

// NotMeasured is the Text of the ratios of a cell that measured nothing.
const NotMeasured = "not measured"

func (a *Analysis) ratios() {
	cells := a.Cells
	a.Ratios = make([]CellRatio, len(cells))
	for i := range cells {
		a.Ratios[i].Cell, a.Ratios[i].Base = i, -1
		if !cells[i].Measured() {
			a.Ratios[i].Throughput.Text, a.Ratios[i].Latency.Text = NotMeasured, NotMeasured
			continue
		}
		if a.Baseline < 0 {
			continue
		}
		c, b := &cells[i], &cells[a.baselineOf(i)]
		a.Ratios[i].Base = a.baselineOf(i)
		k := a.ratioKind(i)
		a.Ratios[i].Throughput = throughputRatio(k, c.Throughput, b.Throughput,
			repeatValues(c, repThroughput), repeatValues(b, repThroughput))
		if bi := a.baselineOf(i); bi != i {
			a.Ratios[i].Throughput.Decomposition = a.decompose(bi, i, a.Ratios[i].Throughput.Value, onlyDim(b.Params, c.Params))
		}
		a.Ratios[i].Latency = latencyRatio(k, a.cellLatency(b), a.cellLatency(c),
			a.latencyRepeats(b), a.latencyRepeats(c))
	}
}

// baselineOf returns the cell that cell i's ratios compare with: the
// baseline for a cell of the baseline's block, else the first cell of its
// own block, since cells of different blocks ran with different settings.
// It needs a baseline (a.Baseline >= 0).
func (a *Analysis) baselineOf(i int) int {
	blk := a.Cells[i].Params.Block
	if blk == a.Cells[a.Baseline].Params.Block {
		return a.Baseline
	}
	for j, c := range a.Cells {
		if c.Params.Block == blk {
			return j
		}
	}
	return i
}

// onlyDim is the one dimension x and y differ in, nil when they differ
// in none or several.
func onlyDim(x, y results.Params) *param.Dimension {
	var out *param.Dimension
	for _, d := range param.Dimensions {
		if d.Label(x) == d.Label(y) {
			continue
		}
		if out != nil {
			return nil
		}
		out = d
	}
	return out
}

// dimension returns the dimension called name (a Series.Dim).
func dimension(name string) *param.Dimension { return param.Lookup(name) }

// withoutDim returns p with dim's value cleared.
func withoutDim(p results.Params, dim string) results.Params { return dimension(dim).Without(p) }

// valueOrder numbers the values of a non-numeric dimension (methods): the
// baseline's first, then the others in the order cells first use them.
func (a *Analysis) valueOrder(d *param.Dimension) map[string]int {
	order := map[string]int{}
	add := func(v string) {
		if _, ok := order[v]; !ok {
			order[v] = len(order)
		}
	}
	if a.Baseline >= 0 {
		add(d.Text(a.Cells[a.Baseline].Params))
	}
	for _, c := range a.Cells {
		add(d.Text(c.Params))
	}
	return order
}

func (a *Analysis) series() {
	cells := a.Cells
	for _, d := range param.Series {
		dim := d.Name
		order := a.valueOrder(d)
		groups := map[results.Params][]int{}
		var keys []results.Params
		for i, c := range cells {
			if !c.Measured() {
				continue // no figure to put on a curve
			}
			k := d.Without(c.Params)
			if _, ok := groups[k]; !ok {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], i)
		}
		slices.SortFunc(keys, param.Compare)
		for _, k := range keys {
			s := Series{Dim: dim, Label: paramsLabel(k, dim), Fixed: k}
			seen := map[float64]bool{}
			for _, ci := range groups[k] {
				p := cells[ci].Params
				pt := Point{Cell: ci, N: d.Value(p), Label: d.Label(p)}
				if !d.Numeric {
					pt.N = float64(order[d.Text(p)])
				}
				if seen[pt.N] {
					continue // a duplicate cell: keep the first
				}
				seen[pt.N] = true
				s.Points = append(s.Points, pt)
			}
			if len(s.Points) < 2 {
				continue
			}
			slices.SortFunc(s.Points, func(x, y Point) int { return cmp.Compare(x.N, y.N) })
			a.fillPoints(&s)
			// A batch's makespan moves in whole rounds of jobs: a staircase
			// the models would draw as a smooth curve.
			if d.Resource && len(s.Points) >= 3 && !a.Batch() {
				a.fit(&s)
			}
			a.Series = append(a.Series, s)
		}
	}
}

func (a *Analysis) fillPoints(s *Series) {
	cells := a.Cells
	first := &cells[s.Points[0].Cell]
	n0 := s.Points[0].N
	for i := range s.Points {
		pt := &s.Points[i]
		c := &cells[pt.Cell]
		pt.Throughput = c.Throughput
		pt.ThroughputCI = c.ThroughputCI
		pt.Latency = c.Latency
		pt.Speedup = throughputRatio(dimKind(dimension(s.Dim)), c.Throughput, first.Throughput,
			repeatValues(c, repThroughput), repeatValues(first, repThroughput))
		if i > 0 {
			pt.Speedup.Decomposition = a.decompose(s.Points[0].Cell, pt.Cell, pt.Speedup.Value, dimension(s.Dim))
		}
		if dimension(s.Dim).Numeric && n0 > 0 {
			pt.Efficiency = pt.Speedup.Value / (pt.N / n0)
		}
	}
}

// fit fits the USL and Amdahl's law to the series, warning when a fit fails
// or is flagged.
func (a *Analysis) fit(s *Series) {
	cells := a.Cells
	useRepeats := true
	for _, pt := range s.Points {
		if len(cells[pt.Cell].Repeats) < 2 {
			useRepeats = false
		}
	}
	var n, x []float64
	for _, pt := range s.Points {
		c := &cells[pt.Cell]
		if useRepeats {
			for _, r := range c.Repeats {
				n, x = append(n, pt.N), append(x, r.Throughput)
			}
			continue
		}
		n, x = append(n, pt.N), append(x, c.Throughput)
	}
	what := fmt.Sprintf("the %s series (%s)", s.Dim, s.Label)
	usl, err := FitUSL(n, x)
	if err != nil {
		a.warn("fit", fmt.Sprintf("USL not fitted to %s: %v", what, err))
	} else {
		s.USL = usl
		if len(usl.Flags) > 0 {
			a.warn("fit", fmt.Sprintf("USL fit of %s: %s", what, strings.Join(usl.Flags, "; ")))
		}
	}
	amdahl, err := FitAmdahl(n, x)
	if err != nil {
		if s.USL != nil { // the same data: one warning is enough
			a.warn("fit", fmt.Sprintf("Amdahl not fitted to %s: %v", what, err))
		}
	} else {
		s.Amdahl = amdahl
	}
}

// boundKind says "I/O-bound" or "CPU-bound" from the stage means and the
// kinds of w's stages, or "" when the stages do not say: I/O-bound when
// the stages that wait (I/O and other waits) take most of a job.
func boundKind(w results.Workload, st results.Stages) string {
	sum := st.Service()
	if !(sum > 0) {
		return ""
	}
	var waiting, known float64
	for _, s := range w.Stages {
		switch s.Kind {
		case results.StageIO, results.StageWait:
			waiting += st[s.Name]
			known += st[s.Name]
		case results.StageCPU:
			known += st[s.Name]
		}
	}
	switch {
	case known < sum/2:
		return "" // most of the time is in stages of no kind
	case waiting/sum > 0.5:
		return "I/O-bound"
	}
	return "CPU-bound"
}

func (a *Analysis) classify() {
	cells := a.Cells
	for si, s := range a.Series {
		d := dimension(s.Dim)
		if !d.Resource {
			continue
		}
		first, last := s.Points[0], s.Points[len(s.Points)-1]
		fc, lc := &cells[first.Cell], &cells[last.Cell]
		if fc.Sliced || lc.Sliced {
			continue // the table needs latency
		}
		k := last.N / first.N
		verdict := judgeScaling(last.Speedup, k)
		cl := Class{Series: si, Concurrency: "low", Latency: "low"}
		if verdict >= ScalingSublinear {
			cl.Concurrency = "high"
		}
		p0, p1 := fc.Latency.P50, lc.Latency.P50
		move := a.latencyMove(fc, lc, false)
		grew := direction(move) == Up && move.Value > latencyGrowth
		work := lc.Stages.Service()
		// In a batch every job waits for its turn by design; elsewhere,
		// waiting longer than working is queueing.
		waiting := !a.Batch() && usable(work) && lc.Latency.Mean > queueFactor*work
		if grew || waiting {
			cl.Latency = "high"
		}
		switch {
		case cl.Concurrency == "high" && cl.Latency == "low":
			cl.Performance, cl.Scalability = "high", "high"
		case cl.Concurrency == "high":
			cl.Performance, cl.Scalability = "variable", "variable"
		case cl.Latency == "high":
			cl.Performance, cl.Scalability = "poor", "poor"
		default:
			cl.Performance, cl.Scalability = "good", "limited"
		}

		var b []byte
		if kind := boundKind(a.Run.Scenario.WorkloadOf(), fc.Stages); kind != "" {
			b = append(b, kind+": "...)
		}
		growth := fmt.Sprintf("%s at %s vs %s", format.Factor(last.Speedup.Value),
			countWord(s.Dim, last.Label), countWord(s.Dim, first.Label))
		if verdict > ScalingLittle {
			growth += ", " + scalingWords(verdict, k, d)
		}
		switch verdict {
		case ScalingNone:
			b = fmt.Appendf(b, "throughput shows no clear change with %s (%s)", d.Word, growth)
		case ScalingLoss:
			b = fmt.Appendf(b, "throughput falls with %s (%s)", d.Word, growth)
		case ScalingLittle:
			b = fmt.Appendf(b, "throughput grows little with %s (%s)", d.Word, growth)
		default:
			b = fmt.Appendf(b, "throughput grows with %s (%s)", d.Word, growth)
		}
		switch {
		case cl.Concurrency == "high" && cl.Latency == "low":
			b = append(b, " while "...)
		case cl.Concurrency == "high":
			b = append(b, " but "...)
		default:
			b = append(b, " and "...)
		}
		switch {
		case grew:
			b = append(b, latencyWords("latency", move, p0, p1)...)
		case waiting:
			b = fmt.Appendf(b, "latency is mostly waiting (mean %s against %s of work)",
				format.DurationFixed(lc.Latency.Mean, true), format.DurationFixed(work, true))
		default:
			b = append(b, latencyWords("latency", move, p0, p1)...)
		}
		b = fmt.Appendf(b, " — %s concurrency, %s latency: ", cl.Concurrency, cl.Latency)
		switch cl.Performance {
		case "high":
			b = append(b, "performance and scalability high."...)
		case "variable":
			b = append(b, "performance and scalability variable, at the mercy of outside factors such as the network."...)
		case "poor":
			b = append(b, "performance and scalability poor: fix latency and concurrency before adding resources."...)
		default:
			b = append(b, "performance good, scalability limited: "+d.Adding()+" "+addsWords(verdict)+"."...)
		}
		cl.Sentence = string(b)
		a.Classes = append(a.Classes, cl)
	}
}

// latencyGrowth is how many times the first point's p50 the last must
// clearly exceed for latency to count as high.
const latencyGrowth = 1.5

// addsWords says what adding a resource did to throughput.
func addsWords(v Scaling) string {
	switch v {
	case ScalingLoss:
		return "costs throughput"
	case ScalingLittle:
		return "adds little throughput"
	}
	return "adds no clear throughput"
}

// slicedRun reports whether any repeat of run is a slice of a sliced A/B
// run.
func slicedRun(run *results.Run) bool {
	for _, c := range run.Cells {
		for _, r := range c.Repeats {
			if r.Slice != nil {
				return true
			}
		}
	}
	return false
}

// noLatency says why cells measured no latency: they are slices of a
// sliced A/B run, or imported Go benchmarks.
func (a *Analysis) noLatency() string {
	if slicedRun(a.Run) {
		return "slices"
	}
	return "Go benchmarks measure none"
}

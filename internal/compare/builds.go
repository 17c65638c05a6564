package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// SplitBuilds splits an A/B run (one results file with a build dimension)
// into its base and head: the cells of build "base" and "head" (or, when
// not so named, of the first and the second of two builds), each without
// the build dimension, with the run order restricted to them.
func SplitBuilds(run *results.Run) (base, head *results.Run, err error) {
	bn, hn, err := BaseAndHead(run)
	if err != nil {
		return nil, nil, err
	}
	return onlyBuild(run, bn), onlyBuild(run, hn), nil
}

// BaseAndHead names the builds of an A/B run that are compared: base and
// head, or the first and the second of two builds otherwise named.
func BaseAndHead(run *results.Run) (base, head string, err error) {
	names := map[string]bool{}
	var order []string
	for _, c := range run.Cells {
		if b := c.Params.Build; b != "" && !names[b] {
			names[b] = true
			order = append(order, b)
		}
	}
	switch {
	case names["base"] && names["head"]:
		return "base", "head", nil
	case len(order) == 2:
		return order[0], order[1], nil
	case len(order) == 0:
		return "", "", &UnusableError{Err: errors.New("the run has no build dimension: compare two result files, BASE.json HEAD.json, or run with --build base=PATH --build head=PATH")}
	}
	return "", "", &UnusableError{Err: fmt.Errorf("the run has builds %s: name them base and head to compare", strings.Join(order, ", "))}
}

// onlyBuild is run restricted to the cells of build name, without the
// build dimension; the environment names that build's version and commit.
func onlyBuild(run *results.Run, name string) *results.Run {
	out := *run
	out.Cells, out.Order, out.Builds = nil, nil, nil
	out.Scenario.Baseline = param.Build.Without(run.Scenario.Baseline)
	index := map[int]int{}
	for i, c := range run.Cells {
		if c.Params.Build != name {
			continue
		}
		index[i] = len(out.Cells)
		c.Params = param.Build.Without(c.Params)
		out.Cells = append(out.Cells, c)
	}
	for _, s := range run.Order {
		if j, ok := index[s.Cell]; ok {
			s.Cell = j
			out.Order = append(out.Order, s)
		}
	}
	for _, b := range run.Builds {
		if b.Name == name {
			out.Builds = []results.Build{b}
			out.Environment.ScalebenchVersion, out.Environment.Commit = b.Version, b.Commit
		}
	}
	return &out
}

// BuildRounds returns what ComparePaired compares for an A/B run:
// for each cell measured by both builds, every point metric round by
// round (repeat i of base and repeat i of head were measured back to back),
// and each build's curve metrics as bootstrap replicates. Failed repeats
// leave their round's value NaN.
func BuildRounds(run *results.Run) (PairedInput, error) { return buildRounds(run, true) }

// PointRounds is BuildRounds without the curve metrics, whose bootstrap
// is too costly to redo after every round of a gate that does not look at
// them.
func PointRounds(run *results.Run) (PairedInput, error) { return buildRounds(run, false) }

func buildRounds(run *results.Run, curves bool) (PairedInput, error) {
	base, head, err := SplitBuilds(run)
	if err != nil {
		return PairedInput{}, err
	}
	var in PairedInput
	baseCells := map[string]int{}
	for i, c := range base.Cells {
		baseCells[CellKey(c.Params).Label] = i
	}
	paired := map[string]bool{}
	var metrics []metric.Metric
	for _, mi := range metric.Metrics() {
		if mi.Kind == metric.Repeats {
			metrics = append(metrics, mi.Metric)
		}
	}
	for hi, hc := range head.Cells {
		key := CellKey(hc.Params)
		bi, ok := baseCells[key.Label]
		if !ok {
			in.Unpaired = append(in.Unpaired, Unpaired{Key: key, Side: "head"})
			continue
		}
		paired[key.Label] = true
		bv, hv := roundValues(base, bi), roundValues(head, hi)
		rounds := 0
		for r := range bv {
			rounds = max(rounds, r+1)
		}
		for r := range hv {
			rounds = max(rounds, r+1)
		}
		for _, m := range metrics {
			p := Rounds{Key: key, Metric: m, Base: nanSlice(rounds), Head: nanSlice(rounds)}
			measured := false
			for r, vals := range bv {
				if v, ok := vals[m]; ok {
					p.Base[r], measured = v, true
				}
			}
			for r, vals := range hv {
				if v, ok := vals[m]; ok {
					p.Head[r] = v
				}
			}
			if measured {
				in.Rounds = append(in.Rounds, p)
			}
		}
	}
	for _, c := range base.Cells {
		if key := CellKey(c.Params); !paired[key.Label] {
			in.Unpaired = append(in.Unpaired, Unpaired{Key: key, Side: "base"})
		}
	}
	if curves {
		in.Curves = PairCells(curveSamples(base), curveSamples(head)).Pairs
	}
	return in, nil
}

// roundValues returns the point metrics of each successful repeat of cell
// ci of run, by repeat index (the round it was measured in).
func roundValues(run *results.Run, ci int) map[int]map[metric.Metric]float64 {
	cs, ok := cellSamples(run, ci)
	out := map[int]map[metric.Metric]float64{}
	if !ok {
		return out
	}
	for i, r := range run.Cells[ci].Repeats {
		if r.Failure != "" || r.Index < 0 || r.Index >= maxRecordedRounds {
			continue
		}
		vals := map[metric.Metric]float64{}
		for m, xs := range cs.Samples {
			if v := xs[i]; !math.IsNaN(v) {
				vals[m] = v
			}
		}
		out[r.Index] = vals
	}
	return out
}

// maxRecordedRounds bounds the rounds of an A/B run the comparison reads, far above
// what a time budget allows, so that a hand-edited repeat index cannot
// make it allocate without bound.
const maxRecordedRounds = 100_000

// BuildCells returns, for each pair key label of an A/B run, the index of
// one of its cells (any build), in cell order: what runner.Interleave needs
// to add a round of the pairs a comparison names.
func BuildCells(run *results.Run, labels []string) []int {
	var out []int
	seen := map[string]bool{}
	for i, c := range run.Cells {
		l := CellKey(param.Build.Without(c.Params)).Label
		if slices.Contains(labels, l) && !seen[l] {
			seen[l] = true
			out = append(out, i)
		}
	}
	return out
}

// BuildGate is the gate an A/B run was made with, as results.json keeps
// it: the default gate for files written before it was kept.
func BuildGate(run *results.Run) (Gate, error) {
	s := run.Gate
	if s == nil {
		return Gate{}, nil
	}
	var g Gate
	if s.FailOn != "" {
		var err error
		if g, err = ParseFailOn(s.FailOn); err != nil {
			return Gate{}, fmt.Errorf("the gate kept in the results: %w", err)
		}
		if s.GateOnly {
			for m := range g.Tolerances {
				g.Only = append(g.Only, m)
			}
			slices.SortFunc(g.Only, func(a, b metric.Metric) int { return strings.Compare(string(a), string(b)) })
		}
	}
	g.FailOnInconclusive = s.FailOnInconclusive
	return g, nil
}

// CompareBuilds compares an A/B run's builds round by round with gate
// (ComparePaired). A run judged, when it was made, by another
// method than this scalebench's gets a warning saying so.
func CompareBuilds(run *results.Run, gate Gate) (*Result, error) {
	in, err := BuildRounds(run)
	if err != nil {
		return nil, err
	}
	res, err := ComparePaired(in, Options{Gate: gate})
	if err != nil {
		return nil, err
	}
	if g := run.Gate; g != nil && g.Method != "" && g.Method != MethodPaired {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the run was judged by method %s when it was made; this scalebench judges by %s, so verdicts may differ from the run's", g.Method, MethodPaired))
	}
	if slicedRun(run) {
		res.Warnings = append(res.Warnings, analysis.SlicesNote)
	}
	return res, nil
}

// slicedRun reports whether any repeat of run is a slice.
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

// Analyze is analysis.Analyze with an A/B run's builds compared, round
// by round, with the gate the run was made with (JudgeBuilds).
func Analyze(run *results.Run) *analysis.Analysis {
	return analysis.AnalyzeJudged(run, JudgeBuilds)
}

// JudgeBuilds compares an A/B run's builds with the gate the run was made
// with and says what it found: its outcome, then each pair's gated
// metrics with their verdicts.
func JudgeBuilds(run *results.Run) ([]string, error) {
	gate, err := BuildGate(run)
	if err != nil {
		return nil, err
	}
	res, err := CompareBuilds(run, gate)
	if err != nil {
		return nil, err
	}
	return buildFindings(res), nil
}

// buildFindings says what res found: the gate's outcome, then each pair's
// gated metrics with their verdicts.
func buildFindings(res *Result) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	o := res.Outcome()
	rounds := 0
	var labels []string
	byPair := map[string][]Row{}
	for _, r := range res.Rows {
		if !r.Gated || !r.Paired {
			continue
		}
		rounds = max(rounds, r.Rounds)
		l := r.Key.Label
		if byPair[l] == nil {
			labels = append(labels, l)
		}
		byPair[l] = append(byPair[l], r)
	}
	how := fmt.Sprintf("head against base, paired over up to %d rounds", rounds)
	switch o.Code {
	case ExitWorse:
		add("The A/B gate fails (%s): %d of %d gated comparisons are worse.", how, len(o.Worse), res.GatedComparisons)
	case ExitInconclusive:
		add("The A/B gate fails (%s): %d of %d gated comparisons are inconclusive.", how, len(o.Inconclusive), res.GatedComparisons)
	default:
		extra := ""
		if n := len(o.Inconclusive); n > 0 {
			extra = fmt.Sprintf("; %d still inconclusive", n)
		}
		add("The A/B gate passes (%s): none of %d gated comparisons is worse%s.", how, res.GatedComparisons, extra)
	}
	for _, l := range labels {
		var parts []string
		for _, r := range byPair[l] {
			parts = append(parts, fmt.Sprintf("%s %s %s", r.Metric, r.Verdict, ratioWithInterval(r)))
		}
		add("Head against base at %s: %s.", l, strings.Join(parts, "; "))
	}
	return out
}

// ratioWithInterval writes a row's head/base with its interval:
// "0.906x [0.851, 0.960]", or "0.906x [no interval]".
func ratioWithInterval(r Row) string {
	if !(r.Ratio > 0) {
		return "(no ratio)"
	}
	return r.RatioInterval()
}

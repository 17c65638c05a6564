package compare

import (
	"fmt"
	"math"
	"slices"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/metric"
)

// Rounds is one metric of one cell of an A/B run, round by round: Base[i]
// and Head[i] were measured back to back in round i, in an order drawn at
// random. NaN marks a side with no value in a round; such a round is left
// out.
type Rounds struct {
	Key        Key
	Metric     metric.Metric
	Base, Head []float64
}

// PairedInput is what ComparePaired works on: the point metrics of an A/B
// run round by round, and its curve metrics as Pairs of bootstrap
// replicates (compared as Compare compares them).
type PairedInput struct {
	Rounds   []Rounds
	Curves   []Pair
	Unpaired []Unpaired
}

// MethodPaired names the paired, sequential comparison in a Result, with
// a version that changes whenever its verdicts on the same rounds would.
const MethodPaired = "paired-sequential-1"

// ComparePaired compares the builds of an A/B run round by round: each
// point metric's rows get the Hodges–Lehmann estimate of head/base, an
// always-valid p-value and a confidence sequence (see sequential.go), so
// its verdicts hold at whatever round the run stopped. The gated rows form
// one Holm family, the others another.
func ComparePaired(in PairedInput, opts Options) (*Result, error) {
	if len(in.Rounds) == 0 && len(in.Curves) == 0 {
		return nil, unusable("compare: no cell is measured by both builds")
	}
	if err := opts.Gate.validate(); err != nil {
		return nil, err
	}
	alpha, conf := opts.alpha(), opts.confidence()
	res := &Result{
		SchemaVersion:      SchemaVersion,
		Method:             MethodPaired,
		Alpha:              alpha,
		Confidence:         conf,
		FailOnInconclusive: opts.Gate.FailOnInconclusive,
		Unpaired:           slices.Clone(in.Unpaired),
	}
	seen := map[string]bool{}
	add := func(i int, k Key, m metric.Metric) (metric.MetricInfo, error) {
		mi, ok := m.Info()
		if !ok {
			return mi, unusable("compare: pair %d (%s): unknown metric %q (valid: %s)", i+1, k.label(), m, metric.MetricNames())
		}
		id := k.label() + "\x00" + string(m)
		if seen[id] {
			return mi, unusable("compare: pair %d: cell %q has metric %s twice", i+1, k.label(), m)
		}
		seen[id] = true
		return mi, nil
	}
	for i, p := range in.Rounds {
		mi, err := add(i, p.Key, p.Metric)
		if err != nil {
			return nil, err
		}
		if mi.Kind != metric.Repeats {
			return nil, unusable("compare: pair %d (%s): %s is a curve metric, not measured round by round", i+1, p.Key.label(), p.Metric)
		}
		res.Rows = append(res.Rows, measurePaired(p, opts.Gate, 1-conf))
	}
	for i, p := range in.Curves {
		mi, err := add(len(in.Rounds)+i, p.Key, p.Metric)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, measure(p, mi, opts.Gate, conf))
	}
	holmFamilies(res)
	sizes := map[bool]int{true: familySize(res, true), false: familySize(res, false)}
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.Paired {
			decidePaired(r, alpha)
		} else {
			decide(r, alpha, sizes[r.Gated])
		}
	}
	res.Geomeans = geomeans(res.Rows)
	return res, nil
}

// measurePaired computes one row of rounds: both sides' medians over the
// complete rounds, the estimate of head/base, its confidence sequence at
// level 1−alpha and the always-valid p-value of no change.
func measurePaired(p Rounds, g Gate, alpha float64) Row {
	r := Row{
		Key:       p.Key,
		Metric:    p.Metric,
		Tolerance: g.Tolerance(p.Metric),
		Gated:     g.Gates(p.Metric),
		Paired:    true,
		P:         math.NaN(),
		PAdj:      math.NaN(),
		Ratio:     math.NaN(),
		RatioLo:   math.NaN(),
		RatioHi:   math.NaN(),
	}
	var base, head, d []float64
	zero := false
	for i := range min(len(p.Base), len(p.Head)) {
		b, h := p.Base[i], p.Head[i]
		if math.IsNaN(b) || math.IsNaN(h) || math.IsInf(b, 0) || math.IsInf(h, 0) {
			continue
		}
		base, head = append(base, b), append(head, h)
		if !(b > 0 && h > 0) {
			zero = true
			continue
		}
		d = append(d, math.Log(h/b))
	}
	r.Rounds = len(d)
	r.Base = repeatSide(base, 1-alpha)
	r.Head = repeatSide(head, 1-alpha)
	if zero {
		r.Warnings = append(r.Warnings, "a round measured zero: its ratio is undefined and it is left out")
	}
	if len(d) == 0 {
		return r
	}
	t := newPairedTest(d)
	r.Ratio = math.Exp(t.estimate())
	r.P = t.pValue()
	if lo, hi, ok := t.interval(alpha); ok {
		r.RatioLo, r.RatioHi, r.RatioConf = math.Exp(lo), math.Exp(hi), 1-alpha
	}
	return r
}

// decidePaired sets the verdict and hint of a row of rounds once PAdj is
// known. With tol its tolerance:
//   - worse or better: the adjusted always-valid p-value is below α and the
//     estimate moved by more than tol;
//   - same: the confidence sequence lies inside [1−tol, 1+tol];
//   - not worse: it excludes every change worse than tol;
//   - inconclusive otherwise: more rounds would tell.
func decidePaired(r *Row, alpha float64) {
	mi, _ := r.Metric.Info()
	if r.Rounds == 0 || math.IsNaN(r.Ratio) {
		r.Verdict, r.HintKind = Inconclusive, HintUndefined
		r.Hint = "no ratio: no round measured both builds with a value above zero"
		return
	}
	tol := r.Tolerance
	change := r.Ratio - 1
	if !math.IsNaN(r.PAdj) && r.PAdj < alpha && math.Abs(change) > tol {
		if (change > 0) == (mi.Direction == metric.HigherIsBetter) {
			r.Verdict = Better
		} else {
			r.Verdict = Worse
		}
		return
	}
	bounded := r.RatioConf > 0
	if bounded && r.RatioLo >= 1-tol && r.RatioHi <= 1+tol {
		r.Verdict = Same
		return
	}
	if bounded && r.badSideWithin(mi.Direction) {
		r.Verdict = NotWorse
		return
	}
	r.Verdict, r.HintKind = Inconclusive, HintMoreRounds
	switch {
	case !bounded:
		r.Hint = fmt.Sprintf("more rounds: after %d the %.0f%% interval is not yet bounded", r.Rounds, 100*(1-alpha))
	case math.Abs(change) > tol:
		r.Hint = fmt.Sprintf("more rounds: the change %s is not yet significant (always-valid p=%.3g, %.3g after Holm)", format.Change(change), r.P, r.PAdj)
	default:
		r.Hint = fmt.Sprintf("more rounds: the interval [%s, %s] still reaches beyond %s", format.Ratio(r.RatioLo), format.Ratio(r.RatioHi), badBound(mi.Direction, tol))
	}
}

// badSideWithin tells whether the interval excludes every change worse
// than the tolerance in direction dir's bad way.
func (r Row) badSideWithin(dir metric.Direction) bool {
	if dir == metric.HigherIsBetter {
		return r.RatioLo >= 1-r.Tolerance
	}
	return r.RatioHi <= 1+r.Tolerance
}

// badBound is the ratio beyond which a change is worse, e.g. "0.950".
func badBound(dir metric.Direction, tol float64) string {
	if dir == metric.HigherIsBetter {
		return format.Ratio(1 - tol)
	}
	return format.Ratio(1 + tol)
}

// holmFamilies sets PAdj of every row: the gated rows form one Holm
// family, the others another; GatedComparisons is the first's size.
func holmFamilies(res *Result) {
	for _, gated := range []bool{true, false} {
		var idx []int
		var ps []float64
		for i, r := range res.Rows {
			if r.Gated == gated && !math.IsNaN(r.P) {
				idx = append(idx, i)
				ps = append(ps, r.P)
			}
		}
		adj := Holm(ps)
		for k, i := range idx {
			res.Rows[i].PAdj = adj[k]
		}
		if gated {
			res.GatedComparisons = len(idx)
		}
	}
}

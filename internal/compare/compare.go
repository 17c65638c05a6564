package compare

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/stats"
)

// SchemaVersion is the version of the JSON form of a Result.
const SchemaVersion = 1

// Repeat counts below which a side cannot support a verdict.
const (
	// MinRepeatsToDetect: with fewer repeats per side the smallest possible
	// two-sided Mann–Whitney p-value is above 0.05 (3 vs 3 gives 0.1).
	MinRepeatsToDetect = 4
	// MinRepeatsForInterval: with fewer repeats per side the order
	// statistics give no 95% interval for a median (5 give 93.75%), so
	// equivalence cannot be shown.
	MinRepeatsForInterval = 6
)

// Param is one dimension of a cell and its value, e.g. workers=4.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Key identifies a cell.
type Key struct {
	// Label is the cell as people read it, e.g. "gomaxprocs=1 workers=4 replicas=1".
	Label string `json:"label"`
	// Params are the cell's dimensions in the scenario's order.
	Params []Param `json:"params,omitempty"`
}

// label returns Label, or the params joined with spaces when it is empty.
func (k Key) label() string {
	if k.Label != "" {
		return k.Label
	}
	parts := make([]string, len(k.Params))
	for i, p := range k.Params {
		parts[i] = p.Key + "=" + p.Value
	}
	return strings.Join(parts, " ")
}

// Pair is one metric of one cell measured on the base and on the head.
type Pair struct {
	Key    Key
	Metric metric.Metric
	// Base and Head hold one value per repeat, or bootstrap replicates
	// for curve metrics. NaN values are ignored.
	Base, Head []float64
	// BaseRepeats and HeadRepeats are the numbers of repeats behind
	// bootstrap replicates (curve metrics only), used for warnings.
	BaseRepeats, HeadRepeats int
}

// Unpaired is a cell found on one side only.
type Unpaired struct {
	Key Key `json:"key"`
	// Side is "base" or "head": the side that has the cell.
	Side string `json:"side"`
}

// Input is what Compare works on.
type Input struct {
	Pairs    []Pair
	Unpaired []Unpaired
}

// Options tune Compare. The zero value means α = 0.05, 95% intervals and
// the default gate.
type Options struct {
	// Alpha is the family-wise significance level (0.05 when zero).
	Alpha float64
	// Confidence of the intervals (0.95 when zero).
	Confidence float64
	// Gate sets tolerances and which metrics gate.
	Gate Gate
}

func (o Options) alpha() float64 {
	if o.Alpha > 0 && o.Alpha < 1 {
		return o.Alpha
	}
	return 0.05
}

func (o Options) confidence() float64 {
	if o.Confidence > 0 && o.Confidence < 1 {
		return o.Confidence
	}
	return 0.95
}

// Verdict is the answer for one comparison.
type Verdict string

// Verdicts.
const (
	// Worse: significant after Holm correction and beyond tolerance in the
	// bad direction.
	Worse Verdict = "worse"
	// Better: significant and beyond tolerance in the good direction.
	Better Verdict = "better"
	// Same: the ratio's interval lies inside ±tolerance.
	Same Verdict = "same"
	// NotWorse: the interval excludes every change worse than the
	// tolerance, but not every change better than it (paired rows only).
	NotWorse Verdict = "not worse"
	// Inconclusive: neither; Row.Hint says what would resolve it.
	Inconclusive Verdict = "inconclusive"
)

// HintKind names what would resolve an inconclusive comparison.
type HintKind string

// Hint kinds.
const (
	HintNone         HintKind = ""
	HintMoreRepeats  HintKind = "more-repeats"
	HintLongerWindow HintKind = "longer-window"
	HintUndefined    HintKind = "undefined"
	// HintMoreRounds: an A/B run's pair needs more rounds (--until-resolved).
	HintMoreRounds HintKind = "more-rounds"
)

// Side summarises one side of a comparison.
type Side struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	// Lo and Hi bound the median at confidence Conf (order statistics for
	// repeats, bootstrap percentiles for curve metrics). Conf below the
	// requested confidence means there were too few repeats.
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	Conf float64 `json:"conf"`
}

// Row is the comparison of one metric of one cell.
type Row struct {
	Key       Key           `json:"key"`
	Metric    metric.Metric `json:"metric"`
	Tolerance float64       `json:"tolerance"`
	// Gated tells whether the row counts for the gate.
	Gated bool `json:"gated"`
	// Paired is true for a row of an A/B run compared round by round
	// (ComparePaired); Rounds is then the number of complete rounds.
	Paired bool `json:"paired,omitempty"`
	Rounds int  `json:"rounds,omitempty"`
	Base   Side `json:"base"`
	Head   Side `json:"head"`
	// Ratio is median(head)/median(base), with its interval at RatioConf.
	Ratio     float64 `json:"ratio"`
	RatioLo   float64 `json:"ratio_lo"`
	RatioHi   float64 `json:"ratio_hi"`
	RatioConf float64 `json:"ratio_conf"`
	// P is the two-sided p-value (Mann–Whitney for repeats, bootstrap for
	// curve metrics); PAdj is P after Holm correction within its family
	// (the gated rows, or the informational rows).
	P        float64  `json:"p"`
	PAdj     float64  `json:"p_adj"`
	Verdict  Verdict  `json:"verdict"`
	HintKind HintKind `json:"hint_kind,omitempty"`
	Hint     string   `json:"hint,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Change returns Ratio − 1, the relative change of the median.
func (r Row) Change() float64 { return r.Ratio - 1 }

// Geomean is the geometric mean of the medians of one metric across pairs,
// as benchstat prints it.
type Geomean struct {
	Metric metric.Metric `json:"metric"`
	Pairs  int           `json:"pairs"`
	Base   float64       `json:"base"`
	Head   float64       `json:"head"`
	Ratio  float64       `json:"ratio"`
}

// Result is the outcome of Compare.
type Result struct {
	SchemaVersion int `json:"schema_version"`
	// Method is MethodPaired for an A/B run compared round by round, empty
	// for two runs compared repeat by repeat.
	Method     string  `json:"method,omitempty"`
	Alpha      float64 `json:"alpha"`
	Confidence float64 `json:"confidence"`
	// GatedComparisons is the size of the Holm family of gated rows.
	GatedComparisons   int        `json:"gated_comparisons"`
	FailOnInconclusive bool       `json:"fail_on_inconclusive"`
	Rows               []Row      `json:"rows"`
	Geomeans           []Geomean  `json:"geomeans,omitempty"`
	Unpaired           []Unpaired `json:"unpaired,omitempty"`
	// Warnings concern the whole comparison.
	Warnings []string `json:"warnings,omitempty"`
}

// UnusableError reports input that cannot be compared (exit code 2).
type UnusableError struct{ Err error }

func (e *UnusableError) Error() string { return e.Err.Error() }
func (e *UnusableError) Unwrap() error { return e.Err }

func unusable(format string, args ...any) error {
	return &UnusableError{fmt.Errorf(format, args...)}
}

// Compare compares every pair and returns the rows in input order, one
// geomean per metric with at least two pairs, and the unpaired cells.
func Compare(in Input, opts Options) (*Result, error) {
	if len(in.Pairs) == 0 {
		return nil, unusable("compare: no cell is measured on both sides")
	}
	if err := opts.Gate.validate(); err != nil {
		return nil, err
	}
	alpha, conf := opts.alpha(), opts.confidence()
	res := &Result{
		SchemaVersion:      SchemaVersion,
		Alpha:              alpha,
		Confidence:         conf,
		FailOnInconclusive: opts.Gate.FailOnInconclusive,
		Unpaired:           slices.Clone(in.Unpaired),
	}
	seen := map[string]bool{}
	for i, p := range in.Pairs {
		mi, ok := p.Metric.Info()
		if !ok {
			return nil, unusable("compare: pair %d (%s): unknown metric %q (valid: %s)", i+1, p.Key.label(), p.Metric, metric.MetricNames())
		}
		id := p.Key.label() + "\x00" + string(p.Metric)
		if seen[id] {
			return nil, unusable("compare: pair %d: cell %q has metric %s twice", i+1, p.Key.label(), p.Metric)
		}
		seen[id] = true
		res.Rows = append(res.Rows, measure(p, mi, opts.Gate, conf))
	}
	holmFamilies(res)
	sizes := map[bool]int{true: familySize(res, true), false: familySize(res, false)}
	for i := range res.Rows {
		decide(&res.Rows[i], alpha, sizes[res.Rows[i].Gated])
	}
	res.Geomeans = geomeans(res.Rows)
	res.Warnings = powerWarnings(res)
	return res, nil
}

// minP returns the smallest two-sided exact Mann–Whitney p-value two
// samples of sizes m and n can reach: 2/C(m+n, m).
func minP(m, n int) float64 {
	c := 1.0
	for i := 1; i <= m; i++ {
		c = c * float64(n+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// powerWarnings warns when the smallest repeat counts cannot reach
// significance after Holm's correction for the gated family, whatever the
// change.
func powerWarnings(res *Result) []string {
	k := res.GatedComparisons
	if k == 0 {
		return nil
	}
	nb, nh := 0, 0
	for _, r := range res.Rows {
		mi, _ := r.Metric.Info()
		if !r.Gated || mi.Kind != metric.Repeats || r.Base.N == 0 || r.Head.N == 0 {
			continue
		}
		if nb == 0 || min(r.Base.N, r.Head.N) < min(nb, nh) {
			nb, nh = r.Base.N, r.Head.N
		}
	}
	if nb == 0 {
		return nil
	}
	threshold := res.Alpha / float64(k)
	if p := minP(nb, nh); p >= threshold {
		need := max(nb, nh)
		for minP(need, need) >= threshold && need < 1000 {
			need++
		}
		return []string{fmt.Sprintf("with %d and %d repeats the smallest possible p-value is %.3g, not below α/%d = %.3g for %d gated comparisons: no change can be found significant; use at least %d repeats per side or gate fewer metrics", nb, nh, p, k, threshold, k, need)}
	}
	return nil
}

func familySize(res *Result, gated bool) int {
	n := 0
	for _, r := range res.Rows {
		if r.Gated == gated && !math.IsNaN(r.P) {
			n++
		}
	}
	return n
}

// measure computes the medians, the ratio and the raw p-value of one pair.
func measure(p Pair, mi metric.MetricInfo, g Gate, conf float64) Row {
	r := Row{
		Key:       p.Key,
		Metric:    p.Metric,
		Tolerance: g.Tolerance(p.Metric),
		Gated:     g.Gates(p.Metric),
		P:         math.NaN(),
		PAdj:      math.NaN(),
	}
	if mi.Kind == metric.Bootstrap {
		measureBootstrap(&r, p, conf)
	} else {
		r.Base = repeatSide(p.Base, conf)
		r.Head = repeatSide(p.Head, conf)
		if r.Base.N > 0 && r.Head.N > 0 {
			_, r.P = stats.MannWhitney(p.Base, p.Head)
		}
		r.Ratio, r.RatioLo, r.RatioHi, r.RatioConf = stats.RatioCI(p.Head, p.Base, conf)
		if min(r.Base.N, r.Head.N) < MinRepeatsForInterval {
			// A bootstrap of so few repeats would claim a coverage the
			// medians' own intervals cannot reach: show no interval.
			r.RatioLo, r.RatioHi, r.RatioConf = math.NaN(), math.NaN(), 0
		}
	}
	nb, nh := r.Base.N, r.Head.N
	if mi.Kind == metric.Bootstrap {
		nb, nh = p.BaseRepeats, p.HeadRepeats
	}
	for _, s := range []struct {
		name string
		n    int
		side Side
	}{{"base", nb, r.Base}, {"head", nh, r.Head}} {
		switch {
		case s.n == 0 && mi.Kind == metric.Repeats:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s has no values", s.name))
		case s.n == 0:
			// Repeat count unknown for bootstrap replicates: nothing to say.
		case s.n < MinRepeatsToDetect:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s has %d repeats: fewer than %d cannot show a difference at 5%%", s.name, s.n, MinRepeatsToDetect))
		case s.n < MinRepeatsForInterval && mi.Kind == metric.Repeats:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s has %d repeats: fewer than %d give no 95%% interval (its median's interval covers %.1f%%)", s.name, s.n, MinRepeatsForInterval, 100*s.side.Conf))
		case s.n < MinRepeatsForInterval:
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s has %d repeats: fewer than %d make a rough bootstrap", s.name, s.n, MinRepeatsForInterval))
		}
	}
	if math.IsNaN(r.Ratio) && r.Base.N > 0 && r.Head.N > 0 {
		r.Warnings = append(r.Warnings, "base median is zero: the ratio is undefined")
	}
	return r
}

func repeatSide(xs []float64, conf float64) Side {
	s := Side{N: countNumbers(xs), Median: stats.Median(xs)}
	s.Lo, s.Hi, s.Conf = stats.MedianCI(xs, conf)
	return s
}

func countNumbers(xs []float64) int {
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			n++
		}
	}
	return n
}

// measureBootstrap treats Base and Head as independent bootstrap
// replicates: the i-th head over the i-th base is a draw from the ratio's
// bootstrap distribution, whose percentiles give the interval and whose
// mass on the far side of 1 gives a two-sided p-value.
func measureBootstrap(r *Row, p Pair, conf float64) {
	r.Base = bootSide(p.Base, conf)
	r.Head = bootSide(p.Head, conf)
	if r.Base.N == 0 || r.Head.N == 0 || r.Base.Median == 0 {
		r.Ratio, r.RatioLo, r.RatioHi = math.NaN(), math.NaN(), math.NaN()
		return
	}
	r.Ratio = r.Head.Median / r.Base.Median
	base, head := numbers(p.Base), numbers(p.Head)
	n := min(len(base), len(head))
	ratios := make([]float64, 0, n)
	for i := range n {
		if base[i] != 0 {
			ratios = append(ratios, head[i]/base[i])
		}
	}
	if len(ratios) < 2 {
		r.RatioLo, r.RatioHi = r.Ratio, r.Ratio
		return
	}
	slices.Sort(ratios)
	a := (1 - conf) / 2
	r.RatioLo, r.RatioHi, r.RatioConf = quantile(ratios, a), quantile(ratios, 1-a), conf
	below, above := 0, 0
	for _, x := range ratios {
		if x <= 1 {
			below++
		}
		if x >= 1 {
			above++
		}
	}
	r.P = math.Min(1, 2*float64(min(below, above)+1)/float64(len(ratios)+1))
}

func bootSide(xs []float64, conf float64) Side {
	s := numbers(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return Side{Median: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	a := (1 - conf) / 2
	return Side{N: len(s), Median: stats.Median(s), Lo: quantile(s, a), Hi: quantile(s, 1-a), Conf: conf}
}

func numbers(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	return out
}

// quantile returns the q-quantile of sorted s by linear interpolation.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	f := pos - float64(i)
	return s[i] + f*(s[i+1]-s[i])
}

// decide sets the verdict and hint of r once PAdj is known; family is the
// number of comparisons in r's Holm family.
func decide(r *Row, alpha float64, family int) {
	mi, _ := r.Metric.Info()
	nb, nh := r.Base.N, r.Head.N
	if math.IsNaN(r.Ratio) || nb == 0 || nh == 0 {
		r.Verdict, r.HintKind = Inconclusive, HintUndefined
		r.Hint = "no ratio: a side has no values or a zero median"
		return
	}
	n := min(nb, nh)
	bootstrap := mi.Kind == metric.Bootstrap
	tol := r.Tolerance
	change := r.Ratio - 1
	significant := !math.IsNaN(r.PAdj) && r.PAdj < alpha
	if significant && math.Abs(change) > tol {
		if (change > 0) == (mi.Direction == metric.HigherIsBetter) {
			r.Verdict = Better
		} else {
			r.Verdict = Worse
		}
		return
	}
	hasInterval := bootstrap || n >= MinRepeatsForInterval
	if hasInterval && r.RatioConf > 0 && r.RatioLo >= 1-tol && r.RatioHi <= 1+tol {
		r.Verdict = Same
		return
	}
	r.Verdict = Inconclusive
	switch {
	case bootstrap:
		r.HintKind = HintMoreRepeats
		r.Hint = fmt.Sprintf("more repeats or more points in the series: the interval [%s, %s] reaches beyond ±%s", format.Ratio(r.RatioLo), format.Ratio(r.RatioHi), format.Fraction(tol))
	case n < MinRepeatsToDetect:
		r.HintKind = HintMoreRepeats
		r.Hint = fmt.Sprintf("more repeats: %d per side cannot show a difference; use at least %d (%d to show equivalence)", n, MinRepeatsToDetect, MinRepeatsForInterval)
	case n < MinRepeatsForInterval && math.Abs(change) <= tol:
		r.HintKind = HintMoreRepeats
		r.Hint = fmt.Sprintf("more repeats: %d per side give no 95%% interval, so equivalence cannot be shown; use at least %d", n, MinRepeatsForInterval)
	default:
		// The interval must shrink: to exclude 1 when the change is beyond
		// tolerance, to fit inside ±tolerance when it is not. Its width
		// shrinks about as 1/√n.
		half := (r.RatioHi - r.RatioLo) / 2
		target := tol - math.Abs(change)
		why := fmt.Sprintf("narrow the ratio's interval (now [%s, %s]) to within ±%s", format.Ratio(r.RatioLo), format.Ratio(r.RatioHi), format.Fraction(tol))
		if math.Abs(change) > tol {
			target = math.Abs(change)
			why = fmt.Sprintf("show whether the change %s is real (p=%.3g, %.3g after correcting for %d comparisons)", format.Change(change), r.P, r.PAdj, family)
		}
		need := math.Inf(1)
		if target > 0 && half > 0 {
			need = math.Ceil(float64(n) * (half / target) * (half / target))
		}
		if need <= float64(4*n) {
			r.HintKind = HintMoreRepeats
			r.Hint = fmt.Sprintf("more repeats: about %d per side would %s", max(int(need), n+1), why)
		} else {
			r.HintKind = HintLongerWindow
			r.Hint = fmt.Sprintf("a longer measurement window: repeats vary too much to %s with fewer than %d repeats per side", why, 4*n)
		}
	}
}

func geomeans(rows []Row) []Geomean {
	type acc struct {
		n          int
		lb, lh     float64
		firstIndex int
	}
	byMetric := map[metric.Metric]*acc{}
	for i, r := range rows {
		if !(r.Base.Median > 0 && r.Head.Median > 0) {
			continue
		}
		a := byMetric[r.Metric]
		if a == nil {
			a = &acc{firstIndex: i}
			byMetric[r.Metric] = a
		}
		a.n++
		a.lb += math.Log(r.Base.Median)
		a.lh += math.Log(r.Head.Median)
	}
	var out []Geomean
	for m, a := range byMetric {
		if a.n < 2 {
			continue
		}
		b, h := math.Exp(a.lb/float64(a.n)), math.Exp(a.lh/float64(a.n))
		out = append(out, Geomean{Metric: m, Pairs: a.n, Base: b, Head: h, Ratio: h / b})
	}
	slices.SortFunc(out, func(x, y Geomean) int { return x.Metric.Order() - y.Metric.Order() })
	return out
}

// ExitCode is the gate's answer as a process exit code.
type ExitCode int

// Exit codes of the gate.
const (
	ExitOK           ExitCode = 0
	ExitWorse        ExitCode = 1
	ExitUnusable     ExitCode = 2
	ExitInconclusive ExitCode = 3
)

// Outcome is the gate's decision over a Result.
type Outcome struct {
	Code ExitCode
	// Worse and Inconclusive index the gated rows with those verdicts.
	Worse, Inconclusive []int
}

// Outcome applies the gate: ExitWorse when any gated row is worse,
// otherwise ExitInconclusive when the gate fails on inconclusive rows and
// one is, otherwise ExitOK.
func (r *Result) Outcome() Outcome {
	var o Outcome
	for i, row := range r.Rows {
		if !row.Gated {
			continue
		}
		switch row.Verdict {
		case Worse:
			o.Worse = append(o.Worse, i)
		case Inconclusive:
			o.Inconclusive = append(o.Inconclusive, i)
		}
	}
	switch {
	case len(o.Worse) > 0:
		o.Code = ExitWorse
	case r.FailOnInconclusive && len(o.Inconclusive) > 0:
		o.Code = ExitInconclusive
	}
	return o
}

// ExitCodeOf maps an error from this package to an exit code: nil is
// ExitOK, anything else (unusable input, bad flags, bad thresholds) is
// ExitUnusable.
func ExitCodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	return ExitUnusable
}

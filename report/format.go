package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/results"
)

// Number, duration and ratio formatting is the shared format package's.
var (
	finite      = format.Finite
	fmtNum      = format.Number
	fmtDur      = format.Duration
	fmtDurRange = format.DurationRange
	fmtRate     = format.Rate
	fmtPct      = format.Percent
	fmtBytes    = format.Bytes
)

// fmtInterval formats a confidence interval as "(95% CI lo–hi)", or ""
// when there is none.
func fmtInterval(iv results.Interval, f func(float64) string) string {
	return fmtIntervalRange(iv, func(lo, hi float64) string { return f(lo) + "–" + f(hi) })
}

// fmtDurInterval is fmtInterval for durations, with one unit: "(95% CI 1.47–1.65 s)".
func fmtDurInterval(iv results.Interval) string { return fmtIntervalRange(iv, fmtDurRange) }

func fmtIntervalRange(iv results.Interval, f func(lo, hi float64) string) string {
	if iv.Confidence <= 0 || iv.N < 2 || !finite(iv.Lo) || !finite(iv.Hi) {
		return ""
	}
	return fmt.Sprintf("(%s%% CI %s)", fmtNum(iv.Confidence*100), f(iv.Lo, iv.Hi))
}

// dimAxis is a dimension's axis label, with its unit.
func dimAxis(dim string) string {
	switch dim {
	case "workers":
		return "workers (goroutines)"
	case "gomaxprocs":
		return "GOMAXPROCS (cores)"
	case "replicas":
		return "replicas (processes)"
	case "rate":
		return "offered rate (jobs/s)"
	case "method":
		return "thumbnail method"
	}
	return dim
}

// dimName is how headings name a dimension.
func dimName(dim string) string {
	switch dim {
	case "workers":
		return "workers"
	case "gomaxprocs":
		return "GOMAXPROCS"
	case "replicas":
		return "replicas"
	case "rate":
		return "offered rate"
	case "method":
		return "method"
	}
	return dim
}

// lesson names what a dimension stands for in the lesson.
func lesson(dim string) string {
	switch dim {
	case "workers":
		return "concurrency: more goroutines in one process"
	case "gomaxprocs":
		return "scale up: more cores for one process"
	case "replicas":
		return "scale out: more worker processes"
	case "rate":
		return "load: a higher offered arrival rate"
	case "method":
		return "performance: a different thumbnail method"
	}
	return ""
}

// paramParts names each param of p in the order the matrix lists them;
// rate and method only when set.
func paramParts(p results.Params) []string {
	all := paramPartsAll(p)
	parts := append([]string(nil), all[:3]...)
	if p.Rate != 0 {
		parts = append(parts, all[3])
	}
	if p.Method != "" {
		parts = append(parts, all[4])
	}
	return parts
}

// paramsText names every param of p: "GOMAXPROCS=2 workers=8 replicas=1".
func paramsText(p results.Params) string { return strings.Join(paramParts(p), " ") }

// labeller names params by only the dimensions that vary across a set, so
// labels stay short: "GOMAXPROCS=2 workers=8".
type labeller struct{ vary [5]bool }

func newLabeller(ps []results.Params) labeller {
	var l labeller
	for _, p := range ps {
		q := ps[0]
		l.vary[0] = l.vary[0] || p.GOMAXPROCS != q.GOMAXPROCS
		l.vary[1] = l.vary[1] || p.Workers != q.Workers
		l.vary[2] = l.vary[2] || p.Replicas != q.Replicas
		l.vary[3] = l.vary[3] || p.Rate != q.Rate
		l.vary[4] = l.vary[4] || p.Method != q.Method
	}
	return l
}

// label names p by the varying dimensions, or by all when none vary.
func (l labeller) label(p results.Params) string {
	var parts []string
	for i, s := range paramPartsAll(p) {
		if l.vary[i] {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return paramsText(p)
	}
	return strings.Join(parts, " ")
}

// paramPartsAll names every param of p, set or not.
func paramPartsAll(p results.Params) []string {
	return []string{
		"GOMAXPROCS=" + strconv.Itoa(p.GOMAXPROCS),
		"workers=" + strconv.Itoa(p.Workers),
		"replicas=" + strconv.Itoa(p.Replicas),
		"rate=" + fmtNum(p.Rate) + "/s",
		"method=" + p.Method,
	}
}

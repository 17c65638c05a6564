package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// fmtNum formats v with three significant digits and no exponent:
// 2412.3 → "2410", 180 → "180", 1.5 → "1.5", 0.01234 → "0.0123".
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "−∞"
	case v == 0:
		return "0"
	}
	return analysis.FormatNumber(v)
}

// fmtDur formats seconds in the unit that suits them: "1.23 s", "850 ms", "42 µs".
func fmtDur(sec float64) string {
	switch {
	case !finite(sec):
		return "—"
	case sec == 0:
		return "0"
	}
	scale, unit := durUnit(sec)
	return fmtNum(sec*scale) + " " + unit
}

// durUnit is the unit fmtDur shows sec in, and the factor to it.
func durUnit(sec float64) (float64, string) {
	switch {
	case math.Abs(sec) >= 1:
		return 1, "s"
	case math.Abs(sec) >= 1e-3:
		return 1e3, "ms"
	}
	return 1e6, "µs"
}

// fmtDurRange formats two durations in the unit of the larger: "930 ms–1.01 s"
// becomes "0.93–1.01 s".
func fmtDurRange(lo, hi float64) string {
	scale, unit := durUnit(max(math.Abs(lo), math.Abs(hi)))
	return fmtNum(lo*scale) + "–" + fmtNum(hi*scale) + " " + unit
}

// fmtRate formats a throughput in jobs per second.
func fmtRate(x float64) string { return fmtNum(x) + " jobs/s" }

// fmtPct formats a fraction as a percentage.
func fmtPct(f float64) string {
	if !finite(f) {
		return "—"
	}
	return fmtNum(f*100) + "%"
}

// fmtBytes formats a byte count in binary units.
func fmtBytes(b int64) string {
	if b <= 0 {
		return "—"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v := float64(b)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmtNum(v) + " " + units[i]
}

// fmtInterval formats a confidence interval as "(95% CI lo–hi)", or ""
// when there is none.
func fmtInterval(iv analysis.Interval, f func(float64) string) string {
	return fmtIntervalRange(iv, func(lo, hi float64) string { return f(lo) + "–" + f(hi) })
}

// fmtDurInterval is fmtInterval for durations, with one unit: "(95% CI 1.47–1.65 s)".
func fmtDurInterval(iv analysis.Interval) string { return fmtIntervalRange(iv, fmtDurRange) }

func fmtIntervalRange(iv analysis.Interval, f func(lo, hi float64) string) string {
	if iv.Confidence <= 0 || iv.N < 2 || !finite(iv.Lo) || !finite(iv.Hi) {
		return ""
	}
	return fmt.Sprintf("(%s%% CI %s)", fmtNum(iv.Confidence*100), f(iv.Lo, iv.Hi))
}

// dimAxis is a dimension's axis label, with its unit.
func dimAxis(dim string) string { return param.Lookup(dim).Axis }

// dimName is how headings name a dimension.
func dimName(dim string) string { return param.Lookup(dim).Word }

// lesson names what a dimension stands for in the lesson.
func lesson(dim string) string { return param.Lookup(dim).Heading() }

// paramParts names each param of p in the order the matrix lists them;
// optional ones (rate, method) only when set.
func paramParts(p results.Params) []string {
	var parts []string
	for _, d := range param.Dimensions {
		if !d.Optional || d.Set(p) {
			parts = append(parts, paramPart(d, p))
		}
	}
	return parts
}

// paramPart names one param: "GOMAXPROCS=2", "rate=100/s".
func paramPart(d *param.Dimension, p results.Params) string { return d.Tag + "=" + d.Label(p) }

// paramsText names every param of p: "GOMAXPROCS=2 workers=8 replicas=1".
func paramsText(p results.Params) string { return strings.Join(paramParts(p), " ") }

// labeller names params by only the dimensions that vary across a set, so
// labels stay short: "GOMAXPROCS=2 workers=8".
type labeller struct{ vary []*param.Dimension }

func newLabeller(ps []results.Params) labeller {
	var l labeller
	for _, d := range param.Dimensions {
		for _, p := range ps {
			if d.Label(p) != d.Label(ps[0]) {
				l.vary = append(l.vary, d)
				break
			}
		}
	}
	return l
}

// label names p by the varying dimensions, or by all when none vary.
func (l labeller) label(p results.Params) string {
	if len(l.vary) == 0 {
		return paramsText(p)
	}
	parts := make([]string, len(l.vary))
	for i, d := range l.vary {
		parts[i] = paramPart(d, p)
	}
	return strings.Join(parts, " ")
}

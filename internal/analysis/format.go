package analysis

import (
	"math"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// FormatNumber formats v with up to three significant digits and no
// exponent: 2412.3 → "2410", 180 → "180", 1.5 → "1.5", 0.01234 → "0.0123".
func FormatNumber(v float64) string { return fmtNum(v) }

func fmtNum(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	mag := int(math.Floor(math.Log10(math.Abs(v))))
	if mag >= 2 {
		p := math.Pow(10, float64(mag-2))
		return strconv.FormatFloat(math.Round(v/p)*p, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 2-mag, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// durationUnits are the units latencies are shown in, largest first.
var durationUnits = []struct {
	name  string
	scale float64
}{{"s", 1}, {"ms", 1e-3}, {"µs", 1e-6}, {"ns", 1e-9}}

// fmtDur formats a duration in seconds in the largest unit that keeps the
// value >= 1: two significant digits for the lesson's ratio wording ("2.0s",
// "51ms", "3.1ms") when long is false, three for sentences ("1.52 s",
// "310 ms", "51 ms") when long is true, which also puts a space before the
// unit.
func fmtDur(sec float64, long bool) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return strconv.FormatFloat(sec, 'f', -1, 64)
	}
	sep := ""
	if long {
		sep = " "
	}
	if sec == 0 {
		return "0" + sep + "s"
	}
	small := 1
	if long {
		small = 2
	}
	for i, u := range durationUnits {
		v := sec / u.scale
		if math.Abs(v) < 1 && i < len(durationUnits)-1 {
			continue
		}
		dec := small
		if math.Abs(v) >= 9.95 {
			dec = 0
		}
		s := strconv.FormatFloat(v, 'f', dec, 64)
		if i > 0 && math.Abs(v) >= 999.5 {
			// Rounds up to 1000 of this unit: show it in the next larger one.
			u = durationUnits[i-1]
			s = strconv.FormatFloat(v/1000, 'f', small, 64)
		}
		return s + sep + u.name
	}
	return ""
}

// fmtTimes formats a ratio for sentences: "7.6x", "1.02x".
func fmtTimes(r float64) string {
	if math.Abs(r) >= 2 {
		return strconv.FormatFloat(r, 'f', 1, 64) + "x"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "x"
}

// fmtThroughput formats jobs per second for sentences.
func fmtThroughput(x float64) string {
	return fmtNum(x) + " jobs/s"
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

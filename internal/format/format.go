// Package format turns numbers, durations, rates and ratios into the short
// text the report and the findings show, so every page writes the same
// figure the same way.
package format

import (
	"math"
	"strconv"
	"strings"
)

// Finite reports whether v is neither NaN nor infinite.
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Number formats v with up to three significant digits and no exponent:
// 2412.3 → "2410", 180 → "180", 1.5 → "1.5", 0.01234 → "0.0123"; NaN is
// "—" and infinities "∞" and "−∞".
func Number(v float64) string {
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
	mag := magnitude(v)
	if mag >= 2 {
		p := math.Pow(10, float64(mag-2))
		return strconv.FormatFloat(math.Round(v/p)*p, 'f', 0, 64)
	}
	return trimZeros(strconv.FormatFloat(v, 'f', 2-mag, 64))
}

// magnitude is the decimal exponent of v's leading digit.
func magnitude(v float64) int { return int(math.Floor(math.Log10(math.Abs(v)))) }

// trimZeros drops trailing zeros after a decimal point, and the point.
func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Rate formats a throughput in jobs per second: "1220 jobs/s".
func Rate(x float64) string { return Number(x) + " jobs/s" }

// Percent formats a fraction as a percentage: 0.25 → "25%".
func Percent(f float64) string {
	if !Finite(f) {
		return "—"
	}
	return Number(f*100) + "%"
}

// Bytes formats a byte count in binary units: "1.5 MiB"; zero or less is "—".
func Bytes(b int64) string {
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
	return Number(v) + " " + units[i]
}

// Times formats a ratio for sentences: "7.6x", "1.02x".
func Times(r float64) string {
	if math.Abs(r) >= 2 {
		return strconv.FormatFloat(r, 'f', 1, 64) + "x"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "x"
}

// durationUnits are the units durations are shown in, largest first.
var durationUnits = []struct {
	name  string
	scale float64
}{{"s", 1}, {"ms", 1e-3}, {"µs", 1e-6}, {"ns", 1e-9}}

// DurationUnit is the unit Duration shows sec in ("s", "ms" or "µs") and
// the factor that converts seconds to it.
func DurationUnit(sec float64) (float64, string) {
	switch {
	case math.Abs(sec) >= 1:
		return 1, "s"
	case math.Abs(sec) >= 1e-3:
		return 1e3, "ms"
	}
	return 1e6, "µs"
}

// Duration formats seconds in the unit that suits them, with three
// significant digits: "1.23 s", "850 ms", "42 µs".
func Duration(sec float64) string {
	switch {
	case !Finite(sec):
		return "—"
	case sec == 0:
		return "0"
	}
	scale, unit := DurationUnit(sec)
	return Number(sec*scale) + " " + unit
}

// DurationRange formats two durations in the unit of the larger:
// "0.93–1.01 s" rather than "930 ms–1.01 s".
func DurationRange(lo, hi float64) string {
	scale, unit := DurationUnit(max(math.Abs(lo), math.Abs(hi)))
	return Number(lo*scale) + "–" + Number(hi*scale) + " " + unit
}

// DurationFixed formats a duration in the largest unit that keeps the
// value at least 1, with fixed decimals below ten of that unit: two
// significant digits without a space ("2.0s", "51ms", "3.1ms") when long is
// false, three with a space ("1.52 s", "310 ms", "51 ms") when long is true.
func DurationFixed(sec float64, long bool) string {
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

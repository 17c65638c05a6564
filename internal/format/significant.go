package format

import (
	"math"
	"strconv"
)

// Significant writes v with four significant digits, as benchstat does,
// without an exponent for the magnitudes benchmarks see: 1234, 12.34,
// 0.001234.
func Significant(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e6 || a < 1e-4:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	digits := max(3-magnitude(v), 0)
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// Measure writes v, in the base unit named by unit, with four significant
// digits and a scaled unit: "s" becomes s, ms or µs; "B" B, KiB, MiB or
// GiB; "jobs/s" /s; anything else is written bare.
func Measure(v float64, unit string) string {
	if math.IsNaN(v) {
		return "?"
	}
	a := math.Abs(v)
	switch unit {
	case "s":
		switch {
		case a == 0:
			return "0s"
		case a < 1e-3:
			return Significant(v*1e6) + "µs"
		case a < 1:
			return Significant(v*1e3) + "ms"
		default:
			return Significant(v) + "s"
		}
	case "B":
		switch {
		case a >= 1<<30:
			return Significant(v/(1<<30)) + "GiB"
		case a >= 1<<20:
			return Significant(v/(1<<20)) + "MiB"
		case a >= 1<<10:
			return Significant(v/(1<<10)) + "KiB"
		default:
			return Significant(v) + "B"
		}
	case "jobs/s":
		return Significant(v) + "/s"
	}
	return Significant(v)
}

package compare

import (
	"fmt"
	"math"
	"strconv"
)

// fmtPct formats a positive fraction as a percentage: 0.05 -> "5%".
func fmtPct(f float64) string {
	return strconv.FormatFloat(100*f, 'f', -1, 64) + "%"
}

// fmtSignedPct formats a relative change: -0.0512 -> "-5.12%".
func fmtSignedPct(f float64) string {
	if math.IsNaN(f) {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", 100*f)
}

// fmtRatio formats a ratio with three decimals.
func fmtRatio(r float64) string {
	if math.IsNaN(r) {
		return "?"
	}
	return fmt.Sprintf("%.3f", r)
}

// fmtValue formats a value of metric m with its unit: seconds scaled to
// s, ms or µs, bytes to KiB/MiB/GiB, others with four significant digits.
func fmtValue(m Metric, v float64) string {
	if math.IsNaN(v) {
		return "?"
	}
	mi, _ := m.Info()
	switch mi.Unit {
	case "s":
		a := math.Abs(v)
		switch {
		case a == 0:
			return "0s"
		case a < 1e-3:
			return sig(v*1e6) + "µs"
		case a < 1:
			return sig(v*1e3) + "ms"
		default:
			return sig(v) + "s"
		}
	case "B":
		a := math.Abs(v)
		switch {
		case a >= 1<<30:
			return sig(v/(1<<30)) + "GiB"
		case a >= 1<<20:
			return sig(v/(1<<20)) + "MiB"
		case a >= 1<<10:
			return sig(v/(1<<10)) + "KiB"
		default:
			return sig(v) + "B"
		}
	case "jobs/s":
		return sig(v) + "/s"
	}
	return sig(v)
}

// sig formats v with four significant digits, without exponent for the
// magnitudes seen in benchmarks.
func sig(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e6 || a < 1e-4:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	digits := 3 - int(math.Floor(math.Log10(a)))
	if digits < 0 {
		digits = 0
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}

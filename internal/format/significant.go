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

// displayUnit is the unit a value of v's magnitude in base unit is
// shown in ("s": s, ms or µs; "B": B, KiB, MiB or GiB; "jobs/s": jobs/s;
// anything else: none) and the factor converting base units to it.
func displayUnit(v float64, unit string) (float64, string) {
	a := math.Abs(v)
	switch unit {
	case "s":
		switch {
		case a == 0 || a >= 1:
			return 1, "s"
		case a >= 1e-3:
			return 1e3, "ms"
		}
		return 1e6, "µs"
	case "B":
		switch {
		case a >= 1<<30:
			return 1.0 / (1 << 30), "GiB"
		case a >= 1<<20:
			return 1.0 / (1 << 20), "MiB"
		case a >= 1<<10:
			return 1.0 / (1 << 10), "KiB"
		}
		return 1, "B"
	case "jobs/s":
		return 1, "jobs/s"
	}
	return 1, ""
}

// maxDecimals bounds the decimals Measured gives a value.
const maxDecimals = 9

// Measured writes a measured value v, in the base unit named by unit, in
// the display unit that suits it, with its interval [lo, hi] when both
// ends are finite: "121.0 jobs/s [120.0, 122.0]", "60.8 ms [58.9, 62.6]",
// "0.00201 [0.00183, 0.00219]". The interval sets the digits, as
// benchunit does: down to the second significant digit of its half-width.
// A value without an interval gets four significant digits: "60.75 ms".
// A value that is not finite is "–".
func Measured(v, lo, hi float64, unit string) string {
	if !Finite(v) {
		return "–"
	}
	scale, name := displayUnit(v, unit)
	if name != "" {
		name = " " + name
	}
	if !Finite(lo) || !Finite(hi) || hi < lo {
		return Significant(v*scale) + name
	}
	dec := 3
	if v != 0 {
		dec = 3 - magnitude(v*scale)
	}
	if h := (hi - lo) / 2 * scale; h > 0 {
		dec = 1 - magnitude(h)
	}
	dec = min(max(dec, 0), maxDecimals)
	f := func(x float64) string { return strconv.FormatFloat(x*scale, 'f', dec, 64) }
	return f(v) + name + " [" + f(lo) + ", " + f(hi) + "]"
}

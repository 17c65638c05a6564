package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Fraction writes a positive fraction as an exact percentage, for
// tolerances: 0.05 → "5%".
func Fraction(f float64) string {
	return strconv.FormatFloat(100*f, 'f', -1, 64) + "%"
}

// Change writes a relative change with its sign and two decimals:
// -0.0512 → "-5.12%"; NaN is "?".
func Change(f float64) string {
	if math.IsNaN(f) {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", 100*f)
}

// Ratio writes a ratio of two measurements with three decimals: "0.906";
// NaN is "?".
func Ratio(r float64) string {
	if math.IsNaN(r) {
		return "?"
	}
	return fmt.Sprintf("%.3f", r)
}

// RatioInterval writes a ratio with its interval: "0.906x [0.851, 0.960]",
// or "0.906x (no interval yet)" when lo is NaN or there is no interval.
func RatioInterval(r, lo, hi float64, hasInterval bool) string {
	if !hasInterval || math.IsNaN(lo) {
		return Ratio(r) + "x (no interval yet)"
	}
	return Ratio(r) + "x [" + Ratio(lo) + ", " + Ratio(hi) + "]"
}

// Capitalize upper-cases the first letter of s.
func Capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

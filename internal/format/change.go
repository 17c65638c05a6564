package format

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Fraction writes a positive fraction as an exact percentage, for
// tolerances: 0.05 → "5%".
func Fraction(f float64) string {
	return strconv.FormatFloat(100*f, 'f', -1, 64) + "%"
}

// Change writes a relative change with its sign and one decimal:
// -0.1 → "-10.0%"; a change that is not finite is "–".
func Change(f float64) string {
	if !Finite(f) {
		return "–"
	}
	return fmt.Sprintf("%+.1f%%", 100*f)
}

// Ratio writes a ratio of two measurements with three decimals: "0.906";
// a ratio that is not finite is "–".
func Ratio(r float64) string {
	if !Finite(r) {
		return "–"
	}
	return strconv.FormatFloat(r, 'f', 3, 64)
}

// RatioInterval writes a ratio with its interval when both ends are
// finite: "0.900x [0.885, 0.916]", else "0.900x".
func RatioInterval(r, lo, hi float64) string {
	if !Finite(lo) || !Finite(hi) {
		return Ratio(r) + "x"
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

package format

import (
	"math"
	"strconv"
)

// Kind says what the operands of a quotient measure, and so how they are
// written.
type Kind int

const (
	// Plain operands are bare numbers: "1224/19.3".
	Plain Kind = iota
	// Seconds operands are durations, each in its own unit: "1.54s/574ms".
	Seconds
)

// Quotient digits: operands start at minSig significant digits and gain
// digits, up to maxSig, until they divide to the ratio shown.
const (
	minSig = 3
	maxSig = 9
	// maxRatioDecimals is how many decimals Quotient gives a ratio below
	// ten; it gives one fewer per further power of ten, down to none.
	maxRatioDecimals = 2
)

// ratioDecimals is how many decimals Quotient prints ratio r with: 2.69x,
// 63.3x, 145x.
func ratioDecimals(r float64) int {
	if r == 0 {
		return maxRatioDecimals
	}
	return min(maxRatioDecimals, max(0, maxRatioDecimals-magnitude(r)))
}

// Quotient formats num/den as "a/b = cx" so that a reader dividing the
// printed a by the printed b gets the printed c: the operands are shown
// with as many significant digits as that takes (three at least), the
// ratio with two decimals below 10x, one below 100x and none above. It
// returns "" unless den is positive and both are finite.
func Quotient(num, den float64, kind Kind) string {
	if !Finite(num) || !Finite(den) || !(den > 0) {
		return ""
	}
	dec := ratioDecimals(num / den)
	want := roundTo(num/den, dec)
	var a, b string
	var shown float64
	for sig := minSig; sig <= maxSig; sig++ {
		var av, bv float64
		a, av = operand(num, kind, sig)
		b, bv = operand(den, kind, sig)
		if !(bv > 0) {
			continue
		}
		shown = roundTo(av/bv, dec)
		if shown == want {
			break
		}
	}
	return a + "/" + b + " = " + strconv.FormatFloat(shown, 'f', dec, 64) + "x"
}

// Operands formats num and den as Quotient would write them, without the
// ratio, for a quotient that cannot be formed: "1.5s/0s".
func Operands(num, den float64, kind Kind) string {
	a, _ := operand(num, kind, minSig)
	b, _ := operand(den, kind, minSig)
	return a + "/" + b
}

// operand writes v with sig significant digits (never rounding away
// integer digits) and returns the text and the value the text denotes,
// in seconds for durations.
func operand(v float64, kind Kind, sig int) (string, float64) {
	if !Finite(v) {
		return strconv.FormatFloat(v, 'f', -1, 64), v
	}
	scale, unit := 1.0, ""
	if kind == Seconds {
		scale, unit = DurationUnit(v)
		if v == 0 {
			scale, unit = 1, "s"
		}
	}
	x := v * scale
	dec := 0
	if x != 0 {
		dec = max(0, sig-1-magnitude(x))
	}
	s := trimZeros(strconv.FormatFloat(x, 'f', dec, 64))
	shown, _ := strconv.ParseFloat(s, 64)
	return s + unit, shown / scale
}

func roundTo(v float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}

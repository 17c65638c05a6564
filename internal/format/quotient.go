package format

import (
	"math"
	"strconv"
	"strings"
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

// FigureDigits is how many significant digits a measured figure is
// written with wherever it appears (a table, a bar's label, a sentence, a
// quotient's operand), so that one figure has one spelling on a page.
const FigureDigits = 4

// maxRatioDecimals is how many decimals a ratio below ten is written with;
// it gets one fewer per further power of ten, down to none.
const maxRatioDecimals = 2

// ratioDecimals is how many decimals Quotient prints ratio r with: 2.69x,
// 63.3x, 145x.
func ratioDecimals(r float64) int {
	if r == 0 || !Finite(r) {
		return maxRatioDecimals
	}
	return min(maxRatioDecimals, max(0, maxRatioDecimals-magnitude(r)))
}

// Figure writes a measured figure with FigureDigits significant digits,
// never rounding away integer digits and dropping trailing zeros after
// the point: 1224.3 → "1224", 33.204 → "33.2", 0.057143 → "0.05714".
func Figure(v float64) string {
	s, _ := operand(v, Plain, FigureDigits)
	return s
}

// RateFigure writes a throughput as Figure does, with its unit: "434.5 jobs/s".
func RateFigure(v float64) string { return Figure(v) + " jobs/s" }

// DurationFigure writes a duration in the unit that suits it with
// FigureDigits significant digits: "57.14 ms", "1.544 s"; without the
// space when long is false, as a quotient's operand: "57.14ms".
func DurationFigure(sec float64, long bool) string {
	s, _ := operand(sec, Seconds, FigureDigits)
	if long {
		return Spaced(s)
	}
	return s
}

// Spaced puts a space between a quotient operand's number and its unit,
// as sentences and labels write durations: "1.544s" → "1.544 s"; a bare
// number stays as it is.
func Spaced(operand string) string {
	i := strings.IndexFunc(operand, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' })
	if i <= 0 {
		return operand
	}
	return operand[:i] + " " + operand[i:]
}

// Quotient formats num/den as "a/b = cx": a and b spelled as the figures
// they are (Figure, DurationFigure), c their quotient as printed, with two
// decimals below 10x, one below 100x and none above, so that a reader
// dividing the printed a by the printed b gets the printed c. It returns
// "" unless den is positive and both are finite.
func Quotient(num, den float64, kind Kind) string {
	a, b, c := QuotientParts(num, den, kind)
	if c == "" {
		return ""
	}
	return a + "/" + b + " = " + c
}

// QuotientParts returns what Quotient writes: the two operands and the
// ratio ("1.35x"); all three are "" unless den is positive and both are
// finite.
func QuotientParts(num, den float64, kind Kind) (a, b, ratio string) {
	if !Finite(num) || !Finite(den) || !(den > 0) {
		return "", "", ""
	}
	dec := ratioDecimals(num / den)
	want := roundTo(num/den, dec)
	var shown float64
	// The operands start as the figures are spelled everywhere; they gain
	// digits only when a quotient needs them to divide to its ratio (a
	// ratio in the thousands, or one on a rounding edge).
	for sig := FigureDigits; sig <= maxSig; sig++ {
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
	return a, b, strconv.FormatFloat(shown, 'f', dec, 64) + "x"
}

// maxSig bounds the digits QuotientParts gives an operand.
const maxSig = 9

// Operands formats num and den as Quotient would write them, without the
// ratio, for a quotient that cannot be formed: "1.5s/0s".
func Operands(num, den float64, kind Kind) string {
	a, _ := operand(num, kind, FigureDigits)
	b, _ := operand(den, kind, FigureDigits)
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

// Factor writes a ratio as Quotient writes its result: "1.35x", "63.3x",
// "145x", so that a ratio and the factors it is made of read alike.
func Factor(r float64) string {
	if !Finite(r) {
		return "–"
	}
	return strconv.FormatFloat(r, 'f', ratioDecimals(r), 64) + "x"
}

package format

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {2412.3, "2410"}, {180, "180"}, {1.5, "1.5"}, {0.01234, "0.0123"},
		{-3.14159, "-3.14"}, {99.96, "100"}, {math.NaN(), "—"}, {math.Inf(1), "∞"}, {math.Inf(-1), "−∞"},
	} {
		if got := Number(tc.v); got != tc.want {
			t.Errorf("Number(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		sec               float64
		plain, short, lng string
	}{
		{1.5436, "1.54 s", "1.5s", "1.54 s"},
		{0.5741, "574 ms", "574ms", "574 ms"},
		{0.0031, "3.1 ms", "3.1ms", "3.10 ms"},
		{42e-6, "42 µs", "42µs", "42 µs"},
		{0.9996, "1000 ms", "1.0s", "1.00 s"},
		{0, "0", "0s", "0 s"},
	} {
		if got := Duration(tc.sec); got != tc.plain {
			t.Errorf("Duration(%v) = %q, want %q", tc.sec, got, tc.plain)
		}
		if got := DurationFixed(tc.sec, false); got != tc.short {
			t.Errorf("DurationFixed(%v, false) = %q, want %q", tc.sec, got, tc.short)
		}
		if got := DurationFixed(tc.sec, true); got != tc.lng {
			t.Errorf("DurationFixed(%v, true) = %q, want %q", tc.sec, got, tc.lng)
		}
	}
	if got, want := DurationRange(0.93, 1.01), "0.93–1.01 s"; got != want {
		t.Errorf("DurationRange = %q, want %q", got, want)
	}
}

func TestOthers(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Rate(1224), "1220 jobs/s"},
		{Percent(0.25), "25%"},
		{Percent(math.NaN()), "—"},
		{Bytes(1536), "1.5 KiB"},
		{Bytes(0), "—"},
		{Times(7.61), "7.6x"},
		{Times(1.019), "1.02x"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestQuotient(t *testing.T) {
	for _, tc := range []struct {
		num, den float64
		kind     Kind
		want     string
	}{
		// The cases that failed a calculator: 1.5/0.574 is 2.61, not 2.69.
		{1.5436, 0.5741, Seconds, "1.544s/574.1ms = 2.69x"},
		{1224, 19.33, Plain, "1224/19.33 = 63.3x"},
		{1000, 500, Plain, "1000/500 = 2.00x"},
		{0.31, 0.93, Seconds, "310ms/930ms = 0.33x"},
		{1, 0, Plain, ""},
		{math.NaN(), 1, Plain, ""},
	} {
		if got := Quotient(tc.num, tc.den, tc.kind); got != tc.want {
			t.Errorf("Quotient(%v, %v) = %q, want %q", tc.num, tc.den, got, tc.want)
		}
	}
	if got, want := Operands(1.5, 0, Seconds), "1.5s/0s"; got != want {
		t.Errorf("Operands = %q, want %q", got, want)
	}
}

var quotientRE = regexp.MustCompile(`^([0-9.]+)(s|ms|µs)?/([0-9.]+)(s|ms|µs)? = ([0-9.]+)x$`)

var unitScale = map[string]float64{"": 1, "s": 1, "ms": 1e-3, "µs": 1e-6}

// TestQuotientChecks divides the printed operands of many quotients and
// compares the result with the printed ratio.
func TestQuotientChecks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		num := math.Pow(10, rng.Float64()*6-4)
		den := math.Pow(10, rng.Float64()*6-4)
		kind := Kind(i % 2)
		s := Quotient(num, den, kind)
		m := quotientRE.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("Quotient(%v, %v) = %q: not a/b = cx", num, den, s)
		}
		a, _ := strconv.ParseFloat(m[1], 64)
		b, _ := strconv.ParseFloat(m[3], 64)
		c, _ := strconv.ParseFloat(m[5], 64)
		q := a * unitScale[m[2]] / (b * unitScale[m[4]])
		half := 0.5
		if _, frac, ok := strings.Cut(m[5], "."); ok {
			half = 0.5 * math.Pow(10, -float64(len(frac)))
		}
		if math.Abs(q-c) > half*(1+1e-9) {
			t.Errorf("Quotient(%v, %v) = %q, but %s/%s = %.4f", num, den, s, m[1], m[3], q)
		}
		if math.Abs(c-num/den) > half*(1+1e-9) {
			t.Errorf("Quotient(%v, %v) = %q, but the ratio is %.4f", num, den, s, num/den)
		}
	}
}

func TestMeasured(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		v, lo, hi float64
		unit      string
		want      string
	}{
		{121, 120, 122, "jobs/s", "121.0 jobs/s [120.0, 122.0]"},
		{1224, 1100, 1340, "jobs/s", "1224 jobs/s [1100, 1340]"},
		{0.06075, 0.0589, 0.0626, "s", "60.8 ms [58.9, 62.6]"},
		{0.0507, nan, nan, "s", "50.70 ms"},
		{0.000481, nan, nan, "s", "481.0 µs"},
		{1.5, nan, nan, "s", "1.500 s"},
		{0, nan, nan, "s", "0 s"},
		{23.41 * (1 << 20), nan, nan, "B", "23.41 MiB"},
		{80, nan, nan, "jobs/s", "80.00 jobs/s"},
		{0.002012, 0.00183, 0.00219, "", "0.00201 [0.00183, 0.00219]"},
		{1234567, nan, nan, "", "1.235e+06"},
		{0.8, nan, nan, "", "0.8000"},
		{nan, 1, 2, "s", "–"},
	} {
		if got := Measured(tc.v, tc.lo, tc.hi, tc.unit); got != tc.want {
			t.Errorf("Measured(%v, %v, %v, %q) = %q, want %q", tc.v, tc.lo, tc.hi, tc.unit, got, tc.want)
		}
	}
}

func TestChangeAndRatio(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Fraction(0.05), "5%"},
		{Change(-0.1), "-10.0%"},
		{Change(0), "+0.0%"},
		{Change(math.NaN()), "–"},
		{Ratio(0.9), "0.900"},
		{Ratio(math.NaN()), "–"},
		{RatioInterval(0.9, 0.885, 0.916), "0.900x [0.885, 0.916]"},
		{RatioInterval(0.906, math.NaN(), math.NaN()), "0.906x"},
		{Capitalize("throughput"), "Throughput"},
		{Capitalize("éclair"), "Éclair"},
		{Capitalize(""), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestFigure(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Figure(434.5), "434.5"},
		{Figure(16.2504), "16.25"},
		{Figure(1224.3), "1224"},
		{Figure(180), "180"},
		{Figure(0.0571429), "0.05714"},
		{RateFigure(22.333), "22.33 jobs/s"},
		{DurationFigure(0.057143, true), "57.14 ms"},
		{DurationFigure(1.5436, false), "1.544s"},
		{DurationFigure(0.0009749, true), "974.9 µs"},
		{Spaced("574.1ms"), "574.1 ms"},
		{Spaced("521"), "521"},
		{Factor(1.3528), "1.35x"},
		{Factor(26.738), "26.7x"},
		{Factor(145.2), "145x"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// The card: a bar of 520.5 jobs/s and its formula spell it alike.
	a, b, r := QuotientParts(520.5, 119.2, Plain)
	if a != Figure(520.5) || b != Figure(119.2) || r != "4.37x" {
		t.Errorf("QuotientParts = %q %q %q, want the figures %q and %q", a, b, r, Figure(520.5), Figure(119.2))
	}
}

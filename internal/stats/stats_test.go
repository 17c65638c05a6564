package stats

import (
	"math"
	"slices"
	"testing"
)

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name   string
		xs     []float64
		median float64
	}{
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"one", []float64{7}, 7},
		{"nan ignored", []float64{1, math.NaN(), 3}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.xs)
			if got := Median(tt.xs); got != tt.median {
				t.Errorf("Median = %v, want %v", got, tt.median)
			}
			for i := range orig {
				if !(orig[i] == tt.xs[i] || math.IsNaN(orig[i]) && math.IsNaN(tt.xs[i])) {
					t.Fatalf("input modified: %v, was %v", tt.xs, orig)
				}
			}
		})
	}
	if !math.IsNaN(Median(nil)) {
		t.Errorf("Median of nothing should be NaN")
	}
}

func TestMedianCI(t *testing.T) {
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i) // reversed: MedianCI must sort
		}
		return xs
	}
	tests := []struct {
		name         string
		xs           []float64
		want         float64
		lo, hi, conf float64
	}{
		// n=5: the widest interval [min, max] covers 1 - 2/32.
		{"n5 widest", seq(5), 0.95, 1, 5, 0.9375},
		// n=10: k=2 covers 1 - 2·11/1024 = 0.978515625; k=3 only 0.890625.
		{"n10", seq(10), 0.95, 2, 9, 0.978515625},
		{"n10 at 0.89", seq(10), 0.89, 3, 8, 0.890625},
		{"n2", seq(2), 0.95, 1, 2, 0.5},
		{"n1", seq(1), 0.95, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, conf := MedianCI(tt.xs, tt.want)
			if lo != tt.lo || hi != tt.hi || !near(conf, tt.conf, 1e-12) {
				t.Errorf("MedianCI = [%v, %v] %v, want [%v, %v] %v", lo, hi, conf, tt.lo, tt.hi, tt.conf)
			}
		})
	}
	lo, hi, conf := MedianCI(nil, 0.95)
	if !math.IsNaN(lo) || !math.IsNaN(hi) || conf != 0 {
		t.Errorf("MedianCI(nil) = %v %v %v", lo, hi, conf)
	}
	// Large n must not overflow: the interval narrows around the median.
	lo, hi, conf = MedianCI(seq(2001), 0.95)
	if !(lo < 1001 && hi > 1001 && hi-lo < 100 && conf >= 0.95 && conf < 0.96) {
		t.Errorf("MedianCI(n=2001) = [%v, %v] %v", lo, hi, conf)
	}
}

func TestMannWhitney(t *testing.T) {
	tests := []struct {
		name string
		a, b []float64
		u, p float64
		tol  float64
	}{
		// Exact: U=0 is the single most extreme of C(6,3)=20 arrangements.
		{"separated 3v3", []float64{1, 2, 3}, []float64{4, 5, 6}, 0, 0.1, 1e-12},
		// Exact: U=3 for 3v3; P(U<=3) = (1+1+2+3)/20 = 0.35.
		{"interleaved 3v3", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 0.7, 1e-12},
		// SciPy's documented example: U=17, exact two-sided p = 2·7/126.
		{"scipy males/females", []float64{19, 22, 16, 29, 24}, []float64{20, 11, 17, 12}, 17, 14.0 / 126, 1e-12},
		// Ties: midranks 1,3,3,3,6,6,6,8; R_a=13, U=3; var = 16/12·(9-48/56);
		// z = (5-0.5)/3.29502 = 1.36570, p = 0.17204 (R: wilcox.test gives 0.172).
		{"ties", []float64{1, 2, 2, 3}, []float64{2, 3, 3, 4}, 3, 0.17204, 5e-5},
		{"identical", []float64{5, 5, 5}, []float64{5, 5, 5}, 4.5, 1, 0},
		{"same values", []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, 8, 1, 0},
		{"empty", nil, []float64{1}, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, p := MannWhitney(tt.a, tt.b)
			if u != tt.u || !near(p, tt.p, tt.tol) {
				t.Errorf("MannWhitney = U %v p %v, want U %v p %v", u, p, tt.u, tt.p)
			}
		})
	}
	// Clearly separated larger samples (normal approximation): p tiny.
	var a, b []float64
	for i := range 30 {
		a = append(a, 100+float64(i))
		b = append(b, 200+float64(i))
	}
	if u, p := MannWhitney(a, b); u != 0 || p > 1e-9 {
		t.Errorf("separated 30v30: U %v p %v, want U 0 and p < 1e-9", u, p)
	}
	// Exact and normal approximation agree roughly at the exact limit.
	a, b = a[:20], b[:20]
	for i := range b {
		b[i] = a[i] + 0.5 + float64(i%3)
	}
	_, pe := MannWhitney(a, b)
	if pe <= 0 || pe >= 1 {
		t.Errorf("exact p out of range: %v", pe)
	}
}

func TestUDistribution(t *testing.T) {
	// The counts sum to C(m+n, m) and are symmetric.
	d := uDistribution(5, 4)
	sum := 0.0
	for k := range d {
		sum += d[k]
		if d[k] != d[len(d)-1-k] {
			t.Errorf("not symmetric at %d: %v", k, d)
		}
	}
	if sum != 126 {
		t.Errorf("sum = %v, want 126", sum)
	}
}

func TestRatioCI(t *testing.T) {
	num := []float64{180, 178, 183, 181, 179}
	den := []float64{120, 121, 119, 120, 122}
	r, lo, hi, conf := RatioCI(num, den, 0.95)
	if !near(r, 1.5, 1e-12) {
		t.Errorf("ratio = %v, want 1.5", r)
	}
	if !(lo <= r && r <= hi && lo > 1.4 && hi < 1.6) || conf != 0.95 {
		t.Errorf("interval [%v, %v] conf %v", lo, hi, conf)
	}
	r2, lo2, hi2, _ := RatioCI(num, den, 0.95)
	if r2 != r || lo2 != lo || hi2 != hi {
		t.Errorf("not deterministic")
	}
	r, lo, hi, conf = RatioCI([]float64{180}, []float64{120, 120}, 0.95)
	if r != 1.5 || lo != r || hi != r || conf != 0 {
		t.Errorf("single sample: %v [%v, %v] %v", r, lo, hi, conf)
	}
	r, _, _, conf = RatioCI([]float64{1, 2}, []float64{0, 0}, 0.95)
	if !math.IsNaN(r) || conf != 0 {
		t.Errorf("zero denominator: %v %v", r, conf)
	}
}

package changepoint

import (
	"math"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	// Levels with a small fixed wiggle, so segments have a variance.
	level := func(vs ...float64) []float64 {
		var xs []float64
		wiggle := []float64{0, 0.01, -0.01, 0.005, -0.005}
		for i, v := range vs {
			xs = append(xs, v*(1+wiggle[i%len(wiggle)]))
		}
		return xs
	}
	rep := func(v float64, n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = v
		}
		return xs
	}
	cat := func(parts ...[]float64) []float64 {
		var xs []float64
		for _, p := range parts {
			xs = append(xs, p...)
		}
		return level(xs...)
	}
	tests := []struct {
		name string
		xs   []float64
		opt  Options
		want []int
	}{
		{"empty", nil, Options{}, nil},
		{"too short to split", cat(rep(100, 2), rep(200, 2)), Options{}, nil},
		{"flat", cat(rep(100, 30)), Options{}, nil},
		{"one step up", cat(rep(100, 10), rep(120, 10)), Options{}, []int{10}},
		{"one step down", cat(rep(100, 12), rep(80, 8)), Options{}, []int{12}},
		{"two steps", cat(rep(100, 10), rep(120, 10), rep(90, 10)), Options{}, []int{10, 20}},
		{"step at the minimum segment", cat(rep(100, 15), rep(130, 3)), Options{}, []int{15}},
		{"one outlier at the end", cat(rep(100, 15), []float64{130}), Options{}, nil},
		{"one outlier at the start", cat([]float64{130}, rep(100, 15)), Options{}, nil},
		{"below the minimum change", cat(rep(100, 10), rep(101.5, 10)), Options{MinChange: 0.02}, nil},
		{"above the minimum change", cat(rep(100, 10), rep(103, 10)), Options{MinChange: 0.02}, []int{10}},
		{"one outlier", cat(rep(100, 10), []float64{130}, rep(100, 10)), Options{}, nil},
		{"constant levels", append(rep(5, 6), rep(7, 6)...), Options{}, []int{6}},
		{"constant", rep(5, 12), Options{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(tt.xs, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			var idx []int
			for _, c := range got {
				idx = append(idx, c.Index)
				if !(c.From <= c.Index && c.Index <= c.To) {
					t.Errorf("change at %d: range [%d, %d] does not hold it", c.Index, c.From, c.To)
				}
				if c.Before.End != c.Index || c.After.Start != c.Index {
					t.Errorf("change at %d: segments [%d,%d) [%d,%d)", c.Index, c.Before.Start, c.Before.End, c.After.Start, c.After.End)
				}
				if !(c.P >= 0 && c.P <= DefaultMaxP) {
					t.Errorf("change at %d: p = %v", c.Index, c.P)
				}
			}
			if !equal(idx, tt.want) {
				t.Errorf("changes at %v, want %v", idx, tt.want)
			}
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDetectSummaries(t *testing.T) {
	xs := []float64{100, 101, 99, 100, 102, 98, 100, 120, 121, 119, 120, 122, 118, 120}
	got, err := Detect(xs, Options{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Detect = %v, %v; want one change", got, err)
	}
	c := got[0]
	if c.Index != 7 || c.Before.Median != 100 || c.After.Median != 120 {
		t.Errorf("change at %d, medians %v -> %v; want 7, 100 -> 120", c.Index, c.Before.Median, c.After.Median)
	}
	if r := c.Relative(); math.Abs(r-0.2) > 1e-12 {
		t.Errorf("relative change %v, want 0.2", r)
	}
	if !(c.Before.Lo <= 100 && c.Before.Hi >= 100 && c.Before.Lo < c.Before.Hi) {
		t.Errorf("interval of the median before: [%v, %v]", c.Before.Lo, c.Before.Hi)
	}
	if c.P > 1e-6 {
		t.Errorf("p = %v for a 20-sigma step", c.P)
	}
	// The same series gives the same answer.
	again, _ := Detect(xs, Options{})
	if again[0] != c {
		t.Errorf("second Detect = %+v, first %+v", again[0], c)
	}
}

func TestDetectRefuses(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		opt  Options
		want string
	}{
		{"NaN", []float64{1, math.NaN(), 3}, Options{}, "value 1 is NaN"},
		{"Inf", []float64{1, 2, math.Inf(1)}, Options{}, "value 2 is +Inf"},
		{"level", nil, Options{MaxP: 1.5}, "significance level 1.5"},
		{"NaN level", nil, Options{MaxP: math.NaN()}, "significance level NaN"},
		{"segment", nil, Options{MinSize: 1}, "minimum segment 1"},
		{"change", nil, Options{MinChange: -0.1}, "minimum change -0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Detect(tt.xs, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Detect error = %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestSearchP(t *testing.T) {
	// The correction never lowers the p-value of the single test, grows
	// with the number of splits searched, and stays a probability.
	single := func(tv, df float64) float64 { return searchP(tv, df, 6, 3) } // one split only
	for _, tv := range []float64{0, 1, 2, 3, 4, 6} {
		p6, p20, p200 := single(tv, 4), searchP(tv, 50, 20, 3), searchP(tv, 50, 200, 3)
		if !(p6 >= 0 && p6 <= 1 && p20 <= 1 && p200 <= 1) {
			t.Errorf("t=%v: p = %v %v %v", tv, p6, p20, p200)
		}
		if tv >= 3 && !(p200 > p20) {
			t.Errorf("t=%v: p over 200 values %v <= over 20 %v", tv, p200, p20)
		}
	}
	if p := searchP(math.Inf(1), 10, 12, 3); p != 0 {
		t.Errorf("infinite t: p = %v", p)
	}
	if p := searchP(math.NaN(), 10, 12, 3); p != 1 {
		t.Errorf("NaN t: p = %v", p)
	}
}

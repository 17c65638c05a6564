package compare

import (
	"math"
	"testing"
)

// TestHolmWorkedExample checks the example of the Wikipedia article
// "Holm–Bonferroni method": four hypotheses with unadjusted p-values
// p1 = 0.01, p2 = 0.04, p3 = 0.03, p4 = 0.005 at α = 0.05. Ordered, the
// thresholds are α/4 = 0.0125, α/3 ≈ 0.0167, α/2 = 0.025, α/1: H4 (0.005)
// and H1 (0.01) are rejected, H3 (0.03 > 0.025) is not, and testing stops,
// so H2 is not rejected either. The adjusted p-values (as R's
// p.adjust(method = "holm") gives them) are 0.03, 0.06, 0.06, 0.02.
func TestHolmWorkedExample(t *testing.T) {
	ps := []float64{0.01, 0.04, 0.03, 0.005}
	want := []float64{0.03, 0.06, 0.06, 0.02}
	wantRejected := []bool{true, false, false, true}
	got := Holm(ps)
	for i := range ps {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("H%d: adjusted p = %v, want %v", i+1, got[i], want[i])
		}
		if (got[i] < 0.05) != wantRejected[i] {
			t.Errorf("H%d: rejected = %v, want %v", i+1, got[i] < 0.05, wantRejected[i])
		}
	}
	if ps[0] != 0.01 || ps[3] != 0.005 {
		t.Errorf("input modified: %v", ps)
	}
}

func TestHolmEdges(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want []float64
	}{
		{"empty", nil, []float64{}},
		{"single unchanged", []float64{0.03}, []float64{0.03}},
		{"capped at one", []float64{0.6, 0.7}, []float64{1, 1}},
		{"ties", []float64{0.01, 0.01}, []float64{0.02, 0.02}},
		{"NaN left out of m", []float64{0.01, math.NaN(), 0.02}, []float64{0.02, math.NaN(), 0.02}},
		{"monotone", []float64{0.001, 0.2, 0.011}, []float64{0.003, 0.2, 0.022}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Holm(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("len = %d, want %d", len(got), len(tt.want))
			}
			for i := range got {
				w := tt.want[i]
				if math.IsNaN(w) != math.IsNaN(got[i]) || (!math.IsNaN(w) && math.Abs(got[i]-w) > 1e-12) {
					t.Errorf("got %v, want %v", got, tt.want)
					break
				}
			}
		})
	}
}

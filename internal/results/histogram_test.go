package results_test

import (
	"math/rand/v2"
	"testing"

	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
)

// TestHistogramLatencyMatchesDense: the figures of a stored histogram,
// computed from its sparse counts, are exactly those of the decoded
// histogram, so reports of old and new runs agree to the last digit.
func TestHistogramLatencyMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 50 {
		h := metrics.NewHistogram()
		for range 1 + n*n*7 {
			_ = h.RecordValue(int64(1 + rng.ExpFloat64()*float64(1+n*n*1000)))
		}
		got := results.HistogramOf(h).Latency()
		sec := func(us int64) float64 { return float64(us) / 1e6 }
		want := results.Latency{
			Mean: h.Mean() / 1e6, P50: sec(h.ValueAtQuantile(50)), P90: sec(h.ValueAtQuantile(90)),
			P99: sec(h.ValueAtQuantile(99)), P999: sec(h.ValueAtQuantile(99.9)), Max: sec(h.Max()),
		}
		if got != want {
			t.Fatalf("%d values: Latency() = %+v, want %+v", h.TotalCount(), got, want)
		}
	}
	if got := results.NewHistogram().Latency(); got != (results.Latency{}) {
		t.Errorf("empty histogram: %+v", got)
	}
	var none *results.Histogram
	if got := none.Latency(); got != (results.Latency{}) || none.HDR().TotalCount() != 0 || none.Check() != nil {
		t.Errorf("nil histogram: %+v", got)
	}
}

// TestHistogramOfCopies: a histogram made from a recorder's keeps its
// counts, whatever the recorder records next.
func TestHistogramOfCopies(t *testing.T) {
	h := metrics.NewHistogram()
	_ = h.RecordValue(100)
	stored := results.HistogramOf(h)
	_ = h.RecordValue(200)
	if n := stored.HDR().TotalCount(); n != 1 {
		t.Errorf("stored histogram holds %d values, want 1", n)
	}
}

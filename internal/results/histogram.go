package results

import (
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/metrics"
)

// Histogram is an HDR histogram of latencies in microseconds as a results
// file holds it: metrics.EncodedHistogram, which a worker's report carries
// too. In a results file it is stored as {"unit": "us", "encoded": ...}. A
// Histogram is never changed once made; a nil one is empty.
type Histogram struct {
	e metrics.EncodedHistogram
}

// NewHistogram returns an empty latency histogram.
func NewHistogram() *Histogram { return HistogramOf(nil) }

// HistogramOf returns the histogram holding h's counts, which h's later
// changes do not reach; a nil h gives an empty histogram.
func HistogramOf(h *hdrhistogram.Histogram) *Histogram {
	return &Histogram{e: *metrics.EncodeHistogram(h)}
}

// encoded is the histogram's encoding; nil for a nil histogram.
func (h *Histogram) encoded() *metrics.EncodedHistogram {
	if h == nil {
		return nil
	}
	return &h.e
}

// HDR returns the histogram decoded (never nil): a new one at each call. A
// nil receiver, or an encoding Check refuses, gives an empty one.
func (h *Histogram) HDR() *hdrhistogram.Histogram { return h.encoded().HDR() }

// Check reports whether the histogram can be used: its encoding decodes and
// has the bounds scalebench records latencies with (1 µs to one hour, three
// significant digits). Decoding a histogram of other bounds could take any
// amount of memory, so none is decoded before this check.
func (h *Histogram) Check() error { return h.encoded().Check() }

// AddTo adds the histogram's counts to dst, which has the bounds of metrics.NewHistogram.
func (h *Histogram) AddTo(dst *hdrhistogram.Histogram) { h.encoded().AddTo(dst) }

// TotalCount is the number of values the histogram holds.
func (h *Histogram) TotalCount() int64 { return h.encoded().TotalCount() }

// MarshalJSON encodes the histogram for a results file.
func (h *Histogram) MarshalJSON() ([]byte, error) { return h.e.MarshalJSON() }

// UnmarshalJSON reads a histogram stored in a results file. It keeps the
// encoding as it is; what the encoding holds is checked by Check (Run.Validate
// calls it for every histogram of a run).
func (h *Histogram) UnmarshalJSON(data []byte) error { return h.e.UnmarshalJSON(data) }

// Latency summarises the histogram in seconds.
func (h *Histogram) Latency() Latency {
	p, err := h.encoded().Packed()
	if err != nil || p == nil || p.TotalCount() == 0 {
		return Latency{}
	}
	sec := func(us int64) float64 { return float64(us) / 1e6 }
	q := p.ValueAtPercentilesSlice([]float64{50, 90, 99, 99.9})
	return Latency{
		Mean: p.Mean() / 1e6,
		P50:  sec(q[0]),
		P90:  sec(q[1]),
		P99:  sec(q[2]),
		P999: sec(q[3]),
		Max:  sec(p.Max()),
	}
}

package results

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: latencies are recorded in microseconds from 1 µs to one
// hour with three significant digits.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
)

// Histogram is an HDR histogram of latencies in microseconds. In memory it
// is the live histogram; in a results file it is stored as
// {"unit": "us", "encoded": ...} with hdrhistogram-go's compressed V2
// encoding in base64.
type Histogram struct {
	h *hdrhistogram.Histogram
}

// NewHistogram returns an empty latency histogram.
func NewHistogram() *Histogram { return &Histogram{h: NewHDR()} }

// NewHDR returns an empty hdrhistogram with the bounds every latency
// histogram of a run shares.
func NewHDR() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// HistogramOf wraps h, which is not copied; a nil h gives an empty histogram.
func HistogramOf(h *hdrhistogram.Histogram) *Histogram {
	if h == nil {
		h = NewHDR()
	}
	return &Histogram{h: h}
}

// HDR returns the histogram itself (never nil); a nil receiver gives an
// empty one.
func (h *Histogram) HDR() *hdrhistogram.Histogram {
	if h == nil || h.h == nil {
		return NewHDR()
	}
	return h.h
}

// wireHistogram is a histogram as a results file stores it.
type wireHistogram struct {
	Unit    string `json:"unit"` // "us"
	Encoded string `json:"encoded"`
}

// MarshalJSON encodes the histogram for a results file.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	b, err := h.HDR().Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(wireHistogram{Unit: "us", Encoded: base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON decodes a histogram stored in a results file.
func (h *Histogram) UnmarshalJSON(data []byte) error {
	var w wireHistogram
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if w.Unit != "" && w.Unit != "us" {
		return fmt.Errorf("histogram: unit %q, want \"us\"", w.Unit)
	}
	if w.Encoded == "" {
		h.h = NewHDR()
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(w.Encoded)
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	hh, err := hdrhistogram.Decode(b)
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	h.h = hh
	return nil
}

// Latency summarises the histogram in seconds.
func (h *Histogram) Latency() Latency {
	hh := h.HDR()
	if hh.TotalCount() == 0 {
		return Latency{}
	}
	sec := func(us int64) float64 { return float64(us) / 1e6 }
	return Latency{
		Mean: hh.Mean() / 1e6,
		P50:  sec(hh.ValueAtQuantile(50)),
		P90:  sec(hh.ValueAtQuantile(90)),
		P99:  sec(hh.ValueAtQuantile(99)),
		P999: sec(hh.ValueAtQuantile(99.9)),
		Max:  sec(hh.Max()),
	}
}

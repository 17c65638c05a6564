package results

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
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

// Histogram is an HDR histogram of latencies in microseconds, held in
// hdrhistogram-go's compressed V2 encoding: a run of tens of thousands of
// measurements keeps a few hundred bytes per histogram instead of the
// 188 KB its counts take once decoded, and each use decodes it. In a
// results file it is stored as {"unit": "us", "encoded": ...}, that
// encoding in base64. A Histogram is never changed once made.
type Histogram struct {
	// enc is the V2 compressed encoding as hdrhistogram-go writes it (in
	// base64); nil for an empty histogram.
	enc []byte
	// err is why the stored encoding cannot be used, reported by Check.
	err error
}

// NewHistogram returns an empty latency histogram.
func NewHistogram() *Histogram { return HistogramOf(nil) }

// NewHDR returns an empty hdrhistogram with the bounds every latency
// histogram of a run shares.
func NewHDR() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// HistogramOf returns the histogram holding h's counts, which h's later
// changes do not reach; a nil h gives an empty histogram.
func HistogramOf(h *hdrhistogram.Histogram) *Histogram {
	if h == nil {
		h = NewHDR()
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return &Histogram{err: fmt.Errorf("encode histogram: %w", err)}
	}
	return &Histogram{enc: b}
}

// HDR returns the histogram decoded (never nil): a new one at each call. A
// nil receiver, or an encoding Check refuses, gives an empty one.
func (h *Histogram) HDR() *hdrhistogram.Histogram {
	if h == nil || h.enc == nil || h.err != nil {
		return NewHDR()
	}
	if err := checkGeometry(h.enc); err != nil {
		return NewHDR()
	}
	d, err := hdrhistogram.Decode(h.enc)
	if err != nil {
		return NewHDR()
	}
	return d
}

// packed decodes the histogram into sparse counts, which take memory in
// proportion to the buckets that hold values; nil when it is empty.
func (h *Histogram) packed() (*hdrhistogram.PackedHistogram, error) {
	if h == nil {
		return nil, nil
	}
	if h.err != nil {
		return nil, h.err
	}
	if h.enc == nil {
		return nil, nil
	}
	if err := checkGeometry(h.enc); err != nil {
		return nil, err
	}
	p, err := hdrhistogram.DecodePacked(h.enc)
	if err != nil {
		return nil, fmt.Errorf("not a valid HDR histogram encoding: %w", err)
	}
	return p, nil
}

// Check reports whether the histogram can be used: its encoding decodes and
// has the bounds scalebench records latencies with (1 µs to one hour, three
// significant digits). Decoding a histogram of other bounds could take any
// amount of memory, so none is decoded before this check.
func (h *Histogram) Check() error {
	_, err := h.packed()
	return err
}

// AddTo adds the histogram's counts to dst, which has the bounds of NewHDR.
func (h *Histogram) AddTo(dst *hdrhistogram.Histogram) {
	if p, err := h.packed(); err == nil && p != nil {
		p.MergeInto(dst)
	}
}

// TotalCount is the number of values the histogram holds.
func (h *Histogram) TotalCount() int64 {
	p, err := h.packed()
	if err != nil || p == nil {
		return 0
	}
	return p.TotalCount()
}

// checkGeometry reads the bounds from the header of a V2 compressed
// encoding and refuses bounds other than scalebench's, before anything the
// bounds size is allocated.
func checkGeometry(enc []byte) error {
	r := base64.NewDecoder(base64.StdEncoding, bytes.NewReader(enc))
	var outer [8]byte // cookie and compressed length
	if _, err := io.ReadFull(r, outer[:]); err != nil {
		return fmt.Errorf("not a valid HDR histogram encoding: header: %w", err)
	}
	z, err := zlib.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a valid HDR histogram encoding: %w", err)
	}
	defer z.Close()
	var head struct {
		Cookie, PayloadLength, NormalizingIndexOffset, Digits int32
		Lowest, Highest                                       int64
	}
	if err := binary.Read(io.LimitReader(z, 32), binary.BigEndian, &head); err != nil {
		return fmt.Errorf("not a valid HDR histogram encoding: header: %w", err)
	}
	if head.Lowest != histLowest || head.Highest != histHighest || head.Digits != histDigits {
		return fmt.Errorf("range %d..%d µs at %d significant digits; scalebench records %d..%d µs at %d",
			head.Lowest, head.Highest, head.Digits, histLowest, histHighest, histDigits)
	}
	return nil
}

// wireHistogram is a histogram as a results file stores it.
type wireHistogram struct {
	Unit    string `json:"unit"` // "us"
	Encoded string `json:"encoded"`
}

// MarshalJSON encodes the histogram for a results file.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	if h.err != nil {
		return nil, fmt.Errorf("encode histogram: %w", h.err)
	}
	enc := h.enc
	if enc == nil {
		enc = NewHistogram().enc
	}
	return json.Marshal(wireHistogram{Unit: "us", Encoded: base64.StdEncoding.EncodeToString(enc)})
}

// UnmarshalJSON reads a histogram stored in a results file. It keeps the
// encoding as it is; what the encoding holds is checked by Check (Run.Validate
// calls it for every histogram of a run).
func (h *Histogram) UnmarshalJSON(data []byte) error {
	var w wireHistogram
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	*h = Histogram{}
	switch {
	case w.Unit != "" && w.Unit != "us":
		h.err = fmt.Errorf("unit %q, want \"us\"", w.Unit)
	case w.Encoded == "":
		// An empty histogram.
	default:
		b, err := base64.StdEncoding.DecodeString(w.Encoded)
		if err != nil {
			h.err = fmt.Errorf("encoded: not base64: %w", err)
			break
		}
		h.enc = b
	}
	return nil
}

// Latency summarises the histogram in seconds.
func (h *Histogram) Latency() Latency {
	p, err := h.packed()
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

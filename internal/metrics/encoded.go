package metrics

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// EncodedHistogram is a latency histogram (NewHistogram's bounds) held in
// hdrhistogram-go's compressed V2 encoding, as a worker's report and a
// results file carry it: a few hundred bytes instead of the 188 KB its
// counts take once decoded; each use decodes it. In JSON it is
// {"unit": "us", "encoded": ...}, that encoding in base64. It is never
// changed once made. A nil *EncodedHistogram is an empty histogram.
type EncodedHistogram struct {
	// enc is the V2 compressed encoding as hdrhistogram-go writes it (in
	// base64); nil for an empty histogram.
	enc []byte
	// err is why the stored encoding cannot be used, reported by Check.
	err error
}

// EncodeHistogram returns the encoded histogram holding h's counts, which
// h's later changes do not reach; a nil h gives an empty histogram.
func EncodeHistogram(h *hdrhistogram.Histogram) *EncodedHistogram {
	if h == nil {
		h = NewHistogram()
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return &EncodedHistogram{err: fmt.Errorf("encode histogram: %w", err)}
	}
	return &EncodedHistogram{enc: b}
}

// HDR returns the histogram decoded (never nil): a new one at each call. A
// nil receiver, or an encoding Check refuses, gives an empty one.
func (h *EncodedHistogram) HDR() *hdrhistogram.Histogram {
	if h == nil || h.enc == nil || h.err != nil {
		return NewHistogram()
	}
	if err := checkGeometry(h.enc); err != nil {
		return NewHistogram()
	}
	d, err := hdrhistogram.Decode(h.enc)
	if err != nil {
		return NewHistogram()
	}
	return d
}

// Packed decodes the histogram into sparse counts, which take memory in
// proportion to the buckets that hold values; nil when it is empty.
func (h *EncodedHistogram) Packed() (*hdrhistogram.PackedHistogram, error) {
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
func (h *EncodedHistogram) Check() error {
	_, err := h.Packed()
	return err
}

// AddTo adds the histogram's counts to dst, which has NewHistogram's bounds.
func (h *EncodedHistogram) AddTo(dst *hdrhistogram.Histogram) {
	if p, err := h.Packed(); err == nil && p != nil {
		p.MergeInto(dst)
	}
}

// TotalCount is the number of values the histogram holds.
func (h *EncodedHistogram) TotalCount() int64 {
	p, err := h.Packed()
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

// wireHistogram is an encoded histogram in JSON.
type wireHistogram struct {
	Unit    string `json:"unit"` // "us"
	Encoded string `json:"encoded"`
}

// MarshalJSON encodes the histogram as {"unit": "us", "encoded": ...}.
func (h *EncodedHistogram) MarshalJSON() ([]byte, error) {
	if h.err != nil {
		return nil, fmt.Errorf("encode histogram: %w", h.err)
	}
	enc := h.enc
	if enc == nil {
		enc = EncodeHistogram(nil).enc
	}
	return json.Marshal(wireHistogram{Unit: "us", Encoded: base64.StdEncoding.EncodeToString(enc)})
}

// UnmarshalJSON reads an encoded histogram. It keeps the encoding as it is;
// what the encoding holds is checked by Check.
func (h *EncodedHistogram) UnmarshalJSON(data []byte) error {
	var w wireHistogram
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	*h = EncodedHistogram{}
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

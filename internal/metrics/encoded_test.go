package metrics

import (
	"encoding/json"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestEncodedHistogramRoundTrip: a histogram survives its JSON form, as a
// worker's report and a results file carry it, count for count.
func TestEncodedHistogramRoundTrip(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v < 100000; v *= 3 {
		_ = h.RecordValue(v)
	}
	data, err := json.Marshal(EncodeHistogram(h))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"unit":"us","encoded":"`) {
		t.Errorf("JSON %s", data)
	}
	var back EncodedHistogram
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Check(); err != nil {
		t.Fatal(err)
	}
	got := back.HDR()
	if got.TotalCount() != h.TotalCount() || got.Max() != h.Max() || back.TotalCount() != h.TotalCount() {
		t.Errorf("decoded %d values up to %d, want %d up to %d", got.TotalCount(), got.Max(), h.TotalCount(), h.Max())
	}
	var none *EncodedHistogram
	if none.HDR().TotalCount() != 0 || none.Check() != nil || none.TotalCount() != 0 {
		t.Error("a nil histogram is not empty")
	}
}

// TestEncodedHistogramRefusesOtherBounds: an encoding of other bounds is
// refused before it is decoded, and reads as empty.
func TestEncodedHistogramRefusesOtherBounds(t *testing.T) {
	other := hdrhistogram.New(1, 1<<40, 5)
	_ = other.RecordValue(7)
	data, err := json.Marshal(EncodeHistogram(other))
	if err != nil {
		t.Fatal(err)
	}
	var back EncodedHistogram
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Check(); err == nil || !strings.Contains(err.Error(), "scalebench records") {
		t.Errorf("Check = %v, want the bounds refused", err)
	}
	if back.HDR().TotalCount() != 0 {
		t.Error("a refused encoding was decoded")
	}
}

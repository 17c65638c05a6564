// Package metrics records job samples without locks on the hot path: each
// worker owns a Recorder, and recorders are merged after the window.
package metrics

import (
	"encoding/base64"
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/results"
)

// Histogram bounds: latencies are recorded in microseconds from 1 µs to one
// hour with three significant digits.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
	maxErrKinds = 5
)

// LateAfter is how long a due job may wait for a worker before it counts as
// a late start: shorter waits are scheduler wake-up noise, not queueing.
const LateAfter = time.Millisecond

// NewHistogram returns an empty latency histogram in microseconds.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// Sample is one finished job.
type Sample struct {
	// Latency is measured from the job's intended start (its scheduled
	// arrival in an open loop), so queueing is included.
	Latency time.Duration
	// End is when the job finished.
	End time.Time
	// Lag is how long the job waited for a free worker after it was due
	// (open loop); a wait over LateAfter counts as a late start.
	Lag time.Duration
	// Stage durations.
	Fetch, Decode, Resize, Encode, Write time.Duration
	Err                                  error
}

// Recorder accumulates the samples of one worker. It is not safe for
// concurrent use: give each worker its own.
type Recorder struct {
	start  time.Time
	end    time.Time
	bucket time.Duration
	snap   Snapshot
	hist   *hdrhistogram.Histogram
}

// Snapshot is the mergeable, serialisable state of one or more recorders.
type Snapshot struct {
	Jobs   int64 `json:"jobs"`
	Errors int64 `json:"errors"`
	// InWindow counts successful jobs that finished inside the window,
	// whenever they were due: the basis of throughput. It differs from Jobs
	// in an open loop, whose backlog may finish after the window closes.
	InWindow int64 `json:"in_window"`
	// StageSums are summed stage durations of successful jobs, in nanoseconds:
	// fetch, decode, resize, encode, write.
	StageSums [5]int64 `json:"stage_sums"`
	// Buckets counts completions per bucket of the window.
	Buckets  []int64 `json:"buckets"`
	BucketNs int64   `json:"bucket_ns"`
	// Hist is the encoded latency histogram of successful jobs.
	Hist       string   `json:"hist"`
	ErrSamples []string `json:"err_samples,omitempty"`
	LateCount  int64    `json:"late_count,omitempty"`
	LateSumNs  int64    `json:"late_sum_ns,omitempty"`
	LateMaxNs  int64    `json:"late_max_ns,omitempty"`
	Dropped    int64    `json:"dropped,omitempty"`
}

// NewRecorder returns a recorder for a window that starts at start and
// lasts window (0 for an open-ended batch), bucketing completions by bucket.
func NewRecorder(start time.Time, window, bucket time.Duration) *Recorder {
	if bucket <= 0 {
		bucket = 250 * time.Millisecond
	}
	n := 1
	if window > 0 {
		n = int((window + bucket - 1) / bucket)
	}
	return &Recorder{
		start:  start,
		end:    start.Add(window),
		bucket: bucket,
		hist:   NewHistogram(),
		snap:   Snapshot{Buckets: make([]int64, n), BucketNs: int64(bucket)},
	}
}

// Record adds one finished job. Errors count separately and do not enter
// the latency histogram.
func (r *Recorder) Record(s Sample) {
	if s.Lag > LateAfter {
		r.snap.LateCount++
		r.snap.LateSumNs += int64(s.Lag)
		if int64(s.Lag) > r.snap.LateMaxNs {
			r.snap.LateMaxNs = int64(s.Lag)
		}
	}
	if s.Err != nil {
		r.snap.Errors++
		r.noteError(s.Err)
		return
	}
	r.snap.Jobs++
	r.Complete(s.End)
	us := int64(s.Latency / time.Microsecond)
	if us < histLowest {
		us = histLowest
	}
	if us > histHighest {
		us = histHighest
	}
	_ = r.hist.RecordValue(us) // cannot fail: us is clamped to the trackable range
	r.snap.StageSums[0] += int64(s.Fetch)
	r.snap.StageSums[1] += int64(s.Decode)
	r.snap.StageSums[2] += int64(s.Resize)
	r.snap.StageSums[3] += int64(s.Encode)
	r.snap.StageSums[4] += int64(s.Write)
	i := int(s.End.Sub(r.start) / r.bucket)
	if i < 0 {
		i = 0
	}
	for i >= len(r.snap.Buckets) {
		r.snap.Buckets = append(r.snap.Buckets, 0)
	}
	r.snap.Buckets[i]++
}

// Complete counts a successful job that finished at end towards the
// window's throughput, if it finished inside the window. Record calls it;
// call it directly for jobs not recorded (due before the window opened).
func (r *Recorder) Complete(end time.Time) {
	if !end.Before(r.start) && (r.end.Equal(r.start) || !end.After(r.end)) {
		r.snap.InWindow++
	}
}

// Drop counts a scheduled arrival that never started within the window.
func (r *Recorder) Drop() { r.snap.Dropped++ }

func (r *Recorder) noteError(err error) {
	msg := err.Error()
	for _, m := range r.snap.ErrSamples {
		if m == msg {
			return
		}
	}
	if len(r.snap.ErrSamples) < maxErrKinds {
		r.snap.ErrSamples = append(r.snap.ErrSamples, msg)
	}
}

// Snapshot returns the recorder's state with its histogram encoded.
func (r *Recorder) Snapshot() (Snapshot, error) {
	s := r.snap
	s.Buckets = append([]int64(nil), r.snap.Buckets...)
	s.ErrSamples = append([]string(nil), r.snap.ErrSamples...)
	enc, err := EncodeHistogram(r.hist)
	if err != nil {
		return Snapshot{}, err
	}
	s.Hist = enc.Encoded
	return s, nil
}

// Merge combines snapshots of recorders that measured the same window.
func Merge(snaps ...Snapshot) (Snapshot, error) {
	var out Snapshot
	h := NewHistogram()
	for _, s := range snaps {
		out.Jobs += s.Jobs
		out.Errors += s.Errors
		out.InWindow += s.InWindow
		for i := range out.StageSums {
			out.StageSums[i] += s.StageSums[i]
		}
		if out.BucketNs == 0 {
			out.BucketNs = s.BucketNs
		}
		for len(out.Buckets) < len(s.Buckets) {
			out.Buckets = append(out.Buckets, 0)
		}
		for i, v := range s.Buckets {
			out.Buckets[i] += v
		}
		for _, m := range s.ErrSamples {
			if len(out.ErrSamples) < maxErrKinds && !contains(out.ErrSamples, m) {
				out.ErrSamples = append(out.ErrSamples, m)
			}
		}
		out.LateCount += s.LateCount
		out.LateSumNs += s.LateSumNs
		out.LateMaxNs = max(out.LateMaxNs, s.LateMaxNs)
		out.Dropped += s.Dropped
		if s.Hist != "" {
			sh, err := DecodeHistogram(&results.Histogram{Unit: "us", Encoded: s.Hist})
			if err != nil {
				return Snapshot{}, err
			}
			h.Merge(sh)
		}
	}
	enc, err := EncodeHistogram(h)
	if err != nil {
		return Snapshot{}, err
	}
	out.Hist = enc.Encoded
	return out, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// EncodeHistogram encodes h (microseconds) for a results file.
func EncodeHistogram(h *hdrhistogram.Histogram) (*results.Histogram, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("metrics: encode histogram: %w", err)
	}
	return &results.Histogram{Unit: "us", Encoded: base64.StdEncoding.EncodeToString(b)}, nil
}

// DecodeHistogram decodes a histogram stored in a results file.
func DecodeHistogram(r *results.Histogram) (*hdrhistogram.Histogram, error) {
	if r == nil || r.Encoded == "" {
		return NewHistogram(), nil
	}
	if r.Unit != "" && r.Unit != "us" {
		return nil, fmt.Errorf("metrics: decode histogram: unit %q, want \"us\"", r.Unit)
	}
	b, err := base64.StdEncoding.DecodeString(r.Encoded)
	if err != nil {
		return nil, fmt.Errorf("metrics: decode histogram: %w", err)
	}
	h, err := hdrhistogram.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("metrics: decode histogram: %w", err)
	}
	return h, nil
}

// LatencyOf summarises a microsecond histogram in seconds.
func LatencyOf(h *hdrhistogram.Histogram) results.Latency {
	if h.TotalCount() == 0 {
		return results.Latency{}
	}
	sec := func(us int64) float64 { return float64(us) / 1e6 }
	return results.Latency{
		Mean: h.Mean() / 1e6,
		P50:  sec(h.ValueAtQuantile(50)),
		P90:  sec(h.ValueAtQuantile(90)),
		P99:  sec(h.ValueAtQuantile(99)),
		P999: sec(h.ValueAtQuantile(99.9)),
		Max:  sec(h.Max()),
	}
}

// Stages returns the mean stage durations of the snapshot's successful jobs, in seconds.
func (s Snapshot) Stages() results.Stages {
	if s.Jobs == 0 {
		return results.Stages{}
	}
	m := func(i int) float64 { return float64(s.StageSums[i]) / float64(s.Jobs) / 1e9 }
	return results.Stages{Fetch: m(0), Decode: m(1), Resize: m(2), Encode: m(3), Write: m(4)}
}

// Lateness summarises how late open-loop arrivals started, or nil if none did.
func (s Snapshot) Lateness() *results.Lateness {
	if s.LateCount == 0 && s.Dropped == 0 {
		return nil
	}
	l := &results.Lateness{Count: s.LateCount, MaxLag: float64(s.LateMaxNs) / 1e9, Dropped: s.Dropped}
	if s.LateCount > 0 {
		l.MeanLag = float64(s.LateSumNs) / float64(s.LateCount) / 1e9
	}
	return l
}

// Series returns the completions-per-bucket time series.
func (s Snapshot) Series() results.Series {
	return results.Series{Bucket: float64(s.BucketNs) / 1e9, Completed: append([]int64(nil), s.Buckets...)}
}

// Histogram returns the snapshot's latency histogram as stored in results.
func (s Snapshot) Histogram() *results.Histogram {
	return &results.Histogram{Unit: "us", Encoded: s.Hist}
}

// Latency decodes the snapshot's histogram and summarises it in seconds.
func (s Snapshot) Latency() (results.Latency, error) {
	h, err := DecodeHistogram(s.Histogram())
	if err != nil {
		return results.Latency{}, err
	}
	return LatencyOf(h), nil
}

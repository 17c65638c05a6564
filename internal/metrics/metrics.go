// Package metrics records job samples without locks on the hot path: each
// worker owns a Recorder, and recorders are merged after the window.
package metrics

import (
	"maps"
	"slices"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
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

// NewHistogram returns an empty latency histogram in microseconds, with
// the bounds of every latency histogram of a run.
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
	// Stage durations; Queue is the wait for admission (memory).
	Queue, Fetch, Decode, Resize, Encode, Write time.Duration
	Err                                         error
	// Kind names what kind of error Err is ("timeout", "unreachable", ...),
	// for counting errors by kind.
	Kind string
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

// Snapshot is the mergeable state of one or more recorders. Its histogram
// is not serialised with it: a worker process sends it separately.
type Snapshot struct {
	Jobs   int64 `json:"jobs"`
	Errors int64 `json:"errors"`
	// InWindow counts successful jobs that finished inside the window,
	// whenever they were due: the basis of throughput. It differs from Jobs
	// in an open loop, whose backlog may finish after the window closes.
	InWindow int64 `json:"in_window"`
	// StageSums are summed stage durations of successful jobs, in nanoseconds:
	// fetch, decode, resize, encode, write, and the wait in queue (a
	// worker from before that wait was counted sends five).
	StageSums [6]int64 `json:"stage_sums"`
	// Buckets counts completions per bucket of the window.
	Buckets  []int64 `json:"buckets"`
	BucketNs int64   `json:"bucket_ns"`
	// ErrBuckets counts failed jobs per bucket, by when they ended, like
	// Buckets; nil when none failed.
	ErrBuckets []int64 `json:"err_buckets,omitempty"`
	// Hist is the latency histogram of successful jobs, in microseconds.
	Hist       *hdrhistogram.Histogram `json:"-"`
	ErrSamples []string                `json:"err_samples,omitempty"`
	// ErrKinds counts errors by Sample.Kind ("" counts as "other").
	ErrKinds  map[string]int64 `json:"err_kinds,omitempty"`
	LateCount int64            `json:"late_count,omitempty"`
	LateSumNs int64            `json:"late_sum_ns,omitempty"`
	LateMaxNs int64            `json:"late_max_ns,omitempty"`
	Dropped   int64            `json:"dropped,omitempty"`
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
		kind := s.Kind
		if kind == "" {
			kind = "other"
		}
		if r.snap.ErrKinds == nil {
			r.snap.ErrKinds = map[string]int64{}
		}
		r.snap.ErrKinds[kind]++
		r.noteError(s.Err)
		r.snap.ErrBuckets = count(r.snap.ErrBuckets, r.bucketOf(s.End))
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
	r.snap.StageSums[5] += int64(s.Queue)
	r.snap.Buckets = count(r.snap.Buckets, r.bucketOf(s.End))
}

// bucketOf is the index of the bucket a job that ended at end falls in.
func (r *Recorder) bucketOf(end time.Time) int {
	return max(int(end.Sub(r.start)/r.bucket), 0)
}

// count adds one to buckets[i], growing buckets as needed.
func count(buckets []int64, i int) []int64 {
	for i >= len(buckets) {
		buckets = append(buckets, 0)
	}
	buckets[i]++
	return buckets
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

// Snapshot returns the recorder's state. Its histogram is the recorder's
// own: take the snapshot once the recorder is done.
func (r *Recorder) Snapshot() Snapshot {
	s := r.snap
	s.Buckets = slices.Clone(r.snap.Buckets)
	s.ErrBuckets = slices.Clone(r.snap.ErrBuckets)
	s.ErrSamples = slices.Clone(r.snap.ErrSamples)
	s.ErrKinds = maps.Clone(r.snap.ErrKinds)
	s.Hist = r.hist
	return s
}

// Merge combines snapshots of recorders that measured the same window.
func Merge(snaps ...Snapshot) Snapshot {
	var out Snapshot
	out.Hist = NewHistogram()
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
		for len(out.ErrBuckets) < len(s.ErrBuckets) {
			out.ErrBuckets = append(out.ErrBuckets, 0)
		}
		for i, v := range s.ErrBuckets {
			out.ErrBuckets[i] += v
		}
		for _, m := range s.ErrSamples {
			if len(out.ErrSamples) < maxErrKinds && !slices.Contains(out.ErrSamples, m) {
				out.ErrSamples = append(out.ErrSamples, m)
			}
		}
		for k, n := range s.ErrKinds {
			if out.ErrKinds == nil {
				out.ErrKinds = map[string]int64{}
			}
			out.ErrKinds[k] += n
		}
		out.LateCount += s.LateCount
		out.LateSumNs += s.LateSumNs
		out.LateMaxNs = max(out.LateMaxNs, s.LateMaxNs)
		out.Dropped += s.Dropped
		if s.Hist != nil {
			out.Hist.Merge(s.Hist)
		}
	}
	return out
}

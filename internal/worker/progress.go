package worker

import (
	"context"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"
)

// Progress is one bucket of a measured window, sent while the worker
// measures when its spec asks for it (Spec.Progress): how many jobs ended in
// the bucket and how long they took. It is for watching a run as it goes;
// the figures of a run come from the Report alone.
type Progress struct {
	// Bucket is the bucket's index from the window's start, Width its
	// length (the last bucket of a window may be shorter than the spec's).
	Bucket int           `json:"bucket"`
	Width  time.Duration `json:"width"`
	// Jobs and Errors count the jobs recorded during the bucket.
	Jobs   int64 `json:"jobs"`
	Errors int64 `json:"errors"`
	// Latency holds the latencies of the bucket's successful jobs: all of
	// them, or the first maxBucketSamples of each recorder shard when
	// there are more.
	Latency Latencies `json:"latency,omitempty"`
}

// Latencies counts latencies by value, in increasing order of value; each
// value is rounded down to its 8 most significant bits, within 0.8% of
// the latency it stands for.
type Latencies []LatencyCount

// LatencyCount is how many latencies had one value.
type LatencyCount struct {
	Micros int64 `json:"us"`
	Count  int64 `json:"n"`
}

// roundLatency rounds us down to its 8 most significant bits.
func roundLatency(us int64) int64 {
	if us < 1<<8 {
		return max(us, 1)
	}
	shift := bits.Len64(uint64(us)) - 8
	return us >> shift << shift
}

// countLatencies sorts us (latencies in µs) and counts them by rounded
// value into out[:0].
func countLatencies(out Latencies, us []int64) Latencies {
	slices.Sort(us)
	out = out[:0]
	for _, v := range us {
		r := roundLatency(v)
		if n := len(out); n > 0 && out[n-1].Micros == r {
			out[n-1].Count++
		} else {
			out = append(out, LatencyCount{Micros: r, Count: 1})
		}
	}
	return out
}

// Merge returns the counts of l and o together; both are in order of
// value, and so is the result.
func (l Latencies) Merge(o Latencies) Latencies {
	out := make(Latencies, 0, len(l)+len(o))
	i, j := 0, 0
	for i < len(l) || j < len(o) {
		switch {
		case j == len(o) || i < len(l) && l[i].Micros < o[j].Micros:
			out = append(out, l[i])
			i++
		case i == len(l) || o[j].Micros < l[i].Micros:
			out = append(out, o[j])
			j++
		default:
			out = append(out, LatencyCount{Micros: l[i].Micros, Count: l[i].Count + o[j].Count})
			i, j = i+1, j+1
		}
	}
	return out
}

// Total is the number of latencies counted.
func (l Latencies) Total() int64 {
	var n int64
	for _, c := range l {
		n += c.Count
	}
	return n
}

// Quantile is the latency at quantile q (0 to 1) by nearest rank, the
// middle of the values its rounded value stands for; 0 when none is
// counted.
func (l Latencies) Quantile(q float64) time.Duration {
	total := l.Total()
	if total == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(total))), 1)
	var seen int64
	for _, c := range l {
		if seen += c.Count; seen >= rank {
			return middle(c.Micros)
		}
	}
	return middle(l[len(l)-1].Micros)
}

// middle is the middle of the latencies that round to us.
func middle(us int64) time.Duration {
	width := int64(1)
	if us >= 1<<8 {
		width = 1 << (bits.Len64(uint64(us)) - 8)
	}
	return time.Duration(us)*time.Microsecond + time.Duration(width-1)*time.Microsecond/2
}

// Valid reports whether l is as a worker sends it: values and counts
// positive, values increasing.
func (l Latencies) Valid() bool {
	for i, c := range l {
		if c.Micros < 1 || c.Count < 1 || i > 0 && c.Micros <= l[i-1].Micros {
			return false
		}
	}
	return true
}

// maxBucketSamples is the most latencies one recorder shard keeps for one
// bucket: memory stays bounded whatever the rate, and a bucket's
// percentiles rest on at least that many jobs per shard.
const maxBucketSamples = 1 << 14

// defaultBucket is the bucket width of a spec that names none, as the
// recorder's (metrics.NewRecorder).
const defaultBucket = 250 * time.Millisecond

// bucketGrace is how long after a bucket's end its jobs are collected: a
// job that ended just before the end is recorded a moment later.
const bucketGrace = 10 * time.Millisecond

type progressKey struct{}

// WithProgress returns a copy of ctx under which Execute and ExecuteWith,
// given a spec with Progress set, call send with each bucket of the
// measured window as it closes. send is called from a goroutine of the
// worker's own, one bucket at a time, never from a measuring worker.
func WithProgress(ctx context.Context, send func(Progress)) context.Context {
	return context.WithValue(ctx, progressKey{}, send)
}

// progressSink is the send function WithProgress put in ctx, or nil.
func progressSink(ctx context.Context) func(Progress) {
	send, _ := ctx.Value(progressKey{}).(func(Progress))
	return send
}

// liveBucket is what one shard recorded during the current bucket.
type liveBucket struct {
	jobs, errors int64
	latencies    []int64 // µs, at most maxBucketSamples
}

// record adds a job to the bucket; errors count but have no latency.
func (b *liveBucket) record(latency time.Duration, failed bool) {
	if failed {
		b.errors++
		return
	}
	b.jobs++
	if len(b.latencies) < maxBucketSamples {
		us := min(max(int64(latency/time.Microsecond), 1), int64(time.Hour/time.Microsecond))
		b.latencies = append(b.latencies, us)
	}
}

// progressReporter sends a recorder's buckets as they close.
type progressReporter struct {
	rec  *recorder
	send func(Progress)
	// spare holds each shard's other bucket, swapped in at each collection
	// so that no bucket is allocated while measuring.
	spare []liveBucket
	// all and counts are scratch space for a bucket's latencies.
	all    []int64
	counts Latencies

	stop    chan struct{}
	stopped sync.WaitGroup
}

// startProgress starts sending r's buckets from the window that opens at
// start and lasts window (0: until stopProgress, as a batch's).
func (r *recorder) startProgress(start time.Time, window time.Duration) {
	p := &progressReporter{rec: r, send: r.progress, spare: make([]liveBucket, len(r.shards)), stop: make(chan struct{})}
	r.reporter = p
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		p.run(start, window)
	}()
}

// stopProgress ends the reporter, if any; the bucket in progress, cut
// short, is sent first. It returns once nothing more is sent.
func (r *recorder) stopProgress() {
	if r.reporter == nil {
		return
	}
	close(r.reporter.stop)
	r.reporter.stopped.Wait()
}

// run sends bucket after bucket until the window closes, or until stop.
func (p *progressReporter) run(start time.Time, window time.Duration) {
	width := p.rec.bucket
	if width <= 0 {
		width = defaultBucket
	}
	for i := 0; ; i++ {
		from := start.Add(time.Duration(i) * width)
		end := from.Add(width)
		last := false
		if window > 0 && !end.Before(start.Add(window)) {
			end, last = start.Add(window), true
		}
		t := time.NewTimer(time.Until(end) + bucketGrace)
		select {
		case <-t.C:
		case <-p.stop:
			t.Stop()
			if time.Now().After(from) {
				// The run ended inside this bucket (a batch's end, or the
				// window's within the grace): send what it holds.
				p.collect(i, min(time.Since(from), end.Sub(from)))
			}
			return
		}
		p.collect(i, end.Sub(from))
		if last {
			return
		}
	}
}

// collect takes bucket i from every shard and sends it.
func (p *progressReporter) collect(i int, width time.Duration) {
	out := Progress{Bucket: i, Width: width}
	p.all = p.all[:0]
	for s := range p.rec.shards {
		sh := &p.rec.shards[s]
		next := p.spare[s]
		next.jobs, next.errors, next.latencies = 0, 0, next.latencies[:0]
		sh.mu.Lock()
		b := sh.live
		sh.live = next
		sh.mu.Unlock()
		out.Jobs += b.jobs
		out.Errors += b.errors
		p.all = append(p.all, b.latencies...)
		p.spare[s] = b
	}
	p.counts = countLatencies(p.counts, p.all)
	if len(p.counts) > 0 {
		out.Latency = slices.Clone(p.counts)
	}
	p.send(out)
}

package load

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// OpenLoop offers jobs at Plan.Rate from a schedule fixed in advance by
// Plan.Arrival, through the warm-up and the window as one run; arrivals due
// before the window opens are the warm-up and are not recorded. A job's
// latency counts from its scheduled arrival, so time spent waiting for a
// free worker is never hidden. The dispatcher stops when the window ends,
// by the schedule or by the clock, whichever comes first; jobs still queued
// or running then get a bounded grace to finish, and those that do not are
// dropped.
type OpenLoop struct{}

var _ Executor = OpenLoop{}

// maxQueue bounds the open loop's queue of dispatched jobs not yet started
// (24 MB at most). Tests lower it.
var maxQueue = 1 << 20

// maxGrace bounds how long jobs may finish after the window ends.
const maxGrace = 10 * time.Second

// arrival is one dispatched job: its URL's index, its scheduled arrival and
// when the dispatcher queued it (later if it fell behind), both as offsets
// from the dispatcher's base time.
type arrival struct {
	i                int
	intended, queued time.Duration
}

// Execute implements Executor.
func (OpenLoop) Execute(ctx context.Context, p Plan, jobs []Job, rec Recorder) (Outcome, error) {
	if err := p.check(Open, jobs); err != nil {
		return Outcome{}, err
	}
	if err := CheckRate(p.Rate); err != nil {
		return Outcome{}, fmt.Errorf("load: %s: %w", Open, err)
	}
	if p.Arrival == "" {
		p.Arrival = Poisson
	}
	if _, err := ParseArrival(string(p.Arrival)); err != nil {
		return Outcome{}, fmt.Errorf("load: %s: %w", Open, err)
	}
	base := time.Now()
	start := base.Add(p.Warmup)
	end := start.Add(p.Duration)
	rec.Open(start, p.Duration)

	grace := min(p.Timeout, maxGrace)
	jobCtx, cancelJobs := context.WithDeadline(ctx, end.Add(grace))
	defer cancelJobs()
	// Room for half as many arrivals again as the whole run should see, so
	// the dispatcher does not block on busy workers, within maxQueue.
	size := maxQueue
	if f := p.Rate*(p.Warmup.Seconds()+p.Duration.Seconds())*1.5 + 1024; f < float64(maxQueue) {
		size = int(f)
	}
	queue := make(chan arrival, size)
	var wg sync.WaitGroup
	for w := range p.Workers {
		wg.Go(func() {
			for a := range queue {
				intended := base.Add(a.intended)
				measured := !intended.Before(start)
				if jobCtx.Err() != nil {
					if measured {
						rec.Drop(w)
					}
					continue
				}
				// Lateness counts from when the job reached the queue: a
				// dispatcher that fell behind is the harness's delay, reported
				// as harness lag, not a busy worker's.
				ready := base.Add(max(a.intended, a.queued))
				s := run(jobCtx, jobs[w], p.URLs[a.i], intended, ready, p.Timeout)
				switch {
				case !measured:
					if s.Err == nil {
						rec.Complete(w, s.End)
					}
				case jobCtx.Err() != nil && s.Err != nil:
					rec.Drop(w)
				default:
					rec.Record(w, s)
				}
			}
		})
	}
	out := dispatch(ctx, p, base, start, end, queue)
	close(queue)
	wg.Wait()
	out.Start, out.Elapsed = start, p.Duration
	return out, ended(ctx, Open)
}

// dispatch queues the arrivals of p's schedule, from base until end by the
// schedule or by the clock, and reports how it kept up.
func dispatch(ctx context.Context, p Plan, base, start, end time.Time, queue chan<- arrival) Outcome {
	winCtx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))
	var out Outcome
	next := base
	late := false // the window ended with arrivals still due in it
	for i := int64(0); next.Before(end) && ctx.Err() == nil; i++ {
		if p.MaxJobs > 0 && i >= p.MaxJobs {
			break
		}
		now := time.Now()
		if !now.Before(end) {
			late = true
			break
		}
		if d := next.Sub(now); d > 0 {
			sleep(winCtx, d)
			now = time.Now()
		} else if -d > out.HarnessLag {
			out.HarnessLag = -d
		}
		a := arrival{i: int(i % int64(len(p.URLs))), intended: next.Sub(base), queued: now.Sub(base)}
		if !send(winCtx, queue, a) {
			late = ctx.Err() == nil
			break
		}
		if !next.Before(start) {
			out.Offered++
		}
		next = next.Add(p.Arrival.Gap(rng, p.Rate))
	}
	if late && next.Before(end) {
		now := time.Now()
		out.HarnessLag = max(out.HarnessLag, now.Sub(next))
		from := next
		if from.Before(start) {
			from = start
		}
		// The arrivals the schedule still held: exact for uniform arrivals,
		// the expected number for Poisson ones. rate ≤ MaxRate and the
		// window's length keep this far from overflowing.
		out.Missed = int64(math.Ceil(end.Sub(from).Seconds() * p.Rate))
		out.Offered += out.Missed
	}
	return out
}

// send queues a, waiting while every worker is busy and the queue is full,
// but not after ctx ends; it reports whether a was queued.
func send(ctx context.Context, queue chan<- arrival, a arrival) bool {
	select {
	case queue <- a:
		return true
	default:
	}
	select {
	case queue <- a:
		return true
	case <-ctx.Done():
		return false
	}
}

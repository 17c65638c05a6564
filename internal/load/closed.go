package load

import (
	"context"
	"sync"
	"time"
)

// ClosedLoop runs Plan.Workers workers back to back, each starting its next
// job Plan.Think after its last one ended (later while the system is
// unreachable: see Plan.Backoff), through the warm-up and the window as one
// run. Only jobs that finish inside the window are recorded.
type ClosedLoop struct{}

var _ Executor = ClosedLoop{}

// Execute implements Executor.
func (ClosedLoop) Execute(ctx context.Context, p Plan, jobs []Job, rec Recorder) (Outcome, error) {
	if err := p.check(Closed, jobs); err != nil {
		return Outcome{}, err
	}
	start := time.Now().Add(p.Warmup)
	rec.Open(start, p.Duration)
	closedLoop(ctx, p, jobs, start, rec)
	out := Outcome{Start: start, Elapsed: max(0, min(time.Since(start), p.Duration))}
	return out, ended(ctx, Closed)
}

// closedLoop runs the workers from now until the window [start,
// start+p.Duration] ends, recording into rec the jobs that finish inside
// it; a nil rec records nothing (a batch's warm-up).
func closedLoop(ctx context.Context, p Plan, jobs []Job, start time.Time, rec Recorder) {
	end := start.Add(p.Duration)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	workers := int64(p.Workers)
	var wg sync.WaitGroup
	for w := range p.Workers {
		wg.Go(func() {
			var n int64               // jobs this worker recorded
			var backoff time.Duration // wait after the last unreachable failure
			for k := w; ctx.Err() == nil; k = (k + p.Workers) % len(p.URLs) {
				if p.MaxJobs > 0 && n*workers >= p.MaxJobs {
					return
				}
				s := run(ctx, jobs[w], p.URLs[k%len(p.URLs)], time.Time{}, time.Time{}, p.Timeout)
				if s.End.After(end) || ctx.Err() != nil {
					return // finished after the window: not part of the measurement
				}
				if rec != nil && !s.End.Before(start) {
					n++
					rec.Record(w, s)
				}
				if s.Err != nil && p.Backoff != nil && p.Backoff(s.Err) {
					backoff = min(max(2*backoff, MinBackoff), MaxBackoff)
					sleep(ctx, backoff)
				} else if s.Err == nil {
					backoff = 0
				}
				if p.Think > 0 {
					sleep(ctx, p.Think)
				}
			}
		})
	}
	wg.Wait()
}

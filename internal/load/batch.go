package load

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// BatchRun offers Plan.Jobs jobs, all due at once, to Plan.Workers workers
// and measures the makespan, from the start until the last job ends. A
// warm-up, if any, is a closed loop beforehand; the batch itself starts
// from idle, with a freshly collected heap.
type BatchRun struct{}

var _ Executor = BatchRun{}

// Execute implements Executor.
func (BatchRun) Execute(ctx context.Context, p Plan, jobs []Job, rec Recorder) (Outcome, error) {
	if err := p.check(Batch, jobs); err != nil {
		return Outcome{}, err
	}
	if p.Jobs < 0 {
		return Outcome{}, fmt.Errorf("load: %s: jobs must not be negative, got %d", Batch, p.Jobs)
	}
	if p.Warmup > 0 {
		warm := p
		warm.Duration, warm.MaxJobs = p.Warmup, 0
		closedLoop(ctx, warm, jobs, time.Now(), nil)
	}
	runtime.GC() // start the batch with a clean heap, not warm-up garbage
	start := time.Now()
	rec.Open(start, 0)
	var next atomic.Int64                // the next job to take
	last := make([]time.Time, p.Workers) // each worker's latest finish
	var wg sync.WaitGroup
	for w := range p.Workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(p.Jobs) {
					return
				}
				// Every job is due at start; waiting for a worker is the point
				// of a batch, not lateness, so each is ready when it starts.
				s := run(ctx, jobs[w], p.URLs[i%int64(len(p.URLs))], start, time.Time{}, p.Timeout)
				rec.Record(w, s)
				last[w] = s.End
			}
		})
	}
	wg.Wait()
	end := start
	for _, t := range last {
		if t.After(end) {
			end = t
		}
	}
	span := end.Sub(start)
	return Outcome{Start: start, Elapsed: span, Makespan: span}, ended(ctx, Batch)
}

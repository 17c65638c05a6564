package history

import (
	"runtime"
	"sync"

	"github.com/scalebench/scalebench/internal/changepoint"
	"github.com/scalebench/scalebench/internal/metric"
)

// Found is a change point of a trend.
type Found struct {
	changepoint.Change
	// Worse is true when the change makes the metric worse (throughput
	// down, latency up).
	Worse bool
	// New is true when the trend's last run made it appear: without that
	// run, no change was found there.
	New bool
}

// RunBefore is the last run before the change.
func (f Found) RunBefore(t *Trend) *RunInfo { return t.Points[f.Index-1].Run }

// RunAfter is the first run after the change.
func (f Found) RunAfter(t *Trend) *RunInfo { return t.Points[f.Index].Run }

// Range returns the runs that bound where the change happened with 95%
// confidence: the last run surely before it and the last that may be the
// first after it.
func (f Found) Range(t *Trend) (from, to *RunInfo) {
	return t.Points[f.From-1].Run, t.Points[f.To].Run
}

// TrendChanges is a trend and its change points.
type TrendChanges struct {
	Trend   *Trend
	Changes []Found
}

// Changes finds the change points of every trend, on up to GOMAXPROCS
// goroutines, and marks which are new (see Found.New).
func Changes(trends []*Trend, opt changepoint.Options) ([]TrendChanges, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	out := make([]TrendChanges, len(trends))
	errs := make([]error, len(trends))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = trendChanges(trends[i], opt)
			}
		})
	}
	for i := range trends {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func trendChanges(t *Trend, opt changepoint.Options) (TrendChanges, error) {
	tc := TrendChanges{Trend: t}
	xs := t.Medians()
	cs, err := changepoint.Detect(xs, opt)
	if err != nil || len(cs) == 0 {
		return tc, err
	}
	var old []changepoint.Change
	if len(xs) > 1 {
		if old, err = changepoint.Detect(xs[:len(xs)-1], opt); err != nil {
			return tc, err
		}
	}
	dir := metric.HigherIsBetter
	if mi, ok := t.Metric.Info(); ok {
		dir = mi.Direction
	}
	for _, c := range cs {
		f := Found{Change: c, New: true}
		worse := c.After.Median < c.Before.Median
		if dir == metric.LowerIsBetter {
			worse = c.After.Median > c.Before.Median
		}
		f.Worse = worse
		for _, o := range old {
			// Found without the last run, at or next to the same place.
			if o.Index >= c.From-1 && o.Index <= c.To+1 && (o.After.Median > o.Before.Median) == (c.After.Median > c.Before.Median) {
				f.New = false
			}
		}
		tc.Changes = append(tc.Changes, f)
	}
	return tc, nil
}

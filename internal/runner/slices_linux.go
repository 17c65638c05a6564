//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scalebench/scalebench/internal/worker"
)

const slicesSupported = true

// reportTimeout is how long a session's worker may take to report and
// exit once its run is over.
const reportTimeout = 30 * time.Second

// runSession runs s: it starts every worker process, waits until all are
// ready, stops them, gives them the go signal, then runs the builds in
// turn, a slice at a time, through the warm-up and the rounds; at the end
// it resumes them all, tells them to stop, and reads their reports. Every
// process is killed if the session fails or ctx ends.
func runSession(ctx context.Context, s *session) (sessionOutcome, error) {
	nb := len(s.procs)
	out := sessionOutcome{slices: make([][]slice, nb), reports: make([][]worker.Report, nb)}
	groups := make([][]*worker.Proc, nb)
	var all []*worker.Proc
	defer func() {
		for _, p := range all {
			p.Close()
		}
	}()
	for b, specs := range s.procs {
		for _, ps := range specs {
			p, err := worker.Start(context.Background(), ps.cmd)
			if err != nil {
				return out, err
			}
			all = append(all, p)
			groups[b] = append(groups[b], p)
			if err := p.SendSpec(ps.spec); err != nil {
				return out, err
			}
		}
	}
	for _, p := range all {
		if err := p.AwaitReady(); err != nil {
			return out, err
		}
	}
	// Every process waits, stopped, for its first slice.
	for _, p := range all {
		if err := p.Pause(); err != nil {
			return out, err
		}
	}
	for _, p := range all {
		if err := p.AwaitPause(); err != nil {
			return out, err
		}
		if err := p.SendGo(); err != nil {
			return out, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.budget)
	defer cancel()
	// Warm-up: rounds until every build has run its warm-up, and at least
	// one slice (its first runs the worker's own start-up).
	ran := make([]time.Duration, nb)
	maxRounds := int(float64(s.warmup)/((1-sliceJitter)*float64(s.nominal))) + 2
	for n := 0; n == 0 || minDuration(ran) < s.warmup; n++ {
		if n == maxRounds {
			return out, fmt.Errorf("session: the builds ran %v after %d warm-up rounds, want %s each", ran, n, s.warmup)
		}
		for _, r := range schedule(s.rng, nb, 1, s.nominal) {
			for _, b := range r.order {
				sl, err := runSlice(ctx, groups[b], r.length)
				if err != nil {
					return out, err
				}
				ran[b] += time.Duration(sl.to - sl.from)
			}
		}
	}
	for _, r := range s.rounds {
		for _, b := range r.order {
			sl, err := runSlice(ctx, groups[b], r.length)
			if err != nil {
				return out, err
			}
			out.slices[b] = append(out.slices[b], sl)
		}
	}
	for _, p := range all {
		if err := p.Resume(); err != nil {
			return out, err
		}
	}
	for _, p := range all {
		if err := p.SendStop(); err != nil {
			return out, err
		}
	}
	deadline := time.Now().Add(reportTimeout)
	for b, g := range groups {
		for _, p := range g {
			rep, err := p.Report(deadline)
			if err != nil {
				return out, err
			}
			out.reports[b] = append(out.reports[b], rep)
		}
	}
	return out, nil
}

func minDuration(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}

// runSlice runs procs, stopped, for length: it reads their CPU clocks,
// resumes them, waits, stops them and waits until each has stopped, then
// reads their clocks again. It stops them even when ctx ends meanwhile,
// and then returns ctx's error.
func runSlice(ctx context.Context, procs []*worker.Proc, length time.Duration) (slice, error) {
	var sl slice
	before := make([]time.Duration, len(procs))
	for i, p := range procs {
		c, err := p.CPU()
		if err != nil {
			return sl, err
		}
		before[i] = c
	}
	sl.from = time.Now().UnixNano()
	var errs []error
	for _, p := range procs {
		errs = append(errs, p.Resume())
	}
	t := time.NewTimer(length)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		errs = append(errs, fmt.Errorf("session: %w", context.Cause(ctx)))
	}
	for _, p := range procs {
		errs = append(errs, p.Pause())
	}
	for _, p := range procs {
		errs = append(errs, p.AwaitPause())
	}
	sl.to = time.Now().UnixNano()
	if err := errors.Join(errs...); err != nil {
		return sl, err
	}
	for i, p := range procs {
		c, err := p.CPU()
		if err != nil {
			return sl, err
		}
		sl.cpu += c - before[i]
	}
	return sl, nil
}

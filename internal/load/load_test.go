package load

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Every test runs in a synctest bubble: time is fake and advances only when
// every goroutine is blocked, so a job that "takes" 30 ms takes exactly
// that, and the bubble fails the test if a goroutine is left behind.

// fakeJob takes d, or returns early with the context's error.
func fakeJob(d time.Duration) Job {
	return func(ctx context.Context, _ string) (Stages, error) {
		if d <= 0 {
			return Stages{}, ctx.Err()
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			var st Stages
			st.Parts[0] = d
			return st, nil
		case <-ctx.Done():
			return Stages{}, ctx.Err()
		}
	}
}

func fakeJobs(n int, job Job) []Job {
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = job
	}
	return jobs
}

// fakeRec keeps everything it is given.
type fakeRec struct {
	mu        sync.Mutex
	opens     int
	start     time.Time
	window    time.Duration
	samples   []Sample
	workers   map[int]int // samples per worker
	completed []time.Time
	dropped   int
}

func (r *fakeRec) Open(start time.Time, window time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opens++
	r.start, r.window = start, window
}

func (r *fakeRec) Record(w int, s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.workers == nil {
		r.workers = map[int]int{}
	}
	r.workers[w]++
	r.samples = append(r.samples, s)
}

func (r *fakeRec) Complete(_ int, end time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.completed = append(r.completed, end)
}

func (r *fakeRec) Drop(int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropped++
}

// errs counts the failed samples.
func (r *fakeRec) errs() int {
	n := 0
	for _, s := range r.samples {
		if s.Err != nil {
			n++
		}
	}
	return n
}

// maxOf returns the largest f(s) over the samples.
func (r *fakeRec) maxOf(f func(Sample) time.Duration) time.Duration {
	var m time.Duration
	for _, s := range r.samples {
		m = max(m, f(s))
	}
	return m
}

func execute(t *testing.T, ex Executor, p Plan, job Job) (Outcome, *fakeRec) {
	t.Helper()
	rec := &fakeRec{}
	out, err := ex.Execute(context.Background(), p, fakeJobs(p.Workers, job), rec)
	if err != nil {
		t.Fatal(err)
	}
	if rec.opens != 1 {
		t.Errorf("recorder opened %d times, want once", rec.opens)
	}
	return out, rec
}

func TestClosedLoopThroughput(t *testing.T) {
	for _, tc := range []struct {
		name             string
		workers          int
		latency, think   time.Duration
		warmup, duration time.Duration
		maxJobs          int64
		want             int // jobs recorded
	}{
		// Throughput is workers / (latency + think): jobs end at 30, 80,
		// ..., 980 ms, 20 per worker.
		{"think", 4, 30 * time.Millisecond, 20 * time.Millisecond, 0, time.Second, 0, 4 * 20},
		// Jobs end at 30, 60, ..., 990 ms; the 34th would end after the window.
		{"no think", 8, 30 * time.Millisecond, 0, 0, time.Second, 0, 8 * 33},
		// The warm-up and window are one run: jobs ending at 30, 60 and 90 ms
		// are warm-up; 120 ... 1080 ms end inside [95 ms, 1095 ms].
		{"warm-up", 2, 30 * time.Millisecond, 0, 95 * time.Millisecond, time.Second, 0, 2 * 33},
		// Each worker stops once workers × its own jobs reach the cap.
		{"max jobs", 4, 30 * time.Millisecond, 0, 0, time.Second, 10, 4 * 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				p := Plan{URLs: []string{"a", "b"}, Workers: tc.workers, Warmup: tc.warmup, Duration: tc.duration, Think: tc.think, MaxJobs: tc.maxJobs}
				out, rec := execute(t, ClosedLoop{}, p, fakeJob(tc.latency))
				if len(rec.samples) != tc.want {
					t.Errorf("recorded %d jobs, want %d", len(rec.samples), tc.want)
				}
				start, end := t0.Add(tc.warmup), t0.Add(tc.warmup+tc.duration)
				if !out.Start.Equal(start) || !rec.start.Equal(start) || rec.window != tc.duration {
					t.Errorf("window opened at +%v for %v (outcome +%v), want +%v for %v",
						rec.start.Sub(t0), rec.window, out.Start.Sub(t0), tc.warmup, tc.duration)
				}
				for _, s := range rec.samples {
					if s.End.Before(start) || s.End.After(end) {
						t.Fatalf("recorded a job that ended at +%v, outside the window", s.End.Sub(t0))
					}
					if s.Latency != tc.latency || s.Lag != 0 || s.Err != nil {
						t.Fatalf("sample %+v, want latency %v, no lag, no error", s, tc.latency)
					}
				}
				if tc.maxJobs == 0 && out.Elapsed != tc.duration {
					t.Errorf("elapsed %v, want the window, %v", out.Elapsed, tc.duration)
				}
				if len(rec.workers) != tc.workers {
					t.Errorf("%d workers recorded, want %d", len(rec.workers), tc.workers)
				}
			})
		})
	}
}

func TestOpenLoopStallShowsLateStartsAndQueueing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		// Jobs take 5 ms, but the system stalls from 300 to 500 ms: jobs
		// running then finish 5 ms after it ends.
		stallFrom, stallTo := t0.Add(300*time.Millisecond), t0.Add(500*time.Millisecond)
		job := func(ctx context.Context, url string) (Stages, error) {
			d := 5 * time.Millisecond
			if now := time.Now(); !now.Before(stallFrom) && now.Before(stallTo) {
				d += stallTo.Sub(now)
			}
			return fakeJob(d)(ctx, url)
		}
		// 100 uniform arrivals a second on 2 workers: 1 in 10 ms, each
		// served in 5 ms, until the stall.
		p := Plan{URLs: []string{"a"}, Workers: 2, Duration: time.Second, Rate: 100, Arrival: Uniform}
		out, rec := execute(t, OpenLoop{}, p, job)
		if out.Offered != 100 || len(rec.samples) != 100 || rec.errs() != 0 || rec.dropped != 0 {
			t.Fatalf("offered %d, recorded %d (%d errors), dropped %d; want 100, 100, 0, 0",
				out.Offered, len(rec.samples), rec.errs(), rec.dropped)
		}
		if out.HarnessLag != 0 || out.Missed != 0 {
			t.Errorf("harness lag %v, missed %d: the dispatcher kept up in fake time", out.HarnessLag, out.Missed)
		}
		// The arrival at 300 ms runs through the stall: 205 ms from its
		// scheduled arrival. The one at 320 ms finds both workers stuck and
		// starts at 505 ms: a late start of 185 ms.
		if got := rec.maxOf(func(s Sample) time.Duration { return s.Latency }); got != 205*time.Millisecond {
			t.Errorf("max latency %v, want 205ms", got)
		}
		if got := rec.maxOf(func(s Sample) time.Duration { return s.Lag }); got != 185*time.Millisecond {
			t.Errorf("max late start %v, want 185ms", got)
		}
		late := 0
		for _, s := range rec.samples {
			if s.Lag > time.Millisecond {
				late++
			}
		}
		// Arrivals from 320 to 500 ms at least queue behind the stall.
		if late < 19 {
			t.Errorf("%d late starts, want at least the 19 queued behind the stall", late)
		}
	})
}

func TestOpenLoopArrivals(t *testing.T) {
	for _, tc := range []struct {
		arrival Arrival
		// The coefficient of variation of the gaps: 0 for evenly spaced
		// arrivals, 1 for exponential gaps.
		cvLo, cvHi float64
	}{
		{Uniform, 0, 1e-9},
		{Poisson, 0.95, 1.05},
	} {
		t.Run(string(tc.arrival), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const rate, secs = 1000, 10
				p := Plan{URLs: []string{"a"}, Workers: 4, Duration: secs * time.Second, Rate: rate, Arrival: tc.arrival, Seed: 7}
				out, rec := execute(t, OpenLoop{}, p, fakeJob(0))
				// Uniform: exactly rate × duration. Poisson: a count with a
				// standard deviation of sqrt(10,000) = 100; this seed's is fixed.
				want, tol := float64(rate*secs), 0.0
				if tc.arrival == Poisson {
					tol = 4 * math.Sqrt(want)
				}
				if n := float64(out.Offered); math.Abs(n-want) > tol || len(rec.samples) != int(out.Offered) {
					t.Errorf("offered %d, recorded %d, want %v ± %v", out.Offered, len(rec.samples), want, tol)
				}
				var at []time.Time
				for _, s := range rec.samples {
					at = append(at, s.End.Add(-s.Latency)) // the scheduled arrival
				}
				slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
				var sum, sq float64
				for i := 1; i < len(at); i++ {
					g := at[i].Sub(at[i-1]).Seconds()
					sum += g
					sq += g * g
				}
				n := float64(len(at) - 1)
				mean := sum / n
				cv := math.Sqrt(max(0, sq/n-mean*mean)) / mean
				if cv < tc.cvLo || cv > tc.cvHi || math.Abs(mean*rate-1) > 0.05 {
					t.Errorf("gaps: mean %.6fs, cv %.3f; want mean %.6fs, cv in [%v, %v]", mean, cv, 1.0/rate, tc.cvLo, tc.cvHi)
				}
			})
		})
	}
}

func TestOpenLoopWarmupIsNotMeasured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		p := Plan{URLs: []string{"a"}, Workers: 2, Warmup: 200 * time.Millisecond, Duration: time.Second, Rate: 100, Arrival: Uniform}
		out, rec := execute(t, OpenLoop{}, p, fakeJob(5*time.Millisecond))
		// 20 warm-up arrivals at 0 ... 190 ms are only completed, not recorded.
		if out.Offered != 100 || len(rec.samples) != 100 || len(rec.completed) != 20 {
			t.Errorf("offered %d, recorded %d, completed unrecorded %d; want 100, 100, 20", out.Offered, len(rec.samples), len(rec.completed))
		}
		if start := t0.Add(p.Warmup); !rec.start.Equal(start) {
			t.Errorf("window opened at +%v, want +%v", rec.start.Sub(t0), p.Warmup)
		}
	})
}

// TestOpenLoopStopsAtWindowEnd checks the dispatcher stops when the window
// ends by the clock, even with arrivals left in its schedule, and accounts
// for them.
func TestOpenLoopStopsAtWindowEnd(t *testing.T) {
	defer func(n int) { maxQueue = n }(maxQueue)
	maxQueue = 100
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		// One worker stuck on its first job for good; the queue holds 100
		// more, so the dispatcher blocks at the arrival due at 101 ms.
		p := Plan{URLs: []string{"a"}, Workers: 1, Duration: time.Second, Rate: 1000, Arrival: Uniform, Timeout: 5 * time.Second}
		out, rec := execute(t, OpenLoop{}, p, fakeJob(time.Hour))
		if out.Missed != 899 || out.Offered != 1000 {
			t.Errorf("missed %d of %d offered, want 899 of 1000", out.Missed, out.Offered)
		}
		if out.HarnessLag != 899*time.Millisecond {
			t.Errorf("harness lag %v, want 899ms", out.HarnessLag)
		}
		// The stuck job times out at 5 s; the next one is cut short by the
		// end of the grace after the window (the timeout, 5 s) and dropped,
		// like the 99 still queued.
		if rec.dropped != 100 || len(rec.samples) != 1 || rec.errs() != 1 {
			t.Errorf("dropped %d, recorded %d (%d failed); want 100, 1 (1)", rec.dropped, len(rec.samples), rec.errs())
		}
		if d := time.Since(t0); d != 6*time.Second {
			t.Errorf("returned after %v, want the window plus the grace, 6s", d)
		}
	})
}

func TestOpenLoopAtMaxRateEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Plan{URLs: []string{"a"}, Workers: 4, Duration: 10 * time.Millisecond, Rate: MaxRate, Arrival: Uniform}
		out, rec := execute(t, OpenLoop{}, p, fakeJob(0))
		if want := int64(MaxRate / 100); out.Offered != want || len(rec.samples) != int(want) {
			t.Errorf("offered %d, recorded %d, want %d", out.Offered, len(rec.samples), want)
		}
	})
}

func TestBatchMakespan(t *testing.T) {
	for _, tc := range []struct {
		workers, jobs int
		warmup        time.Duration
		want          time.Duration
	}{
		{1, 5, 0, time.Second},                      // serial: five jobs in a row
		{2, 5, 0, 600 * time.Millisecond},           // three rounds
		{5, 5, 0, 200 * time.Millisecond},           // one round
		{8, 5, 0, 200 * time.Millisecond},           // idle workers do not help
		{5, 5, time.Second, 200 * time.Millisecond}, // the warm-up is not part of it
		{3, 0, 0, 0},
	} {
		synctest.Test(t, func(t *testing.T) {
			t0 := time.Now()
			p := Plan{URLs: []string{"a", "b"}, Workers: tc.workers, Jobs: tc.jobs, Warmup: tc.warmup}
			out, rec := execute(t, BatchRun{}, p, fakeJob(200*time.Millisecond))
			if out.Makespan != tc.want || out.Elapsed != tc.want {
				t.Errorf("%d workers, %d jobs: makespan %v, elapsed %v, want %v", tc.workers, tc.jobs, out.Makespan, out.Elapsed, tc.want)
			}
			if len(rec.samples) != tc.jobs {
				t.Errorf("%d jobs recorded, want %d", len(rec.samples), tc.jobs)
			}
			// All jobs are due at the start: latency includes the wait for a
			// worker, which is not lateness.
			if got := rec.maxOf(func(s Sample) time.Duration { return s.Latency }); got != tc.want {
				t.Errorf("max latency %v, want the makespan %v", got, tc.want)
			}
			if got := rec.maxOf(func(s Sample) time.Duration { return s.Lag }); got != 0 {
				t.Errorf("max lag %v, want 0", got)
			}
			if !rec.start.Equal(t0.Add(tc.warmup)) || rec.window != 0 {
				t.Errorf("window opened at +%v for %v, want +%v, open-ended", rec.start.Sub(t0), rec.window, tc.warmup)
			}
		})
	}
}

func TestJobTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Plan{URLs: []string{"a"}, Workers: 1, Duration: time.Second, Timeout: 300 * time.Millisecond}
		_, rec := execute(t, ClosedLoop{}, p, fakeJob(time.Hour))
		// Jobs time out at 300, 600 and 900 ms; the fourth is cut by the window.
		if len(rec.samples) != 3 || rec.errs() != 3 {
			t.Fatalf("recorded %d jobs, %d failed; want 3 timed out", len(rec.samples), rec.errs())
		}
		if !errors.Is(rec.samples[0].Err, context.DeadlineExceeded) || rec.samples[0].Latency != p.Timeout {
			t.Errorf("sample %+v, want a deadline error after %v", rec.samples[0], p.Timeout)
		}
	})
}

// TestCancelStopsEverything checks every model returns as soon as its
// context is cancelled, with every goroutine gone (synctest checks that).
func TestCancelStopsEverything(t *testing.T) {
	for _, tc := range []struct {
		ex Executor
		p  Plan
	}{
		{ClosedLoop{}, Plan{Duration: time.Hour}},
		{OpenLoop{}, Plan{Duration: time.Hour, Rate: 1000}},
		{BatchRun{}, Plan{Jobs: 100}},
		{BatchRun{}, Plan{Jobs: 100, Warmup: time.Hour}},
	} {
		synctest.Test(t, func(t *testing.T) {
			p := tc.p
			p.URLs, p.Workers, p.Timeout = []string{"a"}, 8, time.Hour
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(50*time.Millisecond, cancel)
			t0 := time.Now()
			_, err := tc.ex.Execute(ctx, p, fakeJobs(p.Workers, fakeJob(time.Hour)), &fakeRec{})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%T: err = %v, want context.Canceled", tc.ex, err)
			}
			if d := time.Since(t0); d != 50*time.Millisecond {
				t.Errorf("%T: returned %v after the start, want at the cancel, 50ms", tc.ex, d)
			}
		})
	}
}

func TestExecuteRejectsBadPlans(t *testing.T) {
	ok := Plan{URLs: []string{"a"}, Workers: 2, Duration: time.Second, Rate: 10}
	for _, tc := range []struct {
		name string
		ex   Executor
		edit func(*Plan)
		jobs int
		want string
	}{
		{"no workers", ClosedLoop{}, func(p *Plan) { p.Workers = 0 }, 0, "at least 1 worker"},
		{"no URLs", ClosedLoop{}, func(p *Plan) { p.URLs = nil }, 2, "at least 1 URL"},
		{"jobs and workers differ", BatchRun{}, func(p *Plan) {}, 1, "one job per worker"},
		{"negative duration", ClosedLoop{}, func(p *Plan) { p.Duration = -1 }, 2, "must not be negative"},
		{"negative jobs", BatchRun{}, func(p *Plan) { p.Jobs = -1 }, 2, "must not be negative"},
		{"zero rate", OpenLoop{}, func(p *Plan) { p.Rate = 0 }, 2, "positive number"},
		{"NaN rate", OpenLoop{}, func(p *Plan) { p.Rate = math.NaN() }, 2, "positive number"},
		{"rate too high", OpenLoop{}, func(p *Plan) { p.Rate = 1e12 }, 2, "above 1e+06/s"},
		{"infinite rate", OpenLoop{}, func(p *Plan) { p.Rate = math.Inf(1) }, 2, "above 1e+06/s"},
		{"unknown arrival", OpenLoop{}, func(p *Plan) { p.Arrival = "bursty" }, 2, "valid: poisson, uniform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.edit(&p)
			rec := &fakeRec{}
			_, err := tc.ex.Execute(context.Background(), p, fakeJobs(tc.jobs, fakeJob(0)), rec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one that says %q", err, tc.want)
			}
			if rec.opens != 0 {
				t.Error("an invalid plan opened the recorder")
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, m := range Models() {
		if got, err := ParseModel(m.String()); got != m || err != nil {
			t.Errorf("ParseModel(%q) = %q, %v", m, got, err)
		}
		if ex, err := m.Executor(); ex == nil || err != nil {
			t.Errorf("%s.Executor() = %v, %v", m, ex, err)
		}
	}
	for _, a := range Arrivals() {
		if got, err := ParseArrival(a.String()); got != a || err != nil {
			t.Errorf("ParseArrival(%q) = %q, %v", a, got, err)
		}
	}
	for _, err := range []error{
		func() error { _, err := ParseModel("Closed"); return err }(),
		func() error { _, err := Model("").Executor(); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), "(valid: closed, open, batch)") {
			t.Errorf("err = %v, want the valid models listed", err)
		}
	}
	if _, err := ParseArrival(""); err == nil || !strings.Contains(err.Error(), "(valid: poisson, uniform)") {
		t.Errorf("err = %v, want the valid arrival patterns listed", err)
	}
}

func TestGapNeverOverflows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rate := range []float64{1e-300, 1e-9, 1, MaxRate} {
		for _, a := range Arrivals() {
			for range 1000 {
				if g := a.Gap(rng, rate); g < 0 {
					t.Fatalf("%s gap at rate %g = %v, want >= 0", a, rate, g)
				}
			}
		}
	}
	if g := Uniform.Gap(rng, 1e-300); g != math.MaxInt64 {
		t.Errorf("uniform gap at 1e-300/s = %v, want the longest duration", g)
	}
	if g := Uniform.Gap(rng, 4); g != 250*time.Millisecond {
		t.Errorf("uniform gap at 4/s = %v, want 250ms", g)
	}
}

var errRefused = errors.New("connection refused")

func TestClosedLoopBacksOffWhileUnreachable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backoff func(error) bool
		succeed time.Duration // when jobs start to succeed; 0: never
		want    int           // failed jobs recorded
	}{
		// Instant failures at 0, 1, 3, 7, ..., 511 ms, then a wait of 1 s
		// (the cap) that outlasts the window's remaining 489 ms.
		{"unreachable", func(err error) bool { return errors.Is(err, errRefused) }, 0, 10},
		// Failures at 0, 1, 3, 7, 15, 31 and 63 ms; from 127 ms jobs
		// succeed, each taking 10 ms, back to back.
		{"recovers", func(err error) bool { return errors.Is(err, errRefused) }, 100 * time.Millisecond, 7},
		// Failures that do not mean the system is unreachable (an error
		// status, say) get no wait: 3 ms jobs fail back to back.
		{"other errors", func(error) bool { return false }, 0, 333},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				job := func(ctx context.Context, url string) (Stages, error) {
					if tc.name == "other errors" {
						time.Sleep(3 * time.Millisecond)
						return Stages{}, errors.New("503 Service Unavailable")
					}
					if tc.succeed == 0 || time.Since(t0) < tc.succeed {
						return Stages{}, errRefused
					}
					return fakeJob(10*time.Millisecond)(ctx, url)
				}
				p := Plan{URLs: []string{"a"}, Workers: 1, Duration: time.Second, Backoff: tc.backoff}
				_, rec := execute(t, ClosedLoop{}, p, job)
				if got := rec.errs(); got != tc.want {
					t.Errorf("%d failed jobs recorded, want %d", got, tc.want)
				}
				if tc.succeed > 0 {
					// 127 ms + 10 ms × k <= 1 s.
					if ok := len(rec.samples) - rec.errs(); ok != 87 {
						t.Errorf("%d successful jobs, want 87", ok)
					}
				}
			})
		})
	}
}

// TestLimit checks each model, with jobs that run until their context ends,
// returns exactly at the limit Plan.Limit gives.
func TestLimit(t *testing.T) {
	for _, tc := range []struct {
		m    Model
		p    Plan
		want time.Duration
	}{
		{Closed, Plan{Warmup: time.Second, Duration: 3 * time.Second, Timeout: time.Minute}, 4 * time.Second},
		{Open, Plan{Warmup: time.Second, Duration: 3 * time.Second, Rate: 10, Timeout: time.Minute}, 14 * time.Second},
		{Open, Plan{Duration: 3 * time.Second, Rate: 10, Timeout: 2 * time.Second}, 5 * time.Second},
		// A warm-up, then three rounds of jobs that each hit the timeout.
		{Batch, Plan{Warmup: time.Second, Jobs: 5, Workers: 2, Timeout: 2 * time.Second}, 7 * time.Second},
	} {
		t.Run(string(tc.m), func(t *testing.T) {
			if got := tc.p.Limit(tc.m); got != tc.want {
				t.Fatalf("Limit = %v, want %v", got, tc.want)
			}
			synctest.Test(t, func(t *testing.T) {
				p := tc.p
				p.URLs, p.Workers = []string{"a"}, 2
				ex, err := tc.m.Executor()
				if err != nil {
					t.Fatal(err)
				}
				t0 := time.Now()
				if _, err := ex.Execute(context.Background(), p, fakeJobs(2, fakeJob(time.Hour)), &fakeRec{}); err != nil {
					t.Fatal(err)
				}
				if d := time.Since(t0); d != tc.want {
					t.Errorf("ran %v, want %v", d, tc.want)
				}
			})
		})
	}
	huge := Plan{Warmup: math.MaxInt64 / 2, Duration: math.MaxInt64 / 2, Jobs: math.MaxInt32, Workers: 1, Timeout: time.Hour}
	for _, m := range Models() {
		if got := huge.Limit(m); got < math.MaxInt64/2 {
			t.Errorf("%s: Limit of a huge plan = %v: it overflowed", m, got)
		}
	}
}

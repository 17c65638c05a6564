package runner

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/worker"
)

// TestSchedule: every round runs each build once, in an order drawn at
// random (both orders about equally often), for a length within ±25% of
// the nominal one, drawn anew for each round and spread over that range.
func TestSchedule(t *testing.T) {
	for _, tc := range []struct {
		nb      int
		nominal time.Duration
	}{{2, 100 * time.Millisecond}, {2, MinSlice}, {3, MaxSlice}} {
		const n = 4000
		rounds := schedule(rand.New(rand.NewPCG(1, uint64(tc.nb))), tc.nb, n, tc.nominal)
		if len(rounds) != n {
			t.Fatalf("%d rounds, want %d", len(rounds), n)
		}
		lo, hi := time.Duration(0.75*float64(tc.nominal)), time.Duration(1.25*float64(tc.nominal))
		first := make([]int, tc.nb)
		var short, long int
		for _, r := range rounds {
			if got := slices.Sorted(slices.Values(r.order)); !slices.Equal(got, []int{0, 1, 2}[:tc.nb]) {
				t.Fatalf("round order %v: not each of %d builds once", r.order, tc.nb)
			}
			first[r.order[0]]++
			if r.length < lo || r.length > hi {
				t.Fatalf("slice %v outside [%v, %v]", r.length, lo, hi)
			}
			switch {
			case r.length < lo+(hi-lo)/10:
				short++
			case r.length > hi-(hi-lo)/10:
				long++
			}
		}
		for b, k := range first {
			if want := n / tc.nb; k < want*9/10 || k > want*11/10 {
				t.Errorf("%d builds: build %d ran first in %d of %d rounds, want about %d", tc.nb, b, k, n, want)
			}
		}
		// Each tenth of the range at either end holds about a tenth.
		if short < n/15 || long < n/15 {
			t.Errorf("%d of %d slices in the shortest tenth of the range, %d in the longest: not spread over ±25%%", short, n, long)
		}
	}
}

// TestCountIn: a slice gets the jobs of the buckets it overlaps, by the
// wall clock both processes share, however the buckets and the slice
// line up.
func TestCountIn(t *testing.T) {
	const ms = int64(time.Millisecond)
	start := int64(1_000_000) * ms
	series := []int64{1, 2, 0, 4, 8, 16}
	for _, tc := range []struct {
		name     string
		from, to int64
		want     int64
	}{
		{"whole series", start, start + 6*ms, 31},
		{"one bucket", start + 3*ms, start + 3*ms + 1, 4},
		{"edges mid-bucket", start + ms + ms/2, start + 4*ms + ms/2, 2 + 0 + 4 + 8},
		{"from before the start", start - 50*ms, start + ms/2, 1},
		{"to past the end", start + 5*ms + 1, start + 90*ms, 16},
		{"before the series", start - 90*ms, start - 50*ms, 0},
		{"after the series", start + 6*ms, start + 9*ms, 0},
		{"reversed", start + 4*ms, start + 2*ms, 0},
	} {
		if got := countIn(series, start, ms, tc.from, tc.to); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := countIn(series, start, 0, start, start+6*ms); got != 0 {
		t.Errorf("no bucket width: %d, want 0", got)
	}
}

// TestSliceRepeatsAttributesCompletions: jobs that two replicas ended
// while their build ran go to the slice they ended in, errors too, and
// each slice's rates come from its own time and CPU; a report the session
// cannot trust fails it.
func TestSliceRepeatsAttributesCompletions(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) int64 { return t0.Add(d).UnixNano() }
	// Two slices of this build, the other build's in between.
	sls := []slice{
		{from: at(10 * time.Millisecond), to: at(110 * time.Millisecond), cpu: 50 * time.Millisecond},
		{from: at(215 * time.Millisecond), to: at(300 * time.Millisecond), cpu: 80 * time.Millisecond},
	}
	report := func(ends []time.Duration, errEnds []time.Duration) worker.Report {
		rec := metrics.NewRecorder(t0, 0, sliceBucket)
		for _, e := range ends {
			rec.Record(metrics.Sample{End: t0.Add(e), Latency: time.Millisecond})
		}
		for _, e := range errEnds {
			rec.Record(metrics.Sample{End: t0.Add(e), Err: errTest})
		}
		return worker.Report{Started: t0, GOMAXPROCS: 1, Elapsed: 0.3, MaxRSS: 5 << 20, Snapshot: rec.Snapshot()}
	}
	reports := []worker.Report{
		report([]time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 110 * time.Millisecond, 216 * time.Millisecond}, []time.Duration{299 * time.Millisecond}),
		report([]time.Duration{109 * time.Millisecond, 250 * time.Millisecond, 251 * time.Millisecond}, nil),
	}
	reports[1].MaxRSS = 7 << 20
	procs := []procSpec{{spec: worker.Spec{Duration: 10 * time.Second}}, {spec: worker.Spec{Duration: 10 * time.Second}}}
	rounds := []sliceRound{{order: []int{0, 1}, length: 100 * time.Millisecond}, {order: []int{1, 0}, length: 80 * time.Millisecond}}
	reps, err := sliceRepeats(sls, reports, procs, rounds, 20, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range []struct {
		index        int
		jobs, errs   int64
		elapsed, cpu float64
	}{{20, 4, 0, 0.100, 0.050}, {21, 3, 1, 0.085, 0.080}} {
		r := reps[k]
		if r.Index != want.index || r.Jobs != want.jobs || r.Errors != want.errs {
			t.Errorf("slice %d: index %d, %d jobs, %d errors; want %d, %d, %d", k, r.Index, r.Jobs, r.Errors, want.index, want.jobs, want.errs)
		}
		if !near(r.Elapsed, want.elapsed) || !near(r.Slice.CPU, want.cpu) || !near(r.Throughput, float64(want.jobs)/want.elapsed) ||
			!near(r.Resources.JobsPerCPUSecond, float64(want.jobs)/want.cpu) {
			t.Errorf("slice %d: %.3f s, CPU %.3f s, %.1f jobs/s, %.1f jobs/CPU-s; want %.3f s, %.3f s", k, r.Elapsed, r.Slice.CPU, r.Throughput, r.Resources.JobsPerCPUSecond, want.elapsed, want.cpu)
		}
		if r.Slice.Session != 2 || r.Slice.Pair != k || !near(r.Slice.Length, rounds[k].length.Seconds()) || r.Resources.MaxRSS != 7<<20 {
			t.Errorf("slice %d: %+v, max RSS %d", k, *r.Slice, r.Resources.MaxRSS)
		}
		if r.Histogram != nil || r.Latency != (results.Latency{}) || len(r.Series.Completed) > 0 {
			t.Errorf("slice %d has latency or a series: %+v", k, r)
		}
	}

	for _, tc := range []struct {
		name   string
		change func(reps []worker.Report, procs []procSpec)
		want   string
	}{
		{"GOMAXPROCS", func(r []worker.Report, _ []procSpec) { r[1].GOMAXPROCS = 2 }, "GOMAXPROCS=2, want 1"},
		{"bucket", func(r []worker.Report, _ []procSpec) { r[0].Snapshot.BucketNs = int64(250 * time.Millisecond) }, "buckets of 250ms"},
		{"ran out", func(r []worker.Report, p []procSpec) { r[0].Elapsed = p[0].spec.Duration.Seconds() }, "ran out of its 10s"},
		{"a report missing", func(r []worker.Report, _ []procSpec) {}, "1 reports of 2 processes"},
	} {
		rs, ps := slices.Clone(reports), slices.Clone(procs)
		tc.change(rs, ps)
		if tc.name == "a report missing" {
			rs = rs[:1]
		}
		_, err := sliceRepeats(sls, rs, ps, rounds, 0, 0, 1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

var errTest = errorString("test failure")

type errorString string

func (e errorString) Error() string { return string(e) }

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestSessionSteps: a session takes the steps of one pair's repeat, one
// per build, and no more.
func TestSessionSteps(t *testing.T) {
	plan := []results.Step{{Cell: 1, Repeat: 0}, {Cell: 0, Repeat: 0}, {Cell: 3, Repeat: 0}, {Cell: 2, Repeat: 0}, {Cell: 1, Repeat: 10}, {Cell: 0, Repeat: 10}}
	for _, tc := range []struct{ at, nb, want int }{{0, 2, 2}, {2, 2, 2}, {4, 2, 2}, {5, 2, 1}, {0, 3, 2}, {0, 1, 1}} {
		if got := sessionSteps(plan[tc.at:], tc.nb); got != tc.want {
			t.Errorf("from step %d of %d builds: %d steps, want %d", tc.at, tc.nb, got, tc.want)
		}
	}
}

// TestInterleaveAfterSessions: the next session of a pair numbers its
// rounds after the highest index so far, so a failed session's single
// repeat never shares an index with a later session's slices.
func TestInterleaveAfterSessions(t *testing.T) {
	run := &results.Run{Builds: []results.Build{{Name: "base"}, {Name: "head"}}, Cells: make([]results.Cell, 2)}
	for b := range 2 {
		run.Cells[b].Repeats = []results.Repeat{{Index: 0, Failure: "crashed"}}
		for k := range 10 {
			run.Cells[b].Repeats = append(run.Cells[b].Repeats, results.Repeat{Index: 10 + k})
		}
	}
	steps := Interleave(run, []int{1}, results.RoundMain, rand.New(rand.NewPCG(1, 1)))
	if len(steps) != 2 || steps[0].Repeat != 20 || steps[1].Repeat != 20 {
		t.Errorf("steps %+v, want both builds at repeat 20", steps)
	}
}

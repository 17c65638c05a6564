package metrics

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRecorderMergeRoundTrip(t *testing.T) {
	start := time.Unix(1000, 0)
	a := NewRecorder(start, time.Second, 250*time.Millisecond)
	b := NewRecorder(start, time.Second, 250*time.Millisecond)
	for i := 1; i <= 100; i++ {
		a.Record(Sample{Latency: time.Duration(i) * time.Millisecond, End: start.Add(time.Duration(i) * 5 * time.Millisecond), Stages: [MaxStages]time.Duration{time.Millisecond}})
	}
	b.Record(Sample{Latency: 2 * time.Second, End: start.Add(900 * time.Millisecond), Stages: [MaxStages]time.Duration{3 * time.Millisecond}})
	b.Record(Sample{Err: errors.New("boom"), End: start})
	b.Record(Sample{Err: errors.New("boom"), End: start})
	a.Record(Sample{Err: errors.New("boom"), End: start.Add(600 * time.Millisecond)})
	m := Merge(a.Snapshot(), b.Snapshot())
	if m.Jobs != 101 || m.Errors != 3 {
		t.Fatalf("jobs, errors = %d, %d; want 101, 3", m.Jobs, m.Errors)
	}
	if want := []int64{2, 0, 1}; !slices.Equal(m.ErrBuckets, want) {
		t.Errorf("error buckets = %v, want %v (by when each failed job ended)", m.ErrBuckets, want)
	}
	if len(m.ErrSamples) != 1 || m.ErrSamples[0] != "boom" {
		t.Errorf("error samples = %q, want one \"boom\"", m.ErrSamples)
	}
	if mx := m.Hist.Max(); mx < 1_990_000 || mx > 2_010_000 {
		t.Errorf("max = %d µs, want ~2 s (the slow job survives the merge)", mx)
	}
	if p50 := m.Hist.ValueAtQuantile(50); p50 < 49_000 || p50 > 52_000 {
		t.Errorf("p50 = %d µs, want ~51 ms", p50)
	}
	var sum int64
	for _, v := range m.Buckets {
		sum += v
	}
	if sum != 101 || len(m.Buckets) != 4 {
		t.Errorf("buckets = %v, want 4 buckets summing to 101", m.Buckets)
	}
	if got, want := m.StageSums[0], int64(100*time.Millisecond+3*time.Millisecond); got != want {
		t.Errorf("fetch sum = %d ns, want %d", got, want)
	}
}

func TestLateness(t *testing.T) {
	r := NewRecorder(time.Now(), time.Second, 0)
	r.Record(Sample{Latency: time.Millisecond, Lag: 30 * time.Millisecond})
	r.Record(Sample{Latency: time.Millisecond, Lag: 10 * time.Millisecond})
	r.Record(Sample{Latency: time.Millisecond, Lag: -time.Millisecond})
	r.Drop()
	s := r.Snapshot()
	if s.LateCount != 2 || s.Dropped != 1 || s.LateMaxNs != int64(30*time.Millisecond) || s.LateSumNs != int64(40*time.Millisecond) {
		t.Fatalf("lateness = %d late, %d dropped, max %d ns, sum %d ns; want 2, 1, 30 ms, 40 ms",
			s.LateCount, s.Dropped, s.LateMaxNs, s.LateSumNs)
	}
}

func BenchmarkRecord(b *testing.B) {
	start := time.Now()
	r := NewRecorder(start, time.Minute, 250*time.Millisecond)
	s := Sample{Latency: 42 * time.Millisecond, End: start.Add(time.Second), Stages: [MaxStages]time.Duration{time.Millisecond}}
	b.ReportAllocs()
	for b.Loop() {
		r.Record(s)
	}
}

func TestInWindowCountsCompletionsInsideTheWindow(t *testing.T) {
	start := time.Unix(1000, 0)
	r := NewRecorder(start, time.Second, 0)
	r.Record(Sample{Latency: time.Millisecond, End: start.Add(500 * time.Millisecond)})  // inside
	r.Record(Sample{Latency: time.Millisecond, End: start.Add(1500 * time.Millisecond)}) // backlog, after the window
	r.Complete(start.Add(100 * time.Millisecond))                                        // due in warm-up, done inside
	r.Complete(start.Add(-100 * time.Millisecond))                                       // done before the window
	s := r.Snapshot()
	if s.Jobs != 2 || s.InWindow != 2 {
		t.Errorf("jobs %d, in window %d; want 2 and 2", s.Jobs, s.InWindow)
	}
	batch := NewRecorder(start, 0, 0) // a batch's window is open-ended
	batch.Record(Sample{Latency: time.Hour, End: start.Add(time.Hour)})
	if s := batch.Snapshot(); s.InWindow != 1 {
		t.Errorf("batch in window = %d, want 1", s.InWindow)
	}
}

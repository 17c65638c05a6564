package metrics

import (
	"errors"
	"testing"
	"time"
)

func TestRecorderMergeRoundTrip(t *testing.T) {
	start := time.Unix(1000, 0)
	a := NewRecorder(start, time.Second, 250*time.Millisecond)
	b := NewRecorder(start, time.Second, 250*time.Millisecond)
	for i := 1; i <= 100; i++ {
		a.Record(Sample{Latency: time.Duration(i) * time.Millisecond, End: start.Add(time.Duration(i) * 5 * time.Millisecond), Fetch: time.Millisecond})
	}
	b.Record(Sample{Latency: 2 * time.Second, End: start.Add(900 * time.Millisecond), Fetch: 3 * time.Millisecond})
	b.Record(Sample{Err: errors.New("boom"), End: start})
	b.Record(Sample{Err: errors.New("boom"), End: start})
	sa, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Merge(sa, sb)
	if err != nil {
		t.Fatal(err)
	}
	if m.Jobs != 101 || m.Errors != 2 {
		t.Fatalf("jobs, errors = %d, %d; want 101, 2", m.Jobs, m.Errors)
	}
	if len(m.ErrSamples) != 1 || m.ErrSamples[0] != "boom" {
		t.Errorf("error samples = %q, want one \"boom\"", m.ErrSamples)
	}
	h, err := DecodeHistogram(m.Histogram())
	if err != nil {
		t.Fatal(err)
	}
	lat := LatencyOf(h)
	if lat.Max < 1.99 || lat.Max > 2.01 {
		t.Errorf("max = %v s, want ~2 s (the slow job survives the merge)", lat.Max)
	}
	if lat.P50 < 0.049 || lat.P50 > 0.052 {
		t.Errorf("p50 = %v s, want ~0.051 s", lat.P50)
	}
	var sum int64
	for _, v := range m.Buckets {
		sum += v
	}
	if sum != 101 || len(m.Buckets) != 4 {
		t.Errorf("buckets = %v, want 4 buckets summing to 101", m.Buckets)
	}
	st := m.Stages()
	want := (100*0.001 + 0.003) / 101
	if d := st.Fetch - want; d > 1e-12 || d < -1e-12 {
		t.Errorf("mean fetch = %v, want %v", st.Fetch, want)
	}
}

func TestLateness(t *testing.T) {
	r := NewRecorder(time.Now(), time.Second, 0)
	r.Record(Sample{Latency: time.Millisecond, Lag: 30 * time.Millisecond})
	r.Record(Sample{Latency: time.Millisecond, Lag: 10 * time.Millisecond})
	r.Record(Sample{Latency: time.Millisecond, Lag: -time.Millisecond})
	r.Drop()
	s, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	l := s.Lateness()
	if l == nil || l.Count != 2 || l.Dropped != 1 || l.MaxLag != 0.03 || l.MeanLag != 0.02 {
		t.Fatalf("lateness = %+v, want count 2, dropped 1, max 0.03, mean 0.02", l)
	}
}

func TestDecodeHistogramRejectsGarbage(t *testing.T) {
	if _, err := DecodeHistogram(&resultsHistogram{Unit: "us", Encoded: "not base64!"}); err == nil {
		t.Error("want an error for a corrupt histogram")
	}
	if _, err := DecodeHistogram(&resultsHistogram{Unit: "ms", Encoded: "AAAA"}); err == nil {
		t.Error("want an error for an unknown unit")
	}
}

func BenchmarkRecord(b *testing.B) {
	start := time.Now()
	r := NewRecorder(start, time.Minute, 250*time.Millisecond)
	s := Sample{Latency: 42 * time.Millisecond, End: start.Add(time.Second), Fetch: time.Millisecond}
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
	s, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s.Jobs != 2 || s.InWindow != 2 {
		t.Errorf("jobs %d, in window %d; want 2 and 2", s.Jobs, s.InWindow)
	}
	batch := NewRecorder(start, 0, 0) // a batch's window is open-ended
	batch.Record(Sample{Latency: time.Hour, End: start.Add(time.Hour)})
	if s, _ := batch.Snapshot(); s.InWindow != 1 {
		t.Errorf("batch in window = %d, want 1", s.InWindow)
	}
}

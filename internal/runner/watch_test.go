package runner

import (
	"context"
	"sync"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// recorder is a Watcher that keeps what it is told.
type recorder struct {
	mu        sync.Mutex
	begun     []*results.Run
	measuring []Measuring
	buckets   []Bucket
	recorded  []results.Entry
}

func (r *recorder) Begin(run *results.Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begun = append(r.begun, run)
}

func (r *recorder) Measuring(m Measuring) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.measuring = append(r.measuring, m)
}

func (r *recorder) Bucket(b Bucket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buckets = append(r.buckets, b)
}

func (r *recorder) Recorded(e results.Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorded = append(r.recorded, e)
}

// A Watcher is told of the run's header, each measurement as it starts,
// the buckets of its replicas' windows while they measure, and each
// measurement as it is recorded.
func TestRunTellsWatcher(t *testing.T) {
	sc := parse(t, `name: t
images: {latency: 5ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 400ms, warmup: 50ms, repeats: 1, bucket: 100ms}
matrix: {workers: [2], replicas: [1, 2]}
`)
	var w recorder
	opt := testOptions()
	opt.Watch = &w
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.begun) != 1 || len(w.begun[0].Cells) != 2 || len(w.begun[0].Cells[0].Repeats) != 0 || len(w.begun[0].Order) != 2 {
		t.Fatalf("Begin calls: %d, want 1 with the 2 cells, no repeats, and the plan", len(w.begun))
	}
	if len(w.measuring) != 2 || len(w.recorded) != 2 {
		t.Fatalf("%d measurements started and %d recorded, want 2 and 2", len(w.measuring), len(w.recorded))
	}
	for i, m := range w.measuring {
		cell := run.Cells[m.Cell]
		if m.Step != i || m.Steps != 2 || m.ID == "" || m.Replicas != cell.Params.Replicas || m.Window.Milliseconds() != 400 || m.Bucket.Milliseconds() != 100 {
			t.Errorf("measurement %d: %+v", i, m)
		}
		if e := w.recorded[i]; e.Cell != m.Cell || e.Result.Seq != cell.Repeats[0].Seq {
			t.Errorf("recorded %d: cell %d seq %d, want cell %d seq %d", i, e.Cell, e.Result.Seq, m.Cell, cell.Repeats[0].Seq)
		}
		// Every replica sends its buckets: at least the first three of
		// the four (the last may come after the report, and be dropped).
		jobs := map[int]int64{}
		for _, b := range w.buckets {
			if b.ID == m.ID && b.Bucket < 3 {
				jobs[b.Replica] += b.Jobs
			}
		}
		for r := range m.Replicas {
			if jobs[r] == 0 {
				t.Errorf("measurement %d, replica %d: no jobs in its first three buckets (%d buckets in all)", i, r, len(w.buckets))
			}
		}
	}
}

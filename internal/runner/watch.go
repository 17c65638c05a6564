package runner

import (
	"encoding/json"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/worker"
)

// Watcher is told what a run is doing while it measures, for a live view:
// the run's header, each measurement as it starts, the buckets of its
// window as its replicas send them, and each measurement recorded. Its
// methods are called from the harness's goroutines, Bucket from another
// than the rest, and must return at once: the harness waits for them.
type Watcher interface {
	// Begin is given the run as its journal's header holds it: the
	// scenario, the environment, the plan and the cells without repeats.
	// It is the Watcher's own.
	Begin(run *results.Run)
	// Measuring is called as each attempt at a measurement starts.
	Measuring(m Measuring)
	// Bucket is called with each bucket a replica sends while it
	// measures: only a replica able to (its agent registered with the
	// progress feature), and not in a sliced run.
	Bucket(b Bucket)
	// Recorded is called with each measurement as it is recorded (as the
	// journal records it, a failed one too). The repeat is shared: read it,
	// never change it.
	Recorded(e results.Entry)
}

// Measuring is a measurement that starts.
type Measuring struct {
	// Step is its place in the run's order, Steps how many steps the plan
	// has now (an A/B run may add more).
	Step, Steps int
	// Cell indexes the run's cells; Repeat is the repeat it measures.
	Cell, Repeat int
	// Attempt counts the tries at this measurement from 0.
	Attempt int
	// ID names it in its replicas' buckets; "" for a sliced session,
	// whose replicas send none.
	ID       string
	Replicas int
	// Warmup and Window are the load's (Window 0: a batch, open-ended);
	// Bucket is the width of the window's buckets.
	Warmup, Window, Bucket time.Duration
	Started                time.Time
}

// Bucket is one bucket of a replica's window.
type Bucket struct {
	// ID is the measurement's (Measuring.ID).
	ID      string
	Replica int
	worker.Progress
}

// header is run as its journal's header records it: without repeats.
func header(run *results.Run) *results.Run {
	head := *run
	head.Order = append([]results.Step(nil), run.Order...)
	head.Cells = make([]results.Cell, len(run.Cells))
	for i, c := range run.Cells {
		head.Cells[i] = results.Cell{Params: c.Params}
	}
	return &head
}

// progressTo returns the coordinator's Progress function that passes each
// replica's bucket to w, or nil without a Watcher.
func progressTo(w Watcher) func(cluster.Progress) {
	if w == nil {
		return nil
	}
	return func(p cluster.Progress) {
		var b worker.Progress
		if err := json.Unmarshal(p.Data, &b); err != nil || b.Bucket < 0 || b.Width <= 0 {
			return
		}
		w.Bucket(Bucket{ID: p.Measurement, Replica: p.Replica, Progress: b})
	}
}

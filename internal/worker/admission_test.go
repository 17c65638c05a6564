package worker

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/workload"
)

// held is a job that holds its memory for d, counting the jobs in
// service at once.
type held struct {
	d         time.Duration
	now, most *atomic.Int64
}

func (h held) Do(ctx context.Context, c *workload.Call) error {
	n := h.now.Add(1)
	defer h.now.Add(-1)
	for m := h.most.Load(); n > m && !h.most.CompareAndSwap(m, n); m = h.most.Load() {
	}
	t := time.NewTimer(h.d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.Mark(0)
	return nil
}

// For a workload that says what a job needs but reserves nothing itself,
// the harness reserves it before each job: a budget of one and a half
// jobs lets one job at a time into service, and the others' wait is
// counted as time in queue, not in their stages.
func TestHarnessReservesJobMemory(t *testing.T) {
	var now, most atomic.Int64
	const workers = 4
	doers := make(jobs, workers)
	for i := range doers {
		doers[i] = held{d: 20 * time.Millisecond, now: &now, most: &most}
	}
	spec := Spec{URLs: []string{"u"}, Model: load.Closed, Workers: workers, Duration: 600 * time.Millisecond,
		Timeout: 5 * time.Second, Bucket: 100 * time.Millisecond, Seed: 1}
	adm := &admission{budget: workload.NewBudget(150), need: 100, declared: true}
	rep, err := executeWith(context.Background(), spec, fakeDef, doers, adm)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Snapshot
	if s.Jobs == 0 || s.Errors != 0 {
		t.Fatalf("jobs %d, errors %d: %v", s.Jobs, s.Errors, s.ErrSamples)
	}
	if most.Load() != 1 {
		t.Errorf("%d jobs in service at once, want 1: the budget holds one", most.Load())
	}
	// Three of four workers wait while one is served: the time in queue
	// is about three times the service time.
	if service := s.StageSums[0]; s.QueueSum < 2*service {
		t.Errorf("time in queue %v against service %v", time.Duration(s.QueueSum), time.Duration(service))
	}
}

// A budget is refused before any job runs when the workload cannot use it.
func TestAdmissionCheck(t *testing.T) {
	for _, tc := range []struct {
		adm  admission
		want string
	}{
		{admission{budget: workload.NewBudget(100)}, "does not say how much memory a job needs"},
		{admission{budget: workload.NewBudget(100), declared: true}, "want a positive size"},
		{admission{budget: workload.NewBudget(100), need: 101, declared: true}, "needs 101 bytes, more than the memory budget of 100 bytes"},
		{admission{budget: workload.NewBudget(100), need: 100, declared: true}, ""},
	} {
		err := tc.adm.check("kv")
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("need %d declared %v: %v, want %q", tc.adm.need, tc.adm.declared, err, tc.want)
		}
	}
}

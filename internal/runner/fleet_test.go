package runner

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/cluster"
	"github.com/scalebench/scalebench/internal/worker"
)

// Every measurement records where each replica ran and how they started.
func TestRunRecordsPlacementAndStart(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 200ms, warmup: 0s, repeats: 1}
matrix: {replicas: [1, 2]}
`)
	run, err := Run(context.Background(), sc, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range run.Cells {
		r := c.Repeats[0]
		if len(r.Placement) != c.Params.Replicas {
			t.Fatalf("cell %s: placement %+v, want one entry per replica", c.Params, r.Placement)
		}
		seen := map[int]bool{}
		for _, p := range r.Placement {
			if p.Agent == "" || p.Host == "" || seen[p.Replica] {
				t.Errorf("cell %s: placement %+v", c.Params, r.Placement)
			}
			seen[p.Replica] = true
		}
		if r.Start == nil || r.Start.SpecToReady <= 0 || r.Start.Skew < 0 || r.Start.Skew > r.Elapsed {
			t.Errorf("cell %s: start %+v, window %gs", c.Params, r.Start, r.Elapsed)
		}
		if len(r.Retries) != 0 {
			t.Errorf("cell %s: retries %+v in a healthy run", c.Params, r.Retries)
		}
	}
}

// A failed measurement is tried again once; both attempts are recorded.
func TestRunRetriesFailedMeasurement(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
load: {duration: 100ms, warmup: 0s, repeats: 1}
matrix: {workers: [2], replicas: [2]}
`)
	for _, tc := range []struct {
		name    string
		retries int
		want    int
	}{
		{"default: once", 0, 1},
		{"twice", 2, 2},
		{"never", -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := testOptions()
			opt.Env = append(opt.Env, "SCALEBENCH_TEST_CRASH_WORKERS=2")
			opt.Retries = tc.retries
			opt.LogDir = t.TempDir()
			var warned []string
			opt.Warn = func(err error) { warned = append(warned, err.Error()) }
			run, err := Run(context.Background(), sc, opt)
			if err != nil {
				t.Fatal(err)
			}
			r := run.Cells[0].Repeats[0]
			if !strings.Contains(r.Failure, "panic: test worker crash") {
				t.Errorf("failure %q does not quote the panic", r.Failure)
			}
			if len(r.Retries) != tc.want || len(warned) != tc.want {
				t.Fatalf("retries %+v, warnings %q; want %d of each", r.Retries, warned, tc.want)
			}
			for i, rt := range r.Retries {
				if !strings.Contains(rt.Reason, "panic: test worker crash") {
					t.Errorf("retry reason %q does not say why", rt.Reason)
				}
				if want := fmt.Sprintf("worker-stderr-1-attempt-%d.txt", i+1); !strings.Contains(rt.Reason, want) {
					t.Errorf("retry reason %q does not name %s", rt.Reason, want)
				}
			}
		})
	}
}

// A worker process that stops answering is noticed by its missing
// heartbeats, long before the measurement's deadline.
func TestRunNoticesStoppedWorker(t *testing.T) {
	sc := parse(t, `name: t
images: {paths: [/64x48/ccc/aaa.jpg]}
load: {duration: 30s, warmup: 0s, repeats: 1}
matrix: {replicas: [2]}
`)
	opt := testOptions()
	opt.Retries = -1
	opt.Env = append(opt.Env, "SCALEBENCH_TEST_STOP_WORKER=1")
	start := time.Now()
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := run.Cells[0].Repeats[0]
	if !strings.Contains(r.Failure, "silent for two heartbeat intervals") {
		t.Errorf("failure %q, want the missing heartbeats named", r.Failure)
	}
	// The window is 30s: a failure noticed by the deadline would take longer.
	if d := time.Since(start); d > 25*time.Second {
		t.Errorf("the stopped worker was noticed after %v", d)
	}
}

// TestMachineOf averages the readings of replicas on one machine and adds
// up those of different machines; one replica without them leaves none.
func TestMachineOf(t *testing.T) {
	m := func(busy, steal float64, cpus int) worker.Report {
		return worker.Report{Machine: &worker.Machine{Busy: busy, Steal: steal, CPUs: cpus}}
	}
	rs := []cluster.Result{{Agent: "a1"}, {Agent: "a2"}, {Agent: "b1"}}
	hosts := map[string]string{"a1": "host-a", "a2": "host-a", "b1": "host-b"}
	reports := []worker.Report{m(3, 0.1, 2), m(3.2, 0.3, 2), m(1, 0, 4)}
	if got := machineOf(reports, rs, hosts, true); got == nil || math.Abs(got.Busy-7.2/3) > 1e-9 || got.CPUs != 4 {
		t.Errorf("local: %+v, want the three readings averaged (one machine)", got)
	}
	if got := machineOf(reports, rs, hosts, false); got == nil || math.Abs(got.Busy-(3.1+1)) > 1e-9 ||
		math.Abs(got.Steal-0.2) > 1e-9 || got.CPUs != 6 {
		t.Errorf("agents: %+v, want host-a's average plus host-b's", got)
	}
	reports[1].Machine = nil
	if got := machineOf(reports, rs, hosts, true); got != nil {
		t.Errorf("a replica without readings: %+v, want none", got)
	}
}

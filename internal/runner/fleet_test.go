package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
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

package worker

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/workload"
)

// The default workload's spec is the one worker protocol 2 began with: no
// workload named, its options under "thumbnail", so that a build from
// before named workloads takes it; another workload's names it and
// carries its options under "options". Both read back as written.
func TestSpecWire(t *testing.T) {
	opts := json.RawMessage(`{"Width":16}`)
	for _, tc := range []struct {
		spec       Spec
		want, lack string
	}{
		{Spec{Protocol: 2, Workload: "thumbnail", Options: opts}, `"thumbnail":{"Width":16}`, `"workload"`},
		{Spec{Protocol: 2, Options: opts}, `"thumbnail":{"Width":16}`, `"options"`},
		{Spec{Protocol: 2, Workload: "kv", Options: opts}, `"workload":"kv"`, `"thumbnail"`},
	} {
		b, err := json.Marshal(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(b); !strings.Contains(s, tc.want) || strings.Contains(s, tc.lack) {
			t.Errorf("%+v encodes as %s: want %s, without %s", tc.spec, s, tc.want, tc.lack)
		}
		var back Spec
		if err := json.Unmarshal(b, &back); err != nil || string(back.Options) != string(opts) {
			t.Errorf("%s decodes as %+v, %v", b, back, err)
		}
	}
	// What a harness of protocol 2 before named workloads sends.
	var old Spec
	if err := json.Unmarshal([]byte(`{"protocol":2,"urls":["u"],"thumbnail":{"Width":64,"Height":64,"Filter":"lanczos","Format":"png","Method":"fast","OutDir":""},"model":"closed","workers":1,"warmup":0,"duration":1,"timeout":1,"bucket":1,"seed":1}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Workload != "" || !strings.Contains(string(old.Options), `"Width":64`) {
		t.Errorf("an old spec reads as %+v", old)
	}
	for _, bad := range []string{`{"protocol":2,"exec":"x"}`, `{"workload":"kv","thumbnail":{}}`, `{"options":{},"thumbnail":{}}`} {
		var s Spec
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

// A worker asked for a workload its executable lacks fails before it says
// it is ready, naming the workloads it has.
func TestPrepareUnknownWorkload(t *testing.T) {
	_, err := Prepare(context.Background(), Spec{Workload: "payroll", Workers: 1, URLs: []string{""}})
	if err == nil || !strings.Contains(err.Error(), `workload "payroll": this executable has no such workload; it has: thumbnail`) {
		t.Errorf("Prepare = %v", err)
	}
}

// The description lists the executable's workloads; one from a build
// before named workloads lists none and has the thumbnail only.
func TestDescriptionWorkloads(t *testing.T) {
	var b strings.Builder
	if err := WriteDescription(&b, "v1", "abc"); err != nil {
		t.Fatal(err)
	}
	var d Description
	if err := json.Unmarshal([]byte(b.String()), &d); err != nil || !d.Has("thumbnail") || !d.Has("") || d.Has("kv") {
		t.Errorf("description %s: %+v, %v", b.String(), d, err)
	}
	old := Description{Version: "v0", Protocol: 2}
	if !old.Has("thumbnail") || old.Has("payslips") {
		t.Error("a description without workloads has the thumbnail, and it only")
	}
	if err := old.CheckWorkload("./bench-old", "payslips"); err == nil ||
		err.Error() != `workload "payslips": ./bench-old has no such workload; it has: thumbnail (register it with bench.Register in the executable's main)` {
		t.Errorf("CheckWorkload = %v", err)
	}
}

// spinner is an instance whose jobs spin on the CPU for d, in stage 1,
// adding the time each spun to spun when set.
type spinner struct {
	d    time.Duration
	spun *time.Duration
}

func (s spinner) Do(_ context.Context, c *workload.Call) error {
	start := time.Now()
	x := 1.0
	for time.Since(start) < s.d {
		x = math.Sqrt(x + 1)
	}
	c.Mark(1)
	if s.spun != nil {
		*s.spun += time.Since(start)
	}
	_ = x
	return nil
}

// TestExtraWork: Spec.ExtraWork makes every job spend that fraction more
// of its CPU time on the CPU, counted in the workload's last CPU stage:
// the CPU time of the process with half more work is about 1.5 times that
// without, however busy the machine is.
func TestExtraWork(t *testing.T) {
	if _, ok := threadCPU(); !ok {
		t.Skip("no thread CPU clock here: the extra work is timed by the wall clock")
	}
	// CPU per job, and the stage's time per job beyond the job's own.
	cpuPerJob := func(extra float64) (float64, time.Duration) {
		spec := Spec{URLs: []string{"x"}, Model: load.Batch, Workers: 1, Jobs: 40, Timeout: time.Minute, Bucket: time.Second, ExtraWork: extra}
		runtime.GC()
		var spun time.Duration
		rep, err := ExecuteWith(context.Background(), spec, fakeDef, jobs{spinner{2 * time.Millisecond, &spun}})
		if err != nil || rep.Snapshot.Jobs != 40 {
			t.Fatalf("%d jobs, %v", rep.Snapshot.Jobs, err)
		}
		return (rep.UserCPU + rep.SysCPU) / 40, (time.Duration(rep.Snapshot.StageSums[1]) - spun) / 40
	}
	plain, plainBeyond := cpuPerJob(0)
	heavy, heavyBeyond := cpuPerJob(0.5)
	if r := heavy / plain; r < 1.25 || r > 1.9 {
		t.Errorf("CPU per job with half more work is %.2f times that without (%.2g s, %.2g s), want about 1.5", r, heavy, plain)
	}
	// Half of a job's CPU time more, about 1 ms, in the stage beyond the
	// job's own time; nothing without it. Wall-clock time measured in
	// one run: a busy machine stretches both alike.
	if heavyBeyond < 250*time.Microsecond || plainBeyond > 100*time.Microsecond {
		t.Errorf("the decode stage holds %v beyond the job's own time with the extra work, %v without: the extra work is not counted in it", heavyBeyond, plainBeyond)
	}
}

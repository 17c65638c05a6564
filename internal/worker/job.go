package worker

import (
	"context"
	"fmt"
	"hash/crc32"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/workload"
)

// newJob returns the load.Job of worker w: one job of inst, its stages as
// the job recorded them (or, when timed, the whole job as its one stage),
// followed by extra work of the fraction extra of its CPU time, counted in
// the workload's last CPU stage.
func newJob(def *workload.Def, inst workload.Instance, w int, extra float64, adm *admission) load.Job {
	extra += extraFraction
	c := &workload.Call{Worker: w}
	cpuStage := lastCPUStage(def.Stages)
	timed := def.Timed()
	return func(ctx context.Context, input string) (load.Stages, error) {
		c.Begin(input)
		if adm != nil {
			if err := adm.reserve(ctx, c); err != nil {
				return load.Stages{Queue: c.Queue()}, err
			}
			defer adm.release()
		}
		work := startWork(extra)
		defer work.done()
		err := inst.Job(ctx, c)
		if timed {
			c.Add(0, time.Since(c.Started())-c.Queue())
		}
		if err == nil {
			work.burn(c, cpuStage, def.Stages)
		}
		return load.Stages{Queue: c.Queue(), Parts: c.Stages()}, err
	}
}

// admission is the memory the harness reserves for each job of a
// workload whose instance does not reserve its own: the options' JobMemory
// (workload.MemoryNeeder), from the process's budget.
type admission struct {
	budget   *workload.Budget
	need     int64
	declared bool
}

// check refuses a budget its workload cannot use: one whose options do
// not say what a job needs, or that cannot hold one job.
func (a *admission) check(name string) error {
	switch {
	case !a.declared:
		return fmt.Errorf("workload %s does not say how much memory a job needs (bench.MemoryNeeder): it cannot run with a memory budget", name)
	case a.need <= 0:
		return fmt.Errorf("workload %s says a job needs %d bytes: want a positive size to reserve from the memory budget", name, a.need)
	case a.need > a.budget.Size():
		return fmt.Errorf("a job of workload %s needs %d bytes, more than the memory budget of %d bytes", name, a.need, a.budget.Size())
	}
	return nil
}

// reserve waits for a job's memory, its wait counted as c's time in
// queue; release gives it back.
func (a *admission) reserve(ctx context.Context, c *workload.Call) error {
	err := a.budget.Acquire(ctx, a.need)
	c.MarkQueue()
	if err != nil {
		return fmt.Errorf("wait for %d bytes of memory: %w", a.need, err)
	}
	return nil
}

// release returns the memory reserve reserved.
func (a *admission) release() { a.budget.Release(a.need) }

// lastCPUStage is the index of the last stage of kind CPU, or the last
// stage when none is.
func lastCPUStage(stages []workload.Stage) int {
	for i := len(stages) - 1; i >= 0; i-- {
		if stages[i].Kind == workload.CPU {
			return i
		}
	}
	return max(len(stages)-1, 0)
}

// extraWork, set only at build time
// (-ldflags "-X github.com/scalebench/scalebench/internal/worker.extraWork=0.2"),
// makes every job spend that fraction more CPU time: a second binary known
// to be slower, to check that an A/B run of two builds finds it. It is
// empty, and costs nothing, in every other build. (Spec.ExtraWork does the
// same at run time, for scalebench calibrate.)
var extraWork string

// extraFraction is extraWork parsed; 0 when unset or invalid.
var extraFraction = func() float64 {
	f, err := strconv.ParseFloat(extraWork, 64)
	if err != nil || !(f > 0) || f > 10 {
		return 0
	}
	return f
}()

// burnBuf is what the extra work checksums.
var burnBuf = make([]byte, 4096)

// cpuWork measures the CPU time of a job, so that the extra work is that
// fraction of it whatever else the machine does. Where the calling
// thread's CPU clock can be read, the goroutine keeps its thread from
// startWork to done and the time counted is the thread's CPU time: time
// spent preempted, descheduled or in a stopped process (a sliced A/B run)
// counts neither in the job nor in the extra work. Elsewhere it falls
// back to the wall-clock time of the job's CPU stages.
type cpuWork struct {
	fraction float64
	cpu      bool          // the thread's CPU clock is read
	start    time.Duration // its reading at startWork
}

// startWork begins measuring a job for an extra work of fraction; with
// fraction 0 it does nothing.
func startWork(fraction float64) cpuWork {
	if fraction == 0 {
		return cpuWork{}
	}
	runtime.LockOSThread()
	w := cpuWork{fraction: fraction}
	w.start, w.cpu = threadCPU()
	return w
}

// done ends what startWork began.
func (w cpuWork) done() {
	if w.fraction != 0 {
		runtime.UnlockOSThread()
	}
}

// burnChunk is how many checksum passes the extra work makes between
// readings of its clock.
const burnChunk = 8

// burn spends the fraction of the job's CPU time that w measured on the
// CPU, and adds the time it took to stage i of c.
func (w cpuWork) burn(c *workload.Call, i int, stages []workload.Stage) {
	if w.fraction == 0 {
		return
	}
	start := time.Now()
	var sum uint32
	if now, ok := threadCPU(); ok && w.cpu {
		until := now + time.Duration(float64(now-w.start)*w.fraction)
		for t := now; t < until; t, _ = threadCPU() {
			for range burnChunk {
				sum = crc32.Update(sum, crc32.IEEETable, burnBuf)
			}
		}
	} else {
		var cpu time.Duration
		st := c.Stages()
		for j, s := range stages {
			if s.Kind == workload.CPU || s.Kind == "" {
				cpu += st[j]
			}
		}
		d := time.Duration(float64(cpu) * w.fraction)
		for time.Since(start) < d {
			sum = crc32.Update(sum, crc32.IEEETable, burnBuf)
		}
	}
	burnSink.Store(sum)
	c.Add(i, time.Since(start))
}

// burnSink keeps the extra work from being optimised away.
var burnSink atomic.Uint32

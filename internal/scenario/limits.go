package scenario

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
)

// Limits that keep a valid scenario within what one machine can run. They
// are estimates of the harness and worker processes' costs; when those
// costs change (a smaller latency histogram per worker, say), change them
// here.
const (
	// MaxRate is the highest arrival rate, in jobs per second over all
	// replicas, of the open model: the most one process's dispatcher can
	// pace (load.MaxRate), so every replica split of it can be paced too.
	MaxRate = load.MaxRate
	// MinRate is the lowest arrival rate, one job per hour (the longest
	// window): below it no job would arrive in a window.
	MinRate = 1.0 / 3600

	// MaxBatchJobs is the most jobs of one batch measurement; the batch
	// queue holds them all from the start.
	MaxBatchJobs = 1_000_000

	// WorkerMemory estimates what each worker costs a worker process: the
	// load loop's share (load.WorkerBytes; workers share a bounded number
	// of latency histograms) and the thumbnail workload's own buffers, PNG
	// encoder, HTTP connection and stack, measured at about 170 KiB per
	// worker with 10,000 workers (BenchmarkWorkerMemory, and a real run).
	WorkerMemory = 256 << 10
	// MaxCellMemory is the memory all worker processes of one cell may
	// need together by that estimate: workers × replicas × WorkerMemory.
	MaxCellMemory = 2 << 30

	// ThreadsPerProcess estimates the OS threads a worker process runs
	// beyond GOMAXPROCS (the runtime's monitor, the network poller and
	// threads blocked in system calls).
	ThreadsPerProcess = 8
	// MaxThreads is the most OS threads one cell may start by the estimate
	// replicas × (GOMAXPROCS + ThreadsPerProcess). Linux commonly allows
	// 32768 processes and threads in all (kernel.pid_max); a cell keeps
	// well clear of that.
	MaxThreads = 8192
)

// validateMachine reports cells that would need more memory or threads than
// the limits allow, at the line of the matrix dimension that drives them,
// for each block.
func (d *decoder) validateMachine(s *Scenario) {
	for i, pre := range d.blockPre {
		d.validateBlockMachine(pre, s.Blocks[i])
	}
}

// validateBlockMachine checks one block, whose fields' paths start with
// pre; a problem with a top-level field the block inherits names the block.
func (d *decoder) validateBlockMachine(pre string, b Block) {
	m := b.Matrix
	for _, dim := range []string{"gomaxprocs", "workers", "replicas"} {
		if !d.blockOK(pre, "matrix."+dim) {
			return
		}
	}
	ws, rs, gs := m.Ints(param.Workers), m.Ints(param.Replicas), m.Ints(param.GOMAXPROCS)
	if len(ws) == 0 || len(rs) == 0 || len(gs) == 0 {
		return
	}
	w, r, g := slices.Max(ws), slices.Max(rs), slices.Max(gs)
	in := ""
	at := func(dims ...string) (string, int) {
		field, line := d.blockField(pre, "matrix")
		for _, dim := range dims {
			if p := "matrix." + dim; d.blockGiven(pre, p) {
				field, line = d.blockField(pre, p)
				break
			}
		}
		if pre != "" && !strings.HasPrefix(field, pre) {
			in = fmt.Sprintf(" (in block %s)", b.Name)
		}
		return field, line
	}
	if mem := cellMemory(w, r); mem > MaxCellMemory {
		field, line := at("workers", "replicas")
		d.addf(line, field, "%d workers × %d replicas need about %s of worker memory (%d KiB per worker), over the %s limit per cell%s; use fewer workers or replicas (at most %d workers in all)",
			w, r, bytesIEC(mem), WorkerMemory>>10, bytesIEC(MaxCellMemory), in, MaxCellMemory/WorkerMemory)
	}
	if threads := cellThreads(r, g); threads > MaxThreads {
		field, line := at("replicas", "gomaxprocs")
		d.addf(line, field, "%d replicas × (gomaxprocs %d + %d) start about %d OS threads, over the limit of %d per cell%s; use fewer replicas or a smaller gomaxprocs",
			r, g, ThreadsPerProcess, threads, MaxThreads, in)
	}
}

// cellMemory estimates the worker memory of replicas processes of workers
// workers each.
func cellMemory(workers, replicas int) int64 {
	return mulSat(mulSat(int64(workers), int64(replicas)), WorkerMemory)
}

// cellThreads estimates the OS threads of replicas processes at gomaxprocs.
func cellThreads(replicas, gomaxprocs int) int64 {
	return mulSat(int64(replicas), int64(gomaxprocs)+ThreadsPerProcess)
}

// bytesIEC formats n bytes as KiB, MiB or GiB.
func bytesIEC(n int64) string {
	const unit = 1024
	v, suffix := float64(n), "B"
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.4g %s", v, suffix)
}

// mulSat returns a×b for a, b >= 0, saturating at math.MaxInt64.
func mulSat(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// addDur returns a+b for non-negative durations, saturating at the largest
// time.Duration.
func addDur(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// mulDur returns d×n for non-negative d and n, saturating at the largest
// time.Duration.
func mulDur(d time.Duration, n float64) time.Duration {
	v := float64(d) * n
	if !(v < math.MaxInt64) {
		return math.MaxInt64
	}
	return time.Duration(v)
}

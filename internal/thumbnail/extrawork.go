package thumbnail

import (
	"hash/crc32"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// extraWork, set only at build time
// (-ldflags "-X github.com/scalebench/scalebench/internal/thumbnail.extraWork=0.2"),
// makes every job spend that fraction more CPU time after its CPU-bound
// stages: a second binary known to be slower, to check that an A/B run of
// two builds finds it. It is empty, and costs nothing, in every other
// build. (Options.ExtraWork does the same for one Thumbnailer, at run
// time, for scalebench calibrate.)
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

// cpuWork measures the CPU time of a job's CPU-bound stages, so that the
// extra work is that fraction of them whatever else the machine does.
// Where the calling thread's CPU clock can be read, the goroutine keeps
// its thread from startWork to done and the time counted is the thread's
// CPU time: time spent preempted, descheduled or in a stopped process
// (a sliced A/B run) counts neither in the stages nor in the extra work.
// Elsewhere it falls back to wall-clock time.
type cpuWork struct {
	fraction float64
	cpu      bool          // the thread's CPU clock is read
	start    time.Duration // its reading at startWork
}

// startWork begins measuring the CPU stages for an extra work of
// fraction; with fraction 0 it does nothing.
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

// addExtraWork burns the fraction of the CPU stages' time that w measures
// on the CPU, added to the encode stage.
func addExtraWork(tm *Timings, w cpuWork) {
	if w.fraction == 0 {
		return
	}
	start := time.Now()
	var sum uint32
	if now, ok := threadCPU(); ok && w.cpu {
		until := now + time.Duration(float64(now-w.start)*w.fraction)
		for c := now; c < until; c, _ = threadCPU() {
			for range burnChunk {
				sum = crc32.Update(sum, crc32.IEEETable, burnBuf)
			}
		}
	} else {
		d := time.Duration(float64(tm.Decode+tm.Resize+tm.Encode) * w.fraction)
		for time.Since(start) < d {
			sum = crc32.Update(sum, crc32.IEEETable, burnBuf)
		}
	}
	burnSink.Store(sum)
	tm.Encode += time.Since(start)
}

// burnSink keeps the extra work from being optimised away.
var burnSink atomic.Uint32

package thumbnail

import (
	"hash/crc32"
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

// addExtraWork burns fraction of the CPU stages' time on the CPU, added to
// the encode stage.
func addExtraWork(tm *Timings, fraction float64) {
	if fraction == 0 {
		return
	}
	d := time.Duration(float64(tm.Decode+tm.Resize+tm.Encode) * fraction)
	start := time.Now()
	var sum uint32
	for time.Since(start) < d {
		sum = crc32.Update(sum, crc32.IEEETable, burnBuf)
	}
	burnSink.Store(sum)
	tm.Encode += time.Since(start)
}

// burnSink keeps the extra work from being optimised away.
var burnSink atomic.Uint32

package live

import (
	"bytes"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results/resultstest"
	"github.com/scalebench/scalebench/report"
)

// BenchmarkDrawReport is the cost of drawing the report part of the live
// page once, for a run of 8 cells of 3 repeats: the view draws it once
// per measurement recorded, at most once a second, while someone watches.
func BenchmarkDrawReport(b *testing.B) {
	run := resultstest.Run(resultstest.Grid, 8, 3)
	var size int
	cpu := cpuTime()
	for b.Loop() {
		_, main, err := report.Body(compare.Analyze(run))
		if err != nil {
			b.Fatal(err)
		}
		size = len(main)
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(size), "bytes/draw")
}

// cpuTime is the CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per iteration since from: on a busy
// machine the time per iteration is mostly waiting for a CPU.
func reportCPU(b *testing.B, from time.Duration) {
	b.ReportMetric(float64(cpuTime()-from)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkDrawParts is the cost of drawing the plan and the measurement
// under way with its bucket chart (12 buckets of 250 ms): the view draws
// them at most every 250 ms while someone watches.
func BenchmarkDrawParts(b *testing.B) {
	run := resultstest.Run(resultstest.Grid, 8, 3)
	l := report.Live{State: report.LiveRunning, Run: run, Done: 12, Planned: 24, Started: time.Now().Add(-time.Minute), Left: time.Minute,
		Current: &report.Measurement{Cell: 3, Repeat: 1, Window: 3 * time.Second, Bucket: 250 * time.Millisecond, Started: time.Now()}}
	for i := range 12 {
		l.Current.Buckets = append(l.Current.Buckets, report.Bucket{Width: 250 * time.Millisecond, Jobs: int64(100 + i),
			P50: 0.02 + 0.001*math.Sin(float64(i)), P99: 0.05})
	}
	var size int
	cpu := cpuTime()
	for b.Loop() {
		var buf bytes.Buffer
		if err := report.LivePlan(&buf, &l); err != nil {
			b.Fatal(err)
		}
		if err := report.LiveCurrent(&buf, &l); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(size), "bytes/draw")
}

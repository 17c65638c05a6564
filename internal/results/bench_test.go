package results_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/results/resultstest"
)

// BenchmarkReadLarge reads a results file of 10,000 cells of 2 repeats
// (the most cells a scenario expands to) and reports the memory the run
// read takes per cell: what bounds report, compare and export on such a
// file.
func BenchmarkReadLarge(b *testing.B) {
	const cells, repeats = 10000, 2
	path := filepath.Join(b.TempDir(), "results.json")
	if err := results.Write(path, resultstest.Run(resultstest.Grid, cells, repeats)); err != nil {
		b.Fatal(err)
	}
	var held uint64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		run, err := results.Read(path)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(run)
	}
	b.ReportMetric(float64(held)/cells, "bytes/cell")
}

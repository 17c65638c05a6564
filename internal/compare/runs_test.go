package compare

import (
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/results"
)

// ioStages are the stages of an I/O-bound cell.
var ioStages = results.Stages{"fetch": 0.045, "decode": 0.002, "resize": 0.002, "encode": 0.001}

// cellSpec describes a cell for mkRun.
type cellSpec struct {
	block                         string
	gomaxprocs, workers, replicas int
	rate                          float64
	method                        string
	tput, p50                     float64 // median throughput, p50 in seconds
	makespan                      float64 // batch only
	stages                        results.Stages
	repeats                       int // 0 means 3
}

// mkCell builds a cell whose repeats scatter ±1% around the medians.
func mkCell(s cellSpec) results.Cell {
	c := results.Cell{
		Params: results.Params{Block: s.block, GOMAXPROCS: s.gomaxprocs, Workers: s.workers, Replicas: s.replicas, Rate: s.rate, Method: s.method},
	}
	lat := results.Latency{Mean: s.p50 * 1.05, P50: s.p50, P90: s.p50 * 1.3, P99: s.p50 * 1.6, P999: s.p50 * 2, Max: s.p50 * 3}
	n := s.repeats
	if n == 0 {
		n = 3
	}
	for i := range n {
		d := 1 + 0.01*float64(i-n/2)
		r := results.Repeat{Index: i, Throughput: s.tput * d, Latency: lat, Makespan: s.makespan / d, Stages: s.stages}
		r.Latency.P50 = s.p50 / d
		r.Jobs = 100
		if s.makespan > 0 {
			r.Jobs = 5
		}
		c.Repeats = append(c.Repeats, r)
	}
	return c
}

func mkRun(model string, base results.Params, specs ...cellSpec) *results.Run {
	run := &results.Run{SchemaVersion: results.SchemaVersion}
	run.Scenario.Model = load.Model(model)
	run.Scenario.Baseline = base
	if model == "batch" {
		run.Scenario.Load.Jobs = 5
	}
	for _, s := range specs {
		if s.replicas == 0 {
			s.replicas = 1
		}
		run.Cells = append(run.Cells, mkCell(s))
	}
	return run
}

package compare_test

import (
	"fmt"
	"os"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/metric"
)

// Example wires results to a gate: cells of both sides are paired by
// their params, --fail-on sets the gate, and the outcome is an exit code.
func Example() {
	cell := compare.Key{Label: "workers=4", Params: []compare.Param{{Key: "workers", Value: "4"}}}
	base := []compare.CellSamples{{Key: cell, Samples: map[metric.Metric][]float64{
		metric.Throughput: {100, 101, 99, 100, 102, 98, 100, 101},
	}}}
	head := []compare.CellSamples{{Key: cell, Samples: map[metric.Metric][]float64{
		metric.Throughput: {75, 76, 74, 75, 77, 73, 75, 76},
	}}}
	gate, err := compare.ParseFailOn("throughput:-5%")
	if err != nil {
		fmt.Println(err, compare.ExitCodeOf(err))
		return
	}
	gate.FailOnInconclusive = true
	res, err := compare.Compare(compare.PairCells(base, head), compare.Options{Gate: gate})
	if err != nil {
		fmt.Println(err, compare.ExitCodeOf(err))
		return
	}
	row := res.Rows[0]
	fmt.Printf("%s %s: %s, ratio %.2f\n", row.Key.Label, row.Metric, row.Verdict, row.Ratio)
	fmt.Println("exit code:", res.Outcome().Code)
	_ = compare.WriteGitHubAnnotations(os.Stdout, res)
	// Output:
	// workers=4 throughput: worse, ratio 0.75
	// exit code: 1
	// ::error title=scalebench%3A throughput worse in workers=4::workers=4 throughput: worse, head/base 0.750x [0.738, 0.763] (-25.0%25), base 100.0 jobs/s [98.0, 102.0], head 75.0 jobs/s [73.0, 77.0], p=0.00086 (higher is better, tolerance ±5%25)
}

// Command scalebench measures how a workload scales with workers, cores
// and replicas, and reports it. It is package bench's Main with the
// built-in thumbnail workload registered, as any program built on bench
// registers its own.
package main

import (
	"github.com/scalebench/scalebench/bench"
	"github.com/scalebench/scalebench/internal/builtin"
)

func main() {
	// The thumbnail is defined in internal/builtin, with the fields of a
	// bench.Workload, so that the internal packages' tests can run it.
	bench.Register(bench.Workload[builtin.Options](builtin.Thumbnail))
	bench.Main()
}

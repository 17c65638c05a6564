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
	bench.Register(builtin.Thumbnail)
	bench.Main()
}

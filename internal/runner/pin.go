package runner

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Placement fixes which CPUs the harness and each worker process run on, so
// that the scheduler's choice does not change a measurement: a job that
// talks to the image server across cores runs measurably slower than one
// that shares the server's core.
type Placement struct {
	cpus    int // logical CPUs
	harness int // the CPU the harness and its image server run on
}

// newPlacement plans placement on a machine with cpus logical CPUs: the
// harness takes the last CPU; workers get the others when they fit.
func newPlacement(cpus int) Placement {
	return Placement{cpus: cpus, harness: cpus - 1}
}

// Worker returns the CPUs for replica r of a cell with gomaxprocs procs per
// replica and replicas in all: CPUs the harness does not use when they all
// fit there, otherwise every CPU, replicas laid side by side.
func (p Placement) Worker(r, procs, replicas int) []int {
	free := p.cpus - 1
	set := make([]int, procs)
	for i := range set {
		if procs*replicas <= free {
			set[i] = r*procs + i
		} else {
			set[i] = (r*procs + i) % p.cpus
		}
	}
	return dedupe(set)
}

func dedupe(xs []int) []int {
	seen := map[int]bool{}
	out := xs[:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// cpuList formats CPUs for taskset -c, e.g. "0,1".
func cpuList(cpus []int) string {
	s := make([]string, len(cpus))
	for i, c := range cpus {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// pinnedArgv wraps argv so the process starts on cpus (taskset sets the
// affinity before exec, so every thread of the child inherits it).
func pinnedArgv(argv []string, cpus []int) ([]string, error) {
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return nil, fmt.Errorf("pinning CPUs needs taskset (util-linux): %w", err)
	}
	return append([]string{taskset, "-c", cpuList(cpus)}, argv...), nil
}

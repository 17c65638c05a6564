package runner

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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
		return nil, fmt.Errorf("runner: pinning CPUs needs taskset (util-linux): %w", err)
	}
	return append([]string{taskset, "-c", cpuList(cpus)}, argv...), nil
}

// pinSelf moves every thread of this process onto cpu (threads created
// later inherit it from their creators) and returns a function that puts
// them back on the CPUs they had.
func pinSelf(cpu int) (restore func(), err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("runner: pin harness: %w", err)
	}
	set.Set(cpu)
	if err := setAllThreads(&set); err != nil {
		return nil, fmt.Errorf("runner: pin harness to CPU %d: %w", cpu, err)
	}
	return func() { _ = setAllThreads(&old) }, nil
}

// setAllThreads sets the affinity of every thread of this process, passing
// over the thread list until no new thread appears.
func setAllThreads(set *unix.CPUSet) error {
	done := map[int]bool{}
	for pass := 0; pass < 5; pass++ {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		fresh := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || done[tid] {
				continue
			}
			if err := unix.SchedSetaffinity(tid, set); err != nil && err != unix.ESRCH {
				return err
			}
			done[tid], fresh = true, true
		}
		if !fresh {
			return nil
		}
	}
	return nil
}

// affinity returns the CPUs this process's calling thread may run on.
func affinity() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil
	}
	var cpus []int
	for c := 0; c < 1024 && len(cpus) < set.Count(); c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus
}

package runner

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// pinSelf moves every thread of this process onto cpu (threads created
// later inherit it from their creators) and returns a function that puts
// them back on the CPUs they had.
func pinSelf(cpu int) (restore func(), err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("pin harness: %w", err)
	}
	set.Set(cpu)
	if err := setAllThreads(&set); err != nil {
		return nil, fmt.Errorf("pin harness to CPU %d: %w", cpu, err)
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

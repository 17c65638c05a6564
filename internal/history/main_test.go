package history

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any leave a goroutine running.
// Run with HISTORY_TEST_ADDER set, the test binary is instead a process
// adding runs to a store (see adder).
func TestMain(m *testing.M) {
	if os.Getenv("HISTORY_TEST_ADDER") != "" {
		if err := adder(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// adder adds HISTORY_TEST_RUNS runs of HISTORY_TEST_CELLS cells, seeded
// by HISTORY_TEST_SEED, to the store HISTORY_TEST_ADDER names, and then
// the run every adder shares; it prints "added N" after each.
func adder() error {
	atoi := func(k string) int { n, _ := strconv.Atoi(os.Getenv(k)); return n }
	runs, cells, seed := atoi("HISTORY_TEST_RUNS"), atoi("HISTORY_TEST_CELLS"), atoi("HISTORY_TEST_SEED")
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv("HISTORY_TEST_ADDER"), true, "test")
	if err != nil {
		return err
	}
	defer s.Close()
	out := bufio.NewWriter(os.Stdout)
	for i := range runs + 1 {
		r := bigRun(i, uint64(seed), cells)
		if i == runs {
			r = bigRun(0, 999, cells) // the shared one
		}
		if _, _, err := s.Add(ctx, r); err != nil {
			return err
		}
		fmt.Fprintf(out, "added %d\n", i)
		out.Flush()
	}
	return nil
}

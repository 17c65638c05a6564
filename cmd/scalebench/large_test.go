package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/results/resultstest"
)

// largeLimit is the address space the commands get on the largest results
// files: a decoded latency histogram once took 188 KB, so that report,
// compare and export of 10,000 cells died of memory under it.
const largeLimit = 4 << 30

// largeEnv, set to 1, adds a results file of 100,000 cells (180 MB, about
// three minutes more) to TestLargeResultsWithinMemory.
const largeEnv = "SCALEBENCH_TEST_LARGE"

// TestLargeResultsWithinMemory runs export, compare and report on a results
// file of the most cells a scenario expands to (10,000, two repeats each)
// and, with SCALEBENCH_TEST_LARGE=1, of 100,000 cells (an A/B run of many
// builds), each command under an address space limit of 4 GiB, and logs
// the memory each took per cell.
func TestLargeResultsWithinMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a results file of 34 MB")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name           string
		cells, repeats int
	}{
		{"10000x2", 10000, 2},
		{"100000x1", 100000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cells > 10000 && os.Getenv(largeEnv) != "1" {
				t.Skipf("set %s=1 for a results file of %d cells", largeEnv, tc.cells)
			}
			path := filepath.Join(dir, tc.name+".json")
			if err := results.Write(path, resultstest.Run(resultstest.Rates, tc.cells, tc.repeats)); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"export", path},
				{"compare", path, path},
				{"report", "--out", filepath.Join(dir, tc.name), path},
			} {
				start := time.Now()
				stderr, code, rss := limitedTo(t, largeLimit, 5*time.Minute, dir, args...)
				if code != 0 {
					t.Errorf("%s of %d cells (%d MB) under a %d GiB address space limit: exit %d\n%s",
						args[0], tc.cells, fi.Size()>>20, largeLimit>>30, code, tail(stderr, 2000))
					continue
				}
				t.Logf("%s: %d cells × %d repeats, %d MB: peak RSS %d MB, %d bytes per cell, %s",
					args[0], tc.cells, tc.repeats, fi.Size()>>20, rss>>20, rss/int64(tc.cells), time.Since(start).Round(time.Second))
			}
			os.Remove(path)
		})
	}
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

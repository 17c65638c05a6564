package history

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testutil"
)

// bigRun is fakeRun with cells cells.
func bigRun(i int, seed uint64, cells int) *Run {
	r := fakeRun(i, "main", fmt.Sprintf("c%d", i), 10, seed)
	base := r.Cells[0]
	r.Cells = nil
	for w := range cells {
		c := Cell{Params: results.Params{GOMAXPROCS: 1, Workers: w + 1, Replicas: 1}, Values: map[metric.Metric][]float64{}}
		for m, vs := range base.Values {
			c.Values[m] = vs
		}
		r.Cells = append(r.Cells, c)
	}
	return r
}

// startAdder starts a process adding runs to dsn; its stdout lines come
// on the returned channel.
func startAdder(t *testing.T, dsn string, seed, runs, cells int) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HISTORY_TEST_ADDER="+dsn,
		fmt.Sprintf("HISTORY_TEST_SEED=%d", seed), fmt.Sprintf("HISTORY_TEST_RUNS=%d", runs), fmt.Sprintf("HISTORY_TEST_CELLS=%d", cells))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

// checkConsistent fails unless every run in the store holds its full set
// of points (cells × 2 metrics).
func checkConsistent(t *testing.T, s *Store, cells int) int {
	t.Helper()
	ctx := context.Background()
	if !s.Postgres() {
		var res string
		if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
			t.Fatalf("integrity_check: %q %v", res, err)
		}
	}
	runs, err := s.Runs(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Points != 2*cells {
			t.Errorf("run %d (%s): %d points, want %d", r.ID, r.Commit, r.Points, 2*cells)
		}
	}
	var orphans int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM points WHERE run_id NOT IN (SELECT id FROM runs)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("%d points of no run (%v)", orphans, err)
	}
	return len(runs)
}

// TestConcurrentAdds: three processes add runs to one store at once, and
// each adds the same shared run too: nothing is lost, nothing doubled.
func TestConcurrentAdds(t *testing.T) {
	testutil.Long(t, "processes racing to add runs")
	forEachStore(t, func(t *testing.T, dsn string) {
		const procs, runs, cells = 3, 20, 50
		open(t, dsn) // the schema exists before the race, as after any first add
		var wg sync.WaitGroup
		for p := range procs {
			cmd, lines := startAdder(t, dsn, p+1, runs, cells)
			wg.Go(func() {
				for range lines {
				}
				if err := cmd.Wait(); err != nil {
					t.Errorf("adder %d: %v", p, err)
				}
			})
		}
		wg.Wait()
		s := open(t, dsn)
		if n := checkConsistent(t, s, cells); n != procs*runs+1 {
			t.Errorf("%d runs stored, want %d (%d per process and one shared)", n, procs*runs+1, runs)
		}
	})
}

// TestKilledMidAdd: a process killed while it adds runs leaves every run
// it committed whole and none in part, and the store takes more.
func TestKilledMidAdd(t *testing.T) {
	testutil.Long(t, "a process adding large runs, killed")
	forEachStore(t, func(t *testing.T, dsn string) {
		const cells = 400
		open(t, dsn)
		cmd, lines := startAdder(t, dsn, 7, 1000, cells)
		deadline := time.After(60 * time.Second)
		for n := 0; n < 3; {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("the adder stopped before it was killed")
				}
				if strings.HasPrefix(l, "added") {
					n++
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatal("the adder added fewer than 3 runs in 60 s")
			}
		}
		// Mid-add: each add takes several milliseconds, most of it inside
		// the transaction.
		time.Sleep(3 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for range lines {
		}
		_ = cmd.Wait()
		s := open(t, dsn)
		n := checkConsistent(t, s, cells)
		if n < 3 {
			t.Errorf("%d runs after the kill, want the 3 or more committed", n)
		}
		if _, added, err := s.Add(context.Background(), bigRun(5000, 7, cells)); err != nil || !added {
			t.Errorf("add after the kill: %v %v", added, err)
		}
		checkConsistent(t, s, cells)
	})
}

func TestOpenCreatesDirectory(t *testing.T) {
	// A store's directory is created with it.
	dsn := filepath.Join(t.TempDir(), "a", "b", "history.db")
	s := open(t, dsn)
	if _, _, err := s.Add(context.Background(), fakeRun(0, "main", "c0", 10, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dsn); err != nil {
		t.Error(err)
	}
}

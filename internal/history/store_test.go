package history

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/changepoint"
	"github.com/scalebench/scalebench/internal/history/historytest"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
)

// forEachStore runs f on a new SQLite file and on a new PostgreSQL schema
// (skipped, saying why, without a server).
func forEachStore(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "history.db")) })
	t.Run("postgres", func(t *testing.T) { f(t, historytest.Postgres(t)) })
}

func open(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, true, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeRun is run i of a two-cell scenario: throughput at level (with 2%
// noise from seed), p50 at 1/level, 5 repeats each.
func fakeRun(i int, branch, commit string, level float64, seed uint64) *Run {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	r := &Run{
		Key:      fmt.Sprintf("run-%d-%d-%s", seed, i, branch),
		Testbed:  Testbed{CPUModel: "Test CPU", CPUs: 2, OS: "linux", Arch: "amd64", Kernel: "6.1", GoVersion: "go1.26"},
		Scenario: Scenario{Name: "ci", Hash: "abc", Resolved: "{}"},
		Branch:   branch, Commit: commit, Time: epoch.Add(time.Duration(i) * time.Hour), Version: "test",
	}
	for _, w := range []int{4, 32} {
		c := Cell{Params: results.Params{GOMAXPROCS: 1, Workers: w, Replicas: 1}, Values: map[metric.Metric][]float64{}}
		for range 5 {
			x := level * float64(w) * (1 + 0.02*rng.NormFloat64())
			c.Values[metric.Throughput] = append(c.Values[metric.Throughput], x)
			c.Values[metric.P50] = append(c.Values[metric.P50], 1/x)
		}
		r.Cells = append(r.Cells, c)
	}
	return r
}

func TestAddAndRead(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		for i := range 6 {
			branch := "main"
			if i%3 == 2 {
				branch = `feature/"quoted" it's`
			}
			if _, added, err := s.Add(ctx, fakeRun(i, branch, fmt.Sprintf("c%d", i), 10, 1)); err != nil || !added {
				t.Fatalf("add run %d: added=%v err=%v", i, added, err)
			}
		}
		// The same results twice are one run.
		id, added, err := s.Add(ctx, fakeRun(0, "main", "c0", 10, 1))
		if err != nil || added || id == 0 {
			t.Errorf("adding run 0 again: id %d added %v err %v; want its ID, not added", id, added, err)
		}
		runs, err := s.Runs(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 6 {
			t.Fatalf("%d runs, want 6", len(runs))
		}
		for i, r := range runs {
			if r.Commit != fmt.Sprintf("c%d", i) || !r.Time.Equal(epoch.Add(time.Duration(i)*time.Hour)) || r.Points != 4 {
				t.Errorf("run %d: commit %s time %v points %d", i, r.Commit, r.Time, r.Points)
			}
		}
		if runs[2].Branch != `feature/"quoted" it's` {
			t.Errorf("branch %q did not round-trip", runs[2].Branch)
		}
		main, err := s.Runs(ctx, Filter{Branch: "main", Last: 2})
		if err != nil || len(main) != 2 || main[1].Commit != "c4" {
			t.Errorf("last 2 runs on main: %v %v", main, err)
		}
		trends, err := s.Trends(ctx, SeriesFilter{Filter: Filter{Branch: "main"}, Metrics: []metric.Metric{metric.Throughput}, Cell: map[string]string{"workers": "32"}, Repeats: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(trends) != 1 || len(trends[0].Points) != 4 {
			t.Fatalf("trends %v, want one of 4 points", trends)
		}
		tr := trends[0]
		if tr.Cell != "gomaxprocs=1 workers=32 replicas=1" || tr.Metric != metric.Throughput || tr.Testbed.Kernel != "6.1" {
			t.Errorf("trend %+v", tr.SeriesInfo)
		}
		want := fakeRun(3, "main", "c3", 10, 1).Cells[1].Values[metric.Throughput]
		got := tr.Points[2].Repeats
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("repeats of run 3: %v, want %v", got, want)
		}
		all, err := s.Trends(ctx, SeriesFilter{})
		if err != nil || len(all) != 8 { // 2 cells × 2 metrics × 2 branches
			t.Errorf("%d trends over both branches, want 8 (%v)", len(all), err)
		}
	})
}

func TestBuildsKept(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		r := fakeRun(0, "main", "head1", 10, 2)
		r.Builds = []Build{{Name: "base", Path: "./base", Version: "v1", Commit: "base1", Protocol: 3}, {Name: "head", Path: "self", Version: "v2", Commit: "head1", Protocol: 3, ExtraWork: 0.1}}
		for i := range r.Cells {
			r.Cells[i].Params.Build = "head"
		}
		if _, _, err := s.Add(ctx, r); err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs(ctx, Filter{})
		if err != nil || len(runs) != 1 {
			t.Fatal(runs, err)
		}
		if got := fmt.Sprint(runs[0].Builds); got != fmt.Sprint(r.Builds) {
			t.Errorf("builds %s, want %s", got, fmt.Sprint(r.Builds))
		}
		trends, _ := s.Trends(ctx, SeriesFilter{Cell: map[string]string{"build": "head"}})
		if len(trends) != 4 {
			t.Errorf("%d trends of build head, want 4", len(trends))
		}
	})
}

func TestNewerStoreRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		if _, err := s.db.ExecContext(ctx, `UPDATE scalebench_history SET value = '99' WHERE key = 'schema_version'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE scalebench_history SET value = 'v9.0.0' WHERE key = 'written_by'`); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, dsn, false, "v1.2.3")
		if !errors.Is(err, ErrNewer) {
			t.Fatalf("Open of a version 99 store: %v, want ErrNewer", err)
		}
		for _, want := range []string{"version 99", "v9.0.0", "v1.2.3", fmt.Sprintf("up to version %d", SchemaVersion)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(context.Background(), filepath.Join(dir, "none.db"), false, "test"); !errors.Is(err, ErrNoStore) {
		t.Errorf("opening a missing file to read: %v, want ErrNoStore", err)
	}
	if _, err := Open(context.Background(), dir, true, "test"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("opening a directory: %v", err)
	}
	bad := filepath.Join(dir, "bad.db")
	writeFile(t, bad, strings.Repeat("not a database\n", 200))
	if _, err := Open(context.Background(), bad, false, "test"); err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Errorf("opening a text file: %v", err)
	}
}

func TestHostileInputs(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"))
	ctx := context.Background()
	tests := []struct {
		name string
		edit func(r *Run)
		want string
	}{
		{"NaN value", func(r *Run) { r.Cells[0].Values[metric.Throughput][2] = math.NaN() }, "throughput of repeat 3 is NaN"},
		{"infinite value", func(r *Run) { r.Cells[1].Values[metric.P50][0] = math.Inf(1) }, "p50 of repeat 1 is +Inf"},
		{"branch with a line break", func(r *Run) { r.Branch = "main\nDROP TABLE runs" }, "branch \"main\\nDROP TABLE runs\" holds a control character"},
		{"long branch", func(r *Run) { r.Branch = strings.Repeat("b", 300) }, "branch is 300 bytes long, at most 255"},
		{"no commit", func(r *Run) { r.Commit = "" }, "commit is empty"},
		{"unknown metric", func(r *Run) { r.Cells[0].Values["speed"] = []float64{1} }, `unknown metric "speed"`},
		{"cell twice", func(r *Run) { r.Cells[1].Params = r.Cells[0].Params }, "appears twice"},
		{"too many cells", func(r *Run) {
			for i := range MaxCells {
				r.Cells = append(r.Cells, Cell{Params: results.Params{GOMAXPROCS: 1, Workers: 100 + i, Replicas: 1}})
			}
		}, fmt.Sprintf("at most %d", MaxCells)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fakeRun(0, "main", "c0", 10, 3)
			tt.edit(r)
			_, _, err := s.Add(ctx, r)
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add: %v, want ErrInput saying %q", err, tt.want)
			}
		})
	}
	runs, _ := s.Runs(ctx, Filter{})
	if len(runs) != 0 {
		t.Errorf("%d runs stored from refused input", len(runs))
	}
}

func TestChangesAcrossCommits(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn)
		// 12 runs at level 10, then 8 at level 9 (10% slower) from c12 on;
		// a second testbed, 20% faster throughout, on the same branch.
		var newAt []int
		for i := range 20 {
			level := 10.0
			if i >= 12 {
				level = 9
			}
			if _, _, err := s.Add(ctx, fakeRun(i, "main", fmt.Sprintf("c%02d", i), level, 4)); err != nil {
				t.Fatal(err)
			}
			other := fakeRun(i, "main", fmt.Sprintf("c%02d", i), 12, 5)
			other.Testbed.Label = "bigger"
			if _, _, err := s.Add(ctx, other); err != nil {
				t.Fatal(err)
			}
			trends, err := s.Trends(ctx, SeriesFilter{Metrics: []metric.Metric{metric.Throughput}, Cell: map[string]string{"workers": "4"}})
			if err != nil {
				t.Fatal(err)
			}
			tcs, err := Changes(trends, changepoint.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range tcs {
				if tc.Trend.Testbed.Label == "bigger" {
					continue
				}
				for _, f := range tc.Changes {
					if f.New {
						newAt = append(newAt, i)
					}
				}
			}
		}
		// Series never mix testbeds: the faster one is not a change.
		bigger, _ := s.Trends(ctx, SeriesFilter{Filter: Filter{Testbed: "bigger"}})
		tcs, _ := Changes(bigger, changepoint.Options{})
		if len(tcs) != 4 {
			t.Errorf("%d trends on testbed bigger, want 4", len(tcs))
		}
		for _, tc := range tcs {
			if len(tc.Changes) > 0 {
				t.Errorf("%s: %d changes in a steady series", tc.Trend.Title(), len(tc.Changes))
			}
		}
		trends, _ := s.Trends(ctx, SeriesFilter{Metrics: []metric.Metric{metric.Throughput, metric.P50}, Filter: Filter{Testbed: "tb-" + fakeRun(0, "", "", 0, 0).Testbed.Fingerprint()[:8]}})
		tcs, _ = Changes(trends, changepoint.Options{})
		if len(tcs) != 4 {
			t.Fatalf("%d trends on the first testbed, want 4", len(tcs))
		}
		for _, tc := range tcs {
			if len(tc.Changes) != 1 {
				t.Errorf("%s: %d changes, want 1", tc.Trend.Title(), len(tc.Changes))
				continue
			}
			f := tc.Changes[0]
			from, to := f.Range(tc.Trend)
			if f.RunAfter(tc.Trend).Commit != "c12" || !f.Worse || from.Commit > "c11" || to.Commit < "c12" {
				t.Errorf("%s: change after %s at %s (range %s..%s), worse %v; want at c12, worse", tc.Trend.Title(), f.RunBefore(tc.Trend).Commit, f.RunAfter(tc.Trend).Commit, from.Commit, to.Commit, f.Worse)
			}
			if r := f.Relative(); tc.Trend.Metric == metric.Throughput && math.Abs(r+0.1) > 0.03 {
				t.Errorf("%s: relative change %.3f, want about -0.10", tc.Trend.Title(), r)
			}
		}
		// The change is new once, when the run that made it appear was
		// added: a segment takes three runs, two of them slower at least.
		if len(newAt) != 1 || newAt[0] < 13 {
			t.Errorf("the change was new after runs %v, want once, from run 13 on", newAt)
		}
	})
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

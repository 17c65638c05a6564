package app

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/history/historytest"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/results/resultstest"
	"github.com/scalebench/scalebench/internal/testutil"
	"github.com/scalebench/scalebench/report/trend"
)

// historyRuns writes n results files of a made-up two-cell run, one per
// commit c00, c01, ..., an hour apart; the runs of commits from slowAt on
// have 15% less throughput (3% noise).
func historyRuns(t *testing.T, dir string, n, slowAt int) []string {
	t.Helper()
	var paths []string
	run := resultstest.Run(resultstest.Grid, 2, 5)
	start := run.Environment.Started
	for i := range n {
		run.Environment.Started = start.Add(time.Duration(i) * time.Hour)
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		for c := range run.Cells {
			for r := range run.Cells[c].Repeats {
				rep := &run.Cells[c].Repeats[r]
				f := 1 + 0.03*rng.NormFloat64()
				if i >= slowAt {
					f *= 0.85
				}
				rep.Throughput = 100 * float64(c+1) * f
				rep.Resources.JobsPerCPUSecond = 200 * f
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("c%02d.json", i))
		if err := results.Write(p, run); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// forEachHistory runs f with a SQLite file and a PostgreSQL URL (skipped,
// saying why, without a server) as --db.
func forEachHistory(t *testing.T, f func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "history.db")) })
	t.Run("postgres", func(t *testing.T) { f(t, historytest.Postgres(t)) })
}

// TestHistoryCommands: add, list, show, changes (with --fail-on-new),
// export and report on one history, end to end through the command line.
func TestHistoryCommands(t *testing.T) {
	forEachHistory(t, func(t *testing.T, db string) {
		dir := t.TempDir()
		paths := historyRuns(t, dir, 20, 12)
		for i, p := range paths[:19] {
			code, out, stderr := sb(t, "history", "add", p, "--db", db, "--branch", "main", "--commit", fmt.Sprintf("c%02d", i), "--testbed", "ci-runner")
			if code != ExitOK || !strings.Contains(out, "added run") {
				t.Fatalf("history add %s: exit %d\n%s%s", p, code, out, stderr)
			}
		}
		// The same results again: one run.
		if code, out, _ := sb(t, "history", "add", "--db", db, "--branch", "main", "--commit", "c00", paths[0]); code != ExitOK || !strings.Contains(out, "already in") {
			t.Errorf("adding c00 again: exit %d\n%s", code, out)
		}
		code, out, stderr := sb(t, "history", "list", "--db", db, "--last", "3")
		if code != ExitOK || strings.Count(out, "\n") != 4 || !strings.Contains(out, "c18") || !strings.Contains(out, "ci-runner") {
			t.Errorf("history list --last 3: exit %d\n%s%s", code, out, stderr)
		}
		code, out, stderr = sb(t, "history", "show", "--db", db, "--metric", "throughput", "--cell", "workers=1,gomaxprocs=2", "--last", "5")
		if code != ExitOK || !strings.Contains(out, "gomaxprocs=2 workers=1") || strings.Count(out, "jobs/s") != 5 {
			t.Errorf("history show: exit %d\n%s%s", code, out, stderr)
		}
		// The slowdown is found at c12 with 7 slow runs; it is not new.
		code, out, stderr = sb(t, "history", "changes", "--db", db, "--metric", "throughput", "--fail-on-new")
		if code != ExitOK || strings.Count(out, "WORSE -1") != 2 || !strings.Contains(out, "between c11 and c12") || strings.Contains(out, "new:") {
			t.Errorf("history changes: exit %d, want 0 and the change at c12 in both cells, not new\n%s%s", code, out, stderr)
		}
		// A history whose last run makes the change appear fails --fail-on-new.
		db2 := filepath.Join(t.TempDir(), "short.db")
		if strings.HasPrefix(db, "postgres") {
			db2 = historytest.Postgres(t)
		}
		for i, p := range paths[:15] {
			if code, out, stderr := sb(t, "history", "add", p, "--db", db2, "--branch", "main", "--commit", fmt.Sprintf("c%02d", i)); code != ExitOK {
				t.Fatalf("history add: exit %d\n%s%s", code, out, stderr)
			}
			code, out, stderr = sb(t, "history", "changes", "--db", db2, "--metric", "throughput", "--fail-on-new")
			if code == ExitWorse {
				if !strings.Contains(out, "new: found since the last run") || !strings.Contains(stderr, "new change point(s) for the worse") {
					t.Errorf("--fail-on-new failed without saying why\n%s%s", out, stderr)
				}
				break
			}
			if code != ExitOK || i == 14 {
				t.Fatalf("history changes --fail-on-new after c%02d: exit %d, want 0 before the slowdown shows and 1 when it does\n%s%s", i, code, out, stderr)
			}
		}
		code, out, _ = sb(t, "history", "changes", "--db", db, "--format", "json")
		var js []struct {
			Metric  string
			Changes []struct {
				CommitAfter string `json:"commit_after"`
				Worse       bool
				Relative    float64
			}
		}
		if err := json.Unmarshal([]byte(out), &js); code != ExitOK || err != nil {
			t.Fatalf("changes --format json: exit %d, %v\n%s", code, err, out)
		}
		found := 0
		for _, s := range js {
			for _, c := range s.Changes {
				if c.CommitAfter == "c12" && c.Worse {
					found++
				}
			}
		}
		if found < 4 { // throughput and CPU per job in both cells
			t.Errorf("changes --format json: %d changes for the worse at c12, want 4 or more\n%s", found, out)
		}
		code, out, _ = sb(t, "history", "export", "--db", db, "--format", "csv", "--metric", "throughput")
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if code != ExitOK || err != nil || len(recs) != 1+19*2*5 || strings.Join(recs[0], ",") != "run,time,branch,commit,scenario,scenario_hash,testbed,testbed_fingerprint,cell,metric,repeat,value" {
			t.Errorf("export csv: exit %d, %v, %d rows, header %v", code, err, len(recs), recs[0])
		}
		code, out, _ = sb(t, "history", "export", "--db", db, "--format", "json", "--cell", "gomaxprocs=1")
		var points []struct{ Commit, Metric string }
		if err := json.Unmarshal([]byte(out), &points); code != ExitOK || err != nil || len(points) == 0 {
			t.Errorf("export json: exit %d, %v, %d points", code, err, len(points))
		}
		outDir := filepath.Join(t.TempDir(), "report")
		code, out, stderr = sb(t, "history", "report", "--db", db, "--out", outDir, "--metric", "throughput,cpu_per_job")
		if code != ExitOK || !strings.Contains(out, "4 series, 4 change points") {
			t.Fatalf("history report: exit %d\n%s%s", code, out, stderr)
		}
		page, err := os.ReadFile(filepath.Join(outDir, trend.FileName))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"<svg", "c11 → c12", "worse -15", "ci-runner"} {
			if !strings.Contains(string(page), want) {
				t.Errorf("the report page does not hold %q", want)
			}
		}
		if strings.Contains(string(page), `src="http`) || strings.Contains(string(page), `href="http`) || strings.Contains(string(page), "url(http") {
			t.Error("the report page links out: it must work offline")
		}
	})
}

// TestHistoryInputErrors: bad input is refused with exit 2 and a message
// that names it.
func TestHistoryInputErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	paths := historyRuns(t, dir, 1, 99)
	nan := writeFile(t, filepath.Join(dir, "nan.json"), strings.Replace(readFile(t, paths[0]), `"throughput": `, `"throughput": NaN, "x": `, 1))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"history", "add", "--db", db, "--branch", "b", "--commit", "c"}, "need one or more results files"},
		{"NaN", []string{"history", "add", "--db", db, "--branch", "b", "--commit", "c", nan}, "nan.json"},
		{"branch with a line break", []string{"history", "add", "--db", db, "--branch", "main\nx", "--commit", "c", paths[0]}, `branch "main\nx" holds a control character`},
		{"no history", []string{"history", "list", "--db", filepath.Join(dir, "none.db")}, "does not exist (history add creates it)"},
		{"unknown metric", []string{"history", "show", "--db", db, "--metric", "speed"}, `unknown metric "speed"`},
		{"curve metric", []string{"history", "show", "--db", db, "--metric", "sigma"}, "the history keeps the point metrics"},
		{"bad cell", []string{"history", "changes", "--db", db, "--cell", "cores=2"}, `unknown dimension "cores"`},
		{"bad level", []string{"history", "changes", "--db", db, "--level", "2"}, "significance level 2"},
		{"bad min-change", []string{"history", "changes", "--db", db, "--min-change", "5"}, `--min-change "5"`},
		{"bad format", []string{"history", "export", "--db", db, "--format", "xml"}, "csv or json"},
	}
	// A store to read from.
	if code, out, stderr := sb(t, "history", "add", "--db", db, "--branch", "main", "--commit", "c0", paths[0]); code != ExitOK {
		t.Fatalf("history add: exit %d\n%s%s", code, out, stderr)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := sb(t, tt.args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 2 with %q\n%s", code, tt.want, stderr)
			}
		})
	}
	// A branch with quotes is a branch like any other.
	quoted := `feature/"it's"`
	if code, out, stderr := sb(t, "history", "add", "--db", db, "--branch", quoted, "--commit", "c1", paths[0]); code != ExitOK || !strings.Contains(out, "already in") {
		t.Errorf("the same run on another branch: exit %d\n%s%s", code, out, stderr)
	}
	other := historyRuns(t, t.TempDir(), 2, 99)[1]
	if code, out, stderr := sb(t, "history", "add", "--db", db, "--branch", quoted, "--commit", "c1", other); code != ExitOK {
		t.Errorf("add on branch %s: exit %d\n%s%s", quoted, code, out, stderr)
	}
	if code, out, _ := sb(t, "history", "list", "--db", db, "--branch", quoted); code != ExitOK || !strings.Contains(out, quoted) {
		t.Errorf("list --branch %s: exit %d\n%s", quoted, code, out)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunHistory: run --history adds the finished run, with the branch and
// commit the environment gives.
func TestRunHistory(t *testing.T) {
	testutil.Long(t, "a real run")
	t.Setenv("SCALEBENCH_TEST_WORKER", "1")
	t.Setenv("SCALEBENCH_BRANCH", "main")
	t.Setenv("SCALEBENCH_COMMIT", "abc1234")
	t.Setenv("SCALEBENCH_TESTBED", "laptop")
	dir := t.TempDir()
	sc := writeFile(t, filepath.Join(dir, "tiny.yaml"), tinyScenario)
	db := filepath.Join(dir, "history.db")
	code, out, stderr := sb(t, "run", "-q", "--out", filepath.Join(dir, "out"), "--history", db, sc)
	if code != ExitOK || !strings.Contains(out, "added run 1 to "+db+": tiny on main at abc1234, testbed laptop") {
		t.Fatalf("run --history: exit %d\n%s%s", code, out, stderr)
	}
	if code, out, _ := sb(t, "history", "show", "--db", db, "--metric", "throughput"); code != ExitOK || !strings.Contains(out, "abc1234") {
		t.Errorf("history show after run --history: exit %d\n%s", code, out)
	}
}

// TestHistoryRefusesHugeRun: a results file of 100,000 cells is refused,
// saying how many a run may have, before it is read in full.
func TestHistoryRefusesHugeRun(t *testing.T) {
	testutil.Long(t, "writes and reads a 100,000-cell results file")
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	big := filepath.Join(dir, "big.json")
	run := resultstest.Run(resultstest.Grid, 1, 1)
	rep := run.Cells[0].Repeats[0]
	rep.Histogram, rep.Series = nil, results.Series{}
	run.Cells, run.Order = nil, nil
	for i := range 100_000 {
		run.Cells = append(run.Cells, results.Cell{Params: results.Params{GOMAXPROCS: i%1000 + 1, Workers: i/1000 + 1, Replicas: 1}, Repeats: []results.Repeat{rep}})
		run.Cells[i].Repeats[0].Seq = i
		run.Order = append(run.Order, results.Step{Cell: i})
	}
	if err := results.Write(big, run); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := sb(t, "history", "add", "--db", db, "--branch", "b", "--commit", "c", big)
	if want := "has 100000 cells; a run in the history holds at most 10000"; code != ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want 2 with %q\n%s", code, want, stderr)
	}
}

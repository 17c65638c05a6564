package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/changepoint"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/history"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/stats"
	"github.com/scalebench/scalebench/report/trend"
)

// DefaultHistory is the history store's file when neither --db nor
// SCALEBENCH_HISTORY names one.
const DefaultHistory = "results/history.db"

func dbFlag() cli.Flag {
	return &cli.StringFlag{Name: "db", Value: DefaultHistory, EnvVars: []string{"SCALEBENCH_HISTORY"},
		Usage: "the history: a SQLite `FILE`, or a postgres://user:pass@host/db URL for a team's database"}
}

// selectFlags select the series of show, changes, export and report.
func selectFlags() []cli.Flag {
	return []cli.Flag{
		dbFlag(),
		&cli.StringFlag{Name: "branch", Usage: "only runs of `BRANCH`"},
		&cli.StringFlag{Name: "scenario", Usage: "only runs of scenario `NAME`"},
		&cli.StringFlag{Name: "testbed", Usage: "only runs on testbed `T` (its label or fingerprint)"},
		&cli.StringFlag{Name: "metric", Usage: "only these metrics, e.g. `throughput,p99` (default: all)"},
		&cli.StringFlag{Name: "cell", Usage: "only cells with these values, e.g. `workers=4,gomaxprocs=1`"},
		&cli.IntFlag{Name: "last", Usage: "only each series' last `N` runs (0: all)"},
	}
}

// changeFlags tune change-point detection.
func changeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.Float64Flag{Name: "level", Value: changepoint.DefaultMaxP, Usage: "significance `LEVEL`: how often a series without a change shows one"},
		&cli.StringFlag{Name: "min-change", Value: "0%", Usage: "report only changes of the median of at least `PCT`"},
	}
}

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:  "history",
		Usage: "keep runs across commits, find when a series changed, chart the trends",
		Description: "A store of runs (a SQLite file by default, or PostgreSQL) with each run's testbed, branch,\n" +
			"commit, time, scenario and every repeat's value. A series is one scenario's cell and metric on\n" +
			"one testbed and branch; `changes` finds where each moved to a new level (E-divisive means\n" +
			"with a t-test corrected for the search), `report` charts them.",
		Subcommands: []*cli.Command{
			historyAddCommand(), historyListCommand(), historyShowCommand(), historyChangesCommand(),
			historyExportCommand(), historyReportCommand(),
		},
	}
}

func historyAddCommand() *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "add finished runs to the history",
		ArgsUsage: "RESULTS.json|DIR ...",
		Description: "Adds each run (a results file, a report page or a run's directory). The commit is --commit,\n" +
			"else the one the build recorded, else git's HEAD; the branch is --branch, else git's, else\n" +
			"the CI's (GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME). Adding the same results\n" +
			"twice adds one run.",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "branch", EnvVars: []string{"SCALEBENCH_BRANCH"}, Usage: "the runs' `BRANCH`"},
			&cli.StringFlag{Name: "commit", EnvVars: []string{"SCALEBENCH_COMMIT"}, Usage: "the runs' `COMMIT`"},
			&cli.StringFlag{Name: "testbed", EnvVars: []string{"SCALEBENCH_TESTBED"}, Usage: "a `LABEL` for the machine, part of the testbed's identity"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("history add: need one or more results files (see scalebench history add --help)")
			}
			s, err := openHistory(c, true)
			if err != nil {
				return err
			}
			defer s.Close()
			for _, path := range c.Args().Slice() {
				if err := checkCellCount(path); err != nil {
					return err
				}
				run, err := readRunFile(path)
				if err != nil {
					return err
				}
				if err := addToHistory(c.Context, c.App.Writer, s, run, path, c.String("branch"), c.String("commit"), c.String("testbed")); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// checkCellCount refuses a results file of more cells than a run in the
// history may have before it is read and validated in full, which for
// such a file takes long.
func checkCellCount(path string) error {
	f, err := results.Open(path)
	if err != nil {
		return nil // not a file: readRunFile says what it is
	}
	defer f.Close()
	var doc struct {
		Cells []struct{} `json:"cells"`
	}
	if json.NewDecoder(io.LimitReader(f, results.MaxFileSize)).Decode(&doc) != nil {
		return nil // not results JSON: readRunFile says what is wrong
	}
	if n := len(doc.Cells); n > history.MaxCells {
		return usagef("history add: %s has %d cells; a run in the history holds at most %d", path, n, history.MaxCells)
	}
	return nil
}

// openHistory opens the store --db names; create for add.
func openHistory(c *cli.Context, create bool) (*history.Store, error) {
	s, err := history.Open(c.Context, c.String("db"), create, Version)
	if errors.Is(err, history.ErrNewer) || errors.Is(err, history.ErrNoStore) {
		return nil, usageError{err}
	}
	return s, err
}

// addToHistory adds run, read from path, to s.
func addToHistory(ctx context.Context, w io.Writer, s *history.Store, run *results.Run, path, branch, commit, label string) error {
	if run.Interrupted {
		return usagef("history add: %s is an interrupted run: its cells hold only what was measured before it stopped; the history keeps finished runs", path)
	}
	hr, err := history.FromResults(run, path, label)
	if err != nil {
		return usageError{err}
	}
	if commit != "" {
		hr.Commit = commit
	}
	if hr.Commit == "" {
		if hr.Commit, err = gitOutput(ctx, "rev-parse", "HEAD"); err != nil {
			return usagef("history add: %s: no commit recorded and none from git (%v): give --commit", path, err)
		}
	}
	hr.Branch = branch
	if hr.Branch == "" {
		if hr.Branch, err = gitBranch(ctx); err != nil {
			return usagef("history add: %s: %v: give --branch", path, err)
		}
	}
	id, added, err := s.Add(ctx, hr)
	if errors.Is(err, history.ErrInput) {
		return usagef("history add: %s: %w", path, err)
	}
	if err != nil {
		return err
	}
	if !added {
		fmt.Fprintf(w, "%s: already in %s as run %d (the same measurements): nothing added\n", path, s.Where, id)
		return nil
	}
	n := 0
	for _, c := range hr.Cells {
		n += len(c.Values)
	}
	fmt.Fprintf(w, "added run %d to %s: %s on %s at %s, testbed %s, %d cells, %d series\n",
		id, s.Where, hr.Scenario.Name, hr.Branch, hr.Commit, hr.Testbed.Name(), len(hr.Cells), n)
	return nil
}

// gitOutput runs git with args and returns its output's first line.
func gitOutput(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line, nil
}

// gitBranch is the checked-out branch, or on a detached HEAD the CI's.
func gitBranch(ctx context.Context) (string, error) {
	b, err := gitOutput(ctx, "symbolic-ref", "--short", "-q", "HEAD")
	if err == nil && b != "" {
		return b, nil
	}
	for _, k := range []string{"GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"} {
		if v := os.Getenv(k); v != "" {
			return v, nil
		}
	}
	if err == nil {
		err = errors.New("git: HEAD is detached")
	}
	return "", fmt.Errorf("cannot tell the branch (%v)", err)
}

func historyListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the runs in the history, oldest first",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "branch", Usage: "only runs of `BRANCH`"},
			&cli.StringFlag{Name: "scenario", Usage: "only runs of scenario `NAME`"},
			&cli.StringFlag{Name: "testbed", Usage: "only runs on testbed `T`"},
			&cli.IntFlag{Name: "last", Value: 50, Usage: "the last `N` runs (0: all)"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output `FORMAT`: text or json"},
		},
		Action: func(c *cli.Context) error {
			f := c.String("format")
			if f != "text" && f != "json" {
				return usagef("history list: --format must be text or json, got %q", f)
			}
			if c.Int("last") < 0 {
				return usagef("history list: --last must be 0 (all) or more, got %d", c.Int("last"))
			}
			s, err := openHistory(c, false)
			if err != nil {
				return err
			}
			defer s.Close()
			runs, err := s.Runs(c.Context, history.Filter{Branch: c.String("branch"), Scenario: c.String("scenario"), Testbed: c.String("testbed"), Last: c.Int("last")})
			if err != nil {
				return err
			}
			if f == "json" {
				return writeJSON(c.App.Writer, runsJSON(runs))
			}
			if len(runs) == 0 {
				fmt.Fprintf(c.App.Writer, "%s holds no runs that match\n", s.Where)
				return nil
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "run\ttime (UTC)\tbranch\tcommit\tscenario\ttestbed\tvalues\tbuilds")
			for _, r := range runs {
				var builds []string
				for _, b := range r.Builds {
					builds = append(builds, b.Name+"@"+short(b.Commit))
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s (%s)\t%s\t%d\t%s\n", r.ID, r.Time.Format("2006-01-02 15:04:05"), r.Branch, short(r.Commit),
					r.Scenario.Name, r.Scenario.Hash[:min(8, len(r.Scenario.Hash))], r.Testbed.Name(), r.Points, strings.Join(builds, " "))
			}
			return tw.Flush()
		},
	}
}

func short(c string) string {
	if len(c) > 10 {
		return c[:10]
	}
	return c
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

type testbedJSON struct {
	Name        string  `json:"name"`
	Fingerprint string  `json:"fingerprint"`
	Label       string  `json:"label,omitempty"`
	CPUModel    string  `json:"cpu_model"`
	CPUs        int     `json:"cpus"`
	CPUQuota    float64 `json:"cpu_quota,omitempty"`
	OS          string  `json:"os"`
	Arch        string  `json:"arch"`
	Kernel      string  `json:"kernel"`
	GoVersion   string  `json:"go_version"`
}

func testbedOf(t history.Testbed) testbedJSON {
	return testbedJSON{t.Name(), t.Fingerprint(), t.Label, t.CPUModel, t.CPUs, t.CPUQuota, t.OS, t.Arch, t.Kernel, t.GoVersion}
}

type runJSON struct {
	ID           int64       `json:"id"`
	Time         time.Time   `json:"time"`
	Branch       string      `json:"branch"`
	Commit       string      `json:"commit"`
	Scenario     string      `json:"scenario"`
	ScenarioHash string      `json:"scenario_hash"`
	Testbed      testbedJSON `json:"testbed"`
	Version      string      `json:"scalebench_version"`
	File         string      `json:"file,omitempty"`
	Values       int         `json:"values,omitempty"`
	Builds       []buildJSON `json:"builds,omitempty"`
	Added        time.Time   `json:"added"`
}

type buildJSON struct {
	Name      string  `json:"name"`
	Path      string  `json:"path"`
	Version   string  `json:"version"`
	Commit    string  `json:"commit,omitempty"`
	Protocol  int     `json:"protocol"`
	ExtraWork float64 `json:"extra_work,omitempty"`
}

func runJSONOf(r *history.RunInfo) runJSON {
	j := runJSON{ID: r.ID, Time: r.Time, Branch: r.Branch, Commit: r.Commit, Scenario: r.Scenario.Name, ScenarioHash: r.Scenario.Hash,
		Testbed: testbedOf(r.Testbed), Version: r.Version, File: r.File, Values: r.Points, Added: r.Added}
	for _, b := range r.Builds {
		j.Builds = append(j.Builds, buildJSON(b))
	}
	return j
}

func runsJSON(runs []*history.RunInfo) []runJSON {
	out := make([]runJSON, 0, len(runs))
	for _, r := range runs {
		out = append(out, runJSONOf(r))
	}
	return out
}

// seriesFilter reads the selection flags.
func seriesFilter(c *cli.Context, repeats bool) (history.SeriesFilter, error) {
	f := history.SeriesFilter{
		Filter:  history.Filter{Branch: c.String("branch"), Scenario: c.String("scenario"), Testbed: c.String("testbed"), Last: c.Int("last")},
		Repeats: repeats,
	}
	if f.Last < 0 {
		return f, usagef("%s: --last must be 0 (all) or more, got %d", c.Command.FullName(), f.Last)
	}
	if s := c.String("metric"); s != "" {
		for _, name := range strings.Split(s, ",") {
			m, err := metric.ParseMetric(name)
			if err != nil {
				return f, usagef("%s: --metric: %w", c.Command.FullName(), err)
			}
			if mi, _ := m.Info(); mi.Kind != metric.Repeats {
				return f, usagef("%s: --metric %s: the history keeps the point metrics, measured once per repeat (not the fitted curve metrics)", c.Command.FullName(), m)
			}
			f.Metrics = append(f.Metrics, m)
		}
	}
	if s := c.String("cell"); s != "" {
		sel, err := history.ParseCell(s)
		if err != nil {
			return f, usagef("%s: --cell: %w", c.Command.FullName(), err)
		}
		f.Cell = sel
	}
	return f, nil
}

// trends opens the history and reads the trends the flags select.
func trends(c *cli.Context, repeats bool) (*history.Store, []*history.Trend, error) {
	f, err := seriesFilter(c, repeats)
	if err != nil {
		return nil, nil, err
	}
	s, err := openHistory(c, false)
	if err != nil {
		return nil, nil, err
	}
	ts, err := s.Trends(c.Context, f)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, ts, nil
}

func historyShowCommand() *cli.Command {
	return &cli.Command{
		Name:  "show",
		Usage: "print each selected series run by run",
		Description: "For every series the flags select (e.g. --metric throughput --cell workers=4 --last 20),\n" +
			"one line per run: its time, commit, the median of its repeats with their 95% interval.",
		Flags: selectFlags(),
		Action: func(c *cli.Context) error {
			s, ts, err := trends(c, true)
			if err != nil {
				return err
			}
			defer s.Close()
			w := c.App.Writer
			if len(ts) == 0 {
				fmt.Fprintf(w, "%s holds no series that match\n", s.Where)
				return nil
			}
			for i, t := range ts {
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "%s\n", t.Title())
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "run\ttime (UTC)\tcommit\tmedian [95% interval]\trepeats")
				for _, p := range t.Points {
					lo, hi, _ := stats.MedianCI(p.Repeats, 0.95)
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\n", p.Run.ID, p.Run.Time.Format("2006-01-02 15:04:05"), short(p.Run.Commit),
						format.Measured(p.Median, lo, hi, t.Metric.Unit()), len(p.Repeats))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// detectOptions reads --level and --min-change.
func detectOptions(c *cli.Context) (changepoint.Options, error) {
	opt := changepoint.Options{MaxP: c.Float64("level")}
	pct := strings.TrimSpace(c.String("min-change"))
	v, err := strconv.ParseFloat(strings.TrimSuffix(pct, "%"), 64)
	if err != nil || !strings.HasSuffix(pct, "%") || v < 0 || v >= 100 {
		return opt, usagef("%s: --min-change %q: want a percentage such as 2%%, from 0%% to under 100%%", c.Command.FullName(), pct)
	}
	opt.MinChange = v / 100
	if err := opt.Validate(); err != nil {
		return opt, usagef("%s: --level: %w", c.Command.FullName(), err)
	}
	return opt, nil
}

func historyChangesCommand() *cli.Command {
	return &cli.Command{
		Name:  "changes",
		Usage: "find where each series moved to a new level, with its commits, size and confidence",
		Description: "Runs change-point detection on every selected series: E-divisive means splits each series\n" +
			"where its two parts differ most, and a t-test corrected for the search over the splits keeps\n" +
			"the split at --level (the rate at which a series without a change shows one). A change takes\n" +
			"three runs on its new level to be found; one outlying run is not one.\n\n" +
			"Exit codes: 0 done; 1 with --fail-on-new, a change that makes a metric worse appeared with the\n" +
			"last run of its series; 2 unusable input (bad flags, no history, a store from a newer scalebench).",
		Flags: append(append(selectFlags(), changeFlags()...),
			&cli.BoolFlag{Name: "fail-on-new", Usage: "exit 1 when the last run of a series made a change for the worse appear (for CI, with --branch)"},
			&cli.BoolFlag{Name: "all", Usage: "also list the series without a change"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output `FORMAT`: text or json"},
		),
		Action: func(c *cli.Context) error {
			f := c.String("format")
			if f != "text" && f != "json" {
				return usagef("history changes: --format must be text or json, got %q", f)
			}
			opt, err := detectOptions(c)
			if err != nil {
				return err
			}
			s, ts, err := trends(c, false)
			if err != nil {
				return err
			}
			defer s.Close()
			tcs, err := history.Changes(ts, opt)
			if err != nil {
				return err
			}
			if f == "json" {
				err = writeJSON(c.App.Writer, changesJSON(tcs, c.Bool("all")))
			} else {
				writeChanges(c.App.Writer, s.Where, tcs, opt, c.Bool("all"))
			}
			if err != nil {
				return err
			}
			if c.Bool("fail-on-new") {
				var bad []string
				for _, tc := range tcs {
					for _, fd := range tc.Changes {
						if fd.New && fd.Worse {
							bad = append(bad, fmt.Sprintf("%s: %s at %s", tc.Trend.Title(), format.Change(fd.Relative()), short(fd.RunAfter(tc.Trend).Commit)))
						}
					}
				}
				if len(bad) > 0 {
					return &gateError{code: ExitWorse, msg: fmt.Sprintf("history changes: %d new change point(s) for the worse: %s", len(bad), strings.Join(bad, "; "))}
				}
			}
			return nil
		},
	}
}

// writeChanges prints the change points, series by series.
func writeChanges(w io.Writer, where string, tcs []history.TrendChanges, opt changepoint.Options, all bool) {
	n := 0
	for _, tc := range tcs {
		n += len(tc.Changes)
	}
	level := opt.MaxP
	if level == 0 {
		level = changepoint.DefaultMaxP
	}
	fmt.Fprintf(w, "%s: %d series, %d change points (level %s: a series without a change shows one at most %s of the time)\n",
		where, len(tcs), n, format.Percent(level), format.Percent(level))
	for _, tc := range tcs {
		t := tc.Trend
		if len(tc.Changes) == 0 && !all {
			continue
		}
		fmt.Fprintf(w, "\n%s: %d runs, %s .. %s\n", t.Title(), len(t.Points), short(t.Points[0].Run.Commit), short(t.Points[len(t.Points)-1].Run.Commit))
		if len(tc.Changes) == 0 {
			fmt.Fprintln(w, "  no change")
		}
		unit := t.Metric.Unit()
		for _, f := range tc.Changes {
			verdict := "better"
			if f.Worse {
				verdict = "WORSE"
			}
			from, to := f.Range(t)
			isNew := ""
			if f.New {
				isNew = "  (new: found since the last run)"
			}
			fmt.Fprintf(w, "  %s %s between %s and %s%s\n", verdict, format.Change(f.Relative()), short(f.RunBefore(t).Commit), short(f.RunAfter(t).Commit), isNew)
			fmt.Fprintf(w, "    median %s over %d runs -> %s over %d runs; p = %s (confidence %s)\n",
				format.Measured(f.Before.Median, f.Before.Lo, f.Before.Hi, unit), f.Before.Len(),
				format.Measured(f.After.Median, f.After.Lo, f.After.Hi, unit), f.After.Len(), pText(f.P), confidence(f.P))
			if from != f.RunBefore(t) || to != f.RunAfter(t) {
				fmt.Fprintf(w, "    where, with 95%% confidence: after %s, at or before %s\n", short(from.Commit), short(to.Commit))
			}
		}
	}
}

func pText(p float64) string {
	if p < 1e-4 {
		return "< 0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}

func confidence(p float64) string {
	c := 100 * (1 - p)
	if c > 99.99 {
		return "> 99.99%"
	}
	return strconv.FormatFloat(c, 'f', 2, 64) + "%"
}

type segmentJSON struct {
	Median float64 `json:"median"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Runs   int     `json:"runs"`
}

type changeJSON struct {
	CommitBefore string      `json:"commit_before"`
	CommitAfter  string      `json:"commit_after"`
	RunBefore    int64       `json:"run_before"`
	RunAfter     int64       `json:"run_after"`
	RangeFrom    string      `json:"range_after_commit"`
	RangeTo      string      `json:"range_up_to_commit"`
	Before       segmentJSON `json:"before"`
	After        segmentJSON `json:"after"`
	Relative     float64     `json:"relative"`
	P            float64     `json:"p"`
	Worse        bool        `json:"worse"`
	New          bool        `json:"new"`
}

type seriesJSON struct {
	Scenario     string       `json:"scenario"`
	ScenarioHash string       `json:"scenario_hash"`
	Testbed      string       `json:"testbed"`
	Branch       string       `json:"branch"`
	Cell         string       `json:"cell"`
	Metric       string       `json:"metric"`
	Runs         int          `json:"runs"`
	Changes      []changeJSON `json:"changes"`
}

func changesJSON(tcs []history.TrendChanges, all bool) []seriesJSON {
	out := []seriesJSON{}
	for _, tc := range tcs {
		t := tc.Trend
		if len(tc.Changes) == 0 && !all {
			continue
		}
		sj := seriesJSON{Scenario: t.Scenario.Name, ScenarioHash: t.Scenario.Hash, Testbed: t.Testbed.Name(), Branch: t.Branch,
			Cell: t.Cell, Metric: string(t.Metric), Runs: len(t.Points), Changes: []changeJSON{}}
		for _, f := range tc.Changes {
			from, to := f.Range(t)
			seg := func(s changepoint.Segment) segmentJSON { return segmentJSON{s.Median, s.Lo, s.Hi, s.Len()} }
			sj.Changes = append(sj.Changes, changeJSON{
				CommitBefore: f.RunBefore(t).Commit, CommitAfter: f.RunAfter(t).Commit, RunBefore: f.RunBefore(t).ID, RunAfter: f.RunAfter(t).ID,
				RangeFrom: from.Commit, RangeTo: to.Commit, Before: seg(f.Before), After: seg(f.After),
				Relative: f.Relative(), P: f.P, Worse: f.Worse, New: f.New,
			})
		}
		out = append(out, sj)
	}
	return out
}

func historyExportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write the selected series' values as CSV (one row per repeat) or JSON",
		Flags: append(selectFlags(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "csv", Usage: "output `FORMAT`: csv or json"},
		),
		Action: func(c *cli.Context) error {
			f := c.String("format")
			if f != "csv" && f != "json" {
				return usagef("history export: --format must be csv or json, got %q", f)
			}
			s, ts, err := trends(c, true)
			if err != nil {
				return err
			}
			defer s.Close()
			if f == "json" {
				return history.WriteJSON(c.App.Writer, ts)
			}
			return history.WriteCSV(c.App.Writer, ts)
		},
	}
}

func historyReportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write an HTML page of trend charts with their change points",
		Description: "Writes DIR/" + trend.FileName + ", self-contained and offline: one chart per series and\n" +
			"metric (each run's repeats as dots, their medians as a line, change points marked with\n" +
			"their commits and size) and a table of the change points.",
		Flags: append(append(selectFlags(), changeFlags()...),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "results/history", Usage: "output `DIR`"},
		),
		Action: func(c *cli.Context) error {
			opt, err := detectOptions(c)
			if err != nil {
				return err
			}
			s, ts, err := trends(c, true)
			if err != nil {
				return err
			}
			defer s.Close()
			if len(ts) == 0 {
				return usagef("history report: %s holds no series that match", s.Where)
			}
			tcs, err := history.Changes(ts, opt)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(c.String("out"), 0o755); err != nil {
				return usagef("history report: --out: %w", err)
			}
			path, err := trend.Write(c.String("out"), tcs, trend.Options{Store: s.Where, Level: opt.MaxP, Now: time.Now()})
			if err != nil {
				return err
			}
			n := 0
			for _, tc := range tcs {
				n += len(tc.Changes)
			}
			fmt.Fprintf(c.App.Writer, "%d series, %d change points\nreport: %s\n", len(tcs), n, path)
			return nil
		},
	}
}

package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/atomicfile"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report"
)

// gateError is a gate that failed: the command's output is complete and
// the exit code says why.
type gateError struct {
	code int
	msg  string
}

func (e *gateError) Error() string { return e.msg }

// gateExitCode maps the gate's errors to exit codes: a failed gate to its
// own code, input the comparison cannot use to ExitUsage.
func gateExitCode(err error) (int, bool) {
	var ge *gateError
	var ue *compare.UnusableError
	switch {
	case errors.As(err, &ge):
		return ge.code, true
	case errors.As(err, &ue), errors.Is(err, results.ErrSchema):
		return ExitUsage, true
	}
	return 0, false
}

// gateFlags are the flags of compare and of run --baseline.
func gateFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "fail-on", Usage: "tolerated changes, e.g. `'throughput:-5%,p99:+10%'`; listed metrics gate at these tolerances; throughput, p50/p90/p99, makespan and efficiency also gate unlisted, at their defaults (5%, 10%, 10%, 5%); cpu_per_job, rss and the curve metrics (sigma, kappa, peak_n, efficiency_max_n) gate only when listed"},
		&cli.BoolFlag{Name: "fail-on-inconclusive", Usage: "also fail (exit 3) when a gated comparison is inconclusive"},
		&cli.BoolFlag{Name: "gate-only", Usage: "gate only the metrics --fail-on names; the others are shown, not gated"},
		&cli.StringFlag{Name: "junit", Usage: "also write the comparison as JUnit XML to `FILE` (one testcase per cell and metric)"},
	}
}

// gateOptions reads the gate flags.
func gateOptions(c *cli.Context) (compare.Options, error) {
	var g compare.Gate
	if spec := c.String("fail-on"); c.IsSet("fail-on") {
		var err error
		if g, err = compare.ParseFailOn(spec); err != nil {
			return compare.Options{}, err
		}
	}
	if c.Bool("gate-only") {
		if len(g.Tolerances) == 0 {
			return compare.Options{}, usagef("--gate-only: name the metrics to gate with --fail-on, e.g. --fail-on 'throughput:-5%%,cpu_per_job:+5%%'")
		}
		for m := range g.Tolerances {
			g.Only = append(g.Only, m)
		}
	}
	g.FailOnInconclusive = c.Bool("fail-on-inconclusive")
	return compare.Options{Gate: g}, nil
}

func compareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "compare two results files cell by cell and gate on regressions",
		ArgsUsage: "BASE.json HEAD.json | AB-RESULTS.json",
		Description: "Pairs the cells of two runs of the same scenario by their parameters and compares every\n" +
			"metric over the repeats: medians with intervals, the ratio head/base with a 95% interval,\n" +
			"the Mann–Whitney p-value (Holm-corrected across the gated comparisons) and a verdict:\n" +
			"worse or better (significant and beyond the tolerance), same (the ratio's interval lies\n" +
			"within ±tolerance) or inconclusive. Series with a USL fit also compare σ, κ, peak N* and\n" +
			"the efficiency at the largest N, bootstrapped over the repeats.\n\n" +
			"Exit codes: 0 the gate passed; 1 a gated comparison is worse; 2 unusable input (files of\n" +
			"different scenarios, unknown metric, schema too new, bad flags); 3 a gated comparison is\n" +
			"inconclusive and --fail-on-inconclusive is set. Under GitHub Actions (GITHUB_ACTIONS=true)\n" +
			"also prints ::error/::warning annotations and appends the Markdown table to\n" +
			"$GITHUB_STEP_SUMMARY.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output `FORMAT`: text, markdown, json or csv"},
		}, gateFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() == 1 {
				return compareOneFile(c, c.Args().First()) // an A/B run: head vs base in one file
			}
			if c.NArg() != 2 {
				return usagef("compare: need a base and a head results file, got %d arguments (see scalebench compare --help)", c.NArg())
			}
			format, err := compare.ParseFormat(c.String("format"))
			if err != nil {
				return err
			}
			opts, err := gateOptions(c)
			if err != nil {
				return err
			}
			base, err := readRunFile(c.Args().Get(0))
			if err != nil {
				return err
			}
			head, err := readRunFile(c.Args().Get(1))
			if err != nil {
				return err
			}
			res, err := compareRuns(c.Args().Get(0), base, c.Args().Get(1), head, nil, opts)
			if err != nil {
				return err
			}
			if err := compare.Write(c.App.Writer, res, format); err != nil {
				return fmt.Errorf("compare: write: %w", err)
			}
			return finishGate(c, res)
		},
	}
}

// readRunFile reads a results file, a run's directory or a report page
// for compare, export and run --baseline.
func readRunFile(path string) (*results.Run, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		dir := path
		path = filepath.Join(path, "results.json")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, usagef("%s is a directory without a results.json: give a results file, a report page or a run's directory", dir)
		}
	}
	run, err := readResults(path)
	if err != nil {
		return nil, usageError{err}
	}
	return run, nil
}

// compareRuns compares head against base. Runs of different scenarios are
// unusable input: their cells measure different things. headSamples, when
// not nil, are head's samples already derived.
func compareRuns(basePath string, base *results.Run, headPath string, head *results.Run, headSamples []compare.CellSamples, opts compare.Options) (*compare.Result, error) {
	if base.Scenario.Name != head.Scenario.Name {
		return nil, &compare.UnusableError{Err: fmt.Errorf("compare: %s is a run of scenario %q and %s of scenario %q: compare runs of the same scenario",
			basePath, base.Scenario.Name, headPath, head.Scenario.Name)}
	}
	if base.Scenario.Model != head.Scenario.Model {
		return nil, &compare.UnusableError{Err: fmt.Errorf("compare: %s used load model %s and %s model %s: their figures are not comparable",
			basePath, base.Scenario.Model, headPath, head.Scenario.Model)}
	}
	if headSamples == nil {
		headSamples = compare.Samples(head)
	}
	return compare.Compare(compare.PairCells(compare.Samples(base), headSamples), opts)
}

// finishGate writes the CI outputs of a comparison (JUnit, GitHub Actions)
// and returns the gate's failure, if any.
func finishGate(c *cli.Context, res *compare.Result) error {
	if path := c.String("junit"); path != "" {
		if err := writeJUnit(path, res); err != nil {
			return err
		}
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		if err := compare.WriteGitHubAnnotations(c.App.Writer, res); err != nil {
			return fmt.Errorf("write annotations: %w", err)
		}
		if _, err := compare.AppendGitHubStepSummary(res); err != nil {
			return err
		}
	}
	return gateOutcome(res)
}

// gateOutcome turns a comparison's outcome into the gate's error.
func gateOutcome(res *compare.Result) error {
	o := res.Outcome()
	switch o.Code {
	case compare.ExitWorse:
		return &gateError{ExitWorse, fmt.Sprintf("gate failed: %d of %d gated comparisons are worse", len(o.Worse), res.GatedComparisons)}
	case compare.ExitInconclusive:
		return &gateError{ExitInconclusive, fmt.Sprintf("gate failed: %d of %d gated comparisons are inconclusive (--fail-on-inconclusive)", len(o.Inconclusive), res.GatedComparisons)}
	}
	return nil
}

func writeJUnit(path string, res *compare.Result) error {
	var buf bytes.Buffer
	if err := compare.WriteJUnit(&buf, res); err != nil {
		return fmt.Errorf("write junit %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// checkThresholds evaluates thresholds ts on the run whose samples are
// given, writes the failed limits to w, and returns the thresholds' results
// and the gate's error: ExitWorse when a limit failed, ExitUsage when a
// threshold names a metric or selects a cell the run does not have.
func checkThresholds(w io.Writer, ts metric.Thresholds, samples []compare.CellSamples) ([]compare.ThresholdResult, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	res, err := compare.Evaluate(ts, compare.Summaries(samples))
	if err != nil {
		return res, fmt.Errorf("thresholds: %w", err)
	}
	if err := compare.WriteThresholds(w, res); err != nil {
		return res, err
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		if err := compare.WriteThresholdAnnotations(w, res); err != nil {
			return res, err
		}
	}
	if compare.ThresholdsOutcome(res) != compare.ExitOK {
		failed := 0
		for _, r := range res {
			if !r.Pass {
				failed++
			}
		}
		return res, &gateError{ExitWorse, fmt.Sprintf("thresholds failed: %d of %d limits", failed, len(res))}
	}
	return res, nil
}

// baselineGate is what run --baseline prepares before measuring, so that
// bad flags or an unusable baseline stop the run before it starts.
type baselineGate struct {
	path string
	base *results.Run
	opts compare.Options
	// failOn is the --fail-on spec as given, kept in the results.
	failOn string
}

// record is the comparison as results.json keeps it.
func (g *baselineGate) record() *results.Comparison {
	base := *g.base
	base.Comparison = nil // one level: the baseline's own baseline is not needed
	return &results.Comparison{
		BasePath: g.path, FailOn: g.failOn, GateOnly: len(g.opts.Gate.Only) > 0, FailOnInconclusive: g.opts.Gate.FailOnInconclusive, Base: &base,
	}
}

// storedBaseline is the gate of a run made with --baseline, rebuilt from
// its results so that report gives the comparison the run gave; nil when
// the run was not compared.
func storedBaseline(run *results.Run) (*baselineGate, error) {
	cmp := run.Comparison
	if cmp == nil || cmp.Base == nil {
		return nil, nil
	}
	var g compare.Gate
	if cmp.FailOn != "" {
		var err error
		if g, err = compare.ParseFailOn(cmp.FailOn); err != nil {
			return nil, err
		}
	}
	if cmp.GateOnly {
		for m := range g.Tolerances {
			g.Only = append(g.Only, m)
		}
	}
	g.FailOnInconclusive = cmp.FailOnInconclusive
	return &baselineGate{path: cmp.BasePath, base: cmp.Base, opts: compare.Options{Gate: g}, failOn: cmp.FailOn}, nil
}

// prepareBaseline reads --baseline and the gate flags of run; nil when
// --baseline is not set.
func prepareBaseline(c *cli.Context, scenarioName string) (*baselineGate, error) {
	path := c.String("baseline")
	if path == "" {
		for _, f := range []string{"fail-on", "fail-on-inconclusive", "junit"} {
			if c.IsSet(f) && len(c.StringSlice("build")) == 0 { // an A/B run gates its builds
				return nil, usagef("run: --%s needs --baseline BASE.json or --build base=PATH --build head=PATH", f)
			}
		}
		return nil, nil
	}
	opts, err := gateOptions(c)
	if err != nil {
		return nil, err
	}
	base, err := readRunFile(path)
	if err != nil {
		return nil, err
	}
	if base.Scenario.Name != scenarioName {
		return nil, &compare.UnusableError{Err: fmt.Errorf("run: --baseline %s is a run of scenario %q, not %q", path, base.Scenario.Name, scenarioName)}
	}
	return &baselineGate{path: path, base: base, opts: opts, failOn: c.String("fail-on")}, nil
}

// runGateFlags are run's flags for gating the run in the same step.
func runGateFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "baseline", Usage: "compare the run with the earlier run `BASE.json` and gate on regressions as scalebench compare does (exit 1 worse, 3 inconclusive with --fail-on-inconclusive)"},
	}, gateFlags()...)
}

// reportRun writes the report of a run and checks its gate: the
// scenario's thresholds and, when g is set (run --baseline), the
// comparison against the baseline run. A run that failed or was
// interrupted (runErr) is reported without a gate: its cells are
// incomplete. It prints the comparison's table
// and the failed limits to stdout, puts both in the report, and returns
// the gate's error (the comparison's before the thresholds') apart from
// the error writing the report. ab, when set, is an A/B run's comparison
// of its builds, shown in the report as a baseline comparison is.
func reportRun(c *cli.Context, g *baselineGate, ab *compare.Result, runErr error, out string, run *results.Run) (files report.Files, gateErr, err error) {
	force := c.Bool("force")
	if runErr != nil {
		files, err = report.WriteOptions(out, run, report.Options{Force: force, PNG: c.Bool("png")})
		return files, nil, err
	}
	stdout := c.App.Writer
	ts, terr := compare.Thresholds(run)
	if terr != nil {
		terr = usageError{terr}
	}
	var samples []compare.CellSamples
	if len(ts) > 0 || g != nil {
		samples = compare.Samples(run)
	}
	thresholds, err := checkThresholds(stdout, ts, samples)
	if terr == nil {
		terr = err
	}
	rep := &report.Gate{Thresholds: thresholds}
	if ab != nil && g == nil {
		// An A/B run: its builds compared in the run itself; the console
		// gets the comparison and the gate's verdict from finishAB.
		rep.Comparison, rep.BaseName = ab, "build base, measured interleaved with head in this run"
	}
	var cerr error
	if g != nil {
		res, err := compareRuns(g.path, g.base, filepath.Join(out, "results.json"), run, samples, g.opts)
		if err != nil {
			cerr = err
		} else {
			rep.Comparison, rep.BaseName = res, g.path
			fmt.Fprintf(stdout, "comparison with %s:\n", g.path)
			if err := compare.WriteText(stdout, res); err != nil {
				return files, nil, err
			}
			cerr = finishGate(c, res)
		}
	}
	files, err = report.WriteOptions(out, run, report.Options{Gate: rep, Force: force, PNG: c.Bool("png")})
	if cerr != nil {
		return files, cerr, err
	}
	return files, terr, err
}

package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
)

// abFlags are the flags of an A/B run. withABFlags adds those the command
// does not define already.
func abFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "build", Usage: "measure every cell with this build's worker processes too, as `NAME=PATH` (repeatable; PATH self is this executable); " +
			"builds base and head are compared and gated"},
		&cli.StringFlag{Name: "fail-on", Usage: "gate tolerances, e.g. `'throughput:-5%,p99:+10%'` (other point metrics gate at their defaults)"},
		&cli.BoolFlag{Name: "fail-on-inconclusive", Usage: "also fail (exit 3) when a gated comparison is inconclusive"},
		&cli.BoolFlag{Name: "gate-only", Usage: "gate only the metrics --fail-on names; the others are shown, not gated"},
		&cli.DurationFlag{Name: "until-resolved", Usage: "with --build: keep adding interleaved repeats to inconclusive pairs until every gated pair is resolved or the run has taken `MAXTIME`"},
		&cli.IntFlag{Name: "confirm", Value: -1, Usage: "with --build: measure a pair found worse again, `N` repeats (default: the scenario's repeats; 0: no confirmation), and fail only if that round alone says worse too"},
	}
}

// withABFlags adds the A/B flags cmd lacks.
func withABFlags(cmd *cli.Command) *cli.Command {
	have := map[string]bool{}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			have[n] = true
		}
	}
	for _, f := range abFlags() {
		if !have[f.Names()[0]] {
			cmd.Flags = append(cmd.Flags, f)
		}
	}
	return cmd
}

// buildSpec is a build as given: a name and a path.
type buildSpec struct{ name, path string }

// resolveBuilds turns the --build flags, or else the scenario's builds:,
// into the builds of an A/B run. A scenario's relative paths are relative
// to its file.
func resolveBuilds(c *cli.Context, sc *scenario.Scenario) ([]runner.BuildWorker, error) {
	var specs []buildSpec
	for _, v := range c.StringSlice("build") {
		name, path, ok := strings.Cut(v, "=")
		if !ok || path == "" {
			return nil, usagef("--build %q: want NAME=PATH, e.g. base=./scalebench-base or head=self", v)
		}
		specs = append(specs, buildSpec{name, path})
	}
	if len(specs) == 0 {
		for _, b := range sc.Builds {
			path := b.Path
			if path != runner.SelfBuild && !filepath.IsAbs(path) && sc.File != "" {
				path = filepath.Join(filepath.Dir(sc.File), path)
			}
			specs = append(specs, buildSpec{b.Name, path})
		}
	}
	// What can be told from the names alone is checked before any build
	// is asked to describe itself (up to 30 s each).
	names := map[string]bool{}
	var list []string
	for _, s := range specs {
		if names[s.name] {
			return nil, usagef("--build: build %q given twice", s.name)
		}
		names[s.name] = true
		list = append(list, s.name)
	}
	switch n := len(specs); {
	case n == 1:
		return nil, usagef("--build: one build given (%s); an A/B run needs two, e.g. --build base=PATH --build head=self", specs[0].name)
	case n > scenario.MaxBuilds:
		return nil, usagef("--build: %d builds given; an A/B run measures 2 to %d", n, scenario.MaxBuilds)
	case n > 2 && !(names["base"] && names["head"]):
		return nil, usagef("--build: %d builds (%s), but not one named base and one named head: the gate compares build base with build head; name two of them so, e.g. --build base=PATH --build head=self",
			n, strings.Join(list, ", "))
	}
	var builds []runner.BuildWorker
	for _, s := range specs {
		b, err := runner.ResolveBuild(c.Context, s.name, s.path, Version, commit())
		if err != nil {
			return nil, usageError{fmt.Errorf("--build: %w", err)}
		}
		builds = append(builds, b)
	}
	return builds, nil
}

// SplitBuilds splits an A/B run (one results file with a build dimension)
// into its base and head: the cells of build "base" and "head" (or, when
// not so named, of the first and the second of two builds), each without
// the build dimension, with the run order restricted to them.
func SplitBuilds(run *results.Run) (base, head *results.Run, err error) {
	names := map[string]bool{}
	var order []string
	for _, c := range run.Cells {
		if b := c.Params.Build; b != "" && !names[b] {
			names[b] = true
			order = append(order, b)
		}
	}
	var bn, hn string
	switch {
	case names["base"] && names["head"]:
		bn, hn = "base", "head"
	case len(order) == 2:
		bn, hn = order[0], order[1]
	case len(order) == 0:
		return nil, nil, &compare.UnusableError{Err: errors.New("the run has no build dimension: compare two result files, BASE.json HEAD.json, or run with --build base=PATH --build head=PATH")}
	default:
		return nil, nil, &compare.UnusableError{Err: fmt.Errorf("the run has builds %s: name them base and head to compare", strings.Join(order, ", "))}
	}
	return onlyBuild(run, bn), onlyBuild(run, hn), nil
}

// onlyBuild is run restricted to the cells of build name, without the
// build dimension; the environment names that build's version and commit.
func onlyBuild(run *results.Run, name string) *results.Run {
	out := *run
	out.Cells, out.Order, out.Builds = nil, nil, nil
	out.Scenario.Baseline = param.Build.Without(run.Scenario.Baseline)
	index := map[int]int{}
	for i, c := range run.Cells {
		if c.Params.Build != name {
			continue
		}
		index[i] = len(out.Cells)
		c.Params = param.Build.Without(c.Params)
		out.Cells = append(out.Cells, c)
	}
	for _, s := range run.Order {
		if j, ok := index[s.Cell]; ok {
			s.Cell = j
			out.Order = append(out.Order, s)
		}
	}
	for _, b := range run.Builds {
		if b.Name == name {
			out.Builds = []results.Build{b}
			out.Environment.ScalebenchVersion, out.Environment.Commit = b.Version, b.Commit
		}
	}
	return &out
}

// roundSamples is analysis.Samples of run counting only the repeats of
// round round (all repeats when round < 0) that did not fail; cells with
// no such repeat are left out.
func roundSamples(run *results.Run, round int) []compare.CellSamples {
	r := *run
	r.Cells = nil
	for _, c := range run.Cells {
		var reps []results.Repeat
		for _, x := range c.Repeats {
			if (round < 0 || x.Round == round) && x.Failure == "" {
				reps = append(reps, x)
			}
		}
		if len(reps) > 0 {
			c.Repeats = reps
			r.Cells = append(r.Cells, c)
		}
	}
	return analysis.Samples(&r)
}

// cellKey is a cell's comparison key: its params without the build.
func cellKey(p results.Params) compare.Key {
	p = param.Build.Without(p)
	k := compare.Key{Label: p.String()}
	for _, d := range param.Dimensions {
		if d.Optional && !d.Set(p) {
			continue
		}
		k.Params = append(k.Params, compare.Param{Key: d.Name, Value: d.Label(p)})
	}
	return k
}

// compareBuilds compares head with base over the repeats of round round
// (all when negative).
func compareBuilds(run *results.Run, round int, gate compare.Gate) (*compare.Result, error) {
	return compareRows(run, round, gate, nil)
}

// compareRows is compareBuilds restricted to the rows keep names (by
// rowID; all when nil), so they form the whole Holm family.
func compareRows(run *results.Run, round int, gate compare.Gate, keep map[string]bool) (*compare.Result, error) {
	base, head, err := SplitBuilds(run)
	if err != nil {
		return nil, err
	}
	in := compare.PairCells(roundSamples(base, round), roundSamples(head, round))
	if keep != nil {
		var pairs []compare.Pair
		for _, p := range in.Pairs {
			if keep[rowID(p.Key, p.Metric)] {
				pairs = append(pairs, p)
			}
		}
		in = compare.Input{Pairs: pairs}
	}
	return compare.Compare(in, compare.Options{Gate: gate})
}

// rowID identifies one metric of one pair.
func rowID(k compare.Key, m compare.Metric) string { return k.Label + "\x00" + string(m) }

// abGate decides, between the measurements of an A/B run, which pairs
// need more repeats: inconclusive ones while the time budget lasts
// (--until-resolved), then a confirmation round of those found worse
// (--confirm).
type abGate struct {
	gate    compare.Gate
	until   time.Duration // the run's time budget; 0: no extra repeats
	confirm int           // repeats of a confirmation round; 0: none
	started time.Time
	// step estimates one measurement, to stop before the budget ends.
	step time.Duration
	log  io.Writer

	confirming  bool
	confirmed   int   // confirmation repeats scheduled
	toConfirm   []int // cells (any build) of the pairs to confirm
	extraRounds int
}

// more is runner.Options.More for an A/B run.
func (g *abGate) more(run *results.Run) []results.Step {
	if !g.confirming && g.until > 0 {
		res, err := compareBuilds(run, results.RoundMain, g.gate)
		if err == nil {
			open := openCells(run, res)
			left := g.until - time.Since(g.started)
			need := time.Duration(len(open)*max(len(run.Builds), 1)) * g.step
			switch {
			case len(open) == 0:
				fmt.Fprintf(g.log, "until-resolved: every gated pair resolved after %d extra round(s), %s\n", g.extraRounds, time.Since(g.started).Round(time.Second))
			case need > left:
				fmt.Fprintf(g.log, "until-resolved: time budget %s ends with pairs still open: %s\n", g.until, openList(res))
			default:
				g.extraRounds++
				fmt.Fprintf(g.log, "until-resolved: round %d, still open: %s\n", g.extraRounds, openList(res))
				return runner.Interleave(run, open, results.RoundMain)
			}
		}
	}
	if !g.confirming {
		g.confirming = true
		if g.confirm > 0 {
			if res, err := compareBuilds(run, results.RoundMain, g.gate); err == nil {
				g.toConfirm = cellsWith(run, res, compare.Worse)
			}
			if len(g.toConfirm) > 0 {
				fmt.Fprintf(g.log, "confirm: %d pair(s) found worse; measuring them again, %d interleaved repeats\n", len(g.toConfirm), g.confirm)
			}
		}
	}
	if len(g.toConfirm) == 0 || g.confirmed >= g.confirm {
		return nil
	}
	g.confirmed++
	return runner.Interleave(run, g.toConfirm, results.RoundConfirm)
}

// openCells returns a cell of each pair with a gated row inconclusive.
func openCells(run *results.Run, res *compare.Result) []int {
	return cellsWith(run, res, compare.Inconclusive)
}

// cellsWith returns one cell (of either build) of each pair with a gated
// row of verdict v.
func cellsWith(run *results.Run, res *compare.Result, v compare.Verdict) []int {
	want := map[string]bool{}
	for _, r := range res.Rows {
		if r.Gated && r.Verdict == v {
			want[r.Key.Label] = true
		}
	}
	var cells []int
	seen := map[string]bool{}
	for i, c := range run.Cells {
		l := cellKey(c.Params).Label
		if want[l] && !seen[l] {
			seen[l] = true
			cells = append(cells, i)
		}
	}
	return cells
}

// openList names the open pairs and their inconclusive metrics.
func openList(res *compare.Result) string {
	var parts []string
	by := map[string][]string{}
	for _, r := range res.Rows {
		if r.Gated && r.Verdict == compare.Inconclusive {
			if by[r.Key.Label] == nil {
				parts = append(parts, r.Key.Label)
			}
			by[r.Key.Label] = append(by[r.Key.Label], string(r.Metric))
		}
	}
	for i, l := range parts {
		parts[i] = l + " (" + strings.Join(by[l], ", ") + ")"
	}
	return strings.Join(parts, "; ")
}

// abVerdict is the outcome of an A/B run: the comparison of the main
// round, with each worse row replaced by what its confirmation alone said,
// and the confirmation round's own comparison, if any.
type abVerdict struct {
	Final, Confirm *compare.Result
}

// judge compares an A/B run's builds: the main round, then for each row
// found worse, the confirmation round on its own decides.
func judge(run *results.Run, gate compare.Gate) (abVerdict, error) {
	main, err := compareBuilds(run, results.RoundMain, gate)
	if err != nil {
		return abVerdict{}, err
	}
	v := abVerdict{Final: main}
	hasConfirm := false
	for _, c := range run.Cells {
		for _, r := range c.Repeats {
			hasConfirm = hasConfirm || r.Round == results.RoundConfirm
		}
	}
	if !hasConfirm {
		return v, nil
	}
	// The confirmation tests only the rows found worse: they alone form
	// its Holm family.
	worse := map[string]bool{}
	for _, r := range main.Rows {
		if r.Gated && r.Verdict == compare.Worse {
			worse[rowID(r.Key, r.Metric)] = true
		}
	}
	if len(worse) == 0 {
		return v, nil
	}
	if v.Confirm, err = compareRows(run, results.RoundConfirm, gate, worse); err != nil {
		return v, err
	}
	conf := map[string]compare.Row{}
	for _, r := range v.Confirm.Rows {
		conf[rowID(r.Key, r.Metric)] = r
	}
	for i := range main.Rows {
		r := &main.Rows[i]
		if !r.Gated || r.Verdict != compare.Worse {
			continue
		}
		c, ok := conf[rowID(r.Key, r.Metric)]
		switch {
		case !ok:
			r.Warnings = append(r.Warnings, "worse, and not confirmed: the confirmation round did not measure it")
		case c.Verdict == compare.Worse:
			r.Warnings = append(r.Warnings, fmt.Sprintf("confirmed: the confirmation round alone also says worse (head/base %.3f, %d repeats per side)", c.Ratio, min(c.Base.N, c.Head.N)))
		default:
			r.Warnings = append(r.Warnings, fmt.Sprintf("worse in the first round (head/base %.3f), but the confirmation round alone says %s (head/base %.3f): not failing", r.Ratio, c.Verdict, c.Ratio))
			r.Verdict, r.HintKind, r.Hint = c.Verdict, c.HintKind, c.Hint
		}
	}
	return v, nil
}

// abOutcome prints an A/B run's comparison (and its confirmation round)
// and returns the gate's error (nil when it passes). stepSummary also
// appends the comparison to GitHub's job summary.
func abOutcome(w io.Writer, v abVerdict, format compare.Format, stepSummary bool) error {
	if err := compare.Write(w, v.Final, format); err != nil {
		return err
	}
	if v.Confirm != nil && format == compare.FormatText {
		fmt.Fprintln(w, "\nconfirmation round (pairs found worse, measured again):")
		if err := compare.Write(w, v.Confirm, format); err != nil {
			return err
		}
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		if err := compare.WriteGitHubAnnotations(w, v.Final); err != nil {
			return err
		}
		if stepSummary {
			if _, err := compare.AppendGitHubStepSummary(v.Final); err != nil {
				return err
			}
		}
	}
	return gateOutcome(v.Final)
}

// appendABSummary adds an A/B run's confirmation round, when it had one,
// to summary.md, after the comparison its gate section holds.
func appendABSummary(path string, v abVerdict) error {
	if v.Confirm == nil {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	fmt.Fprintln(f, "\n### Confirmation round: the pairs found worse, measured again")
	err = compare.WriteMarkdown(f, v.Confirm)
	return errors.Join(err, f.Close())
}

// abRun is an A/B run's setup: its builds and, when it has any, the gate
// that adds repeats between measurements.
type abRun struct {
	builds []runner.BuildWorker
	gate   *abGate
}

// abSetup reads the A/B flags; without --build it returns a zero abRun
// and rejects the flags that need builds.
func abSetup(c *cli.Context, sc *scenario.Scenario) (abRun, error) {
	repeats := sc.Load.Repeats
	step := sc.Estimate() / time.Duration(max(len(sc.Plan()), 1))
	builds, err := resolveBuilds(c, sc)
	if err != nil {
		return abRun{}, err
	}
	if len(builds) == 0 {
		for _, f := range []string{"until-resolved", "confirm"} {
			if c.IsSet(f) {
				return abRun{}, usagef("--%s needs an A/B run: --build base=PATH --build head=PATH, or builds: in the scenario", f)
			}
		}
		return abRun{}, nil
	}
	gate, err := gateOf(c)
	if err != nil {
		return abRun{}, err
	}
	confirm := c.Int("confirm")
	switch {
	case !c.IsSet("confirm"):
		confirm = repeats
	case confirm < 0 || confirm > 1000:
		return abRun{}, usagef("--confirm %d: want 0 (no confirmation) to 1000 repeats", confirm)
	}
	until := c.Duration("until-resolved")
	if until < 0 {
		return abRun{}, usagef("--until-resolved %s: want a positive time budget such as 10m", until)
	}
	return abRun{builds: builds, gate: &abGate{
		gate: gate, until: until, confirm: confirm, started: time.Now(), step: step, log: c.App.ErrWriter,
	}}, nil
}

// gateOf reads the gate flags (gateOptions) as the A/B gate.
func gateOf(c *cli.Context) (compare.Gate, error) {
	opts, err := gateOptions(c)
	if err != nil {
		return compare.Gate{}, usageError{err}
	}
	return opts.Gate, nil
}

// buildsText is " × 2 builds (base, head)" for an A/B run, "" otherwise.
func (a abRun) buildsText() string {
	if len(a.builds) == 0 {
		return ""
	}
	names := make([]string, len(a.builds))
	for i, b := range a.builds {
		names[i] = b.Name
	}
	return fmt.Sprintf(" × %d builds (%s)", len(a.builds), strings.Join(names, ", "))
}

// more is the runner's More for an A/B run, nil otherwise.
func (a abRun) more() func(*results.Run) []results.Step {
	if a.gate == nil {
		return nil
	}
	return a.gate.more
}

// finishAB prints a finished A/B run's comparison, adds its confirmation
// round to summary.md (whose gate section already holds the comparison) and
// returns the gate's error.
func finishAB(w io.Writer, v abVerdict, summary string) error {
	if err := appendABSummary(summary, v); err != nil {
		return err
	}
	// summary.md, which holds the comparison, is what CI puts in the job summary.
	return abOutcome(w, v, compare.FormatText, false)
}

// asUsage marks the compare package's unusable-input errors as usage
// errors (exit 2).
func asUsage(err error) error {
	var ue *compare.UnusableError
	if errors.As(err, &ue) {
		return usageError{err}
	}
	return err
}

// compareOneFile is `scalebench compare RESULTS.json` for one A/B run:
// head's cells against base's, with the same gate as run.
func compareOneFile(c *cli.Context, path string) error {
	run, err := results.Read(path)
	if err != nil {
		return usageError{fmt.Errorf("compare: %w", err)}
	}
	gate, err := gateOf(c)
	if err != nil {
		return err
	}
	format := compare.FormatText
	if s := c.String("format"); s != "" {
		if format, err = compare.ParseFormat(s); err != nil {
			return usageError{err}
		}
	}
	v, err := judge(run, gate)
	if err != nil {
		return asUsage(fmt.Errorf("compare %s: %w", path, err))
	}
	return abOutcome(c.App.Writer, v, format, true)
}

// commit is Commit, or when the build did not set it, the revision the Go
// toolchain stamped into the binary (with "-dirty" for uncommitted changes).
func commit() string {
	if Commit != "" {
		return Commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

package app

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/compare"
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
		&cli.DurationFlag{Name: "until-resolved", Usage: "with --build: after the planned rounds, judge after every round and add rounds to the pairs still open until every gated pair is resolved, one is worse, or the run has taken `MAXTIME`"},
		&cli.IntFlag{Name: "confirm", Usage: "with --build: measure a pair found worse `N` more rounds and judge it on all of its rounds (default 0: the verdicts hold at whatever round the gate stops)"},
		&cli.DurationFlag{Name: "slices", Usage: "with --build: measure both builds in one window, in turn, in slices of about `DURATION` (20ms to 500ms), each pair of slices a round; " +
			"throughput and CPU per job only, no latency; closed loop on Linux, not with --nats (docs/gate.md)"},
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
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	if err := scenario.CheckBuilds(names); err != nil {
		return nil, usagef("--build: %w", err)
	}
	var builds []runner.BuildWorker
	for _, s := range specs {
		b, err := runner.ResolveBuild(c.Context, s.name, s.path, Version, commit())
		if err != nil {
			return nil, usageError{fmt.Errorf("--build: %w", err)}
		}
		if err := b.CheckWorkload(sc.Workload.Name); err != nil {
			return nil, usageError{fmt.Errorf("--build %s: %w", s.name, err)}
		}
		builds = append(builds, b)
	}
	return builds, nil
}

// abGate asks the sequential gate, after each round of an A/B run, which
// pairs to measure again, and turns its answer into the runner's steps.
type abGate struct {
	seq   compare.Sequential
	order *rand.Rand
	log   io.Writer
	// stop is why the gate asked for no more rounds; err why it could not
	// decide.
	stop compare.Stop
	err  error
}

// more is runner.Options.More for an A/B run.
func (g *abGate) more(run *results.Run) []results.Step {
	rounds := compare.PointRounds
	if g.seq.Options.Gate.GatesCurves() {
		rounds = compare.BuildRounds
	}
	in, err := rounds(run)
	if err != nil {
		g.err = err
		return nil
	}
	dec, err := g.seq.Next(in)
	if err != nil {
		g.err = err
		return nil
	}
	if dec.Log != "" {
		fmt.Fprintf(g.log, "gate: %s\n", dec.Log)
	}
	if dec.Stop != compare.StopNone {
		g.stop = dec.Stop
		return nil
	}
	labels := make([]string, len(dec.Next))
	for i, k := range dec.Next {
		labels[i] = k.Label
	}
	cells := compare.BuildCells(run, labels)
	if len(cells) == 0 {
		g.err = fmt.Errorf("gate: asked for pairs the run does not have: %s", strings.Join(labels, "; "))
		return nil
	}
	round := results.RoundMain
	if dec.Confirming {
		round = results.RoundConfirm
	}
	return runner.Interleave(run, cells, round, g.order)
}

// judgeAB compares an A/B run's builds round by round with gate.
func judgeAB(run *results.Run, gate compare.Gate) (*compare.Result, error) {
	return compare.CompareBuilds(run, gate)
}

// abOutcome prints an A/B run's comparison and returns the gate's error
// (nil when it passes). stepSummary also appends the comparison to
// GitHub's job summary.
func abOutcome(w io.Writer, res *compare.Result, format compare.Format, stepSummary bool) error {
	if err := compare.Write(w, res, format); err != nil {
		return err
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		if err := compare.WriteGitHubAnnotations(w, res); err != nil {
			return err
		}
		if stepSummary {
			if _, err := compare.AppendGitHubStepSummary(res); err != nil {
				return err
			}
		}
	}
	return gateOutcome(res)
}

// abRun is an A/B run's setup: its builds and, when it has any, the gate
// that adds rounds between measurements.
type abRun struct {
	builds []runner.BuildWorker
	gate   *abGate
	// settings are the gate's flags, kept in results.json.
	settings *results.Gate
	order    *rand.Rand
	// slicing, with --slices, makes the run sliced.
	slicing *runner.Slicing
}

// abSetup reads the A/B flags; without --build it returns a zero abRun
// and rejects the flags that need builds.
func abSetup(c *cli.Context, sc *scenario.Scenario) (abRun, error) {
	builds, err := resolveBuilds(c, sc)
	if err != nil {
		return abRun{}, err
	}
	if len(builds) == 0 {
		for _, f := range []string{"until-resolved", "confirm", "slices"} {
			if c.IsSet(f) {
				return abRun{}, usagef("--%s needs an A/B run: --build base=PATH --build head=PATH, or builds: in the scenario", f)
			}
		}
		return abRun{}, nil
	}
	settings := &results.Gate{
		Method:             compare.MethodPaired,
		FailOn:             c.String("fail-on"),
		FailOnInconclusive: c.Bool("fail-on-inconclusive"),
		GateOnly:           c.Bool("gate-only"),
		Confirm:            c.Int("confirm"),
		UntilResolved:      c.Duration("until-resolved").Seconds(),
	}
	if settings.Confirm < 0 || settings.Confirm > 1000 {
		return abRun{}, usagef("--confirm %d: want 0 (no confirmation) to 1000 rounds", settings.Confirm)
	}
	if settings.UntilResolved < 0 {
		return abRun{}, usagef("--until-resolved %s: want a positive time budget such as 2m", c.Duration("until-resolved"))
	}
	gate, err := gateOf(c)
	if err != nil {
		return abRun{}, err
	}
	slicing, err := slicesOf(c, sc, builds)
	if err != nil {
		return abRun{}, err
	}
	order := runner.NewOrder()
	a := abRun{builds: builds, settings: settings, order: order, slicing: slicing, gate: &abGate{
		seq: compare.Sequential{
			Options: compare.Options{Gate: gate},
			Budget:  c.Duration("until-resolved"),
			Confirm: settings.Confirm,
		},
		order: order,
		log:   c.App.ErrWriter,
	}}
	if slicing != nil {
		settings.Slices = slicing.Length.Seconds()
		a.gate.seq.StepRounds = slicing.PairsPerSession()
	}
	return a, nil
}

// slicesOf reads --slices for an A/B run of builds, checked against sc
// and the platform; nil without it.
func slicesOf(c *cli.Context, sc *scenario.Scenario, builds []runner.BuildWorker) (*runner.Slicing, error) {
	if !c.IsSet("slices") {
		return nil, nil
	}
	s := runner.Slicing{Length: c.Duration("slices")}
	if err := runner.CheckSlicing(sc, s, builds); err != nil {
		return nil, usageError{err}
	}
	if c.String("nats") != "" || sc.Cluster.NATSURL != "" {
		return nil, usagef("--slices stops and resumes the builds' worker processes on this machine; with --nats the replicas run on agents: run without --slices")
	}
	return &s, nil
}

// storedGate is the gate an A/B run was made with.
func storedGate(run *results.Run) (compare.Gate, error) { return compare.BuildGate(run) }

// storedAB is the comparison of an A/B run's builds with the gate it was
// run with; nil for a run without builds, or one interrupted before its
// gate could judge it.
func storedAB(run *results.Run) (*compare.Result, error) {
	if len(run.Builds) < 2 || run.Interrupted {
		return nil, nil
	}
	gate, err := storedGate(run)
	if err != nil {
		return nil, err
	}
	return judgeAB(run, gate)
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
// head's cells against base's, round by round, with the gate the run was
// made with unless gate flags are given.
func compareOneFile(c *cli.Context, path string) error {
	run, err := results.Read(path)
	if err != nil {
		return usageError{fmt.Errorf("compare: %w", err)}
	}
	gate, err := storedGate(run)
	if err != nil {
		return usageError{fmt.Errorf("compare %s: %w", path, err)}
	}
	if c.IsSet("fail-on") || c.IsSet("gate-only") || c.IsSet("fail-on-inconclusive") {
		if gate, err = gateOf(c); err != nil {
			return err
		}
	}
	format := compare.FormatText
	if s := c.String("format"); s != "" {
		if format, err = compare.ParseFormat(s); err != nil {
			return usageError{err}
		}
	}
	res, err := judgeAB(run, gate)
	if err != nil {
		return asUsage(fmt.Errorf("compare %s: %w", path, err))
	}
	return abOutcome(c.App.Writer, res, format, true)
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

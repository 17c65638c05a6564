package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/atomicfile"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
)

// calibrationPower is how often a slowdown must be found to count as
// detectable.
const calibrationPower = 0.8

func calibrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "calibrate",
		Usage:     "measure what the A/B gate sees on this machine: false alarms, detections, time to a verdict",
		ArgsUsage: "SCENARIO.yaml",
		Description: "Runs the scenario as an A/B run of this build against itself (A/A) and against itself made\n" +
			"--effect slower (more CPU work per job, a slowdown only calibrate can ask for), --runs times\n" +
			"each, alternating, with the gate flags given; then prints the false-alarm rate, the detection\n" +
			"rate, the median time to a verdict, and the smallest slowdown the gate finds in 80% of runs\n" +
			"within its time budget. Each run's results.json is kept under DIR.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "effect", Value: "10%", Usage: "the head's synthetic slowdown in the A/B runs: `PCT` more CPU work per job, 1% to 100%"},
			&cli.IntFlag{Name: "runs", Value: 20, Usage: "A/A and A/B runs, `N` of each (1 to 1000)"},
			&cli.IntFlag{Name: "busy", Usage: "keep `N` CPUs busy with another process during every run, as a shared CI runner would be"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` (default: results/calibrate-<scenario name>-<timestamp>)"},
			&cli.BoolFlag{Name: "force", Usage: "write into an output DIR that already holds a calibration"},
		}, calibrateGateFlags()...),
		Action: func(c *cli.Context) error {
			path, err := oneArg(c, "scenario file")
			if err != nil {
				return err
			}
			return calibrate(c, path)
		},
	}
}

// calibrateGateFlags are the gate flags of an A/B run that calibrate takes.
func calibrateGateFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range abFlags() {
		if f.Names()[0] != "build" {
			out = append(out, f)
		}
	}
	return out
}

// parseEffect reads --effect: "10%" is 0.1.
func parseEffect(s string) (float64, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || !(v >= 1 && v <= 100*worker.MaxExtraWork) {
		return 0, usagef("--effect %q: want a slowdown such as 10%%, from 1%% to %.0f%%", s, 100*worker.MaxExtraWork)
	}
	return v / 100, nil
}

func calibrate(c *cli.Context, path string) error {
	sc, src, err := loadScenario(path)
	if err != nil {
		return err
	}
	effect, err := parseEffect(c.String("effect"))
	if err != nil {
		return err
	}
	runs := c.Int("runs")
	if runs < 1 || runs > 1000 {
		return usagef("--runs %d: want 1 to 1000", runs)
	}
	busy := c.Int("busy")
	if busy < 0 || busy > runtime.NumCPU() {
		return usagef("--busy %d: want 0 to the %d CPUs of this machine", busy, runtime.NumCPU())
	}
	gate, err := gateOf(c)
	if err != nil {
		return err
	}
	confirm, budget := c.Int("confirm"), c.Duration("until-resolved")
	if confirm < 0 || confirm > 1000 {
		return usagef("--confirm %d: want 0 to 1000 rounds", confirm)
	}
	if budget < 0 {
		return usagef("--until-resolved %s: want a positive time budget such as 2m", budget)
	}
	if len(sc.Builds) > 0 {
		fmt.Fprintf(c.App.ErrWriter, "scalebench: calibrate: the scenario's builds are not used: calibrate compares this build with itself\n")
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join("results", "calibrate-"+sc.Name+"-"+time.Now().Format("20060102-150405"))
	}
	dir, err := outdir.Prepare(out, c.Bool("force"))
	if err != nil {
		return usageError{err}
	}
	defer dir.Close()
	base, err := runner.ResolveBuild(c.Context, "base", runner.SelfBuild, Version, commit())
	if err != nil {
		return err
	}
	head := base
	head.Name = "head"
	slower := head
	slower.ExtraWork = effect
	slicing, err := slicesOf(c, sc, []runner.BuildWorker{base, head})
	if err != nil {
		return err
	}
	settings := results.Gate{
		Method: compare.MethodPaired, FailOn: c.String("fail-on"), GateOnly: c.Bool("gate-only"), FailOnInconclusive: c.Bool("fail-on-inconclusive"),
		UntilResolved: budget.Seconds(), Confirm: confirm,
	}
	if slicing != nil {
		settings.Slices = slicing.Length.Seconds()
	}
	cal := &compare.Calibration{
		Scenario: path, CPUs: runtime.NumCPU(), Busy: busy, Gate: gateText(settings), Budget: budget, Effect: effect,
		Power: calibrationPower, Smallest: math.NaN(),
	}
	stderr := c.App.ErrWriter
	fmt.Fprintf(stderr, "scalebench %s: calibrate %s: %d A/A and %d A/B runs (head %s slower), gate %s, budget %s\n",
		Version, sc.Name, runs, runs, format.Percent(effect), cal.Gate, budgetText(budget))
	if busy > 0 {
		stop, err := worker.StartSpinners(busy, worker.MaxSpin)
		if err != nil {
			return err
		}
		defer stop()
	}
	var aaInputs []compare.PairedInput
	var abResults []*compare.Result
	var aaTook time.Duration
	aaPairRounds := 0
	for i := range runs {
		kinds := []string{"aa", "ab"}
		if i%2 == 1 {
			kinds = []string{"ab", "aa"}
		}
		for _, kind := range kinds {
			builds := []runner.BuildWorker{base, head}
			if kind == "ab" {
				builds[1] = slower
			}
			r, err := calibrationRun(c, sc, src, builds, slicing, gate, budget, confirm, settings, filepath.Join(out, fmt.Sprintf("%s-%02d", kind, i+1)))
			if err != nil {
				if errors.Is(err, runner.ErrInterrupted) {
					fmt.Fprintf(stderr, "scalebench: calibrate: interrupted; the table counts the %d runs that finished\n", len(cal.AA)+len(cal.AB))
					return errors.Join(finishCalibration(c.App.Writer, out, cal, gate, slicing, aaInputs, abResults, sc, aaTook, aaPairRounds), err)
				}
				return err
			}
			label := "A/A"
			if kind == "ab" {
				label = "A/B"
				cal.AB = append(cal.AB, r.run)
				abResults = append(abResults, r.res)
			} else {
				cal.AA = append(cal.AA, r.run)
				aaInputs = append(aaInputs, r.in)
				aaTook += r.run.Took
				aaPairRounds += r.pairRounds
			}
			fmt.Fprintf(stderr, "%s %2d/%d: %s, %s after %d rounds, %s\n", label, i+1, runs, outcomeWord(r.run.Code), r.run.Stop, r.run.Rounds, r.run.Took.Round(time.Second))
		}
	}
	return finishCalibration(c.App.Writer, out, cal, gate, slicing, aaInputs, abResults, sc, aaTook, aaPairRounds)
}

// calibrationOutcome is one finished calibration run.
type calibrationOutcome struct {
	run        compare.CalibrationRun
	res        *compare.Result
	in         compare.PairedInput
	pairRounds int
}

// calibrationRun makes one A/B run of builds with the sequential gate and
// keeps its results.json in dir.
func calibrationRun(c *cli.Context, sc *scenario.Scenario, src string, builds []runner.BuildWorker, slicing *runner.Slicing, gate compare.Gate, budget time.Duration, confirm int, settings results.Gate, dir string) (calibrationOutcome, error) {
	order := runner.NewOrder()
	g := &abGate{
		seq:   compare.Sequential{Options: compare.Options{Gate: gate}, Budget: budget, Confirm: confirm},
		order: order,
		log:   io.Discard,
	}
	if slicing != nil {
		g.seq.StepRounds = slicing.PairsPerSession()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return calibrationOutcome{}, fmt.Errorf("calibrate: %w", err)
	}
	start := time.Now()
	g.seq.Start()
	run, err := runner.Run(c.Context, sc, runner.Options{
		Version: Version, Commit: Commit, Source: src, LogDir: dir,
		Builds: builds, Order: order, More: g.more, Slices: slicing,
	})
	took := time.Since(start)
	if err != nil {
		return calibrationOutcome{}, err
	}
	if g.err != nil {
		return calibrationOutcome{}, asUsage(g.err)
	}
	s := settings
	s.Stop = string(g.stop)
	run.Gate = &s
	if err := results.Write(filepath.Join(dir, outdir.ResultsFile), run); err != nil {
		return calibrationOutcome{}, err
	}
	in, err := compare.BuildRounds(run)
	if err != nil {
		return calibrationOutcome{}, asUsage(err)
	}
	res, err := compare.ComparePaired(in, compare.Options{Gate: gate})
	if err != nil {
		return calibrationOutcome{}, asUsage(err)
	}
	out := calibrationOutcome{res: res, in: in, run: compare.CalibrationRun{Code: res.Outcome().Code, Took: took, Stop: g.stop}}
	pairs := map[string]int{}
	for _, r := range in.Rounds {
		pairs[r.Key.Label] = max(pairs[r.Key.Label], len(r.Base))
	}
	for _, n := range pairs {
		out.run.Rounds = max(out.run.Rounds, n)
		out.pairRounds += n
	}
	return out, nil
}

// finishCalibration estimates the smallest detectable slowdown, prints
// the table and keeps it as DIR/calibration.json and calibration.md.
func finishCalibration(w io.Writer, out string, cal *compare.Calibration, gate compare.Gate, slicing *runner.Slicing, aa []compare.PairedInput, ab []*compare.Result, sc *scenario.Scenario, aaTook time.Duration, pairRounds int) error {
	if len(aa) > 0 && len(ab) > 0 && pairRounds > 0 {
		seq := compare.Sequential{Options: compare.Options{Gate: gate}, Budget: cal.Budget}
		planned := sc.Load.Repeats
		if slicing != nil {
			// A round is a pair of slices; a step, a session of them.
			seq.StepRounds = slicing.PairsPerSession()
			planned *= seq.StepRounds
		}
		cost := aaTook / time.Duration(pairRounds)
		cal.Smallest, cal.Simulated = compare.SmallestEffect(aa, compare.ResponseOf(ab, cal.Effect), seq, planned, cost, cal.Power, 1)
	}
	if err := cal.WriteText(w); err != nil {
		return err
	}
	data, err := json.MarshalIndent(cal, "", "  ")
	if err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(out, "calibration.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	var md strings.Builder
	if err := cal.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(out, "calibration.md"), []byte(md.String()), 0o644); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	fmt.Fprintf(w, "calibration: %s\n", filepath.Join(out, "calibration.md"))
	return nil
}

// gateText writes the gate settings for the calibration's header:
// "throughput:-5%,cpu_per_job:+5% (gate only)", or "default".
func gateText(s results.Gate) string {
	t := s.FailOn
	if t == "" {
		t = "default"
	}
	if s.GateOnly {
		t += " (gate only)"
	}
	if s.Slices > 0 {
		t += fmt.Sprintf(", in slices of %s", time.Duration(s.Slices*float64(time.Second)))
	}
	return t
}

func budgetText(d time.Duration) string {
	if d <= 0 {
		return "none (the planned rounds)"
	}
	return d.String()
}

// outcomeWord is how a calibration run's gate ended.
func outcomeWord(code compare.ExitCode) string {
	switch code {
	case compare.ExitWorse:
		return "FAIL"
	case compare.ExitInconclusive:
		return "inconclusive"
	}
	return "pass"
}

package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/history"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/report"
)

func runCommand() *cli.Command {
	return withABFlags(&cli.Command{
		Name:      "run",
		Usage:     "run a scenario and write results.json and report.html",
		ArgsUsage: "SCENARIO.yaml",
		Description: "Runs every cell of the scenario's matrix (warm-up, then the measured window, repeated\n" +
			"in interleaved order) in worker processes at the cell's GOMAXPROCS, then writes\n" +
			"DIR/results.json and DIR/report.html. Ctrl-C stops the run and keeps what was measured.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` (default: results/<scenario name>-<timestamp>)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the report's path"},
			&cli.BoolFlag{Name: "force", Usage: "write into an output DIR that already holds results.json, replacing them"},
			slidesFlag,
			pngFlag,
			&cli.BoolFlag{Name: "pin", Usage: "fix CPU placement: the harness on the last CPU, workers on the others when they fit (needs taskset)"},
			liveFlag,
			&cli.StringFlag{Name: "history", Usage: "add the finished run to the history `DB` (a SQLite file or a postgres:// URL; branch, commit and testbed label from git or SCALEBENCH_BRANCH, SCALEBENCH_COMMIT, SCALEBENCH_TESTBED)"},
		}, append(slices.Clone(clusterFlags), runGateFlags()...)...),
		Action: func(c *cli.Context) error {
			path, err := oneArg(c, "scenario file")
			if err != nil {
				return err
			}
			return runScenario(c, path)
		},
	})
}

func runScenario(c *cli.Context, path string) error {
	addr, err := liveAddr(c)
	if err != nil {
		return err
	}
	sc, src, err := loadScenario(path)
	if err != nil {
		return err
	}
	gate, err := prepareBaseline(c, sc.Name)
	if err != nil {
		return err
	}
	if err := c.Context.Err(); err != nil {
		return fmt.Errorf("run: interrupted before the first measurement: %w", err)
	}
	cl, retries, err := clusterOptions(c, sc)
	if err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join("results", sc.Name+"-"+time.Now().Format("20060102-150405"))
	}
	resultsPath := filepath.Join(out, "results.json")
	dir, err := outdir.Prepare(out, c.Bool("force"))
	if err != nil {
		return usageError{err}
	}
	defer dir.Close()
	journalPath := filepath.Join(out, results.JournalName)
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	ab, err := abSetup(c, sc)
	if err != nil {
		return err
	}
	perCell := max(len(ab.builds), 1) // an A/B run measures each cell with each build
	steps, estimate := len(sc.Plan())*perCell, sc.Estimate()*time.Duration(perCell)
	repeats := fmt.Sprintf("%d repeats", sc.Load.Repeats)
	if ab.slicing != nil {
		estimate = ab.slicing.Estimate(sc, perCell)
		repeats = fmt.Sprintf("%d sessions of %d pairs of %s slices", sc.Load.Repeats, ab.slicing.PairsPerSession(), ab.slicing.Length)
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(stderr, "scalebench %s: %s: %d cells × %s%s = %d measurements, about %s\n",
			Version, sc.Name, len(sc.Cells()), repeats, ab.buildsText(), steps, estimate.Round(time.Second))
	}
	lv, err := startLive(addr, stderr)
	if err != nil {
		return err
	}
	defer lv.close()
	warn := func(err error) { fmt.Fprintf(stderr, "scalebench: warning: %v\n", err) }
	var watch runner.Watcher
	if lv != nil {
		watch = lv.view
		warn = func(err error) {
			fmt.Fprintf(stderr, "scalebench: warning: %v\n", err)
			lv.view.Warn(err)
		}
	}
	prog := newProgress(stderr, steps, estimate, c.Bool("quiet"))
	run, runErr := runner.Run(c.Context, sc, runner.Options{
		Version:  Version,
		Commit:   Commit,
		Source:   src,
		Progress: prog.step,
		Journal:  journalPath,
		Pin:      c.Bool("pin"),
		Cluster:  cl,
		Retries:  retries,
		LogDir:   out,
		Warn:     warn,
		Builds:   ab.builds,
		Order:    ab.order,
		More:     ab.more(),
		Slices:   ab.slicing,
		Watch:    watch,
	})
	prog.finish()
	lv.ended()
	if run == nil {
		return runErr
	}
	if gate != nil && runErr == nil {
		run.Comparison = gate.record()
	}
	if ab.gate != nil {
		ab.settings.Stop = string(ab.gate.stop)
		run.Gate = ab.settings
	}
	if err := results.Write(resultsPath, run); err != nil {
		return errors.Join(runErr, unsaved(err, journalPath, out, run))
	}
	// results.json now holds everything the journal did.
	if err := os.Remove(journalPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errors.Join(runErr, err)
	}
	if ab.gate != nil && ab.gate.err != nil && runErr == nil {
		return asUsage(ab.gate.err)
	}
	var abv *compare.Result
	if ab.gate != nil && runErr == nil {
		if abv, err = judgeAB(run, ab.gate.seq.Options.Gate); err != nil {
			return asUsage(err)
		}
	}
	files, gateErr, err := reportRun(c, gate, abv, runErr, out, run)
	if errors.Is(err, outdir.ErrNotOurs) {
		return errors.Join(runErr, fmt.Errorf("write report: %w; the run is in %s: `scalebench report %s --force` writes its report", err, resultsPath, out))
	}
	if err != nil {
		return errors.Join(runErr, fmt.Errorf("write report: %w", err))
	}
	lv.finish(files.HTML)
	if !c.Bool("quiet") {
		if err := report.Summary(stdout, run); err != nil {
			return errors.Join(runErr, err)
		}
		fmt.Fprintf(stdout, "results: %s\n", resultsPath)
		fmt.Fprintf(stdout, "summary: %s\n", files.Markdown)
	}
	fmt.Fprintf(stdout, "report:  %s\n", files.HTML)
	if err := writeSlides(c, out, run); err != nil {
		return errors.Join(runErr, err)
	}
	if abv != nil {
		// summary.md, which holds the comparison, is what CI puts in the
		// job summary.
		if err := abOutcome(stdout, abv, compare.FormatText, false); err != nil {
			return err
		}
	}
	if runErr != nil && errors.Is(runErr, runner.ErrInterrupted) {
		fmt.Fprintf(stderr, "scalebench: interrupted: the results and report hold the %d measurements that finished\n", measured(run))
	}
	if runErr == nil {
		runErr = errors.Join(failedChecks(run), runHistory(c, run, resultsPath))
	}
	return errors.Join(runErr, gateErr)
}

// unsaved is the error of a run whose results.json could not be written
// (err): it says which of the run's measurements exist only in the
// journal, kept for `scalebench report DIR`, and which are lost.
func unsaved(err error, journalPath, out string, run *results.Run) error {
	total := measured(run)
	jrun, _, jerr := results.ReadJournal(journalPath)
	if jerr != nil {
		return fmt.Errorf("%w; the journal %s cannot be read either (%v): the run's %d measurements are lost", err, journalPath, jerr, total)
	}
	kept := map[int]bool{}
	for _, c := range jrun.Cells {
		for _, r := range c.Repeats {
			kept[r.Seq] = true
		}
	}
	var lost []string
	for _, c := range run.Cells {
		for _, r := range c.Repeats {
			if !kept[r.Seq] {
				lost = append(lost, fmt.Sprintf("%s repeat %d", c.Params, r.Index+1))
			}
		}
	}
	msg := fmt.Sprintf("%d of the run's %d measurements exist only in %s: keep it, and once %s can be written (free some space), `scalebench report %s` reports them",
		total-len(lost), total, journalPath, filepath.Join(out, outdir.ResultsFile), out)
	if n := len(lost); n > 0 {
		more := ""
		if n > 5 {
			lost, more = lost[:5], fmt.Sprintf(" and %d more", n-5)
		}
		msg += fmt.Sprintf("; %d could not be written there either and are lost: %s%s", n, strings.Join(lost, ", "), more)
	}
	return fmt.Errorf("%w; %s", err, msg)
}

// loadScenario reads and validates a scenario file, returning its text too.
func loadScenario(path string) (*scenario.Scenario, string, error) {
	data, err := scenario.ReadFile(path)
	if errors.Is(err, scenario.ErrInvalid) {
		return nil, "", err
	}
	if err != nil {
		return nil, "", usageError{fmt.Errorf("read scenario: %w", err)}
	}
	sc, err := scenario.Parse(path, data)
	if err != nil {
		return nil, "", err
	}
	return sc, string(data), nil
}

func measured(run *results.Run) int {
	n := 0
	for _, c := range run.Cells {
		n += len(c.Repeats)
	}
	return n
}

func ms(sec float64) string {
	switch {
	case sec >= 1:
		return fmt.Sprintf("%.2fs", sec)
	case sec >= 0.01:
		return fmt.Sprintf("%.0fms", sec*1000)
	default:
		return fmt.Sprintf("%.2fms", sec*1000)
	}
}

// runHistory adds a finished run to the history run --history names.
func runHistory(c *cli.Context, run *results.Run, path string) error {
	db := c.String("history")
	if db == "" {
		return nil
	}
	s, err := history.Open(c.Context, db, true, Version)
	if err != nil {
		return fmt.Errorf("run --history: %w", err)
	}
	defer s.Close()
	if err := addToHistory(c.Context, c.App.Writer, s, run, path, os.Getenv("SCALEBENCH_BRANCH"), os.Getenv("SCALEBENCH_COMMIT"), os.Getenv("SCALEBENCH_TESTBED")); err != nil {
		return fmt.Errorf("run --history: %w", err)
	}
	return nil
}

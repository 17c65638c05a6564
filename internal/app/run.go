package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/report"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a scenario and write results.json and report.html",
		ArgsUsage: "SCENARIO.yaml",
		Description: "Runs every cell of the scenario's matrix (warm-up, then the measured window, repeated\n" +
			"in interleaved order) in worker processes at the cell's GOMAXPROCS, then writes\n" +
			"DIR/results.json and DIR/report.html. Ctrl-C stops the run and keeps what was measured.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` (default: results/<scenario name>-<timestamp>)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the report's path"},
			&cli.BoolFlag{Name: "force", Usage: "write into an output DIR that already holds results.json, replacing them"},
			slidesFlag,
			&cli.BoolFlag{Name: "pin", Usage: "fix CPU placement: the harness on the last CPU, workers on the others when they fit (needs taskset)"},
		},
		Action: func(c *cli.Context) error {
			path, err := oneArg(c, "scenario file")
			if err != nil {
				return err
			}
			return runScenario(c, path)
		},
	}
}

func runScenario(c *cli.Context, path string) error {
	sc, src, err := loadScenario(path)
	if err != nil {
		return err
	}
	if err := c.Context.Err(); err != nil {
		return fmt.Errorf("run: interrupted before the first measurement: %w", err)
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
	if !c.Bool("quiet") {
		steps := len(sc.Plan())
		fmt.Fprintf(stderr, "scalebench %s: %s: %d cells × %d repeats = %d measurements, about %s\n",
			Version, sc.Name, len(sc.Cells()), sc.Load.Repeats, steps, sc.Estimate().Round(time.Second))
	}
	prog := newProgress(stderr, len(sc.Plan()), c.Bool("quiet"))
	run, runErr := runner.Run(c.Context, sc, runner.Options{
		Version:  Version,
		Commit:   Commit,
		Source:   src,
		Progress: prog.step,
		Journal:  journalPath,
		Pin:      c.Bool("pin"),
		LogDir:   out,
		Warn:     func(err error) { fmt.Fprintf(stderr, "scalebench: warning: %v\n", err) },
	})
	prog.finish()
	if run == nil {
		return runErr
	}
	if err := results.Write(resultsPath, run); err != nil {
		return errors.Join(runErr, err)
	}
	// results.json now holds everything the journal did.
	if err := os.Remove(journalPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errors.Join(runErr, err)
	}
	files, err := report.Write(out, run)
	if err != nil {
		return errors.Join(runErr, fmt.Errorf("write report: %w", err))
	}
	if !c.Bool("quiet") {
		fmt.Fprintf(stdout, "results: %s\n", resultsPath)
		fmt.Fprintf(stdout, "summary: %s\n", files.Markdown)
	}
	fmt.Fprintf(stdout, "report:  %s\n", files.HTML)
	if err := writeSlides(c, out, run); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr != nil && errors.Is(runErr, runner.ErrInterrupted) {
		fmt.Fprintf(stderr, "scalebench: interrupted: the results and report hold the %d measurements that finished\n", measured(run))
	}
	if runErr == nil {
		runErr = failedChecks(run)
	}
	return runErr
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

// progress shows the run's progress: a bar on a terminal, otherwise one
// plain line per finished measurement.
type progress struct {
	w     io.Writer
	quiet bool
	bar   *progressbar.ProgressBar
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(w io.Writer, steps int, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if quiet || !isTerminal(w) {
		return p
	}
	p.bar = progressbar.NewOptions(steps,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("measurement 1/%d", steps)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionThrottle(200*time.Millisecond),
	)
	// Redraw twice a second so elapsed time moves during a long measurement.
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				_ = p.bar.Add(0)
			}
		}
	}()
	return p
}

func (p *progress) step(s runner.Progress) {
	switch {
	case p.quiet:
	case p.bar != nil:
		p.bar.Describe(fmt.Sprintf("measurement %d/%d (last: %s, %.1f jobs/s)", min(s.Step+1, s.Steps), s.Steps, s.Params.String(), s.Result.Throughput))
		_ = p.bar.Add(1)
	case s.Result.Failure != "":
		fmt.Fprintf(p.w, "[%*d/%d] %s repeat %d: FAILED: %s (elapsed %s, about %s left)\n",
			len(fmt.Sprint(s.Steps)), s.Step, s.Steps, s.Params.String(), s.Repeat+1, s.Result.Failure,
			s.Elapsed.Round(time.Second), s.Remaining.Round(time.Second))
	default:
		r := s.Result
		fmt.Fprintf(p.w, "[%*d/%d] %s repeat %d: %.1f jobs/s, p50 %s, p99 %s, %d errors (elapsed %s, about %s left)\n",
			len(fmt.Sprint(s.Steps)), s.Step, s.Steps, s.Params.String(), s.Repeat+1, r.Throughput,
			ms(r.Latency.P50), ms(r.Latency.P99), r.Errors,
			s.Elapsed.Round(time.Second), s.Remaining.Round(time.Second))
	}
}

func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	_ = p.bar.Finish()
	fmt.Fprintln(p.w)
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

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/agent"
	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/report"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a scenario and print its expanded matrix and estimated run time",
		ArgsUsage: "SCENARIO.yaml",
		Action: func(c *cli.Context) error {
			path, err := oneArg(c, "scenario file")
			if err != nil {
				return err
			}
			sc, _, err := loadScenario(path)
			if err != nil {
				return err
			}
			if err := c.Context.Err(); err != nil {
				return fmt.Errorf("validate: interrupted: %w", err)
			}
			w := c.App.Writer
			cells := sc.Cells()
			fmt.Fprintf(w, "%s: valid\n", path)
			fmt.Fprintf(w, "scenario %s: model %s, %d cells × %d repeats = %d measurements, estimated run time %s\n",
				sc.Name, sc.Load.Model, len(cells), sc.Load.Repeats, len(sc.Plan()), sc.Estimate().Round(time.Second))
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			var dims []*param.Dimension
			head := "cell\t"
			for _, d := range param.Dimensions {
				shown := !d.Optional
				for _, p := range cells {
					shown = shown || d.Set(p)
				}
				if shown {
					dims = append(dims, d)
					head += d.Name + "\t"
				}
			}
			fmt.Fprintln(tw, head)
			base := sc.BaselineIndex()
			for i, p := range cells {
				row := fmt.Sprintf("%d\t", i)
				for _, d := range dims {
					if d.Optional && !d.Set(p) {
						row += "-\t" // unset: the block does not vary it
						continue
					}
					row += d.Label(p) + "\t"
				}
				if i == base {
					row += "baseline"
				}
				fmt.Fprintln(tw, row)
			}
			return tw.Flush()
		},
	}
}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "rebuild report.html, summary.md and charts from a results file",
		ArgsUsage: "RESULTS.json|REPORT.html|DIR",
		Description: "Recomputes every figure from the measurements in RESULTS.json (any schema version\n" +
			"this scalebench reads), or from the results a REPORT.html embeds. Given a run's DIR,\n" +
			"reads DIR/results.json, or, when the run crashed before writing it, recovers the\n" +
			"finished measurements from DIR/" + results.JournalName + ".",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` (default: the results file's directory)"},
			&cli.BoolFlag{Name: "force", Usage: "replace files in DIR that no earlier scalebench report wrote, or that were changed since"},
			slidesFlag,
			pngFlag,
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "html",
				Usage: "`FORMAT`: html rebuilds the report's files; json prints the derived view (findings, lessons, ratios with their operands, intervals and decompositions) to stdout and writes nothing"},
		},
		Action: func(c *cli.Context) error {
			path, err := oneArg(c, "results file")
			if err != nil {
				return err
			}
			asJSON := false
			switch f := c.String("format"); f {
			case "html":
			case "json":
				asJSON = true
				if c.IsSet("out") || c.Bool("slides") || c.Bool("force") {
					return usagef("report: --format json prints to stdout and writes no file: drop --out, --slides and --force")
				}
			default:
				return usagef("report: --format %q: want html or json", f)
			}
			out := c.String("out")
			var run *results.Run
			if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
				var warnings []string
				run, warnings, err = results.ReadDir(path)
				for _, w := range warnings {
					fmt.Fprintf(c.App.ErrWriter, "scalebench: warning: %s\n", w)
				}
				if out == "" {
					out = path
				}
			} else {
				run, err = readResults(path)
				if out == "" {
					out = filepath.Dir(path)
				}
			}
			if err != nil {
				return usageError{err}
			}
			if asJSON {
				return report.JSON(c.App.Writer, run)
			}
			gate, err := storedBaseline(run)
			if err != nil {
				return usageError{err}
			}
			ab, err := storedAB(run)
			if err != nil {
				return asUsage(err)
			}
			dir, err := outdir.Lock(out)
			if err != nil {
				return usageError{fmt.Errorf("report: --out: %w", err)}
			}
			defer dir.Close()
			files, gateErr, err := reportRun(c, gate, ab, nil, out, run)
			if errors.Is(err, outdir.ErrNotOurs) {
				return usageError{fmt.Errorf("write report: %w", err)}
			}
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if err := report.Summary(c.App.Writer, run); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "summary: %s\nreport:  %s\n", files.Markdown, files.HTML)
			if err := writeSlides(c, out, run); err != nil {
				return err
			}
			if ab != nil {
				// The A/B run's comparison and gate, as the run gave them.
				gateErr = errors.Join(abOutcome(c.App.Writer, ab, compare.FormatText, false), gateErr)
			}
			return gateErr
		},
	}
}

// pngFlag asks run, report and import for each chart as PNG too.
var pngFlag = &cli.BoolFlag{Name: "png", Usage: "also write each chart as PNG beside its SVG in DIR/charts (slower: rasterizing takes most of a report's time)"}

// slidesFlag asks run and report for the charts as slides too.
var slidesFlag = &cli.BoolFlag{Name: "slides", Usage: "also write the charts as 16:9 large-type slides (SVG, PNG and a printable page) into DIR/slides"}

// writeSlides writes the slides when --slides is set.
func writeSlides(c *cli.Context, dir string, run *results.Run) error {
	if !c.Bool("slides") {
		return nil
	}
	s, err := report.WriteSlidesOptions(dir, run, report.Options{Force: c.Bool("force")})
	if errors.Is(err, outdir.ErrNotOurs) {
		return usageError{fmt.Errorf("write slides: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("write slides: %w", err)
	}
	fmt.Fprintf(c.App.Writer, "slides:  %s\n", s.HTML)
	return nil
}

func fitCommand() *cli.Command {
	return &cli.Command{
		Name:      "fit",
		Usage:     "fit Amdahl's law and the Universal Scalability Law to N,throughput data",
		ArgsUsage: "DATA.csv",
		Description: "DATA.csv has a header row and two numeric columns: N (workers, cores, nodes...) and\n" +
			"throughput. Any tool's measurements can be analysed this way.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output `FORMAT`: text or json"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "also write fit.svg and fit.png into `DIR`"},
		},
		Action: func(c *cli.Context) error {
			path, err := oneArg(c, "CSV file")
			if err != nil {
				return err
			}
			format := c.String("format")
			if format != "text" && format != "json" {
				return usagef("fit: --format must be text or json, got %q", format)
			}
			f, err := os.Open(path)
			if err != nil {
				return usageError{err}
			}
			defer f.Close()
			n, x, err := analysis.ReadCSV(path, f)
			if err != nil {
				return usageError{err}
			}
			usl, err := analysis.FitUSL(n, x)
			if err != nil {
				return fitError(path, err)
			}
			amdahl, err := analysis.FitAmdahl(n, x)
			if err != nil {
				return fitError(path, err)
			}
			if format == "json" {
				b, err := analysis.FitJSON(usl, amdahl)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "%s\n", b)
			} else if err := analysis.WriteFitText(c.App.Writer, usl, amdahl, n, x); err != nil {
				return err
			}
			if dir := c.String("out"); dir != "" {
				files, err := report.FitChart(dir, n, x, usl, amdahl)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.ErrWriter, "chart: %s\n", strings.Join(files, ", "))
			}
			return checkConverged(usl, amdahl)
		},
	}
}

// checkConverged returns an error naming the fits whose solver stopped
// before it converged.
func checkConverged(fits ...*analysis.Fit) error {
	var failed []string
	for _, f := range fits {
		if f != nil && slices.Contains(f.Flags, flagNotConverged) {
			failed = append(failed, f.Model)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("fit: the %s fit did not converge: its coefficients are the best found, not a least-squares solution", strings.Join(failed, " and "))
	}
	return nil
}

// flagNotConverged is the flag a Fit carries when its solver stopped
// before it converged.
const flagNotConverged = "did not converge"

// fitError turns data a fit cannot use into a usage error naming the file.
func fitError(path string, err error) error {
	if errors.Is(err, analysis.ErrFewPoints) || errors.Is(err, analysis.ErrData) {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // without the model's name: both fits need the same
		}
		return usagef("fit: %s: %w", path, err)
	}
	return fmt.Errorf("fit: %w", err)
}

func serveImagesCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve-images",
		Usage: "run the mock image server on its own",
		Description: "Serves dummyimage-style URLs such as /640x480/ccc/aaa.jpg with injected latency,\n" +
			"until interrupted (or for --for). The first line printed is the server's URL.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:0", Usage: "listen `ADDRESS` (port 0: chosen by the OS; other than loopback, other machines can reach it)"},
			&cli.DurationFlag{Name: "latency", Usage: "added to every image response"},
			&cli.DurationFlag{Name: "jitter", Usage: "random extra latency, uniform in ±jitter"},
			&cli.Int64Flag{Name: "bandwidth", Usage: "bytes per second per response (0: unlimited)"},
			&cli.Float64Flag{Name: "error-rate", Usage: "fraction of requests answered 503"},
			&cli.DurationFlag{Name: "for", Usage: "stop by itself after this long (0: until interrupted)"},
		},
		Action: func(c *cli.Context) error {
			srv, err := imageserver.New(imageserver.Config{
				Addr:      c.String("addr"),
				Latency:   c.Duration("latency"),
				Jitter:    c.Duration("jitter"),
				Bandwidth: c.Int64("bandwidth"),
				ErrorRate: c.Float64("error-rate"),
			})
			if err != nil {
				return usageError{err}
			}
			printServing(c.App.Writer, c.App.ErrWriter, srv)
			ctx := c.Context
			if d := c.Duration("for"); d > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, d)
				defer cancel()
			}
			<-ctx.Done()
			return srv.Close()
		},
	}
}

// printServing prints the address srv is bound to, and a warning on errw
// when other machines can reach it.
func printServing(w, errw io.Writer, srv *imageserver.Server) {
	fmt.Fprintf(w, "serving on http://%s\n", srv.Addr)
	if !srv.Loopback() {
		fmt.Fprintf(errw, "warning: listening on %s, which other machines can reach; use --addr 127.0.0.1:0 to stay on this one\n", srv.Addr)
	}
	fmt.Fprintf(w, "try: curl -o a.jpg %s/640x480/ccc/aaa.jpg\n", srv.URL)
}

func workerCommand() *cli.Command {
	return &cli.Command{
		Name:   "worker",
		Usage:  "run one measurement from a spec on stdin (used by run)",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "describe", Usage: "print this build's version, commit and worker protocol as JSON, and exit"},
			&cli.DurationFlag{Name: "spin", Usage: "keep one CPU busy for at most `DURATION` and exit (calibrate --busy)"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("describe") {
				return worker.WriteDescription(c.App.Writer, Version, commit())
			}
			if c.IsSet("spin") {
				return worker.Spin(c.Context, c.Duration("spin"))
			}
			return agent.WorkerMain(c.Context, c.App.Reader, c.App.Writer)
		},
	}
}

// readResults reads a results file, or the results a report page embeds.
func readResults(path string) (*results.Run, error) {
	f, err := results.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	f.Close()
	if report.IsHTML(head[:n]) {
		return report.ReadHTML(path)
	}
	return results.Read(path)
}

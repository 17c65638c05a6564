package app

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/gobench"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "turn another tool's measurements into a results file and its report",
		Subcommands: []*cli.Command{{
			Name:      "gobench",
			Usage:     "import Go benchmark output (go test -bench) as a run: GOMAXPROCS from -cpu, repeats from -count",
			ArgsUsage: "FILE|-",
			Description: "Reads the output of `go test -bench` (golang.org/x/perf's benchfmt) from FILE, or from\n" +
				"standard input for -, and writes DIR/results.json and its report: each benchmark is a\n" +
				"block, each -cpu value a cell at that GOMAXPROCS, each -count a repeat, and the time per\n" +
				"operation becomes the throughput, so the report draws speedup and efficiency and fits\n" +
				"Amdahl and the USL; compare gates two imports. Units it has no place for (B/op,\n" +
				"allocs/op, custom metrics) are listed, and kept in results.json with each result line.\n\n" +
				"   go test -run '^$' -bench . -cpu 1,2,4 -count 6 ./... | scalebench import gobench - --out bench",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output `DIR` (default: results/<name>-<timestamp>)"},
				&cli.StringFlag{Name: "name", Value: gobench.Workload, Usage: "the run's `NAME`, as a scenario's"},
				&cli.BoolFlag{Name: "force", Usage: "write into an output DIR that already holds results.json, replacing them"},
				pngFlag,
			},
			Action: importGobench,
		}},
	}
}

// importGobench is `scalebench import gobench FILE|-`.
func importGobench(c *cli.Context) error {
	path, err := oneArg(c, "benchmark output file (- for standard input)")
	if err != nil {
		return err
	}
	var in io.Reader = c.App.Reader
	name := "<stdin>"
	if path != "-" {
		f, err := results.Open(path)
		if err != nil {
			return usageError{fmt.Errorf("import gobench: %w", err)}
		}
		defer f.Close()
		in, name = f, path
	}
	imp, err := gobench.Read(io.LimitReader(in, results.MaxFileSize), gobench.Options{Name: c.String("name"), File: name, Version: Version})
	if err != nil {
		return usageError{err}
	}
	stderr := c.App.ErrWriter
	for _, s := range imp.Skipped {
		fmt.Fprintf(stderr, "scalebench: import gobench: skipped %s: no time per operation (ns/op)\n", s)
	}
	for _, u := range imp.Unplaced {
		fmt.Fprintf(stderr, "scalebench: import gobench: %s has no place in the report (kept with each result in results.json): %s\n",
			u.Unit, strings.Join(u.Benchmarks, ", "))
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join("results", imp.Run.Scenario.Name+"-"+time.Now().Format("20060102-150405"))
	}
	dir, err := outdir.Prepare(out, c.Bool("force"))
	if err != nil {
		return usageError{err}
	}
	defer dir.Close()
	if err := results.Write(filepath.Join(out, "results.json"), imp.Run); err != nil {
		return fmt.Errorf("import gobench: %w", err)
	}
	files, err := report.WriteOptions(out, imp.Run, report.Options{Force: c.Bool("force"), PNG: c.Bool("png")})
	if errors.Is(err, outdir.ErrNotOurs) {
		return usageError{fmt.Errorf("write report: %w", err)}
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	cells := 0
	for _, cl := range imp.Run.Cells {
		cells += len(cl.Repeats)
	}
	fmt.Fprintf(c.App.Writer, "imported %d result lines of %d benchmarks into %d cells\nresults: %s\nreport:  %s\n",
		cells, len(imp.Run.Scenario.Blocks), len(imp.Run.Cells), filepath.Join(out, "results.json"), files.HTML)
	return nil
}

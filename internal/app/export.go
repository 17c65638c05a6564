package app

import (
	"bytes"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/scalebench/scalebench/internal/compare"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a results file's repeats in Go benchmark format (for benchstat) or as CSV",
		ArgsUsage: "RESULTS.json|DIR",
		Description: "benchfmt: one line per cell and repeat, e.g.\n" +
			"  BenchmarkThumbnail/gomaxprocs=1/workers=4/replicas=1/method=fast 1234 19.7 jobs/s 0.0507 p50-sec ...\n" +
			"after the environment as configuration lines (goos:, goarch:, cpu:, ...), so that\n" +
			"  scalebench export base.json > old.txt; scalebench export head.json > new.txt; benchstat old.txt new.txt\n" +
			"works. csv: one row per cell and repeat, values in base units (seconds, jobs/s, bytes).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "benchfmt", Usage: "output `FORMAT`: benchfmt or csv"},
		},
		Action: func(c *cli.Context) error {
			path, err := oneArg(c, "results file")
			if err != nil {
				return err
			}
			write := compare.WriteBenchfmt
			switch f := c.String("format"); f {
			case "benchfmt":
			case "csv":
				write = compare.WriteExportCSV
			default:
				return usagef("export: --format must be benchfmt or csv, got %q", f)
			}
			run, err := readRunFile(path)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := write(&buf, compare.Export(run)); err != nil {
				return fmt.Errorf("export %s: %w", path, err)
			}
			_, err = buf.WriteTo(c.App.Writer)
			return err
		},
	}
}

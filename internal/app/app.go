// Package app is scalebench's command line: the urfave/cli commands and the
// wiring from scenario to runner to results to report.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/runner"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/workload"
)

// Version and Commit identify the build; the Makefile sets them with -ldflags.
var (
	Version = "dev"
	Commit  = ""
)

// Exit codes: the gate's (compare.ExitCode), which every command shares,
// and the one for an interruption.
const (
	ExitOK           = int(compare.ExitOK)
	ExitWorse        = int(compare.ExitWorse)        // a gated comparison is worse, or a threshold failed
	ExitFailure      = ExitWorse                     // a run or command failed
	ExitUsage        = int(compare.ExitUnusable)     // bad arguments or invalid input files
	ExitInconclusive = int(compare.ExitInconclusive) // --fail-on-inconclusive and a gated comparison is inconclusive
	ExitInterrupted  = 130                           // stopped by a signal; partial results were kept
)

// usageError marks errors caused by what the user gave us.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Main runs the command line with args (without the program name) and
// returns the process exit code. It never exits the process itself.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := New(stdin, stdout, stderr)
	args = helpArgs(args)
	err := checkCommand(app, args)
	if err == nil {
		var argv []string
		if argv, err = flagsFirst(app, append([]string{"scalebench"}, args...)); err == nil {
			err = app.RunContext(ctx, argv)
		}
	}
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "scalebench: %v\n", err)
	return ExitCode(err)
}

// checkCommand reports a first argument that is neither a flag nor a
// command.
func checkCommand(app *cli.App, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") || app.Command(args[0]) != nil {
		return nil
	}
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return usagef("unknown command %q; commands: %s (see scalebench --help)", args[0], strings.Join(names, ", "))
}

// helpArgs turns "help" into "--help" and "help CMD" into "CMD --help".
func helpArgs(args []string) []string {
	if len(args) == 0 || args[0] != "help" {
		return args
	}
	if len(args) > 1 {
		return []string{args[1], "--help"}
	}
	return []string{"--help"}
}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var ue usageError
	if code, ok := gateExitCode(err); ok {
		return code
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, runner.ErrInterrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue), errors.Is(err, scenario.ErrInvalid):
		return ExitUsage
	}
	return ExitFailure
}

// New builds the CLI application writing to the given streams.
func New(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "scalebench",
		Usage:   "measure how a workload scales with workers, cores and replicas",
		Version: versionString(),
		Description: "scalebench runs a workload's jobs in worker processes over a matrix of GOMAXPROCS,\n" +
			"workers and replicas, and reports throughput and latency ratios, speedup, efficiency,\n" +
			"and Amdahl and Universal Scalability Law fits. A scenario names its workload\n" +
			"(workload.name; the default is " + workload.Default + ").\n\n" +
			"Workloads in this executable: " + strings.Join(workload.Names(), ", ") + ".",
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// Commands return errors; Main maps them to exit codes after deferred cleanup ran.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{
			runCommand(),
			validateCommand(),
			reportCommand(),
			compareCommand(),
			calibrateCommand(),
			exportCommand(),
			fitCommand(),
			serveImagesCommand(),
			watchCommand(),
			workerCommand(),
			agentCommand(),
			historyCommand(),
			importCommand(),
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	return app
}

func versionString() string {
	if Commit != "" {
		return Version + " (" + Commit + ")"
	}
	return Version
}

// oneArg returns the single positional argument a command needs.
func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", usagef("%s: need exactly one %s, got %d arguments (see scalebench %s --help)", c.Command.Name, what, c.NArg(), c.Command.Name)
	}
	return c.Args().First(), nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// flagsFirst moves a command's flags ahead of its positional arguments, so
// that `run scenario.yaml --out DIR` works as well as `run --out DIR scenario.yaml`
// (urfave/cli stops reading flags at the first positional argument). A flag
// that takes a value but ends the line is a usage error.
func flagsFirst(app *cli.App, args []string) ([]string, error) {
	if len(args) < 3 {
		return args, nil
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args, nil
	}
	head, rest := args[:2:2], args[2:]
	// A command with subcommands (history add ...): the subcommand's flags.
	for _, sub := range cmd.Subcommands {
		if len(rest) > 0 && sub.HasName(rest[0]) {
			cmd, head, rest = sub, args[:3:3], args[3:]
			break
		}
	}
	var flags, pos []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			pos = append(pos, rest[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if opt, ok := optionalValues[name]; ok && hasFlag(cmd, name) {
			// Its value, when the next argument is one; else the default.
			if i+1 < len(rest) && opt.is(rest[i+1]) {
				i++
				flags = append(flags, rest[i])
			} else {
				flags = append(flags, opt.value)
			}
			continue
		}
		if !strings.Contains(name, "=") && takesValue(cmd, name) {
			if i+1 == len(rest) {
				return nil, usagef("%s: flag %s needs a value (see scalebench %s --help)", cmd.Name, a, cmd.Name)
			}
			flags = append(flags, rest[i+1])
			i++
		}
	}
	return append(append(head, flags...), pos...), nil
}

// hasFlag reports whether cmd has a flag called name.
func hasFlag(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// takesValue reports whether cmd's flag called name reads the next argument.
func takesValue(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}

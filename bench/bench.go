package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/scalebench/scalebench/internal/app"
	"github.com/scalebench/scalebench/internal/workload"
)

// Workload is a workload whose scenario options are of type O: its name,
// its options and their defaults and checks, its set-up in each worker
// process, its job's stages and, optionally, the service its jobs talk
// to. Register it before Main runs.
type Workload[O any] = workload.Workload[O]

// Stage is one part of a job, as the stage chart draws it.
type Stage = workload.Stage

// Kind is what a stage spends its time on: CPU, IO or Wait.
type Kind = workload.Kind

// The kinds of stage.
const (
	// CPU stages compute: more cores or processes speed them up.
	CPU = workload.CPU
	// IO stages wait on a network or a disk: more workers overlap them.
	IO = workload.IO
	// Wait stages wait on something the jobs share: a lock, a pool.
	Wait = workload.Wait
)

// MaxStages is the most stages a workload may name.
const MaxStages = workload.MaxStages

// Process is what Setup is given: the number of workers of the process
// and the jobs' inputs.
type Process = workload.Process

// Instance is a workload set up in one worker process: its Job, which the
// workers call, and its Close.
type Instance = workload.Instance

// Call is one job as Instance.Job is handed it: which worker runs it, its
// input, and the clock its stages are marked on.
type Call = workload.Call

// Service is a server a workload's jobs talk to, with settings of type S
// taken from the options O.
type Service[O, S any] = workload.Service[O, S]

// Server is a running service: where jobs reach it and how to stop it.
type Server = workload.Server

// FieldError is a problem with one option, by its path ("render.mode").
type FieldError = workload.FieldError

// Errorf returns an error about the option at path field, for
// Workload.Check: the scenario's error names the line that sets it.
func Errorf(field, format string, args ...any) error {
	return workload.Errorf(field, format, args...)
}

// MemoryNeeder is implemented by options whose jobs can say, before the
// run, how much memory the largest of them needs: for the memory
// dimension, which gives each replica a budget of memory.
type MemoryNeeder = workload.MemoryNeeder

// Splitter is implemented by options whose job can divide its CPU work
// among several goroutines: for the split dimension.
type Splitter = workload.Splitter

// Register adds w to the workloads this executable runs. It panics, as
// registering an HTTP handler twice does, when w has no Setup, an invalid
// name or too many stages, or when a workload of its name is registered
// already: a program's workloads are fixed when it starts.
func Register[O any](w Workload[O]) {
	if err := workload.Register(w); err != nil {
		panic("bench: " + err.Error())
	}
}

// Workloads returns the names of the workloads registered, in order.
func Workloads() []string { return workload.Names() }

// Main runs the scalebench command line with this executable's workloads
// on os.Args and exits with its exit code: 0 success, 1 failure or a
// failed gate, 2 invalid input, 3 an inconclusive gate (with
// --fail-on-inconclusive), 130 interrupted. The first SIGINT, SIGTERM or
// SIGHUP stops the command and keeps what it measured; a second exits at
// once.
func Main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go interrupts(sigs, cancel, os.Exit, os.Stderr)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

// Run runs the command line with args (without the program name) and the
// given streams, until it is done or ctx ends, and returns the exit code
// Main would exit with. It never exits the process.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return app.Main(ctx, args, stdin, stdout, stderr)
}

// interrupts cancels the command at the first signal from sigs, so that it
// stops and keeps what it has, and exits at once at the second: a second
// Ctrl-C always ends the process.
func interrupts(sigs <-chan os.Signal, cancel func(), exit func(int), stderr io.Writer) {
	if _, ok := <-sigs; !ok {
		return
	}
	cancel()
	sig, ok := <-sigs
	if !ok {
		return
	}
	fmt.Fprintf(stderr, "scalebench: %v again: exiting now, without waiting for cleanup\n", sig)
	exit(app.ExitInterrupted)
}

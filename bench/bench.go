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

// Workload is a workload whose scenario options are of type O: what one
// job does and what a worker process sets up to run jobs. Register it
// before Main runs.
//
// O is usually a struct. A scenario's workload.options mapping is decoded
// into a copy of Defaults strictly: each key must name a field (its yaml
// tag, or its name in lower case), each value must fit the field's type,
// and every problem is reported with the file and line. The options travel
// to the worker processes as JSON, so every field a job needs must survive
// encoding/json (exported, and not tagged json:"-").
type Workload[O any] struct {
	// Name identifies the workload in scenarios (workload.name), results
	// and reports: letters, digits, - and _.
	Name string
	// Description says in one sentence what one job does; the report
	// opens its stage chart with it.
	Description string
	// Stages name the parts of a job whose time the job records (Call.Mark
	// or Call.Add), in order; the stage chart draws them. At most
	// MaxStages; none means one stage, "job", timed by the harness.
	Stages []Stage
	// Defaults are the options a scenario leaves out.
	Defaults O
	// Check, if set, checks options once they are decoded, before any
	// process starts, and may complete them (fill in values derived from
	// others). Errors made with Errorf name the options at fault, so that
	// each is reported on the line that sets it.
	Check func(*O) error
	// Setup prepares one worker process to run jobs with opts: it runs
	// once in each process (each replica has its own), before the
	// measurement starts, and its time is not measured. Required.
	Setup func(ctx context.Context, p *Process, opts O) (Instance, error)
	// ErrorKind, if set, names the kind of a failed job's error, for the
	// report's count of errors by kind ("timeout", "http-5xx"...). Without
	// it a job that ran out of time is a "timeout" and any other an "error".
	ErrorKind func(error) string
	// Service, if set, is a server the jobs talk to: a *Service[O, S].
	Service Servicer[O]
	// Sections names top-level fields of O that a scenario may also write
	// as sections of their own, beside load and matrix (and in each
	// block), rather than under workload.options: how scenarios written
	// before workloads had names give the thumbnail workload's images and
	// thumbnail sections.
	Sections []string
	// Method, if set, is the path of a string option ("render.method")
	// that the matrix's method dimension sweeps: "the same work done
	// another way". Its value in the options is the method of every cell
	// when the matrix lists none.
	Method string
	// Summary, if set, says in a few words what a block's options change
	// for the reader of a report ("image server latency 50 ms").
	Summary func(O) string
}

// Servicer is a Service of some settings type, for Workload.Service.
type Servicer[O any] = workload.Servicer[O]

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

// Reserver is implemented by an Instance that reserves each job's memory
// from Process.Memory itself, counting its waits with Call.AddQueue;
// for any other instance of a MemoryNeeder workload the harness reserves
// JobMemory before each job.
type Reserver = workload.Reserver

// Budget is a worker process's memory, shared by its jobs
// (Process.Memory).
type Budget = workload.Budget

// Register adds w to the workloads this executable runs. It panics, as
// registering an HTTP handler twice does, when w has no Setup, an invalid
// name or too many stages, or when a workload of its name is registered
// already: a program's workloads are fixed when it starts.
func Register[O any](w Workload[O]) {
	if err := workload.Register(workload.Workload[O](w)); err != nil {
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

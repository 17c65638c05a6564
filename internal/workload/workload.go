// Package workload defines what scalebench measures: a Workload (its name,
// its options, its set-up in each worker process, its job and its stages),
// the registry that the harness and the worker processes look workloads up
// in, and a registered workload with its options type erased (Def), which
// is what the rest of scalebench handles. Package bench is its public face:
// its types are this package's, under the same names.
package workload

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Default is the name of the workload a scenario that names none runs, and
// that a results file written before workloads had names measured.
const Default = "thumbnail"

// MaxStages is the most stages a workload may name.
const MaxStages = 8

// QueueStage names a job's time in queue (Call.AddQueue) where results
// list it beside the stages; no stage may take the name.
const QueueStage = "queue"

// Workload is a workload whose scenario options are of type O: what one
// job does, and what a worker process sets up to run jobs. Register it
// (bench.Register) before bench.Main runs.
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
	// others). An error wrapping FieldErrors names the fields at fault, so
	// that each is reported on the line that sets it.
	Check func(*O) error
	// Setup prepares one worker process to run jobs with opts: it runs
	// once in each process (each replica has its own), before the
	// measurement starts, and its time is not measured. Required.
	Setup func(ctx context.Context, p *Process, opts O) (Instance, error)
	// ErrorKind, if set, names the kind of a failed job's error, for the
	// report's count of errors by kind ("timeout", "http-5xx"...). Without
	// it a job that ran out of time is a "timeout" and any other an "error".
	ErrorKind func(error) string
	// Service, if set, is a server the jobs talk to (see Service).
	Service Servicer[O]
	// Sections names top-level fields of O that a scenario may also write
	// as sections of their own, beside load and matrix (and in each
	// block), rather than under workload.options: how scenarios written
	// before workloads had names give the thumbnail workload's images and
	// thumbnail sections.
	Sections []string
	// Method, if set, is the path of a string option ("thumbnail.method")
	// that the matrix's method dimension sweeps: "the same work done
	// another way". Its value in the options is the method of every cell
	// when the matrix lists none.
	Method string
	// Summary, if set, says in a few words what a block's options change
	// for the reader of a report ("image server latency 50 ms").
	Summary func(O) string
}

// Stage is one part of a job: "fetch", "render".
type Stage struct {
	// Name is the stage's name in charts, letters, digits, - and _.
	Name string
	// Kind says what the stage spends its time on.
	Kind Kind
	// Doc, if set, is a sentence the stage chart's caption adds about it.
	Doc string
}

// Kind is what a stage spends its time on: the stage chart colours stages
// by it, and the analysis calls a workload I/O-bound when its I/O and wait
// stages take most of a job.
type Kind string

// The kinds of stage.
const (
	// CPU stages compute: more cores (GOMAXPROCS) or processes
	// (replicas) speed them up.
	CPU Kind = "cpu"
	// IO stages wait on a network or a disk: more workers overlap them.
	IO Kind = "io"
	// Wait stages wait on something else the job shares: a lock, a pool,
	// a memory budget.
	Wait Kind = "wait"
)

// Process is what a worker process is set up with.
type Process struct {
	// Workers is how many goroutines run jobs at once in this process:
	// Call.Worker is below it, so state kept per worker can be a slice.
	Workers int
	// Inputs are the jobs' inputs, each job's Call.Input taken in turn:
	// the URLs on the workload's Service, when it has one; otherwise one
	// empty input.
	Inputs []string
	// Remote is true when the process runs for an agent on another
	// machine: it must write no file that its options name, since the
	// harness, not the agent's owner, chose them.
	Remote bool
	// Split is how many goroutines one job's CPU work is divided among,
	// from 1 to the options' MaxSplit (Splitter): the cell's value of the
	// split dimension, 1 when the matrix sweeps none.
	Split int
	// Memory is the process's memory budget, the cell's value of the
	// memory dimension; nil when it has none (unlimited). An instance
	// that reserves each job's memory from it itself says so (Reserver);
	// for any other, the harness reserves the options' JobMemory
	// (MemoryNeeder) before each job.
	Memory *Budget
}

// Instance is a workload set up in one worker process.
type Instance interface {
	// Job runs one job. Workers call it at once, each with its own Call
	// (Call.Worker tells them apart); it must return soon after ctx ends
	// (the job's timeout, or the end of the measurement). A job that
	// returns an error counts as failed, its time not in the latency.
	Job(ctx context.Context, c *Call) error
	// Close tears the instance down once the measurement is over.
	Close() error
}

// Call is one job as the harness hands it to Instance.Job. A worker reuses
// its Call from job to job: keep no reference to it after Job returns.
type Call struct {
	// Worker is the index of the worker running the job, 0 to
	// Process.Workers-1; each worker runs one job at a time.
	Worker int
	// Input is this job's input (Process.Inputs).
	Input string

	start  time.Time
	last   time.Time
	stages [MaxStages]time.Duration
	queue  time.Duration
}

// Mark ends stage i: the time since the job started or since the previous
// Mark is added to it. Marks out of the workload's stages are ignored.
func (c *Call) Mark(i int) {
	now := time.Now()
	c.Add(i, now.Sub(c.last))
	c.last = now
}

// Add adds d to stage i, for a job that times its stages itself.
func (c *Call) Add(i int, d time.Duration) {
	if i >= 0 && i < MaxStages {
		c.stages[i] += d
	}
}

// AddQueue adds d to the job's time in queue: waiting for admission
// (memory from Process.Memory) rather than in service. The report shows
// it beside the service time, the stages' sum. A job that times its
// stages with Mark calls MarkQueue instead.
func (c *Call) AddQueue(d time.Duration) { c.queue += d }

// MarkQueue ends a wait for admission: the time since the job started or
// since the previous Mark is added to its time in queue.
func (c *Call) MarkQueue() {
	now := time.Now()
	c.queue += now.Sub(c.last)
	c.last = now
}

// Queue returns the job's time in queue (AddQueue).
func (c *Call) Queue() time.Duration { return c.queue }

// Begin readies c for a job on input, starting its clock: the harness
// calls it before each job, and a test of a Job may too.
func (c *Call) Begin(input string) {
	c.Input = input
	c.stages = [MaxStages]time.Duration{}
	c.queue = 0
	c.start = time.Now()
	c.last = c.start
}

// Stages returns the time the job recorded in each stage.
func (c *Call) Stages() [MaxStages]time.Duration { return c.stages }

// Started returns when the job started.
func (c *Call) Started() time.Time { return c.start }

// Server is a running service: where the jobs reach it, and how to stop it.
type Server struct {
	// URL is where jobs reach the server ("http://127.0.0.1:34567").
	URL string
	// Close stops it; nil when there is nothing to stop (a server the
	// scenario names rather than one started for the run).
	Close func() error
}

// Service is a server a workload's jobs talk to, with settings of type S
// taken from the options O: the thumbnail workload's mock image server.
// The harness starts one for each distinct settings its blocks use before
// the run and stops it after; when replicas run on agents, each agent
// starts its own from the settings, which travel to it as JSON.
type Service[O, S any] struct {
	// Settings picks the service's settings from the options.
	Settings func(O) S
	// Start starts a server for s, bound to 127.0.0.1 unless s says
	// otherwise, or returns the URL of a server s names.
	Start func(ctx context.Context, s S) (Server, error)
	// Inputs returns the jobs' inputs on the server at url
	// (Process.Inputs); nil means one input, the URL itself.
	Inputs func(s S, url string) []string
	// Check, if set, checks settings an agent is sent before it starts
	// anything: a harness it cannot trust may have sent them. An error
	// wrapping FieldErrors names the options at fault.
	Check func(*S) error
}

// Servicer is a Service of some settings type, for Workload.Service.
type Servicer[O any] interface {
	erase() service
}

// FieldError is a problem with one option, named by its path in the
// options ("thumbnail.width"), as Workload.Check returns it.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Errorf returns a FieldError for the option at path field.
func Errorf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// FieldErrors returns the FieldErrors err holds (errors.Join of several,
// or one), and the rest of err as one error (nil when none).
func FieldErrors(err error) ([]*FieldError, error) {
	if err == nil {
		return nil, nil
	}
	var fields []*FieldError
	var rest []error
	var walk func(error)
	walk = func(e error) {
		var fe *FieldError
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if errors.As(e, &fe) {
			fields = append(fields, fe)
			return
		}
		rest = append(rest, e)
	}
	walk(err)
	return fields, errors.Join(rest...)
}

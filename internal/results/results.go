// Package results is scalebench's on-disk record of a run: a versioned JSON
// document that is the only link between measuring and reporting. It holds
// what each repeat measured and the settings, thresholds and machine needed
// to judge it, never figures derived from them (the analysis package
// computes those). While a run is measured, a Journal keeps each finished
// measurement on disk.
//
// Schema version 2 is the raw record. Version 1 files, whose cells also
// stored summaries computed while measuring, are converted on reading.
package results

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
)

// SchemaVersion is the version of the results format this package writes.
const SchemaVersion = 2

// ErrSchema reports a results file whose schema version this build cannot read.
var ErrSchema = errors.New("unsupported schema version")

// Run is everything one `scalebench run` measured.
type Run struct {
	SchemaVersion int         `json:"schema_version"`
	Scenario      Scenario    `json:"scenario"`
	Environment   Environment `json:"environment"`
	// Order is the run order of measurements: each entry names a cell index
	// and the repeat of it, interleaved across cells (A B C A B C ...).
	Order []Step `json:"order"`
	Cells []Cell `json:"cells"`
	// Comparison, when the run was compared with an earlier one (run
	// --baseline), holds that run's record and the gate's settings, so the
	// report can be rebuilt with its comparison.
	Comparison *Comparison `json:"comparison,omitempty"`
	// Builds lists the executables of an A/B run, in the order each
	// repeat visits them; empty when one build measured every cell.
	Builds []Build `json:"builds,omitempty"`
	// Gate, for an A/B run, is how its builds were gated.
	Gate *Gate `json:"gate,omitempty"`
	// Interrupted is true when the run stopped before its plan finished;
	// the cells hold what was measured until then.
	Interrupted bool `json:"interrupted,omitempty"`
	// Finished is when the run ended.
	Finished time.Time `json:"finished"`
}

// Scenario is the scenario as run: the facts the analysis and report need,
// plus the full resolved scenario and its source text for the record.
type Scenario struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	File        string     `json:"file,omitempty"`
	Model       load.Model `json:"model"`
	Baseline    Params     `json:"baseline"`
	// Workload is the workload the run measured, with its top-level
	// options; nil in a file from before workloads had names, which
	// measured the thumbnail workload (see Workload).
	Workload *Workload `json:"workload,omitempty"`
	// ImageLatency is the mock server's injected latency in seconds, in
	// a file of the thumbnail workload from before workloads had names.
	ImageLatency float64 `json:"image_latency,omitempty"`
	// Load is how jobs were offered; Checks the thresholds warnings use.
	Load   Load   `json:"load"`
	Checks Checks `json:"checks"`
	// Blocks holds each block's settings when the scenario lists blocks; a
	// cell's Params.Block names its block. Empty for a scenario with one
	// matrix, whose cells all ran with the settings above.
	Blocks []Block `json:"blocks,omitempty"`
	// Resolved is the scenario after defaults, as JSON.
	Resolved json.RawMessage `json:"resolved,omitempty"`
	// Source is the scenario file's text.
	Source string `json:"source,omitempty"`
}

// Block is the settings the cells of one scenario block ran with.
type Block struct {
	Name string `json:"name"`
	// Options are the block's workload options, as a scenario writes
	// them; Summary says what they change for the reader of a report.
	Options json.RawMessage `json:"options,omitempty"`
	Summary string          `json:"summary,omitempty"`
	// ImageLatency and ImageJitter are the mock server's injected latency
	// and its jitter, in seconds; ImagePaths the images the jobs fetched;
	// Thumbnail the resize step's settings: the thumbnail workload's, in
	// a file from before workloads had names.
	ImageLatency float64    `json:"image_latency,omitempty"`
	ImageJitter  float64    `json:"image_jitter,omitempty"`
	ImagePaths   []string   `json:"image_paths,omitempty"`
	Thumbnail    *Thumbnail `json:"thumbnail,omitempty"`
	Load         Load       `json:"load"`
	// Reference is what the lesson's own worked example says of the step
	// the block reproduces, when the scenario quotes it.
	Reference *Reference `json:"reference,omitempty"`
}

// Reference is a step of the lesson's worked example as a scenario quotes
// it, for a report to print beside what the run measured.
type Reference struct {
	// Formula is the example's ratio as it writes it: "180/120 = 1.5X".
	Formula string `json:"formula"`
	// Says is what the example did and measured, in words.
	Says string `json:"says,omitempty"`
	// Differs says where and why the run's step differs from the example's.
	Differs string `json:"differs,omitempty"`
}

// Thumbnail is the resize step's settings, as files of the thumbnail
// workload from before workloads had names record them.
type Thumbnail struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Filter string `json:"filter"`
	Format string `json:"format"`
}

// Workload is the workload a run measured, as its executable described
// it, and its top-level options.
type Workload struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Stages are the parts of a job the workload times, in order; a
	// repeat's Stages name them.
	Stages []Stage `json:"stages"`
	// Options are the top-level options, as a scenario writes them.
	Options json.RawMessage `json:"options,omitempty"`
	// Summary says what the options change for the reader of a report.
	Summary string `json:"summary,omitempty"`
}

// Stage is one part of a job: its name, what it spends its time on
// ("cpu", "io", "wait" or "") and a sentence about it for the stage
// chart.
type Stage struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
	Doc  string `json:"doc,omitempty"`
}

// The kinds of stage.
const (
	StageCPU  = "cpu"
	StageIO   = "io"
	StageWait = "wait"
)

// DefaultWorkload is the name of the workload a file from before
// workloads had names measured.
const DefaultWorkload = "thumbnail"

// thumbnailWorkload is the record of the thumbnail workload, for files
// from before workloads had names.
var thumbnailWorkload = Workload{
	Name:        DefaultWorkload,
	Description: "Each job fetches an image over HTTP, decodes it, resizes it to fit the thumbnail box with a Lanczos filter, encodes a PNG and writes it.",
	Stages: []Stage{
		{Name: "fetch", Kind: StageIO, Doc: "Fetch is timed from the request to the last byte: network I/O."},
		{Name: "decode", Kind: StageCPU},
		{Name: "resize", Kind: StageCPU},
		{Name: "encode", Kind: StageCPU},
		{Name: "write", Kind: StageIO},
	},
}

// WorkloadOf returns the workload the run measured: its record, or the
// thumbnail workload for a file from before workloads had names.
func (s *Scenario) WorkloadOf() Workload {
	if s.Workload != nil {
		return *s.Workload
	}
	return thumbnailWorkload
}

// Settings returns the settings the cell with params p ran with: those of
// its block, or, for a scenario with one matrix, the scenario's.
func (s *Scenario) Settings(p Params) Block {
	for _, b := range s.Blocks {
		if b.Name == p.Block {
			return b
		}
	}
	return Block{Name: p.Block, ImageLatency: s.ImageLatency, Load: s.Load}
}

// Load is the load settings a run's measurements were taken with.
type Load struct {
	// Repeats is the number of measurements planned per cell.
	Repeats int `json:"repeats"`
	// Warmup is the unmeasured run before each window, in seconds.
	Warmup float64 `json:"warmup"`
	// Window is the measured window per repeat in seconds (closed and open
	// models; a batch runs until its jobs are done).
	Window float64 `json:"window,omitempty"`
	// Think is a closed-loop worker's pause between jobs, in seconds.
	Think float64 `json:"think,omitempty"`
	// Timeout is the per-job timeout in seconds.
	Timeout float64 `json:"timeout"`
	// Jobs is the batch size of each measurement (batch model only).
	Jobs int `json:"jobs,omitempty"`
	// Arrival is the open-loop arrival pattern: poisson or uniform.
	Arrival string `json:"arrival,omitempty"`
}

// Checks are the thresholds that turn a measurement into a warning.
type Checks struct {
	MaxErrorRate    float64 `json:"max_error_rate"`
	LittleTolerance float64 `json:"little_tolerance"`
	MinJobs         int64   `json:"min_jobs"`
}

// Environment records where and with what a run was measured.
type Environment struct {
	ScalebenchVersion string `json:"scalebench_version"`
	GoVersion         string `json:"go_version"`
	OS                string `json:"os"`
	// Kernel is the kernel's release ("6.1.0-18-amd64"), where it can be
	// read; empty in files written before it was recorded.
	Kernel      string  `json:"kernel,omitempty"`
	Arch        string  `json:"arch"`
	CPUModel    string  `json:"cpu_model"`
	LogicalCPUs int     `json:"logical_cpus"`
	CPUQuota    float64 `json:"cpu_quota,omitempty"` // cgroup CPU limit in cores, 0 = none
	Hostname    string  `json:"hostname,omitempty"`
	Commit      string  `json:"commit,omitempty"`
	// Pinned is true when the harness and worker processes ran on fixed
	// CPUs (scalebench run --pin); each repeat then lists its workers' CPUs.
	Pinned  bool      `json:"pinned,omitempty"`
	Started time.Time `json:"started"`
	// Agents lists the agents the replicas ran on, when they ran on other
	// machines (scalebench run --nats); each repeat's placement names them.
	Agents []Agent `json:"agents,omitempty"`
}

// Agent is a machine that ran replicas, as it described itself, with its
// clock's offset from the harness's (seconds; RTT bounds the error).
type Agent struct {
	ID          string  `json:"id"`
	Host        string  `json:"host"`
	CPUs        int     `json:"cpus"`
	Version     string  `json:"version"`
	ClockOffset float64 `json:"clock_offset"`
	ClockRTT    float64 `json:"clock_rtt"`
}

// CPUs is the number of CPUs the run could use: the cgroup quota when it is
// below the logical CPU count, else the logical CPUs.
func (e Environment) CPUs() float64 {
	n := float64(e.LogicalCPUs)
	if e.CPUQuota > 0 && (n == 0 || e.CPUQuota < n) {
		return e.CPUQuota
	}
	return n
}

// Params identifies a cell: the point of the matrix it measures.
type Params = param.Params

// Step is one measurement in run order.
type Step struct {
	Cell   int `json:"cell"`
	Repeat int `json:"repeat"`
	// Round is RoundMain or RoundConfirm.
	Round int `json:"round,omitempty"`
}

// Cell is one point of the matrix and what each repeat of it measured.
// Every figure about the cell as a whole (medians, intervals, warnings) is
// derived from the repeats by the analysis package.
type Cell struct {
	Params  Params   `json:"params"`
	Repeats []Repeat `json:"repeats"`
}

// Repeat is one measured window of a cell.
type Repeat struct {
	Index int `json:"index"` // 0-based repeat number
	// Seq is the repeat's place among the run's measurements, in the
	// order they were taken: its step's in the run order, or for a slice
	// of a sliced run, its own.
	Seq int `json:"seq"`
	// Round is RoundMain, or RoundConfirm for a confirmation's repeats.
	Round int `json:"round,omitempty"`
	// Started is when the measured window began.
	Started    time.Time  `json:"started"`
	Elapsed    float64    `json:"elapsed"` // measured window length in seconds
	Jobs       int64      `json:"jobs"`
	Errors     int64      `json:"errors"`
	Throughput float64    `json:"throughput"`
	Latency    Latency    `json:"latency"`
	Makespan   float64    `json:"makespan,omitempty"`
	Stages     Stages     `json:"stages"`
	Resources  Resources  `json:"resources"`
	Histogram  *Histogram `json:"histogram,omitempty"`
	Series     Series     `json:"series"`
	// Late counts open-loop arrivals that started after their scheduled
	// time because every worker was busy, and by how much.
	Late *Lateness `json:"late,omitempty"`
	// HarnessLag is how far the open-loop dispatcher itself fell behind its
	// schedule, in seconds: when large, the harness was the bottleneck.
	HarnessLag float64 `json:"harness_lag,omitempty"`
	// OfferedRate is the open-loop arrivals scheduled in the window per
	// second: with Poisson arrivals it differs from the nominal rate.
	OfferedRate float64 `json:"offered_rate,omitempty"`
	// CPUs lists, per replica, the CPUs its worker process was pinned to.
	CPUs []string `json:"cpus,omitempty"`
	// ErrorSamples holds up to a few distinct error messages.
	ErrorSamples []string `json:"error_samples,omitempty"`
	// ErrorKinds counts the errors by kind: "unreachable", "timeout",
	// "http-5xx", "decode", ... (see thumbnail.Kind).
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
	// Failure, when set, says why this measurement failed as a whole (a
	// worker crashed, missed its deadline, ...): it measured nothing.
	Failure string `json:"failure,omitempty"`
	// Placement lists, per replica, the agent and host it ran on.
	Placement []Placement `json:"placement,omitempty"`
	// Start says how the replicas were started together.
	Start *Start `json:"start,omitempty"`
	// Retries lists the failed attempts before this one, oldest first.
	Retries []Retry `json:"retries,omitempty"`
	// Slice, set in a sliced A/B run, says which slice this repeat is. A
	// slice measures throughput, errors and CPU per job, but no latency:
	// Latency, Stages, Histogram and Series stay empty.
	Slice *Slice `json:"slice,omitempty"`
	// Benchmark, set for a repeat imported from Go benchmark output
	// (scalebench import gobench), is the result line it came from. Such
	// a repeat has a throughput (one operation a job) but no latency.
	Benchmark *Benchmark `json:"benchmark,omitempty"`
}

// HasLatency reports whether the repeat measured latency: neither a
// slice of a sliced A/B run nor an imported Go benchmark did.
func (r *Repeat) HasLatency() bool { return r.Slice == nil && r.Benchmark == nil }

// Benchmark is a Go benchmark's result line, as imported: its full name,
// its iterations and every value it reported, by unit as written ("ns/op",
// "B/op", "allocs/op", a custom metric's unit).
type Benchmark struct {
	Name   string  `json:"name"`
	Iters  int     `json:"iters"`
	Values []Value `json:"values"`
}

// Value is one value of a Go benchmark's result line.
type Value struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// Slice places a repeat of a sliced A/B run (run --slices): the Session
// of its pair it was measured in (sessions count from 0, each a fresh
// start of both builds' worker processes), and the Pair of slices in it
// (one slice of each build, in an order drawn at random). Repeats of one
// pair of slices share their Index.
type Slice struct {
	Session int `json:"session"`
	Pair    int `json:"pair"`
	// Length is how long the harness let the build run, in seconds;
	// Repeat.Elapsed is how long it ran, from its resumption until its
	// stop was confirmed.
	Length float64 `json:"length"`
	// CPU is the CPU seconds the build's processes used in the slice, user
	// and system together, read from their CPU clocks (Resources.UserCPU
	// and SysCPU, not measured apart, stay 0).
	CPU float64 `json:"cpu"`
}

// Placement is where one replica of a measurement ran.
type Placement struct {
	Replica int    `json:"replica"`
	Agent   string `json:"agent"`
	Host    string `json:"host"`
}

// Start times the start of a measurement, in seconds: from handing out the
// specs until every replica was ready, from then to the go broadcast, and
// the spread of the go signal's arrival across replicas (clock offsets
// corrected).
type Start struct {
	// Launch, for worker processes started for this measurement, runs from
	// their start until all registered with the harness.
	Launch      float64 `json:"launch,omitempty"`
	SpecToReady float64 `json:"spec_to_ready"`
	ReadyToGo   float64 `json:"ready_to_go"`
	Skew        float64 `json:"skew"`
}

// Retry is a failed attempt at a measurement that was then tried again.
type Retry struct {
	// Reason is why the attempt failed.
	Reason string `json:"reason"`
	// Excluded names the agents left out of the next attempt.
	Excluded []string `json:"excluded,omitempty"`
}

// Latency percentiles of job latency, in seconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Get returns the percentile named "mean", "p50", "p90", "p99", "p999" or "max".
func (l Latency) Get(name string) (float64, bool) {
	switch name {
	case "mean":
		return l.Mean, true
	case "p50":
		return l.P50, true
	case "p90":
		return l.P90, true
	case "p99":
		return l.P99, true
	case "p999":
		return l.P999, true
	case "max":
		return l.Max, true
	}
	return 0, false
}

// Percentiles names the latency figures a cell reports, in order.
var Percentiles = []string{"p50", "p90", "p99", "p999", "max"}

// Stages holds mean stage durations in seconds, by the names of the
// workload's stages (Workload.Stages gives their order), and under
// QueueStage the mean wait for admission (a memory budget) before the
// job's service; the stages make up its service time.
type Stages map[string]float64

// QueueStage names the wait for admission in Stages.
const QueueStage = "queue"

// Queue returns the mean wait for admission, 0 when none was recorded.
func (s Stages) Queue() float64 { return s[QueueStage] }

// Service returns the mean time in service: every stage but the queue.
func (s Stages) Service() float64 {
	var sum float64
	for name, v := range s {
		if name != QueueStage {
			sum += v
		}
	}
	return sum
}

// Resources is the CPU and memory use of the measured processes.
type Resources struct {
	UserCPU float64 `json:"user_cpu"` // seconds
	SysCPU  float64 `json:"sys_cpu"`  // seconds
	MaxRSS  int64   `json:"max_rss"`  // bytes, peak over the worker processes
	// CPUUtil is CPU seconds / (elapsed × available cores), in [0, 1].
	CPUUtil float64 `json:"cpu_util"`
	// JobsPerCPUSecond is successful jobs per CPU-second (user + system).
	JobsPerCPUSecond float64 `json:"jobs_per_cpu_second"`
	// HarnessCPU is the CPU seconds the harness process, embedded image
	// server included, used during the measurement (warm-up included): on a
	// small machine it competes with the measured processes for the cores.
	HarnessCPU float64 `json:"harness_cpu,omitempty"`
	// Machine is the CPU use of the whole machine the replicas ran on
	// during the window, every process counted (from /proc/stat); nil
	// where the system does not tell it.
	Machine *Machine `json:"machine,omitempty"`
}

// Machine is how a machine's CPUs spent a measured window, in
// CPU-seconds: Busy counts every process (the measured ones, the harness
// and any other), Steal the time a hypervisor gave to other guests. With
// replicas on several machines, the figures add up over the machines.
type Machine struct {
	Busy  float64 `json:"busy"`
	Steal float64 `json:"steal"`
	// Wall is the time the readings span, in seconds: the window, and
	// the jobs in flight when it closed (the longest over the replicas).
	// The measured processes' CPU figures span the same time.
	Wall float64 `json:"wall"`
	// CPUs is how many CPUs the machines have.
	CPUs int `json:"cpus"`
}

// Series is a time series of completed jobs per bucket of the measured window.
type Series struct {
	Bucket    float64 `json:"bucket"` // bucket width in seconds
	Completed []int64 `json:"completed"`
}

// Lateness describes how far an open-loop schedule fell behind.
type Lateness struct {
	Count   int64   `json:"count"`    // arrivals that started late
	MaxLag  float64 `json:"max_lag"`  // seconds
	MeanLag float64 `json:"mean_lag"` // seconds, over late arrivals
	// Dropped counts arrivals not started by the end of the window.
	Dropped int64 `json:"dropped,omitempty"`
}

// Baseline returns the index of the cell whose params equal the scenario's
// baseline, or -1.
func (r *Run) Baseline() int {
	for i, c := range r.Cells {
		if c.Params == r.Scenario.Baseline {
			return i
		}
	}
	return -1
}

// Comparison is the earlier run a run was compared with, and how.
type Comparison struct {
	// BasePath is where the baseline was read from, for the report's words.
	BasePath string `json:"base_path"`
	// FailOn, GateOnly and FailOnInconclusive are the gate's settings as
	// given.
	FailOn             string `json:"fail_on,omitempty"`
	GateOnly           bool   `json:"gate_only,omitempty"`
	FailOnInconclusive bool   `json:"fail_on_inconclusive,omitempty"`
	// Base is the baseline run's record, without a comparison of its own.
	Base *Run `json:"base"`
}

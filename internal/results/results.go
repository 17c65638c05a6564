// Package results is scalebench's on-disk record of a run: a versioned JSON
// document that is the only link between measuring and reporting.
package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// SchemaVersion is the version of the results format this package writes.
const SchemaVersion = 1

// ErrSchema reports a results file whose schema version this build cannot read.
var ErrSchema = errors.New("results: unsupported schema version")

// Run is everything one `scalebench run` measured.
type Run struct {
	SchemaVersion int         `json:"schema_version"`
	Scenario      Scenario    `json:"scenario"`
	Environment   Environment `json:"environment"`
	// Order is the run order of measurements: each entry names a cell index
	// and the repeat of it, interleaved across cells (A B C A B C ...).
	Order []Step `json:"order"`
	Cells []Cell `json:"cells"`
	// Interrupted is true when the run stopped before its plan finished;
	// the cells hold what was measured until then.
	Interrupted bool `json:"interrupted,omitempty"`
	// Finished is when the run ended.
	Finished time.Time `json:"finished"`
}

// Scenario is the scenario as run: the facts the analysis and report need,
// plus the full resolved scenario and its source text for the record.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	File        string `json:"file,omitempty"`
	Model       string `json:"model"` // closed, open or batch
	Baseline    Params `json:"baseline"`
	// ImageLatency is the mock server's injected latency in seconds.
	ImageLatency float64 `json:"image_latency"`
	// Resolved is the scenario after defaults, as JSON.
	Resolved json.RawMessage `json:"resolved,omitempty"`
	// Source is the scenario file's text.
	Source string `json:"source,omitempty"`
}

// Environment records where and with what a run was measured.
type Environment struct {
	ScalebenchVersion string  `json:"scalebench_version"`
	GoVersion         string  `json:"go_version"`
	OS                string  `json:"os"`
	Arch              string  `json:"arch"`
	CPUModel          string  `json:"cpu_model"`
	LogicalCPUs       int     `json:"logical_cpus"`
	CPUQuota          float64 `json:"cpu_quota,omitempty"` // cgroup CPU limit in cores, 0 = none
	Hostname          string  `json:"hostname,omitempty"`
	Commit            string  `json:"commit,omitempty"`
	// Pinned is true when the harness and worker processes ran on fixed
	// CPUs (scalebench run --pin); each repeat then lists its workers' CPUs.
	Pinned  bool      `json:"pinned,omitempty"`
	Started time.Time `json:"started"`
}

// Params identifies a cell: the point of the matrix it measures.
type Params struct {
	GOMAXPROCS int     `json:"gomaxprocs"`
	Workers    int     `json:"workers"`
	Replicas   int     `json:"replicas"`
	Rate       float64 `json:"rate,omitempty"`
	Method     string  `json:"method,omitempty"`
}

// String renders the params compactly, e.g. "gomaxprocs=2 workers=8 replicas=1".
func (p Params) String() string {
	s := fmt.Sprintf("gomaxprocs=%d workers=%d replicas=%d", p.GOMAXPROCS, p.Workers, p.Replicas)
	if p.Rate > 0 {
		s += fmt.Sprintf(" rate=%g/s", p.Rate)
	}
	if p.Method != "" {
		s += " method=" + p.Method
	}
	return s
}

// Step is one measurement in run order.
type Step struct {
	Cell   int `json:"cell"`
	Repeat int `json:"repeat"`
}

// Cell is one point of the matrix, summarised over its repeats.
type Cell struct {
	Params Params `json:"params"`
	// Jobs and Errors are totals over all repeats' measured windows.
	Jobs   int64 `json:"jobs"`
	Errors int64 `json:"errors"`
	// Throughput is the median over repeats of successful jobs per second
	// (batch: jobs / makespan).
	Throughput   float64  `json:"throughput"`
	ThroughputCI Interval `json:"throughput_ci"`
	// Latency holds the median over repeats of each percentile, in seconds.
	Latency   Latency             `json:"latency"`
	LatencyCI map[string]Interval `json:"latency_ci,omitempty"` // keyed "p50", "p90", "p99", "p999", "max"
	// OfferedRate is the median over repeats of the open-loop arrivals
	// scheduled per second of the window (open model only).
	OfferedRate float64 `json:"offered_rate,omitempty"`
	// Makespan is the median batch makespan in seconds (batch model only).
	Makespan   float64  `json:"makespan,omitempty"`
	MakespanCI Interval `json:"makespan_ci,omitempty"`
	// Stages holds the mean duration of each stage over all jobs, in seconds.
	Stages Stages `json:"stages"`
	// Resources is the median resource use over repeats.
	Resources Resources `json:"resources"`
	// Histogram is the latency histogram of all repeats merged (see Histogram type).
	Histogram *Histogram `json:"histogram,omitempty"`
	Repeats   []Repeat   `json:"repeats"`
	Warnings  []Warning  `json:"warnings,omitempty"`
}

// Repeat is one measured window of a cell.
type Repeat struct {
	Index int `json:"index"` // 0-based repeat number
	Seq   int `json:"seq"`   // position in the run order
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

// Stages holds mean stage durations in seconds.
type Stages struct {
	Fetch  float64 `json:"fetch"`
	Decode float64 `json:"decode"`
	Resize float64 `json:"resize"`
	Encode float64 `json:"encode"`
	Write  float64 `json:"write"`
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

// Interval is a confidence interval around a median.
type Interval struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Confidence float64 `json:"confidence"` // achieved confidence, e.g. 0.95; 0 when no interval could be formed
	N          int     `json:"n"`          // sample size
}

// Histogram is an HDR histogram of latencies in microseconds, encoded with
// hdrhistogram-go's compressed V2 format (base64).
type Histogram struct {
	Unit    string `json:"unit"` // "us"
	Encoded string `json:"encoded"`
}

// Warning is a caveat about a measurement: it does not fail the run, but the
// report shows it next to the figure it concerns.
type Warning struct {
	Kind    string `json:"kind"` // e.g. "littles-law", "error-rate", "few-repeats", "late-arrivals", "oversubscribed", "few-jobs"
	Message string `json:"message"`
}

// Write stores run at path atomically: a temporary file in the same
// directory, synced, then renamed over path.
func Write(path string, run *Run) error {
	run.SchemaVersion = SchemaVersion
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("results: encode: %w", err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".results-*.json")
	if err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	return nil
}

// Read loads a results file, checking its schema version.
func Read(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: read: %w", err)
	}
	return Decode(path, data)
}

// Decode parses results JSON; name is used in error messages.
func Decode(name string, data []byte) (*Run, error) {
	var head struct {
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("results: read %s: not a results file: %w", name, err)
	}
	if head.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w: %s has schema_version %d, this scalebench reads %d",
			ErrSchema, name, head.SchemaVersion, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var run Run
	if err := dec.Decode(&run); err != nil {
		return nil, fmt.Errorf("results: read %s: %w", name, err)
	}
	return &run, nil
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

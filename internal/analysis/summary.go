package analysis

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/stats"
)

// Cell is one cell of a run with the figures derived from its repeats:
// medians over repeats with their intervals, totals, and the caveats
// about the measurement.
type Cell struct {
	results.Cell // the params and repeats, as recorded
	// Jobs and Errors are totals over all repeats' measured windows.
	Jobs, Errors int64
	// Throughput is the median over repeats of successful jobs per second
	// (batch: jobs / makespan).
	Throughput   float64
	ThroughputCI Interval
	// Latency holds the median over repeats of each percentile, in seconds;
	// LatencyCI their intervals, keyed "p50", "p90", "p99", "p999", "max".
	Latency   results.Latency
	LatencyCI map[string]Interval
	// OfferedRate is the median over repeats of the open-loop arrivals
	// scheduled per second of the window (open model only).
	OfferedRate float64
	// Makespan is the median batch makespan in seconds (batch model only).
	Makespan   float64
	MakespanCI Interval
	// Stages holds the mean duration of each stage over all jobs, in seconds.
	Stages results.Stages
	// Resources is the median resource use over repeats, but for
	// JobsPerCPUSecond: the cell's throughput over its CPU used (the
	// medians'), so that throughput is CPU used times jobs per CPU-second
	// for the cell as for each repeat.
	Resources results.Resources
	// CPU is the median over repeats of the CPU the measured processes
	// used, in cores: CPU-seconds per second of the window.
	CPU float64
	// Machine is what the rest of the machine did during the windows, in
	// cores (medians over repeats); nil when the system did not tell it
	// for every repeat.
	Machine *MachineShare
	// Failed holds the repeats that failed as a whole (see
	// results.Repeat.Failure); the figures above leave them out.
	Failed []results.Repeat
	// ErrorKinds counts the errors of all repeats by kind.
	ErrorKinds map[string]int64
	// Sliced is true when the cell's repeats are slices of a sliced A/B
	// run, which measure no latency: Latency and Stages are then NaN,
	// LatencyCI nil, and LatencyHistogram empty.
	Sliced bool
	// Warnings are the caveats about this cell's measurement.
	Warnings []Warning
}

// Summarize derives every cell's figures and warnings from run's repeats.
func Summarize(run *results.Run) []Cell {
	out := make([]Cell, len(run.Cells))
	for i, c := range run.Cells {
		out[i] = summarizeCell(c, run)
	}
	return out
}

// summarizeCell computes a cell's summary and warnings from its repeats.
func summarizeCell(rc results.Cell, run *results.Run) Cell {
	c := Cell{Cell: rc}
	// A failed measurement measured nothing: the figures come from the
	// others, and a warning says what failed. Without failures the cell
	// shares the run's repeats (read only), which on a run of many cells
	// is most of its memory.
	if slices.ContainsFunc(rc.Repeats, func(r results.Repeat) bool { return r.Failure != "" }) {
		c.Repeats = nil
		for _, r := range rc.Repeats {
			if r.Failure != "" {
				c.Failed = append(c.Failed, r)
			} else {
				c.Repeats = append(c.Repeats, r)
			}
		}
	}
	n := len(c.Repeats)
	if n == 0 {
		c.Warnings = check(&c, run)
		return c // not measured (an interrupted run), or every repeat failed
	}
	tput := make([]float64, n)
	span := make([]float64, n)
	offered := make([]float64, n)
	lat := map[string][]float64{}
	var stageJobs float64
	var st results.Stages
	res := make([][]float64, 6)
	c.Sliced = true
	for i, r := range c.Repeats {
		c.Jobs += r.Jobs
		c.Errors += r.Errors
		for k, v := range r.ErrorKinds {
			if c.ErrorKinds == nil {
				c.ErrorKinds = map[string]int64{}
			}
			c.ErrorKinds[k] += v
		}
		tput[i] = r.Throughput
		span[i] = r.Makespan
		offered[i] = r.OfferedRate
		res[0] = append(res[0], r.Resources.UserCPU)
		res[1] = append(res[1], r.Resources.SysCPU)
		res[2] = append(res[2], float64(r.Resources.MaxRSS))
		res[3] = append(res[3], r.Resources.CPUUtil)
		res[4] = append(res[4], r.Resources.JobsPerCPUSecond)
		res[5] = append(res[5], r.Resources.HarnessCPU)
		if r.Slice != nil {
			continue // no latency or stages
		}
		c.Sliced = false
		for _, p := range results.Percentiles {
			v, _ := r.Latency.Get(p)
			lat[p] = append(lat[p], v)
		}
		lat["mean"] = append(lat["mean"], r.Latency.Mean)
		w := float64(r.Jobs)
		stageJobs += w
		st.Fetch += r.Stages.Fetch * w
		st.Decode += r.Stages.Decode * w
		st.Resize += r.Stages.Resize * w
		st.Encode += r.Stages.Encode * w
		st.Write += r.Stages.Write * w
		st.Queue += r.Stages.Queue * w
	}
	c.Throughput = stats.Median(tput)
	c.ThroughputCI = interval(tput)
	switch run.Scenario.Model {
	case load.Open:
		c.OfferedRate = stats.Median(offered)
	case load.Batch:
		c.Makespan = stats.Median(span)
		c.MakespanCI = interval(span)
	}
	c.Resources = results.Resources{
		UserCPU: stats.Median(res[0]), SysCPU: stats.Median(res[1]), MaxRSS: int64(stats.Median(res[2])),
		CPUUtil: stats.Median(res[3]), JobsPerCPUSecond: stats.Median(res[4]), HarnessCPU: stats.Median(res[5]),
	}
	c.CPU = stats.Median(repeatValues(&c, repCores))
	if usable(c.CPU) && c.Throughput >= 0 && !math.IsInf(c.Throughput, 0) {
		c.Resources.JobsPerCPUSecond = c.Throughput / c.CPU
	}
	c.Machine = machineShare(&c, run.Scenario.Settings(c.Params).Load.Warmup)
	if c.Sliced {
		nan := math.NaN()
		c.Latency = results.Latency{Mean: nan, P50: nan, P90: nan, P99: nan, P999: nan, Max: nan}
		c.Stages = results.Stages{Fetch: nan, Decode: nan, Resize: nan, Encode: nan, Write: nan, Queue: nan}
		c.Warnings = check(&c, run)
		return c
	}
	c.Latency = results.Latency{
		Mean: stats.Median(lat["mean"]), P50: stats.Median(lat["p50"]), P90: stats.Median(lat["p90"]),
		P99: stats.Median(lat["p99"]), P999: stats.Median(lat["p999"]), Max: stats.Median(lat["max"]),
	}
	c.LatencyCI = map[string]Interval{}
	for _, p := range results.Percentiles {
		c.LatencyCI[p] = interval(lat[p])
	}
	if stageJobs > 0 {
		c.Stages = results.Stages{
			Fetch: st.Fetch / stageJobs, Decode: st.Decode / stageJobs, Resize: st.Resize / stageJobs,
			Encode: st.Encode / stageJobs, Write: st.Write / stageJobs, Queue: st.Queue / stageJobs,
		}
	}
	c.Warnings = check(&c, run)
	return c
}

// MachineShare is what the rest of the machine took while a cell was
// measured, in cores (CPU-seconds per second of the window).
type MachineShare struct {
	// Other is every other process: the harness and its image server
	// among them.
	Other float64 `json:"other"`
	// Harness is the harness's own share (its image server included),
	// averaged over the warm-up and the window.
	Harness float64 `json:"harness"`
	// Steal is CPU time the hypervisor gave to other guests.
	Steal float64 `json:"steal"`
	// CPUs is how many CPUs the machine has.
	CPUs int `json:"cpus"`
}

// repeatCPU is the CPU-seconds the measured processes of r used in its
// window.
func repeatCPU(r *results.Repeat) float64 {
	if r.Slice != nil {
		return r.Slice.CPU
	}
	return r.Resources.UserCPU + r.Resources.SysCPU
}

// repCores is the CPU the measured processes of r used, in cores.
func repCores(r *results.Repeat) float64 {
	if !(r.Elapsed > 0) {
		return math.NaN()
	}
	return repeatCPU(r) / r.Elapsed
}

// machineShare is the median of what the rest of the machine took in
// each repeat, or nil unless every repeat recorded it.
func machineShare(c *Cell, warmup float64) *MachineShare {
	var other, harness, steal []float64
	cpus := 0
	for i := range c.Repeats {
		r := &c.Repeats[i]
		m := r.Resources.Machine
		if m == nil || !(r.Elapsed > 0) {
			return nil
		}
		// The counters and the measured processes' CPU span the same
		// time, from the window's opening to the end of its last job.
		span := m.Wall
		if !(span > 0) {
			span = r.Elapsed
		}
		other = append(other, max(0, m.Busy-repeatCPU(r))/span)
		steal = append(steal, m.Steal/span)
		harness = append(harness, r.Resources.HarnessCPU/(warmup+r.Elapsed))
		cpus = max(cpus, m.CPUs)
	}
	if len(other) == 0 {
		return nil
	}
	return &MachineShare{Other: stats.Median(other), Harness: stats.Median(harness), Steal: stats.Median(steal), CPUs: cpus}
}

// Measured reports whether any repeat of the cell measured something (not
// every repeat failed, and it had any): a cell that was not has no figures,
// only zeros, and stays out of series, ratios and findings.
func (c *Cell) Measured() bool { return len(c.Repeats) > 0 }

// LatencyHistogram is the latency histogram of the cell's repeats merged
// (those that did not fail), made anew at each call: a run keeps its
// histograms encoded, and a merged one takes 188 KB.
func (c *Cell) LatencyHistogram() *hdrhistogram.Histogram {
	h := metrics.NewHistogram()
	for _, r := range c.Repeats {
		r.Histogram.AddTo(h)
	}
	return h
}

func interval(xs []float64) Interval {
	lo, hi, conf := stats.MedianCI(xs, confidence)
	return Interval{Lo: lo, Hi: hi, Confidence: conf, N: len(xs)}
}

// check returns the caveats about a cell's measurement, judged with the
// thresholds and the CPUs the run recorded.
func check(c *Cell, run *results.Run) []Warning {
	sc := &run.Scenario
	var ws []Warning
	add := func(kind, format string, args ...any) {
		ws = append(ws, Warning{Kind: kind, Message: fmt.Sprintf(format, args...)})
	}
	n := len(c.Repeats)
	if f := len(c.Failed); f > 0 {
		add(WarnFailed, "%d of %d measurements failed: %s", f, f+n, c.Failed[0].Failure)
	}
	if n > 0 && c.Jobs == 0 {
		add(WarnNoJobs, "no job succeeded in %d measurements", n)
	}
	switch {
	case n == 1 && sc.Load.Repeats == 1:
		add("few-repeats", "1 repeat: no confidence interval; use repeats: 6 or more for a 95%% interval")
	case n > 1 && c.ThroughputCI.Confidence < confidence:
		add("few-repeats", "%d repeats give only a %.1f%% interval for the median; 6 or more reach 95%%", n, 100*c.ThroughputCI.Confidence)
	}
	total := c.Jobs + c.Errors
	if total > 0 {
		if rate := float64(c.Errors) / float64(total); rate > sc.Checks.MaxErrorRate {
			msg := ""
			for _, r := range c.Repeats {
				if len(r.ErrorSamples) > 0 {
					msg = ": " + r.ErrorSamples[0]
					break
				}
			}
			add(WarnErrorRate, "%.1f%% of jobs failed (threshold %.1f%%)%s%s", 100*rate, 100*sc.Checks.MaxErrorRate, kindsText(c.ErrorKinds), msg)
		}
	}
	if n > 0 && c.Jobs/int64(n) < sc.Checks.MinJobs && sc.Model != load.Batch && !c.Sliced {
		add("few-jobs", "%d jobs per window: percentiles beyond p%d are not resolved; lengthen load.duration", c.Jobs/int64(n), resolved(c.Jobs/int64(n)))
	}
	if sc.Model == load.Closed && c.Throughput > 0 && c.Latency.Mean > 0 {
		// Little's law: jobs in the system = throughput × time in the system.
		want := float64(c.Params.Workers * c.Params.Replicas)
		got := c.Throughput * (c.Latency.Mean + sc.Settings(c.Params).Load.Think)
		if math.Abs(got-want)/want > sc.Checks.LittleTolerance {
			add("littles-law", "Little's law does not hold: throughput × (mean latency + think) = %.2f, but %g workers are busy (tolerance %.0f%%); time is spent outside the measured jobs", got, want, 100*sc.Checks.LittleTolerance)
		}
	}
	if sc.Model == load.Open {
		var late, dropped, jobs int64
		var maxLag, harness float64
		for _, r := range c.Repeats {
			jobs += r.Jobs
			harness = max(harness, r.HarnessLag)
			if r.Late != nil {
				late += r.Late.Count
				dropped += r.Late.Dropped
				maxLag = max(maxLag, r.Late.MaxLag)
			}
		}
		// Random arrivals bunch: a few wait a little even far from
		// capacity. Only a cell that falls behind the offered rate or
		// queues its jobs could not keep up.
		if sat := saturationOf(c); jobs > 0 && late > 0 && sat.saturated {
			add("late-arrivals", "the system could not keep up with %g/s: it delivered %s of %s offered, and %d of %d arrivals waited for a free worker, up to %s",
				c.Params.Rate, format.Rate(c.Throughput), format.Number(sat.offered)+"/s", late, jobs, seconds(maxLag))
		}
		if dropped > 0 {
			add("dropped", "%d scheduled arrivals had not finished when the window closed", dropped)
		}
		if harness > 0.01 {
			add("harness-behind", "the load generator fell %s behind its own schedule: the harness, not the system, may be the limit", seconds(harness))
		}
	}
	if len(run.Environment.Agents) > 0 {
		ws = append(ws, agentLoad(c, run.Environment.Agents)...)
	} else if cpus := run.Environment.CPUs(); cpus > 0 && float64(c.Params.GOMAXPROCS*c.Params.Replicas) > cpus {
		add("oversubscribed", "GOMAXPROCS %d × %d replicas exceeds the %g CPUs available: parallelism is capped by the machine", c.Params.GOMAXPROCS, c.Params.Replicas, cpus)
	}
	return append(ws, startChecks(c)...)
}

// resolved is the highest percentile that n samples can resolve (1/(1-q) <= n).
func resolved(n int64) int {
	switch {
	case n >= 1000:
		return 999
	case n >= 100:
		return 99
	case n >= 10:
		return 90
	default:
		return 50
	}
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

// Interval is a confidence interval around a median.
type Interval struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Confidence float64 `json:"confidence"` // achieved confidence, e.g. 0.95; 0 when no interval could be formed
	N          int     `json:"n"`          // sample size
}

// Kinds of warning that fail a run (scalebench run exits 1 once its
// results and report are written): its measurements did not happen or
// mostly failed.
const (
	WarnFailed    = "failed"     // a measurement failed as a whole
	WarnNoJobs    = "no-jobs"    // no job succeeded in a cell
	WarnErrorRate = "error-rate" // more jobs failed than checks.max_error_rate allows
)

// Warning is a caveat about a measurement: it does not fail the run, but the
// report shows it next to the figure it concerns.
type Warning struct {
	Kind    string `json:"kind"` // e.g. "littles-law", "error-rate", "few-repeats", "late-arrivals", "oversubscribed", "few-jobs"
	Message string `json:"message"`
}

// kindsText lists error counts by kind, most frequent first: " (12
// unreachable, 3 timeout)", or "" when the kinds were not recorded.
func kindsText(kinds map[string]int64) string {
	if len(kinds) == 0 {
		return ""
	}
	names := slices.Collect(maps.Keys(kinds))
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(kinds[b], kinds[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%d %s", kinds[k], k)
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

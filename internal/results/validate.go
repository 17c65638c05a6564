package results

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
)

// ErrInvalid reports results holding a value no run could have recorded: a
// negative throughput, GOMAXPROCS 0, a measurement recorded twice, a
// histogram of other bounds.
var ErrInvalid = errors.New("invalid results")

// InvalidError lists what is wrong in a results file or journal, each
// problem naming its field, e.g.
// "cells[3].repeats[1].throughput: must be finite and >= 0, got -259".
type InvalidError struct {
	// File names the results file, journal or report page.
	File string
	// Problems are the first problems found, in the order of the file.
	Problems []string
	// More counts the problems found beyond those.
	More int
}

// Error lists the problems one per line, each as "FILE: field: what is
// wrong", the first after "invalid results: ".
func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("invalid results: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %s", e.File, p)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n%s: and %d more problems", e.File, e.More)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// maxProblems is how many problems an InvalidError lists.
const maxProblems = 5

// Bounds of the values a measurement can record. They are far beyond any
// real run and keep every figure derived from them (sums over repeats,
// ratios of two runs) finite.
const (
	// maxSeconds bounds a duration: longer than any window, makespan or
	// latency a run measures.
	maxSeconds = 1e6
	// maxRate bounds a rate in jobs per second.
	maxRate = 1e9
	// maxCount bounds a count of jobs, errors or arrivals in one
	// measurement, so that their sums over a whole run stay in an int64.
	maxCount = 1e12
	// maxBytes bounds a memory size.
	maxBytes = 1 << 50
	// maxCPUs bounds a count of CPUs.
	maxCPUs = 1 << 20
)

// Validate checks every value of run that the analysis, a report, a
// comparison or an export reads, and returns an *InvalidError naming the
// file (name) and each bad field, or nil. Read, Decode and ReadJournal call
// it on every run they return.
func (r *Run) Validate(name string) error {
	v := &validator{}
	v.run("", r, true)
	if len(v.problems) == 0 {
		return nil
	}
	return &InvalidError{File: name, Problems: v.problems, More: v.more}
}

// validator collects the problems of a run.
type validator struct {
	problems []string
	more     int
}

func (v *validator) addf(field, format string, args ...any) {
	if len(v.problems) == maxProblems {
		v.more++
		return
	}
	v.problems = append(v.problems, field+": "+fmt.Sprintf(format, args...))
}

// num checks that x is finite and in [0, hi].
func (v *validator) num(field string, x, hi float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		v.addf(field, "must be finite and >= 0, got %s", fmtNum(x))
	} else if x > hi {
		v.addf(field, "must be at most %s, got %s", fmtNum(hi), fmtNum(x))
	}
}

// count checks that n is in [0, hi].
func (v *validator) count(field string, n int64, hi float64) {
	if n < 0 {
		v.addf(field, "must be >= 0, got %d", n)
	} else if float64(n) > hi {
		v.addf(field, "must be at most %s, got %d", fmtNum(hi), n)
	}
}

// between checks that n is in [lo, hi].
func (v *validator) between(field string, n, lo, hi int) {
	if n < lo || n > hi {
		v.addf(field, "must be %d to %d, got %d", lo, hi, n)
	}
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// run checks r, whose fields are named with prefix pre; top is false for
// the baseline run a comparison holds.
func (v *validator) run(pre string, r *Run, top bool) {
	v.scenario(pre+"scenario", &r.Scenario)
	e := &r.Environment
	v.between(pre+"environment.logical_cpus", e.LogicalCPUs, 0, maxCPUs)
	v.num(pre+"environment.cpu_quota", e.CPUQuota, maxCPUs)
	for i, a := range e.Agents {
		p := fmt.Sprintf("%senvironment.agents[%d]", pre, i)
		v.between(p+".cpus", a.CPUs, 0, maxCPUs)
		if math.IsNaN(a.ClockOffset) || math.Abs(a.ClockOffset) > maxSeconds {
			v.addf(p+".clock_offset", "must be a finite number of seconds, got %s", fmtNum(a.ClockOffset))
		}
		v.num(p+".clock_rtt", a.ClockRTT, maxSeconds)
	}
	for i, s := range r.Order {
		p := fmt.Sprintf("%sorder[%d]", pre, i)
		switch {
		case len(r.Cells) == 0:
			v.addf(p+".cell", "names cell %d, but the run has no cells", s.Cell)
		case s.Cell < 0 || s.Cell >= len(r.Cells):
			v.addf(p+".cell", "must index one of the %d cells (0 to %d), got %d", len(r.Cells), len(r.Cells)-1, s.Cell)
		}
		v.between(p+".repeat", s.Repeat, 0, math.MaxInt32)
		v.round(p+".round", s.Round)
	}
	cells := map[Params]int{}
	seqs := map[int]string{}
	for i := range r.Cells {
		c := &r.Cells[i]
		p := fmt.Sprintf("%scells[%d]", pre, i)
		v.params(p+".params", c.Params)
		if j, ok := cells[c.Params]; ok {
			v.addf(p+".params", "the same cell as cells[%d] (%s): a cell is measured once, with its repeats; remove one or merge their repeats", j, c.Params)
		} else {
			cells[c.Params] = i
		}
		for k := range c.Repeats {
			rp := fmt.Sprintf("%s.repeats[%d]", p, k)
			v.repeat(rp, &c.Repeats[k])
			if other, ok := seqs[c.Repeats[k].Seq]; ok {
				v.addf(rp+".seq", "%d, the same as %s: one measurement recorded twice", c.Repeats[k].Seq, other)
			} else {
				seqs[c.Repeats[k].Seq] = rp
			}
		}
	}
	names := map[string]bool{}
	for i, b := range r.Builds {
		p := fmt.Sprintf("%sbuilds[%d]", pre, i)
		if names[b.Name] {
			v.addf(p+".name", "%q names another build already", b.Name)
		}
		names[b.Name] = true
		v.between(p+".protocol", b.Protocol, 0, math.MaxInt32)
	}
	if r.Comparison != nil && r.Comparison.Base != nil {
		if top {
			v.run(pre+"comparison.base.", r.Comparison.Base, false)
		} else {
			v.addf(pre+"comparison", "a baseline run holds no comparison of its own")
		}
	}
}

func (v *validator) scenario(pre string, s *Scenario) {
	switch s.Model {
	case load.Closed, load.Open, load.Batch:
	default:
		v.addf(pre+".model", "must be closed, open or batch, got %q", s.Model)
	}
	v.num(pre+".image_latency", s.ImageLatency, maxSeconds)
	v.load(pre+".load", s.Load)
	c := s.Checks
	v.num(pre+".checks.max_error_rate", c.MaxErrorRate, 1)
	v.num(pre+".checks.little_tolerance", c.LittleTolerance, maxRate)
	v.count(pre+".checks.min_jobs", c.MinJobs, maxCount)
	names := map[string]bool{}
	for i, b := range s.Blocks {
		p := fmt.Sprintf("%s.blocks[%d]", pre, i)
		if names[b.Name] {
			v.addf(p+".name", "%q names another block already", b.Name)
		}
		names[b.Name] = true
		v.num(p+".image_latency", b.ImageLatency, maxSeconds)
		v.num(p+".image_jitter", b.ImageJitter, maxSeconds)
		v.between(p+".thumbnail.width", b.Thumbnail.Width, 0, 1<<16)
		v.between(p+".thumbnail.height", b.Thumbnail.Height, 0, 1<<16)
		v.load(p+".load", b.Load)
	}
}

func (v *validator) load(pre string, l Load) {
	v.between(pre+".repeats", l.Repeats, 0, 1<<20)
	v.num(pre+".warmup", l.Warmup, maxSeconds)
	v.num(pre+".window", l.Window, maxSeconds)
	v.num(pre+".think", l.Think, maxSeconds)
	v.num(pre+".timeout", l.Timeout, maxSeconds)
	v.count(pre+".jobs", int64(l.Jobs), maxCount)
}

func (v *validator) params(pre string, p Params) {
	v.between(pre+".gomaxprocs", p.GOMAXPROCS, 1, param.MaxGOMAXPROCS)
	v.between(pre+".workers", p.Workers, 1, param.MaxWorkers)
	v.between(pre+".replicas", p.Replicas, 1, param.MaxReplicas)
	if p.Rate != 0 {
		v.num(pre+".rate", p.Rate, load.MaxRate)
	}
}

func (v *validator) round(field string, round int) {
	if round != RoundMain && round != RoundConfirm {
		v.addf(field, "must be %d (the main round) or %d (a confirmation), got %d", RoundMain, RoundConfirm, round)
	}
}

func (v *validator) repeat(pre string, r *Repeat) {
	v.between(pre+".index", r.Index, 0, math.MaxInt32)
	v.between(pre+".seq", r.Seq, 0, math.MaxInt32)
	v.round(pre+".round", r.Round)
	v.num(pre+".elapsed", r.Elapsed, maxSeconds)
	v.count(pre+".jobs", r.Jobs, maxCount)
	v.count(pre+".errors", r.Errors, maxCount)
	v.num(pre+".throughput", r.Throughput, maxRate)
	l := r.Latency
	for _, f := range []struct {
		name string
		x    float64
	}{{"mean", l.Mean}, {"p50", l.P50}, {"p90", l.P90}, {"p99", l.P99}, {"p999", l.P999}, {"max", l.Max}} {
		v.num(pre+".latency."+f.name, f.x, maxSeconds)
	}
	v.num(pre+".makespan", r.Makespan, maxSeconds)
	st := r.Stages
	for _, f := range []struct {
		name string
		x    float64
	}{{"fetch", st.Fetch}, {"decode", st.Decode}, {"resize", st.Resize}, {"encode", st.Encode}, {"write", st.Write}, {"queue", st.Queue}} {
		v.num(pre+".stages."+f.name, f.x, maxSeconds)
	}
	res := r.Resources
	v.num(pre+".resources.user_cpu", res.UserCPU, maxSeconds*maxCPUs)
	v.num(pre+".resources.sys_cpu", res.SysCPU, maxSeconds*maxCPUs)
	v.count(pre+".resources.max_rss", res.MaxRSS, maxBytes)
	v.num(pre+".resources.cpu_util", res.CPUUtil, maxCPUs)
	v.num(pre+".resources.jobs_per_cpu_second", res.JobsPerCPUSecond, maxRate)
	v.num(pre+".resources.harness_cpu", res.HarnessCPU, maxSeconds*maxCPUs)
	if m := res.Machine; m != nil {
		v.num(pre+".resources.machine.busy", m.Busy, maxSeconds*maxCPUs)
		v.num(pre+".resources.machine.steal", m.Steal, maxSeconds*maxCPUs)
		v.num(pre+".resources.machine.wall", m.Wall, maxSeconds)
		v.between(pre+".resources.machine.cpus", m.CPUs, 0, maxCPUs)
	}
	if err := r.Histogram.Check(); err != nil {
		v.addf(pre+".histogram", "%v", err)
	}
	v.num(pre+".series.bucket", r.Series.Bucket, maxSeconds)
	for i, n := range r.Series.Completed {
		v.count(fmt.Sprintf("%s.series.completed[%d]", pre, i), n, maxCount)
	}
	if l := r.Late; l != nil {
		v.count(pre+".late.count", l.Count, maxCount)
		v.num(pre+".late.max_lag", l.MaxLag, maxSeconds)
		v.num(pre+".late.mean_lag", l.MeanLag, maxSeconds)
		v.count(pre+".late.dropped", l.Dropped, maxCount)
	}
	v.num(pre+".harness_lag", r.HarnessLag, maxSeconds)
	v.num(pre+".offered_rate", r.OfferedRate, maxRate)
	for _, k := range slices.Sorted(maps.Keys(r.ErrorKinds)) {
		n := r.ErrorKinds[k]
		v.count(fmt.Sprintf("%s.error_kinds[%q]", pre, k), n, maxCount)
	}
	if s := r.Start; s != nil {
		v.num(pre+".start.launch", s.Launch, maxSeconds)
		v.num(pre+".start.spec_to_ready", s.SpecToReady, maxSeconds)
		v.num(pre+".start.ready_to_go", s.ReadyToGo, maxSeconds)
		v.num(pre+".start.skew", s.Skew, maxSeconds)
	}
}

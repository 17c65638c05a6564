package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
)

// Decomposition writes a throughput ratio between two cells as the
// resources the measured processes actually used times the work they did
// per resource: CPU used (cores) × jobs per CPU-second. A cell's CPU used
// is the median over its repeats, its jobs per CPU-second its median
// throughput over that, so the product reproduces a ratio of median
// throughputs; a batch's ratio of median makespans it reproduces to within
// the spread of the repeats (Agrees).
type Decomposition struct {
	// Ratio is the ratio decomposed; Product the factors multiplied.
	Ratio   float64  `json:"ratio"`
	Product float64  `json:"product"`
	Factors []Factor `json:"factors"`
	// Ideal is the ratio linear scaling would give for the step, the
	// resources' own ratio (2 for GOMAXPROCS 1 → 2); 0 when the cells do
	// not differ by one resource.
	Ideal float64 `json:"ideal,omitempty"`
	// From and To are the rest of the machine during the two cells; nil
	// when the system did not tell it (Unavailable then says why).
	From        *MachineShare `json:"machine_from,omitempty"`
	To          *MachineShare `json:"machine_to,omitempty"`
	Unavailable string        `json:"unavailable,omitempty"`
	// Formula is the product written out: "1.35x = 1.78x CPU used ×
	// 0.76x jobs per CPU-second".
	Formula string `json:"formula"`
	// Reasons say where the ratio fell short of Ideal, or why it moved:
	// "each job cost 32% more CPU at GOMAXPROCS=2".
	Reasons []string `json:"reasons,omitempty"`
	// Sentence is the formula and the reasons in one sentence.
	Sentence string `json:"sentence"`
}

// Factor is one term of a decomposition: a measured quantity in both
// cells and its ratio.
type Factor struct {
	// Name is "cpu used" or "jobs per CPU-second".
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	// Unit is what From and To count: "cores", "jobs/CPU-s".
	Unit string `json:"unit"`
}

// Names of the factors.
const (
	FactorCPU     = "cpu used"
	FactorJobsCPU = "jobs per CPU-second"
	// A memory budget's step is admitted concurrency (jobs in service at
	// once, by Little's law: throughput × mean service time) times the
	// rate of one slot (1 / mean service time).
	FactorAdmitted = "admitted concurrency"
	FactorPerSlot  = "jobs per slot-second"
)

// ServiceTime is a cell's mean service time in seconds: a job's time
// from its admission (its memory reserved) to its end, the mean latency
// less the mean wait in queue.
func (c *Cell) ServiceTime() float64 {
	return c.Latency.Mean - c.Stages.Queue
}

// DecompositionTolerance is how far a decomposition's product may miss
// its ratio (relatively) and still be said to reproduce it.
const DecompositionTolerance = 0.02

// Agrees reports whether the product reproduces the ratio within
// DecompositionTolerance.
func (d *Decomposition) Agrees() bool {
	return d != nil && usable(d.Ratio) && math.Abs(d.Product/d.Ratio-1) <= DecompositionTolerance
}

// Thresholds of the reasons: a factor closer to 1 than sameWork is "about
// the same"; the resources count as there when their factor reaches
// coresThere of the ideal; another process matters from otherMatters of a
// core, steal from stealMatters.
const (
	sameWork     = 1.05
	coresThere   = 0.85
	otherMatters = 0.15
	stealMatters = 0.05
)

// MachineUnavailable is what a decomposition says when the machine's CPU
// counters were not recorded.
const MachineUnavailable = "other processes' CPU and steal time are unavailable: they are read from /proc/stat, on Linux only (and results recorded before they were are without them)"

// decompose writes the throughput ratio of cell to over cell from (ratio,
// as measured) as CPU used × jobs per CPU-second; d is the dimension the
// two cells differ in (nil when they differ in several or none). It is
// nil when either cell lacks a CPU figure.
func (a *Analysis) decompose(from, to int, ratio float64, d *param.Dimension) *Decomposition {
	fc, tc := &a.Cells[from], &a.Cells[to]
	if d == param.Memory {
		return a.decomposeAdmitted(fc, tc, ratio)
	}
	if !usable(ratio) || !usable(fc.CPU) || !usable(tc.CPU) ||
		!usable(fc.Resources.JobsPerCPUSecond) || !usable(tc.Resources.JobsPerCPUSecond) {
		return nil
	}
	cpu := Factor{Name: FactorCPU, From: fc.CPU, To: tc.CPU, Value: tc.CPU / fc.CPU, Unit: "cores"}
	work := Factor{Name: FactorJobsCPU, From: fc.Resources.JobsPerCPUSecond, To: tc.Resources.JobsPerCPUSecond, Unit: "jobs/CPU-s"}
	work.Value = work.To / work.From
	dc := &Decomposition{Ratio: ratio, Product: cpu.Value * work.Value, Factors: []Factor{cpu, work},
		From: fc.Machine, To: tc.Machine}
	if fc.Machine == nil || tc.Machine == nil {
		dc.From, dc.To, dc.Unavailable = nil, nil, MachineUnavailable
	}
	if d != nil && d.Resource && d.Numeric && d.Value(fc.Params) > 0 {
		dc.Ideal = d.Value(tc.Params) / d.Value(fc.Params)
	}
	dc.Formula = fmt.Sprintf("%s = %s CPU used × %s jobs per CPU-second",
		format.Factor(ratio), format.Factor(cpu.Value), format.Factor(work.Value))
	if !dc.Agrees() {
		dc.Formula += fmt.Sprintf(" (the factors multiply to %s: the repeats disagree, and the median makespan is not the median throughput's)",
			format.Factor(dc.Product))
	}
	dc.Reasons = a.reasons(dc, fc, tc, d)
	dc.Sentence = dc.Formula
	if len(dc.Reasons) > 0 {
		dc.Sentence += ": " + strings.Join(dc.Reasons, "; ")
	}
	return dc
}

// reasons explains a decomposition: what the work per CPU-second did,
// and, for a step short of its ideal, whether the cores were there and
// who else took them.
func (a *Analysis) reasons(dc *Decomposition, fc, tc *Cell, d *param.Dimension) []string {
	cpu, work := dc.Factors[0].Value, dc.Factors[1].Value
	at := paramsLabel(tc.Params, "")
	if d != nil {
		at = d.Count(d.Label(tc.Params))
	}
	var out []string
	switch {
	case work < 1/sameWork:
		out = append(out, fmt.Sprintf("each job cost %s more CPU at %s", pct(1/work-1), at))
	case work > sameWork:
		out = append(out, fmt.Sprintf("each job cost %s less CPU at %s", pct(1-1/work), at))
	default:
		out = append(out, "each job cost about the same CPU")
	}
	k := dc.Ideal
	if !(k > 1) || dc.Ratio >= linearShare*k {
		// No step, or near-linear: nothing fell short, but a machine
		// busy with other work is worth knowing of.
		return append(out, busyWords(fc, tc, d)...)
	}
	avail := float64(tc.Params.GOMAXPROCS * max(tc.Params.Replicas, 1))
	if m := tc.Machine; m != nil && m.CPUs > 0 {
		avail = min(avail, float64(m.CPUs))
	} else if n := a.Run.Environment.CPUs(); n > 0 {
		avail = min(avail, n)
	}
	if cpu >= coresThere*k {
		if work < 1/sameWork {
			out = append(out, "the cores were there; each job got more expensive (contention)")
		}
		return out
	}
	if tc.CPU >= coresThere*avail {
		out = append(out, fmt.Sprintf("the CPU was full: %s of the %s the cell could use", coresText(tc.CPU), coreCount(avail)))
	} else {
		out = append(out, fmt.Sprintf("the measured processes used %s of the %s they could", coresText(tc.CPU), coreCount(avail)))
	}
	switch m := tc.Machine; {
	case m == nil:
		out = append(out, "whether other processes took the rest is unavailable (the machine's CPU is read from /proc/stat, on Linux only)")
	default:
		if m.Other >= otherMatters {
			s := fmt.Sprintf("other processes took %s of a core during this cell", coresText(m.Other))
			if m.Harness >= otherMatters/3 {
				s += fmt.Sprintf(" (the harness and its image server about %s of it)", coresText(min(m.Harness, m.Other)))
			}
			out = append(out, s)
		}
		if m.Steal >= stealMatters {
			out = append(out, fmt.Sprintf("the hypervisor took %s of a core (steal time)", coresText(m.Steal)))
		}
		if m.Other < otherMatters && m.Steal < stealMatters && boundKind(fc.Stages) == "I/O-bound" {
			out = append(out, "the jobs wait on I/O, so the cores stay idle")
		}
	}
	return out
}

// coresText writes a number of cores with two significant digits at
// most: "0.81", "1.2", "2".
func coresText(v float64) string {
	if v >= 1 {
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// coreCount writes a count of cores: "1 core", "2 cores", "1.5 cores".
func coreCount(n float64) string {
	if n == 1 {
		return "1 core"
	}
	return coresText(n) + " cores"
}

// pct writes a positive fraction as a whole percentage: 0.316 → "32%".
func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

// decomposeAdmitted writes the throughput ratio of two cells that differ
// in their memory budget as admitted concurrency × jobs per slot-second:
// how many more jobs the budget let in at once, and how fast each went.
func (a *Analysis) decomposeAdmitted(fc, tc *Cell, ratio float64) *Decomposition {
	fs, ts := fc.ServiceTime(), tc.ServiceTime()
	if !usable(ratio) || !usable(fs) || !usable(ts) || !usable(fc.Throughput) || !usable(tc.Throughput) {
		return nil
	}
	adm := Factor{Name: FactorAdmitted, From: fc.Throughput * fs, To: tc.Throughput * ts, Unit: "jobs in service"}
	adm.Value = adm.To / adm.From
	slot := Factor{Name: FactorPerSlot, From: 1 / fs, To: 1 / ts, Unit: "jobs/s per job in service"}
	slot.Value = slot.To / slot.From
	dc := &Decomposition{Ratio: ratio, Product: adm.Value * slot.Value, Factors: []Factor{adm, slot}, From: fc.Machine, To: tc.Machine}
	if fc.Machine == nil || tc.Machine == nil {
		dc.From, dc.To, dc.Unavailable = nil, nil, MachineUnavailable
	}
	if v := param.Memory.Value(fc.Params); v > 0 {
		dc.Ideal = param.Memory.Value(tc.Params) / v
	}
	dc.Formula = fmt.Sprintf("%s = %s admitted concurrency × %s jobs per slot-second",
		format.Factor(ratio), format.Factor(adm.Value), format.Factor(slot.Value))
	if !dc.Agrees() {
		dc.Formula += fmt.Sprintf(" (the factors multiply to %s: the repeats disagree)", format.Factor(dc.Product))
	}
	dc.Reasons = append(dc.Reasons, fmt.Sprintf("%s jobs in service at once, on average, against %s",
		format.Figure(adm.To), format.Figure(adm.From)))
	switch s := slot.Value; {
	case s < 1/sameWork:
		dc.Reasons = append(dc.Reasons, fmt.Sprintf("each job's service took %s longer (%s → %s)", pct(1/s-1),
			format.DurationFigure(fs, true), format.DurationFigure(ts, true)))
	case s > sameWork:
		dc.Reasons = append(dc.Reasons, fmt.Sprintf("each job's service was %s shorter (%s → %s)", pct(1-1/s),
			format.DurationFigure(fs, true), format.DurationFigure(ts, true)))
	default:
		dc.Reasons = append(dc.Reasons, fmt.Sprintf("each job's service time stayed the same (%s → %s)",
			format.DurationFigure(fs, true), format.DurationFigure(ts, true)))
	}
	dc.Sentence = dc.Formula + ": " + strings.Join(dc.Reasons, "; ")
	return dc
}

// busyWords says what other processes and the hypervisor took during the
// two cells, when it is enough to matter: "other processes took 0.9 of a
// core during GOMAXPROCS=2 (0.8 during GOMAXPROCS=1)".
func busyWords(fc, tc *Cell, d *param.Dimension) []string {
	fm, tm := fc.Machine, tc.Machine
	if fm == nil || tm == nil {
		return nil
	}
	at := func(c *Cell) string {
		if d != nil {
			return d.Count(d.Label(c.Params))
		}
		return "this cell"
	}
	var out []string
	if tm.Other >= otherMatters || fm.Other >= otherMatters {
		out = append(out, fmt.Sprintf("other processes took %s of a core during %s (%s during %s)",
			coresText(tm.Other), at(tc), coresText(fm.Other), at(fc)))
	}
	if tm.Steal >= stealMatters || fm.Steal >= stealMatters {
		out = append(out, fmt.Sprintf("the hypervisor took %s of a core during %s (%s during %s)",
			coresText(tm.Steal), at(tc), coresText(fm.Steal), at(fc)))
	}
	return out
}

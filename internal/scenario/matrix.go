package scenario

import (
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
)

// stepOverhead is the rough cost of starting the measured processes for
// one step.
const stepOverhead = 300 * time.Millisecond

// Cells returns every combination of every block's matrix in a fixed
// order: block by block, and within a block in the order of
// param.Expansion (gomaxprocs outermost, workers innermost). Dimensions a
// matrix does not list stay unset (the rate unless the load model is open);
// Block is the block's name.
func (s *Scenario) Cells() []Params {
	var cells []Params
	for i := range s.Blocks {
		cells = append(cells, s.Blocks[i].cells()...)
	}
	return cells
}

// cells returns the combinations of the block's matrix.
func (b *Block) cells() []Params {
	cells := []Params{{Block: b.Name}}
	for _, d := range param.Expansion {
		vals := b.Matrix[d.Name]
		if len(vals) == 0 {
			continue
		}
		next := make([]Params, 0, len(cells)*len(vals))
		for _, c := range cells {
			for _, v := range vals {
				next = append(next, d.With(c, v))
			}
		}
		cells = next
	}
	return cells
}

// Block returns the block called name, or nil.
func (s *Scenario) Block(name string) *Block {
	for i := range s.Blocks {
		if s.Blocks[i].Name == name {
			return &s.Blocks[i]
		}
	}
	return nil
}

// Plan returns the measurements in run order: each repeat visits every
// cell before the next repeat starts, so slow drift spreads over all cells.
func (s *Scenario) Plan() []Step {
	cells := len(s.Cells())
	repeats := max(s.Load.Repeats, 1)
	steps := make([]Step, 0, cells*repeats)
	for r := range repeats {
		for c := range cells {
			steps = append(steps, Step{Cell: c, Repeat: r})
		}
	}
	return steps
}

// BaselineIndex returns the index in Cells() of the baseline cell, or 0
// when the baseline is not among the cells.
func (s *Scenario) BaselineIndex() int {
	for i, c := range s.Cells() {
		if c == s.Baseline {
			return i
		}
	}
	return 0
}

// Estimate returns a rough wall-clock time for the whole plan, saturating
// at the largest time.Duration.
func (s *Scenario) Estimate() time.Duration {
	repeats := max(s.Load.Repeats, 1)
	var total time.Duration
	for i := range s.Blocks {
		b := &s.Blocks[i]
		for _, c := range b.cells() {
			total = addDur(total, mulDur(b.stepTime(c, s.Load.Cooldown.D()), float64(repeats)))
		}
	}
	return total
}

// stepTime estimates one measurement of cell c, with its cooldown.
func (b *Block) stepTime(c Params, cooldown time.Duration) time.Duration {
	l := b.Load
	t := addDur(addDur(max(l.Warmup.D(), 0), max(cooldown, 0)), stepOverhead)
	if l.Model != load.Batch {
		return addDur(t, max(l.Duration.D(), 0))
	}
	// A batch runs until its jobs are done: how long a job takes is the
	// workload's; a second stands for it.
	return addDur(t, time.Second)
}

package scenario

import (
	"math"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/load"
)

// stepOverhead is the rough cost of starting the measured processes for
// one step.
const stepOverhead = 300 * time.Millisecond

// Cells returns every combination of the matrix in a fixed order:
// gomaxprocs outermost, then replicas, method, rate, and workers innermost.
// Rate is 0 unless the load model is open; Method is always set.
func (s *Scenario) Cells() []Params {
	rates := []float64{0}
	if s.Load.Model == load.Open && len(s.Matrix.Rate) > 0 {
		rates = s.Matrix.Rate
	}
	methods := s.Matrix.Method
	if len(methods) == 0 {
		methods = []string{s.method()}
	}
	var cells []Params
	for _, g := range s.Matrix.GOMAXPROCS {
		for _, r := range s.Matrix.Replicas {
			for _, m := range methods {
				for _, rate := range rates {
					for _, w := range s.Matrix.Workers {
						cells = append(cells, Params{GOMAXPROCS: g, Workers: w, Replicas: r, Rate: rate, Method: m})
					}
				}
			}
		}
	}
	return cells
}

// method returns the thumbnail method, or the default when unset.
func (s *Scenario) method() string {
	if s.Thumbnail.Method != "" {
		return s.Thumbnail.Method
	}
	return DefaultMethod
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
	for _, c := range s.Cells() {
		total = addDur(total, mulDur(s.stepTime(c), float64(repeats)))
	}
	return total
}

// stepTime estimates one measurement of cell c.
func (s *Scenario) stepTime(c Params) time.Duration {
	l := s.Load
	t := addDur(addDur(max(l.Warmup.D(), 0), max(l.Cooldown.D(), 0)), stepOverhead)
	if l.Model != load.Batch {
		return addDur(t, max(l.Duration.D(), 0))
	}
	workers := float64(max(c.Workers, 1)) * float64(max(c.Replicas, 1))
	rounds := math.Ceil(float64(max(l.Jobs, 0)) / workers)
	return addDur(addDur(t, mulDur(max(s.Images.Latency.D(), 0), rounds)), time.Second)
}

// URLs returns base joined with each image path.
func (s *Scenario) URLs(base string) []string {
	base = strings.TrimRight(base, "/")
	urls := make([]string, len(s.Images.Paths))
	for i, p := range s.Images.Paths {
		urls[i] = base + p
	}
	return urls
}

package scenario

import (
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

// Default values for fields a scenario leaves out.
const (
	DefaultImagePath = "/640x480/ccc/aaa.jpg"
	DefaultThumbSize = 64
	DefaultFilter    = thumbnail.DefaultFilter
	DefaultFormat    = thumbnail.DefaultFormat
	DefaultMethod    = thumbnail.DefaultMethod
	DefaultModel     = load.Closed
	DefaultDuration  = 3 * time.Second
	DefaultWarmup    = time.Second
	DefaultRepeats   = 5
	DefaultArrival   = load.Poisson
	DefaultJobs      = 5
	DefaultBucket    = 250 * time.Millisecond
	DefaultTimeout   = 30 * time.Second
)

// defaults fills in every field the file did not set. Fields given with a
// rejected value are left alone.
func (d *decoder) defaults(s *Scenario) {
	set := func(path string, apply func()) {
		if !d.given(path) {
			apply()
		}
	}
	set("images.paths", func() { s.Images.Paths = []string{DefaultImagePath} })

	t := &s.Thumbnail
	set("thumbnail.width", func() { t.Width = DefaultThumbSize })
	set("thumbnail.height", func() { t.Height = DefaultThumbSize })
	set("thumbnail.filter", func() { t.Filter = DefaultFilter })
	set("thumbnail.format", func() { t.Format = DefaultFormat })
	set("thumbnail.method", func() { t.Method = DefaultMethod })

	l := &s.Load
	set("load.model", func() { l.Model = DefaultModel })
	set("load.duration", func() { l.Duration = Duration(DefaultDuration) })
	set("load.warmup", func() { l.Warmup = Duration(DefaultWarmup) })
	set("load.repeats", func() { l.Repeats = DefaultRepeats })
	set("load.bucket", func() { l.Bucket = Duration(DefaultBucket) })
	set("load.timeout", func() { l.Timeout = Duration(DefaultTimeout) })
	if l.Model == load.Open {
		set("load.arrival", func() { l.Arrival = DefaultArrival })
	}
	if l.Model == load.Batch {
		set("load.jobs", func() { l.Jobs = DefaultJobs })
	}

	m := &s.Matrix
	set("matrix.gomaxprocs", func() { m.GOMAXPROCS = []int{1} })
	set("matrix.workers", func() { m.Workers = []int{1} })
	set("matrix.replicas", func() { m.Replicas = []int{1} })
	if t.Method != "" {
		set("matrix.method", func() { m.Method = []string{t.Method} })
	}
	if l.Model == load.Open && l.Rate > 0 {
		set("matrix.rate", func() { m.Rate = []float64{float64(l.Rate)} })
	}

	c := &s.Checks
	set("checks.max_error_rate", func() { c.MaxErrorRate = 0.01 })
	set("checks.little_tolerance", func() { c.LittleTol = 0.10 })
	set("checks.min_jobs", func() { c.MinJobs = 100 })
}

// baselineDefaults fills in the baseline's unset fields from its block's
// matrix: the block the baseline names, or the first.
func (d *decoder) baselineDefaults(s *Scenario) {
	b := &s.Baseline
	blk := s.Block(b.Block)
	if blk == nil || !d.given("baseline.block") {
		if len(s.Blocks) == 0 {
			return
		}
		blk = &s.Blocks[0]
	}
	if !d.given("baseline.block") {
		b.Block = blk.Name
	}
	m := &blk.Matrix
	set := func(path string, apply func()) {
		if !d.given(path) {
			apply()
		}
	}
	set("baseline.gomaxprocs", func() { b.GOMAXPROCS = first(m.GOMAXPROCS) })
	set("baseline.workers", func() { b.Workers = first(m.Workers) })
	set("baseline.replicas", func() { b.Replicas = first(m.Replicas) })
	set("baseline.method", func() { b.Method = first(m.Method) })
	if s.Load.Model == load.Open {
		set("baseline.rate", func() { b.Rate = first(m.Rate) })
	}
}

// first returns the first element of xs, or the zero value.
func first[T any](xs []T) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	return xs[0]
}

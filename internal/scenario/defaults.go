package scenario

import (
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
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

	m := s.Matrix
	for _, dim := range param.Listed() {
		if dim.Default != nil {
			set("matrix."+dim.Name, func() { m[dim.Name] = dim.Default })
		}
	}
	if t.Method != "" {
		set("matrix.method", func() { m[param.Method.Name] = []param.Value{{Text: t.Method}} })
	}
	if l.Model == load.Open && l.Rate > 0 {
		set("matrix.rate", func() { m[param.Rate.Name] = []param.Value{{Num: float64(l.Rate)}} })
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
	for _, dim := range param.Listed() {
		if vals := blk.Matrix[dim.Name]; !d.given("baseline."+dim.Name) && len(vals) > 0 {
			*b = dim.With(*b, vals[0])
		}
	}
}

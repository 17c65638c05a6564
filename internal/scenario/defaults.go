package scenario

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/workload"
)

// Default values for fields a scenario leaves out.
const (
	DefaultModel    = load.Closed
	DefaultDuration = 3 * time.Second
	DefaultWarmup   = time.Second
	DefaultRepeats  = 5
	DefaultArrival  = load.Poisson
	DefaultJobs     = 5
	DefaultBucket   = 250 * time.Millisecond
	DefaultTimeout  = 30 * time.Second
)

// defaults fills in every field the file did not set (the workload's
// options start from its defaults). Fields given with a rejected value are
// left alone.
func (d *decoder) defaults(s *Scenario, opts any) {
	set := func(path string, apply func()) {
		if !d.given(path) {
			apply()
		}
	}
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
	if d.def != nil && d.def.Method != "" {
		if v, err := workload.Value(opts, d.def.Method); err == nil && v.String() != "" {
			set("matrix.method", func() { m[param.Method.Name] = []param.Value{{Text: v.String()}} })
		}
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
	if d.given("baseline.options") {
		if label, ok := d.baselineOptions(blk); ok {
			b.Options = label
		}
	}
	for _, dim := range param.Listed() {
		if vals := blk.Matrix[dim.Name]; !d.given("baseline."+dim.Name) && len(vals) > 0 {
			*b = dim.With(*b, vals[0])
		}
	}
}

// baselineOptions turns baseline.options, a mapping of swept options to
// one value each, into the name of the baseline block's cell value that
// has those values (and the first value of any option it leaves out).
func (d *decoder) baselineOptions(blk *Block) (string, bool) {
	const path = "baseline.options"
	n := d.baseOpts
	m, ok := n.(ast.MapNode)
	if !ok {
		d.typeErr(path, n, "a mapping of the swept workload options to one value each, e.g. {template: plain}")
		return "", false
	}
	given := map[string]ast.Node{}
	it := m.MapRange()
	for it.Next() {
		given[keyName(it.Key())] = it.Value()
	}
	var parts []string
	for _, sw := range blk.Sweeps {
		label := sw.Labels[0]
		if v, ok := given[sw.Path]; ok {
			delete(given, sw.Path)
			x := reflect.New(sw.Values[0].Type()).Elem()
			before := d.found
			d.use(v, func(e ast.Node) { d.decodeOpt(path+"."+sw.Path, e, x, "") })
			if d.found != before {
				return "", false
			}
			label = optionLabel(x)
			if !slices.Contains(sw.Labels, label) {
				d.bad[path] = true
				d.addf(line(v), path+"."+sw.Path, "%s is not among the matrix's values: %s", label, strings.Join(sw.Labels, ", "))
				return "", false
			}
		}
		parts = append(parts, sw.Path+"="+label)
	}
	for k, v := range given {
		d.bad[path] = true
		d.addf(line(v), path+"."+k, "the baseline's block sweeps no option %q", k)
		return "", false
	}
	return strings.Join(parts, ","), true
}

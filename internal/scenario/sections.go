package scenario

import (
	"regexp"

	"github.com/goccy/go-yaml/ast"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
)

// Limits on matrix dimensions.
const (
	MaxCells      = 10000
	MaxGOMAXPROCS = param.MaxGOMAXPROCS
	MaxWorkers    = param.MaxWorkers
	MaxReplicas   = param.MaxReplicas
	// MaxMaxJobs bounds load.max_jobs.
	MaxMaxJobs = 1 << 62
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// scenario decodes the top-level mapping. The blocks list is only
// located here: blocks are decoded once the top-level sections, their
// defaults, are complete.
func (d *decoder) scenario(n ast.Node, s *Scenario, opts any) (blocks ast.Node) {
	fields := []field{
		{"name", func(p string, v ast.Node) {
			if x, ok := d.str(p, v); ok {
				if !nameRE.MatchString(x) {
					d.rangeErr(p, v, "must be letters, digits, - and _ only (it names a directory)")
					return
				}
				s.Name = x
			}
		}},
		{"description", func(p string, v ast.Node) { s.Description, _ = d.str(p, v) }},
		{workloadField, func(p string, v ast.Node) { d.workloadSection(p, v, opts, false) }},
	}
	fields = append(fields, d.sectionFields(opts, "")...)
	fields = append(fields, []field{
		{"load", func(p string, v ast.Node) { d.load(p, v, &s.Load, false) }},
		{"matrix", func(p string, v ast.Node) { d.matrix(p, v, s.Matrix) }},
		{"baseline", func(p string, v ast.Node) { d.baseline(p, v, &s.Baseline) }},
		{"checks", func(p string, v ast.Node) { d.checks(p, v, &s.Checks) }},
		{"cluster", func(p string, v ast.Node) { d.cluster(p, v, &s.Cluster) }},
		{"thresholds", func(p string, v ast.Node) { d.thresholds(p, v, &s.Thresholds) }},
		{"blocks", func(p string, v ast.Node) { blocks = v }},
		{"builds", func(p string, v ast.Node) { s.Builds = d.builds(p, v) }},
	}...)
	d.mapping("", n, fields)
	return blocks
}

// load decodes a load section; in a block (inBlock), the fields that
// apply to the whole run (model, repeats, cooldown) are refused.
func (d *decoder) load(path string, n ast.Node, l *LoadConfig, inBlock bool) {
	dur := func(dst *Duration, lim durLimits) func(string, ast.Node) {
		return func(p string, v ast.Node) { *dst, _ = d.duration(p, v, lim) }
	}
	whole := func(decode func(string, ast.Node)) func(string, ast.Node) {
		if !inBlock {
			return decode
		}
		return func(p string, v ast.Node) {
			d.bad[p] = true
			d.addf(d.keyLine(p), p, "applies to the whole run, not to one block; set it in the top-level load section")
		}
	}
	d.mapping(path, n, []field{
		{"model", whole(func(p string, v ast.Node) {
			m, _ := d.enum(p, v, load.ModelNames()...)
			l.Model = load.Model(m)
		})},
		{"duration", dur(&l.Duration, positive)},
		{"warmup", dur(&l.Warmup, nonNegative)},
		{"repeats", whole(func(p string, v ast.Node) {
			x, _ := d.integer(p, v, 1, 1000)
			l.Repeats = int(x)
		})},
		{"think", dur(&l.Think, nonNegative)},
		{"rate", func(p string, v ast.Node) {
			x, _ := d.rate(p, v)
			l.Rate = Rate(x)
		}},
		{"arrival", func(p string, v ast.Node) {
			a, _ := d.enum(p, v, load.ArrivalNames()...)
			l.Arrival = load.Arrival(a)
		}},
		{"jobs", func(p string, v ast.Node) {
			x, _ := d.integer(p, v, 1, MaxBatchJobs)
			l.Jobs = int(x)
		}},
		{"bucket", dur(&l.Bucket, positive)},
		{"timeout", dur(&l.Timeout, positive)},
		{"max_jobs", func(p string, v ast.Node) { l.MaxJobs, _ = d.integer(p, v, 0, MaxMaxJobs) }},
		{"cooldown", whole(dur(&l.Cooldown, nonNegative))},
	})
}

// matrix decodes a matrix onto m: a list of values for each dimension a
// matrix may list. The workload options it sweeps are left for
// sweepOptions, once the block's options are known.
func (d *decoder) matrix(path string, n ast.Node, m Matrix) {
	var fields []field
	for _, dim := range param.Listed() {
		fields = append(fields, field{dim.Name, func(p string, v ast.Node) {
			if dim.Kind == param.OptionSet {
				d.sweeps[p] = v
				return
			}
			if vals := d.values(p, v, dim); vals != nil {
				m[dim.Name] = vals
			}
		}})
	}
	d.mapping(path, n, fields)
}

// baseline decodes the baseline cell: its block and a value for each
// dimension a matrix may list.
func (d *decoder) baseline(path string, n ast.Node, b *Params) {
	fields := []field{{"block", func(p string, v ast.Node) {
		if x, ok := d.str(p, v); ok {
			b.Block = x
		}
	}}}
	for _, dim := range param.Listed() {
		fields = append(fields, field{dim.Name, func(p string, v ast.Node) {
			if dim.Kind == param.OptionSet {
				d.baseOpts = v
				return
			}
			if x, ok := d.value(p, v, dim); ok {
				*b = dim.With(*b, x)
			}
		}})
	}
	d.mapping(path, n, fields)
}

func (d *decoder) checks(path string, n ast.Node, c *Checks) {
	d.mapping(path, n, []field{
		{"max_error_rate", func(p string, v ast.Node) { c.MaxErrorRate, _ = d.fraction(p, v) }},
		{"little_tolerance", func(p string, v ast.Node) { c.LittleTol, _ = d.fraction(p, v) }},
		{"min_jobs", func(p string, v ast.Node) { c.MinJobs, _ = d.integer(p, v, 0, 1<<62) }},
	})
}

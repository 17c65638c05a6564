package scenario

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/goccy/go-yaml/ast"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/thumbnail"
)

// Allowed values of the enumerated fields.
var (
	Filters = thumbnail.Filters()
	Formats = thumbnail.Formats()
	Methods = thumbnail.Methods()
)

// Limits on matrix dimensions and image sizes.
const (
	MaxCells      = 10000
	MaxGOMAXPROCS = param.MaxGOMAXPROCS
	MaxWorkers    = param.MaxWorkers
	MaxReplicas   = param.MaxReplicas
	MaxImageSize  = 8000
	MaxThumbSize  = thumbnail.MaxSize
	// MaxBandwidth bounds images.bandwidth, in bytes per second.
	MaxBandwidth = 1 << 50
	// MaxMaxJobs bounds load.max_jobs.
	MaxMaxJobs = 1 << 62
)

// checkImagePath says what is wrong with an image path, or "".
func checkImagePath(x string) string {
	m := pathRE.FindStringSubmatch(x)
	if m == nil {
		return "must look like /{W}x{H}[/{bg}[/{fg}]].{jpg|jpeg|png|gif} with colours of 1, 2, 3 or 6 hex digits, e.g. /640x480/ccc/aaa.jpg"
	}
	w, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	if w < 1 || h < 1 || w > MaxImageSize || h > MaxImageSize {
		return fmt.Sprintf("width and height must be 1..%d", MaxImageSize)
	}
	return ""
}

// checkImagesURL says what is wrong with images.url, or "".
func checkImagesURL(x string) string {
	u, err := url.Parse(x)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http:// or https:// URL like http://127.0.0.1:8080"
	}
	return ""
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// pathRE matches /{W}x{H}[/{bg}[/{fg}]].{ext}; colours are 1, 2, 3 or 6
	// hex digits as the image server accepts.
	// sizeRE matches an image path's first segment, {W}x{H}.
	sizeRE = regexp.MustCompile(`^[0-9]{1,9}[xX][0-9]{1,9}`)
	pathRE = regexp.MustCompile(`^/([0-9]{1,9})[xX]([0-9]{1,9})(?:/([0-9a-fA-F]{1,3}|[0-9a-fA-F]{6})(?:/([0-9a-fA-F]{1,3}|[0-9a-fA-F]{6}))?)?\.(?i:jpg|jpeg|png|gif)$`)
)

// scenario decodes the top-level mapping. The blocks list is only
// located here: blocks are decoded once the top-level sections, their
// defaults, are complete.
func (d *decoder) scenario(n ast.Node, s *Scenario) (blocks ast.Node) {
	d.mapping("", n, []field{
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
		{"images", func(p string, v ast.Node) { d.images(p, v, &s.Images) }},
		{"thumbnail", func(p string, v ast.Node) { d.thumbnail(p, v, &s.Thumbnail) }},
		{"load", func(p string, v ast.Node) { d.load(p, v, &s.Load, false) }},
		{"matrix", func(p string, v ast.Node) { d.matrix(p, v, s.Matrix) }},
		{"baseline", func(p string, v ast.Node) { d.baseline(p, v, &s.Baseline) }},
		{"checks", func(p string, v ast.Node) { d.checks(p, v, &s.Checks) }},
		{"cluster", func(p string, v ast.Node) { d.cluster(p, v, &s.Cluster) }},
		{"thresholds", func(p string, v ast.Node) { d.thresholds(p, v, &s.Thresholds) }},
		{"blocks", func(p string, v ast.Node) { blocks = v }},
		{"builds", func(p string, v ast.Node) { s.Builds = d.builds(p, v) }},
	})
	return blocks
}

func (d *decoder) images(path string, n ast.Node, im *Images) {
	d.mapping(path, n, []field{
		{"latency", func(p string, v ast.Node) { im.Latency, _ = d.duration(p, v, nonNegative) }},
		{"jitter", func(p string, v ast.Node) { im.Jitter, _ = d.duration(p, v, nonNegative) }},
		{"bandwidth", func(p string, v ast.Node) {
			x, _ := d.integer(p, v, 0, MaxBandwidth)
			im.Bandwidth = x
		}},
		{"error_rate", func(p string, v ast.Node) { im.ErrorRate, _ = d.fraction(p, v) }},
		{"paths", func(p string, v ast.Node) { im.Paths = d.paths(p, v) }},
		{"url", func(p string, v ast.Node) {
			x, ok := d.str(p, v)
			if !ok {
				return
			}
			if msg := checkImagesURL(x); msg != "" {
				d.rangeErr(p, v, "%s", msg)
				return
			}
			im.URL = x
		}},
	})
}

// paths decodes the image paths.
func (d *decoder) paths(path string, n ast.Node) []string {
	var out []string
	d.each(path, n, "image paths", func(e ast.Node) {
		x, ok := d.str(path, e)
		if !ok {
			return
		}
		if msg := checkImagePath(x); msg != "" {
			d.rangeErr(path, e, "%s", msg)
			return
		}
		out = append(out, x)
	})
	return out
}

func (d *decoder) thumbnail(path string, n ast.Node, t *Thumbnail) {
	size := func(dst *int) func(string, ast.Node) {
		return func(p string, v ast.Node) {
			x, _ := d.integer(p, v, 1, MaxThumbSize)
			*dst = int(x)
		}
	}
	d.mapping(path, n, []field{
		{"width", size(&t.Width)},
		{"height", size(&t.Height)},
		{"filter", func(p string, v ast.Node) { t.Filter, _ = d.enum(p, v, Filters...) }},
		{"format", func(p string, v ast.Node) { t.Format, _ = d.enum(p, v, Formats...) }},
		{"method", func(p string, v ast.Node) { t.Method, _ = d.enum(p, v, Methods...) }},
		{"output", func(p string, v ast.Node) { t.Output, _ = d.str(p, v) }},
	})
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
// matrix may list.
func (d *decoder) matrix(path string, n ast.Node, m Matrix) {
	var fields []field
	for _, dim := range param.Listed() {
		fields = append(fields, field{dim.Name, func(p string, v ast.Node) {
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

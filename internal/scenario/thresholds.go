package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/param"
)

// thresholds decodes the thresholds block: absolute limits that run and
// report check on every cell they select, e.g.
//
//	thresholds:
//	  - {metric: p99, max: 200ms}
//	  - {metric: throughput, min: 50/s, where: {workers: 64}}
//	  - {metric: efficiency, min: 0.8}
//
// Limits are kept as written; validateThresholds checks them against the
// metric and the selectors against the matrix.
func (d *decoder) thresholds(path string, n ast.Node, ts *metric.Thresholds) {
	i := 0
	d.each(path, n, "thresholds such as {metric: p99, max: 200ms}", func(e ast.Node) {
		p := fmt.Sprintf("%s[%d]", path, i)
		i++
		t := metric.Threshold{Pos: fmt.Sprintf("%s:%d", d.file, d.lineOf(e))}
		d.mapping(p, e, []field{
			{"metric", func(p string, v ast.Node) { t.Metric, _ = d.str(p, v) }},
			{"min", func(p string, v ast.Node) { t.Min, _ = d.scalarText(p, v) }},
			{"max", func(p string, v ast.Node) { t.Max, _ = d.scalarText(p, v) }},
			{"where", func(p string, v ast.Node) { t.Where = d.where(p, v) }},
		})
		if !d.given(p + ".metric") {
			d.addf(d.lineOf(e), p, "needs a metric (one of %s)", metric.MetricNames())
		}
		*ts = append(*ts, t)
	})
}

// where decodes a threshold's cell selector: dimension names and values.
func (d *decoder) where(path string, n ast.Node) map[string]string {
	sel := map[string]string{}
	var fields []field
	for _, dim := range param.Dimensions {
		fields = append(fields, field{dim.Name, func(p string, v ast.Node) {
			if x, ok := d.scalarText(p, v); ok {
				sel[dim.Name] = normalizeValue(dim, x)
			}
		}})
	}
	d.mapping(path, n, fields)
	return sel
}

// scalarText returns a scalar's text as written ("200ms", "0.8", "50/s").
func (d *decoder) scalarText(path string, n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.IntegerNode, *ast.FloatNode:
		return tokenText(n), true
	}
	d.typeErr(path, n, "a number or a value with its unit, such as 200ms or 50/s")
	return "", false
}

// normalizeValue writes a numeric dimension's value as cells' keys do
// ("100" for "100/s" or "1e2"); other values are kept.
func normalizeValue(dim *param.Dimension, s string) string {
	if !dim.Numeric {
		return s
	}
	if dim.Kind == param.Bytes {
		if b, err := ParseSize(s); err == nil {
			return strconv.FormatInt(b, 10)
		}
		return s
	}
	num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), dim.Unit))
	if f, err := strconv.ParseFloat(num, 64); err == nil {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return s
}

// validateThresholds checks each threshold's metric and limits, and that
// its selector names dimensions and values some cell of the matrix has.
func (d *decoder) validateThresholds(s *Scenario) {
	if len(s.Thresholds) == 0 || !d.ok("matrix") {
		return
	}
	known := map[string][]string{}
	seen := map[string]bool{}
	for _, p := range s.Cells() {
		for _, dim := range param.Dimensions {
			if dim.Optional && !dim.Set(p) {
				continue
			}
			v := dim.Key(p)
			if !seen[dim.Name+"="+v] {
				seen[dim.Name+"="+v] = true
				known[dim.Name] = append(known[dim.Name], v)
			}
		}
	}
	// The builds of an A/B run are a dimension of its cells too, though no
	// matrix lists them: `where: {build: head}` selects head's cells.
	for _, b := range s.Builds {
		known[param.Build.Name] = append(known[param.Build.Name], b.Name)
	}
	for i, t := range s.Thresholds {
		path := fmt.Sprintf("thresholds[%d]", i)
		if !d.given(path+".metric") || !d.ok(path) {
			continue
		}
		t.Pos = ""
		err := metric.Thresholds{t}.Validate(known)
		if err == nil {
			continue
		}
		ln := d.keyLine(path + ".metric")
		for _, msg := range strings.Split(err.Error(), "\n") {
			d.addf(ln, path, "%s", strings.TrimPrefix(msg, "thresholds[0]: "))
		}
	}
}

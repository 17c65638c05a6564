package report

import (
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// dimAxis is a dimension's axis label, with its unit.
func dimAxis(dim string) string { return param.Lookup(dim).Axis }

// dimName is how headings name a dimension.
func dimName(dim string) string { return param.Lookup(dim).Word }

// lesson names what a dimension stands for in the lesson.
func lesson(dim string) string { return param.Lookup(dim).Heading() }

// paramParts names each param of p in the order the matrix lists them;
// optional ones (rate, method) only when set.
func paramParts(p results.Params) []string {
	var parts []string
	for _, d := range param.Dimensions {
		if !d.Optional || d.Set(p) {
			parts = append(parts, paramPart(d, p))
		}
	}
	return parts
}

// paramPart names one param: "GOMAXPROCS=2", "rate=100/s".
func paramPart(d *param.Dimension, p results.Params) string { return d.Tag + "=" + d.Label(p) }

// paramsText names every param of p: "GOMAXPROCS=2 workers=8 replicas=1".
func paramsText(p results.Params) string { return strings.Join(paramParts(p), " ") }

// labeller names params by only the dimensions that vary across a set, so
// labels stay short: "GOMAXPROCS=2 workers=8". Across blocks, a label is
// the block's name and what varies within that block: "cpu-bound
// GOMAXPROCS=2".
type labeller struct {
	vary    []*param.Dimension
	inBlock map[string][]*param.Dimension // when blocks vary: per block
}

func newLabeller(ps []results.Params) labeller {
	l := labeller{vary: varying(ps)}
	if slices.Contains(l.vary, param.Block) {
		byBlock := map[string][]results.Params{}
		for _, p := range ps {
			byBlock[p.Block] = append(byBlock[p.Block], p)
		}
		l.inBlock = map[string][]*param.Dimension{}
		for b, bp := range byBlock {
			l.inBlock[b] = varying(bp)
		}
	}
	return l
}

// varying lists the dimensions whose value differs within ps.
func varying(ps []results.Params) []*param.Dimension {
	var out []*param.Dimension
	for _, d := range param.Dimensions {
		for _, p := range ps {
			if d.Label(p) != d.Label(ps[0]) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// label names p by the varying dimensions, or by all when none vary.
func (l labeller) label(p results.Params) string {
	if len(l.vary) == 0 {
		return paramsText(p)
	}
	if l.inBlock != nil {
		parts := []string{p.Block}
		for _, d := range l.inBlock[p.Block] {
			parts = append(parts, paramPart(d, p))
		}
		return strings.Join(parts, " ")
	}
	parts := make([]string, len(l.vary))
	for i, d := range l.vary {
		parts[i] = paramPart(d, p)
	}
	return strings.Join(parts, " ")
}

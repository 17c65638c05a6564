package analysis

import (
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// The sentences' formatting, from the shared format package.
var (
	fmtNum        = format.Number
	fmtDur        = format.DurationFixed
	fmtTimes      = format.Times
	fmtThroughput = format.Rate
)

// paramsLabel names params in words, e.g. "gomaxprocs=2, workers=8,
// replicas=1"; skip names the dimension to leave out ("" for none). Rate
// and method appear only when set.
func paramsLabel(p results.Params, skip string) string {
	return p.Text(", ", param.Lookup(skip))
}

// dimWord is how sentences name a dimension.
func dimWord(dim string) string { return param.Lookup(dim).Word }

// countWord is "8 workers", "1 worker", "4 replicas", "GOMAXPROCS=2".
func countWord(dim, label string) string { return param.Lookup(dim).Count(label) }

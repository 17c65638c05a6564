package analysis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/format"
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
	var parts []string
	if skip != DimGOMAXPROCS {
		parts = append(parts, fmt.Sprintf("gomaxprocs=%d", p.GOMAXPROCS))
	}
	if skip != DimWorkers {
		parts = append(parts, fmt.Sprintf("workers=%d", p.Workers))
	}
	if skip != DimReplicas {
		parts = append(parts, fmt.Sprintf("replicas=%d", p.Replicas))
	}
	if skip != DimRate && p.Rate != 0 {
		parts = append(parts, "rate="+strconv.FormatFloat(p.Rate, 'g', -1, 64)+"/s")
	}
	if skip != DimMethod && p.Method != "" {
		parts = append(parts, "method="+p.Method)
	}
	return strings.Join(parts, ", ")
}

// dimWord is how sentences name a dimension.
func dimWord(dim string) string {
	switch dim {
	case DimGOMAXPROCS:
		return "GOMAXPROCS"
	case DimRate:
		return "offered rate"
	}
	return dim
}

// countWord is "8 workers", "1 worker", "4 replicas", "GOMAXPROCS=2".
func countWord(dim, label string) string {
	switch dim {
	case DimWorkers:
		if label == "1" {
			return "1 worker"
		}
		return label + " workers"
	case DimReplicas:
		if label == "1" {
			return "1 replica"
		}
		return label + " replicas"
	case DimGOMAXPROCS:
		return "GOMAXPROCS=" + label
	case DimRate:
		return label
	}
	return label
}

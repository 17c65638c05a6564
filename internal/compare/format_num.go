package compare

import (
	"fmt"
	"math"
	"strconv"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/metric"
)

// fmtPct formats a positive fraction as a percentage: 0.05 -> "5%".
func fmtPct(f float64) string {
	return strconv.FormatFloat(100*f, 'f', -1, 64) + "%"
}

// fmtSignedPct formats a relative change: -0.0512 -> "-5.12%".
func fmtSignedPct(f float64) string {
	if math.IsNaN(f) {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", 100*f)
}

// fmtRatio formats a ratio with three decimals.
func fmtRatio(r float64) string {
	if math.IsNaN(r) {
		return "?"
	}
	return fmt.Sprintf("%.3f", r)
}

// fmtValue formats a value of metric m with its unit, benchstat-style
// (see format.Measure).
func fmtValue(m metric.Metric, v float64) string {
	mi, _ := m.Info()
	return format.Measure(v, mi.Unit)
}

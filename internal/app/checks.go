package app

import (
	"fmt"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// failingWarnings are the warnings that make a run fail (exit 1) once its
// results and report are written: a CI job must not pass on measurements
// that did not happen or mostly failed.
var failingWarnings = map[string]bool{
	analysis.WarnFailed:    true,
	analysis.WarnNoJobs:    true,
	analysis.WarnErrorRate: true,
}

// failedChecks returns an error listing every cell with a failing warning,
// or nil when there is none.
func failedChecks(run *results.Run) error {
	var lines []string
	for _, c := range analysis.Summarize(run) {
		for _, w := range c.Warnings {
			if failingWarnings[w.Kind] {
				lines = append(lines, fmt.Sprintf("  %s: %s: %s", c.Params, w.Kind, w.Message))
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("run failed its checks (results and report are written):\n%s", strings.Join(lines, "\n"))
}

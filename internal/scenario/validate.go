package scenario

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scalebench/scalebench/internal/load"
)

// validate checks what depends on more than one field: required fields,
// fields that only apply to some load models, the matrix size and the
// baseline. Fields already rejected are skipped to avoid follow-on noise.
func (d *decoder) validate(s *Scenario) {
	if !d.ok("") {
		return // the file is not a mapping at all
	}
	if !d.given("name") && d.ok("name") {
		d.addf(1, "name", "is required; use letters, digits, - and _ (it names the results directory)")
	}
	d.validateModel(s)
	d.validateMatrixSize(s)
	d.validateMachine(s)
	d.validateBaseline(s)
	d.validateThresholds(s)
}

// validateModel reports fields that do not apply to the load model, and
// a missing rate for the open model.
func (d *decoder) validateModel(s *Scenario) {
	if !d.ok("load.model") {
		return
	}
	model := s.Load.Model
	onlyFor := func(path, name string, want load.Model) {
		if d.given(path) && model != want {
			d.addf(d.keyLine(path), path, "%s applies only to model %s, got model %s", name, want, model)
		}
	}
	onlyFor("load.rate", "rate", load.Open)
	onlyFor("load.arrival", "arrival", load.Open)
	onlyFor("matrix.rate", "rate", load.Open)
	onlyFor("baseline.rate", "rate", load.Open)
	onlyFor("load.jobs", "jobs", load.Batch)
	onlyFor("load.think", "think", load.Closed)

	if model == load.Open && !d.given("load.rate") && !d.given("matrix.rate") {
		d.addf(d.keyLine("load.model"), "load.rate", `required for model open (or list rates in matrix.rate), e.g. 100 or "100/s"`)
	}
}

// validateMatrixSize limits the number of cells.
func (d *decoder) validateMatrixSize(s *Scenario) {
	for _, dim := range []string{"gomaxprocs", "workers", "replicas", "rate", "method"} {
		if !d.ok("matrix." + dim) {
			return
		}
	}
	m := s.Matrix
	dims := []struct {
		name string
		n    int
	}{
		{"gomaxprocs", len(m.GOMAXPROCS)},
		{"replicas", len(m.Replicas)},
		{"method", len(m.Method)},
		{"rate", len(m.Rate)},
		{"workers", len(m.Workers)},
	}
	total := 1.0
	var parts []string
	for _, dim := range dims {
		if dim.name == "rate" && dim.n == 0 {
			continue
		}
		total *= float64(dim.n)
		parts = append(parts, fmt.Sprintf("%s %d", dim.name, dim.n))
	}
	if total > MaxCells {
		d.addf(d.keyLine("matrix"), "matrix", "must expand to at most %d cells, got %.0f (%s)", MaxCells, total, strings.Join(parts, " × "))
	}
}

// validateBaseline checks that every baseline value the file sets is in
// the matrix.
func (d *decoder) validateBaseline(s *Scenario) {
	b, m := s.Baseline, s.Matrix
	checkIn(d, "gomaxprocs", b.GOMAXPROCS, m.GOMAXPROCS)
	checkIn(d, "workers", b.Workers, m.Workers)
	checkIn(d, "replicas", b.Replicas, m.Replicas)
	if s.Load.Model == load.Open {
		checkIn(d, "rate", b.Rate, m.Rate)
	}
	checkIn(d, "method", b.Method, m.Method)
}

// checkIn reports baseline.dim when it is set, valid, and missing from a
// valid, non-empty matrix.dim.
func checkIn[T comparable](d *decoder, dim string, v T, list []T) {
	bp, mp := "baseline."+dim, "matrix."+dim
	if !d.given(bp) || !d.ok(bp) || !d.ok(mp) || len(list) == 0 || slices.Contains(list, v) {
		return
	}
	shown := fmt.Sprint(v)
	if s, ok := any(v).(string); ok {
		shown = fmt.Sprintf("%q", s)
	}
	d.addf(d.pos[bp].val, bp, "%s is not in %s %v", shown, mp, list)
}

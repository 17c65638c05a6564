package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/thumbnail"
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
	d.validateMemory(s)
	d.validateBaseline(s)
	d.validateThresholds(s)
}

// validateModel reports fields that do not apply to the load model, and
// a missing rate for the open model, at the top level and in each block.
func (d *decoder) validateModel(s *Scenario) {
	if !d.ok("load.model") {
		return
	}
	model := s.Load.Model
	prefixes := d.blockPre
	if d.given("blocks") {
		prefixes = append([]string{""}, prefixes...) // the top level, then each block
	}
	for _, pre := range prefixes {
		onlyFor := func(path, name string, want load.Model) {
			if path = pre + path; d.given(path) && model != want {
				d.addf(d.keyLine(path), path, "%s applies only to model %s, got model %s", name, want, model)
			}
		}
		onlyFor("load.rate", "rate", load.Open)
		onlyFor("load.arrival", "arrival", load.Open)
		onlyFor("matrix.rate", "rate", load.Open)
		onlyFor("load.jobs", "jobs", load.Batch)
		onlyFor("load.think", "think", load.Closed)
	}
	if d.given("baseline.rate") && model != load.Open {
		d.addf(d.keyLine("baseline.rate"), "baseline.rate", "rate applies only to model %s, got model %s", load.Open, model)
	}
	if model != load.Open {
		return
	}
	rated := func(pre string) bool { return d.given(pre+"load.rate") || d.given(pre+"matrix.rate") }
	if rated("") {
		return
	}
	for _, pre := range d.blockPre {
		if pre != "" && rated(pre) {
			continue
		}
		at := d.keyLine("load.model")
		if pre != "" && d.keyLine(pre+"name") > 0 {
			at = d.keyLine(pre + "name")
		}
		d.addf(at, pre+"load.rate", `required for model open (or list rates in matrix.rate), e.g. 100 or "100/s"`)
	}
}

// validateMatrixSize limits the number of cells of all blocks together.
func (d *decoder) validateMatrixSize(s *Scenario) {
	pres := d.blockPre
	for _, pre := range pres {
		for _, dim := range param.Listed() {
			if !d.blockOK(pre, "matrix."+dim.Name) {
				return
			}
		}
	}
	total := 0.0
	var parts []string
	for i := range s.Blocks {
		n, text := matrixSize(s.Blocks[i].Matrix)
		total += n
		if s.Blocks[i].Name != "" {
			text = s.Blocks[i].Name + ": " + text
		}
		parts = append(parts, text)
	}
	if total <= MaxCells {
		return
	}
	if !d.given("blocks") {
		d.addf(d.keyLine("matrix"), "matrix", "must expand to at most %d cells, got %.0f (%s)", MaxCells, total, parts[0])
		return
	}
	d.addf(d.keyLine("blocks"), "blocks", "must expand to at most %d cells in all, got %.0f (%s)", MaxCells, total, strings.Join(parts, "; "))
}

// matrixSize returns how many cells m expands to, and the product that
// gives it in words, in the order of param.Expansion.
func matrixSize(m Matrix) (float64, string) {
	total := 1.0
	var parts []string
	for _, dim := range param.Expansion {
		n := len(m[dim.Name])
		if n == 0 {
			continue
		}
		total *= float64(n)
		parts = append(parts, fmt.Sprintf("%s %d", dim.Name, n))
	}
	return total, strings.Join(parts, " × ")
}

// validateBaseline checks that the baseline's block exists and that every
// baseline value the file sets is in that block's matrix.
func (d *decoder) validateBaseline(s *Scenario) {
	b := s.Baseline
	if d.given("baseline.block") && d.ok("baseline.block") && s.Block(b.Block) == nil {
		var names []string
		for _, blk := range s.Blocks {
			if q := strconv.Quote(blk.Name); blk.Name != "" && !slices.Contains(names, q) {
				names = append(names, q)
			}
		}
		if len(names) == 0 {
			d.addf(d.pos["baseline.block"].val, "baseline.block", "the scenario has no blocks list; leave baseline.block out")
		} else {
			d.addf(d.pos["baseline.block"].val, "baseline.block", "%q is not a block; blocks: %s", b.Block, strings.Join(names, ", "))
		}
		return
	}
	blk := s.Block(b.Block)
	if blk == nil {
		return
	}
	pre := ""
	for i, pres := range d.blockPre {
		if &s.Blocks[i] == blk {
			pre = pres
		}
	}
	for _, dim := range param.Listed() {
		checkIn(d, pre, dim, b, blk.Matrix[dim.Name])
	}
}

// checkIn reports baseline.dim when it is set, valid, and missing from a
// valid, non-empty matrix.dim of the baseline's block (whose fields' paths
// start with pre).
func checkIn(d *decoder, pre string, dim *param.Dimension, b Params, list []param.Value) {
	bp, mp := "baseline."+dim.Name, "matrix."+dim.Name
	v := dim.Get(b)
	if !d.given(bp) || !d.ok(bp) || !d.blockOK(pre, mp) || len(list) == 0 || slices.Contains(list, v) {
		return
	}
	shown, listed := dim.ValueText(v), make([]string, len(list))
	for i, x := range list {
		listed[i] = dim.ValueText(x)
	}
	if dim.Kind == param.Choice {
		shown = strconv.Quote(shown)
	}
	if d.given(pre + mp) {
		mp = pre + mp
	}
	d.addf(d.pos[bp].val, bp, "%s is not in %s [%s]", shown, mp, strings.Join(listed, " "))
}

// validateMemory checks each block's memory budgets against the largest
// job its images make: a job that needs more than a replica's whole
// budget could never run. Images on a server of the scenario's own
// (images.url) are checked as they arrive, by the jobs.
func (d *decoder) validateMemory(s *Scenario) {
	for i, pre := range d.blockPre {
		b := &s.Blocks[i]
		mp := "matrix." + param.Memory.Name
		if !d.blockGiven(pre, mp) || !d.blockOK(pre, mp) || b.Images.URL != "" || len(b.Matrix[param.Memory.Name]) == 0 {
			continue
		}
		methods := []string{b.Thumbnail.Method}
		for _, v := range b.Matrix[param.Method.Name] {
			if !slices.Contains(methods, v.Text) {
				methods = append(methods, v.Text)
			}
		}
		var need int64
		var job string
		for _, path := range b.Images.Paths {
			w, h, format, ok := mockImage(path)
			if !ok {
				continue
			}
			for _, m := range methods {
				opts := thumbnail.Options{Width: b.Thumbnail.Width, Height: b.Thumbnail.Height, Method: m}
				if n := thumbnail.DecodeSizeOf(w, h, format, opts); n > need {
					need = n
					job = fmt.Sprintf("%s needs %s to decode", path, param.BytesLabel(float64(n)))
					if m != "" && len(methods) > 1 {
						job += " (method " + m + ")"
					}
				}
			}
		}
		smallest := slices.MinFunc(b.Matrix[param.Memory.Name], func(x, y param.Value) int { return cmp.Compare(x.Num, y.Num) })
		if need > 0 && int64(smallest.Num) < need {
			field, line := d.blockField(pre, mp)
			d.addf(line, field, "%s is smaller than the largest job: %s; a replica's budget must hold at least one job",
				param.BytesLabel(smallest.Num), job)
		}
	}
}

// mockImage reads the size and format of a mock server image path,
// "/640x480/ccc/aaa.jpg".
func mockImage(path string) (w, h int, format string, ok bool) {
	m := pathRE.FindStringSubmatch(path)
	if m == nil {
		return 0, 0, "", false
	}
	w, _ = strconv.Atoi(m[1])
	h, _ = strconv.Atoi(m[2])
	switch ext := strings.ToLower(path[strings.LastIndexByte(path, '.')+1:]); ext {
	case "jpg", "jpeg":
		format = "jpeg"
	default:
		format = ext
	}
	return w, h, format, true
}

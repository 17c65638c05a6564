package scenario

import (
	"fmt"
	"maps"
	"regexp"

	"github.com/goccy/go-yaml/ast"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/param"
)

// blockFields names the fields of a block, for messages.
const blockFields = "name, images, thumbnail, load, matrix, reference"

// blocks decodes the blocks list n (nil when the file has none) into
// s.Blocks. Each block starts from the top-level sections, defaults
// applied, and overrides what it sets; a file without a blocks list gets
// one unnamed block holding the top-level sections.
func (d *decoder) blocks(s *Scenario, n ast.Node) {
	top := Block{Images: s.Images, Thumbnail: s.Thumbnail, Load: s.Load, Matrix: s.Matrix}
	if n == nil {
		s.Blocks = []Block{top}
		d.blockPre = []string{""}
		return
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.typeErr("blocks", n, "a list of blocks, each a mapping with fields "+blockFields)
		return
	}
	if len(seq.Values) == 0 {
		d.rangeErr("blocks", n, "must list at least one block")
		return
	}
	named := map[string]string{} // block name -> path of the block that has it
	for i, v := range seq.Values {
		path := fmt.Sprintf("blocks[%d]", i)
		d.use(v, func(e ast.Node) {
			if _, isMap := e.(ast.MapNode); !isMap {
				d.typeErr(path, e, "a mapping with fields "+blockFields)
				return
			}
			b := top
			b.Matrix = maps.Clone(top.Matrix)
			d.block(path, e, &b)
			if b.Name != "" {
				if first, dup := named[b.Name]; dup {
					np := path + ".name"
					d.bad[np] = true
					d.addf(d.pos[np].val, np, "%q is already the name of %s; block names must be distinct", b.Name, first)
				}
				named[b.Name] = path
			}
			s.Blocks = append(s.Blocks, b)
			d.blockPre = append(d.blockPre, path+".")
		})
	}
}

// block decodes one block at path onto b, which holds the top-level
// settings. A method or rate the block sets in its thumbnail or load
// section becomes its matrix's only value unless its matrix lists some.
func (d *decoder) block(path string, n ast.Node, b *Block) {
	d.mapping(path, n, []field{
		{"name", func(p string, v ast.Node) {
			if x, ok := d.str(p, v); ok {
				if !nameRE.MatchString(x) {
					d.rangeErr(p, v, "must be letters, digits, - and _ only")
					return
				}
				b.Name = x
			}
		}},
		{"images", func(p string, v ast.Node) { d.images(p, v, &b.Images) }},
		{"thumbnail", func(p string, v ast.Node) { d.thumbnail(p, v, &b.Thumbnail) }},
		{"load", func(p string, v ast.Node) { d.load(p, v, &b.Load, true) }},
		{"matrix", func(p string, v ast.Node) { d.matrix(p, v, b.Matrix) }},
		{"reference", func(p string, v ast.Node) { b.Reference = d.reference(p, v) }},
	})
	if !d.given(path+".name") && d.ok(path+".name") {
		d.bad[path+".name"] = true
		d.addf(line(n), path+".name", "is required; use letters, digits, - and _ (it names the block in cells and reports)")
	}
	if d.given(path+".thumbnail.method") && !d.given(path+".matrix.method") && b.Thumbnail.Method != "" {
		b.Matrix[param.Method.Name] = []param.Value{{Text: b.Thumbnail.Method}}
	}
	if d.given(path+".load.rate") && !d.given(path+".matrix.rate") && b.Load.Model == load.Open && b.Load.Rate > 0 {
		b.Matrix[param.Rate.Name] = []param.Value{{Num: float64(b.Load.Rate)}}
	}
}

// blockGiven reports whether the block at prefix or the top level sets
// the field at path (a path below the top level, like "load.rate").
func (d *decoder) blockGiven(prefix, path string) bool {
	return d.given(prefix+path) || d.given(path)
}

// blockOK reports whether neither the block at prefix nor the top level
// rejected the field at path.
func (d *decoder) blockOK(prefix, path string) bool {
	return d.ok(prefix+path) && d.ok(path)
}

// blockField returns where to report a problem with the block's field at
// path: the block's own field when it sets one, else the top-level one.
func (d *decoder) blockField(prefix, path string) (string, int) {
	if d.given(prefix + path) {
		return prefix + path, d.keyLine(prefix + path)
	}
	return path, d.keyLine(path)
}

// MaxReferenceText bounds each text of a block's reference, in bytes.
const MaxReferenceText = 1000

// formulaRE matches a quoted formula, "180/120 = 1.5X" or "2/1 = 2X".
var formulaRE = regexp.MustCompile(`^\s*[0-9.]+\s*[a-zµ]*\s*/\s*[0-9.]+\s*[a-zµ]*\s*=\s*([0-9.]+)\s*[xX]\s*$`)

// reference decodes a block's quote of the lesson's example: a formula
// "a/b = cX" and optional texts.
func (d *decoder) reference(path string, n ast.Node) *Reference {
	r := &Reference{}
	text := func(dst *string) func(string, ast.Node) {
		return func(p string, v ast.Node) {
			x, ok := d.str(p, v)
			if !ok {
				return
			}
			if len(x) > MaxReferenceText {
				d.rangeErr(p, v, "must be at most %d bytes", MaxReferenceText)
				return
			}
			*dst = x
		}
	}
	d.mapping(path, n, []field{
		{"formula", func(p string, v ast.Node) {
			x, ok := d.str(p, v)
			if !ok {
				return
			}
			if !formulaRE.MatchString(x) {
				d.rangeErr(p, v, `must be a ratio as the lesson writes it, like "180/120 = 1.5X"`)
				return
			}
			r.Formula = x
		}},
		{"says", text(&r.Says)},
		{"differs", text(&r.Differs)},
	})
	if !d.given(path+".formula") && !d.given(path+".says") && d.ok(path) {
		d.addf(line(n), path, `needs a formula (the lesson's ratio, like "180/120 = 1.5X") or says (what the lesson did and measured)`)
	}
	return r
}

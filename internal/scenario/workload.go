package scenario

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/workload"
)

// Workload names the workload a scenario runs; its options are each
// block's (Block.Options).
type Workload struct {
	// Name is the workload's name in this executable's registry.
	Name string `json:"name"`
	// Def is the registered workload.
	Def *workload.Def `json:"-"`
	// Options point to the top-level options: the defaults of every
	// block (Block.Options).
	Options any `json:"-"`
}

// Sweep is one workload option a block's matrix sweeps (matrix.options),
// with its values decoded into the option's type.
type Sweep struct {
	// Path is the option's path ("render.mode").
	Path string
	// Values are the option's values, and Labels how each reads in a
	// cell's name ("1000", "plain").
	Values []reflect.Value
	Labels []string
}

// workloadField is the scenario's workload section.
const workloadField = "workload"

// findWorkload reads workload.name from the top-level mapping n before the
// rest is decoded (the workload's options type says how to decode them),
// and looks it up; "" and a missing section mean workload.Default.
func (d *decoder) findWorkload(n ast.Node) *workload.Def {
	name := ""
	at, path := 0, workloadField+".name"
	if m, ok := d.unwrap(n).(ast.MapNode); ok {
		it := m.MapRange()
		for it.Next() {
			if keyName(it.Key()) != workloadField {
				continue
			}
			wm, ok := d.unwrap(it.Value()).(ast.MapNode)
			if !ok {
				break // reported when the section is decoded
			}
			wit := wm.MapRange()
			for wit.Next() {
				if keyName(wit.Key()) == "name" {
					if s, ok := d.unwrap(wit.Value()).(*ast.StringNode); ok {
						name, at = s.Value, line(wit.Value())
					}
				}
			}
		}
	}
	def, err := workload.Lookup(name)
	var ue *workload.UnknownError
	if errors.As(err, &ue) {
		d.bad[path] = true
		d.addf(at, path, "this executable has no workload %q; it has: %s (a program registers its own with bench.Register)", ue.Name, strings.Join(ue.Have, ", "))
		return nil
	}
	return def
}

// workloadSection decodes the workload section at path onto opts: its
// name (already looked up; in a block, refused) and its options.
func (d *decoder) workloadSection(path string, n ast.Node, opts any, inBlock bool) {
	d.mapping(path, n, []field{
		{"name", func(p string, v ast.Node) {
			if inBlock {
				d.bad[p] = true
				d.addf(d.keyLine(p), p, "applies to the whole run, not to one block; set it in the top-level workload section")
				return
			}
			d.str(p, v)
		}},
		{"options", func(p string, v ast.Node) {
			d.optValue(p, v, reflect.ValueOf(opts).Elem(), strings.TrimSuffix(path, workloadField))
		}},
	})
}

// sectionFields are the fields of the workload's options that a scenario
// may write as sections of their own, decoded onto opts.
func (d *decoder) sectionFields(opts any, pre string) []field {
	if d.def == nil {
		return nil
	}
	var fields []field
	for _, name := range d.def.Sections {
		fields = append(fields, field{name, func(p string, v ast.Node) {
			f, err := workload.Value(opts, name)
			if err != nil {
				d.addf(d.lineOf(v), p, "%v", err)
				return
			}
			d.setOptPath(pre, name, p)
			d.optValue(p, v, f, pre)
		}})
	}
	return fields
}

// optPath records that the option at path opt of the block whose fields'
// paths start with pre was set in the file at yaml path at.
func (d *decoder) setOptPath(pre, opt, at string) {
	if d.optAt == nil {
		d.optAt = map[string]string{}
	}
	d.optAt[pre+"\x00"+opt] = at
}

// optValue decodes n at path onto v, a value of (part of) a workload's
// options type, strictly: a mapping onto a struct, field by field, a list
// onto a slice, a scalar onto a string, number, bool or duration. A value
// it rejects leaves v as it was. pre is the prefix of the block's fields'
// paths ("" at the top level).
func (d *decoder) optValue(path string, n ast.Node, v reflect.Value, pre string) {
	if d.nodes == nil {
		d.nodes = map[string]ast.Node{}
	}
	d.nodes[path] = n
	if optPath, ok := d.optionPath(path, pre); ok {
		d.setOptPath(pre, optPath, path)
	}
	d.decodeOpt(path, n, v, pre)
}

// decodeOpt is optValue without noting where the value was given: for a
// list's elements, reported at the list's path.
func (d *decoder) decodeOpt(path string, n ast.Node, v reflect.Value, pre string) {
	t := v.Type()
	if t == reflect.TypeFor[time.Duration]() {
		if x, ok := d.duration(path, n, anyDuration); ok {
			v.SetInt(int64(x))
		}
		return
	}
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok && t.Kind() != reflect.Struct {
			if s, ok := d.scalar(path, n); ok {
				if err := u.UnmarshalText([]byte(s)); err != nil {
					d.rangeErr(path, n, "%v", err)
				}
			}
			return
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decodeOpt(path, n, v.Elem(), pre)
	case reflect.String:
		if x, ok := d.str(path, n); ok {
			v.SetString(x)
		}
	case reflect.Bool:
		if b, ok := n.(*ast.BoolNode); ok {
			v.SetBool(b.Value)
		} else {
			d.typeErr(path, n, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		lo, hi := int64(-1)<<(t.Bits()-1), int64(1)<<(t.Bits()-1)-1
		if t.Bits() == 64 {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		if x, ok := d.integer(path, n, lo, hi); ok {
			v.SetInt(x)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		hi := int64(1)<<min(t.Bits(), 63) - 1
		if t.Bits() >= 63 {
			hi = math.MaxInt64
		}
		if x, ok := d.integer(path, n, 0, hi); ok {
			v.SetUint(uint64(x))
		}
	case reflect.Float32, reflect.Float64:
		if x, ok := d.num(path, n); ok {
			v.SetFloat(x)
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			d.typeErr(path, n, "a list of "+typeNoun(t.Elem()))
			return
		}
		// The elements it takes make the list; each is noted under its
		// index in it, for the workload's Check to name.
		out := reflect.MakeSlice(t, 0, len(seq.Values))
		for _, e := range seq.Values {
			raw := e
			d.use(e, func(e ast.Node) {
				x := reflect.New(t.Elem()).Elem()
				before := d.found
				d.decodeOpt(path, e, x, pre)
				if d.found == before {
					d.nodes[fmt.Sprintf("%s[%d]", path, out.Len())] = raw
					out = reflect.Append(out, x)
				}
			})
		}
		v.Set(out)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			d.typeErr(path, n, "set by a scenario (a map keyed by strings)")
			return
		}
		m, ok := n.(ast.MapNode)
		if !ok {
			d.typeErr(path, n, "a mapping of names to "+typeNoun(t.Elem()))
			return
		}
		out := reflect.MakeMap(t)
		it := m.MapRange()
		for it.Next() {
			k := keyName(it.Key())
			x := reflect.New(t.Elem()).Elem()
			d.use(it.Value(), func(e ast.Node) { d.optValue(join(path, k), e, x, pre) })
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), x)
		}
		v.Set(out)
	case reflect.Struct:
		var fields []field
		for _, f := range workload.Fields(t) {
			fields = append(fields, field{f.Name, func(p string, e ast.Node) {
				d.optValue(p, e, v.FieldByIndex(f.Index), pre)
			}})
		}
		d.mapping(path, n, fields)
	default:
		d.addf(d.lineOf(n), path, "cannot be set by a scenario (a %s)", t)
	}
}

// anyDuration lets a workload option take any duration: its Check says
// which it accepts.
var anyDuration = durLimits{min: math.MinInt64, inclusive: true}

// scalar decodes a string, number or bool as its text.
func (d *decoder) scalar(path string, n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return tokenText(t), true
	}
	d.typeErr(path, n, "a string")
	return "", false
}

// typeNoun names the values of type t in "must be a list of ...".
func typeNoun(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "booleans"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t == reflect.TypeFor[time.Duration]() {
			return "durations"
		}
		return "integers"
	case reflect.Float32, reflect.Float64:
		return "numbers"
	case reflect.Struct, reflect.Map:
		return "mappings"
	}
	return "values"
}

// optionPath turns the yaml path of a value inside a block's options into
// the option's path: "blocks[1].workload.options.render.mode" and
// "blocks[1].images.latency" (a section) into "render.mode" and
// "images.latency".
func (d *decoder) optionPath(path, pre string) (string, bool) {
	rest, ok := strings.CutPrefix(path, pre)
	if !ok {
		return "", false
	}
	if o, ok := strings.CutPrefix(rest, workloadField+".options."); ok {
		return o, true
	}
	if d.def != nil {
		for _, s := range d.def.Sections {
			if rest == s || strings.HasPrefix(rest, s+".") {
				return rest, true
			}
		}
	}
	return "", false
}

// checkOptions runs the workload's Check on each block's options and
// reports each problem at the line that sets the option: in the block, or
// at the top level when the block inherits it.
func (d *decoder) checkOptions(s *Scenario) {
	if d.def == nil {
		return
	}
	seen := map[Problem]bool{}
	for i := range s.Blocks {
		pre := d.blockPre[i]
		err := d.def.Check(s.Blocks[i].Options)
		d.reportOptionErrors(pre, err, seen)
	}
}

// reportOptionErrors reports err, from the workload's Check of the options
// of the block whose paths start with pre, once for each problem.
func (d *decoder) reportOptionErrors(pre string, err error, seen map[Problem]bool) {
	fields, rest := workload.FieldErrors(err)
	for _, fe := range fields {
		path, line, got := d.optionSite(pre, fe.Field)
		msg := fe.Err.Error()
		if got != "" {
			msg += ", got " + got
		}
		p := Problem{Line: line, Field: path, Msg: msg}
		if seen[p] {
			continue
		}
		seen[p] = true
		d.bad[path] = true
		d.addf(line, path, "%s", msg)
	}
	if rest != nil {
		path := strings.TrimSuffix(pre, ".")
		if path == "" {
			path = workloadField + ".options"
		}
		d.addf(d.keyLine(path), path, "%v", rest)
	}
}

// optionSite returns where the option at path opt ("images.paths[2]") of
// the block whose paths start with pre is set: the field's path as the
// file writes it, its line and its value as written; when the file does
// not set it, the path under workload.options and no line.
func (d *decoder) optionSite(pre, opt string) (path string, lineNo int, got string) {
	base, idx, _ := strings.Cut(opt, "[")
	for _, p := range []string{pre, ""} {
		at, ok := d.optAt[p+"\x00"+base]
		if !ok {
			continue
		}
		n := d.nodes[at]
		lineNo = d.pos[at].val
		if idx != "" {
			// An element: its own line, an alias's where it is one.
			n = d.nodes[at+"["+idx]
			if l := line(n); l > 0 {
				lineNo = l
			}
		}
		return at, lineNo, d.shown(d.unwrap(n))
	}
	path = pre + workloadField + ".options." + base
	if d.def != nil {
		for _, s := range d.def.Sections {
			if base == s || strings.HasPrefix(base, s+".") {
				path = pre + base
			}
		}
	}
	return path, 0, ""
}

// shown renders a value as a problem's "got": a duration as Go writes it,
// any other as show does.
func (d *decoder) shown(n ast.Node) string {
	if n == nil {
		return ""
	}
	if s, ok := n.(*ast.StringNode); ok {
		if v, err := time.ParseDuration(strings.TrimSpace(s.Value)); err == nil {
			return v.String()
		}
	}
	return show(n)
}

// OptionsFor returns the options cell p of block b runs with: the block's,
// with the method and the swept options p names.
func (b *Block) OptionsFor(w Workload, p Params) (any, error) {
	if w.Def == nil {
		return b.Options, nil
	}
	opts := w.Def.Copy(b.Options)
	if p.Method != "" && w.Def.Method != "" {
		v, err := workload.Value(opts, w.Def.Method)
		if err != nil {
			return nil, err
		}
		v.SetString(p.Method)
	}
	if p.Options != "" {
		idx, ok := b.variants[p.Options]
		if !ok {
			return nil, fmt.Errorf("block %q sweeps no options %q", b.Name, p.Options)
		}
		for i, sw := range b.Sweeps {
			v, err := workload.Value(opts, sw.Path)
			if err != nil {
				return nil, err
			}
			v.Set(sw.Values[idx[i]])
		}
	}
	return opts, nil
}

// sweepOptions decodes matrix.options at path: each option's path and its
// list of values, decoded into the option's type.
func (d *decoder) sweepOptions(path string, n ast.Node, b *Block, pre string) {
	m, ok := n.(ast.MapNode)
	if !ok {
		d.typeErr(path, n, "a mapping of workload options to lists of values, e.g. {template: [plain, fancy]}")
		return
	}
	if d.def == nil {
		return
	}
	var sweeps []Sweep
	it := m.MapRange()
	for it.Next() {
		name := keyName(it.Key())
		p := join(path, name)
		f, err := workload.FieldByPath(d.def.OptionsType(), name)
		if err != nil {
			d.bad[p] = true
			d.addf(line(it.Key()), p, "%s has no option %q; its options: %s", d.def.Name, name, strings.Join(optionNames(d.def), ", "))
			continue
		}
		sw := Sweep{Path: name}
		seen := map[string]bool{}
		d.use(it.Value(), func(v ast.Node) {
			d.each(p, v, typeNoun(f.Type), func(e ast.Node) {
				x := reflect.New(f.Type).Elem()
				before := d.found
				d.decodeOpt(p, e, x, pre)
				if d.found != before {
					return
				}
				label := optionLabel(x)
				if !d.distinct(p, e, strconv.Quote(label), seen) {
					return
				}
				opts := d.def.Copy(b.Options)
				if fv, err := workload.Value(opts, name); err == nil {
					fv.Set(x)
				}
				if fields, _ := workload.FieldErrors(d.def.Check(opts)); len(fields) > 0 {
					for _, fe := range fields {
						if fe.Field == name || strings.HasPrefix(fe.Field, name+".") || strings.HasPrefix(fe.Field, name+"[") {
							d.rangeErr(p, e, "%v", fe.Err)
							return
						}
					}
				}
				sw.Values = append(sw.Values, x)
				sw.Labels = append(sw.Labels, label)
			})
		})
		if len(sw.Values) > 0 {
			sweeps = append(sweeps, sw)
		}
	}
	b.setSweeps(sweeps)
}

// setSweeps makes sweeps the block's, and its matrix's options the
// combinations of their values.
func (b *Block) setSweeps(sweeps []Sweep) {
	b.Sweeps = sweeps
	b.variants = map[string][]int{}
	if len(sweeps) == 0 {
		delete(b.Matrix, param.Options.Name)
		return
	}
	combos := [][]int{{}}
	for _, sw := range sweeps {
		var next [][]int
		for _, c := range combos {
			for i := range sw.Values {
				next = append(next, append(append([]int(nil), c...), i))
			}
		}
		combos = next
	}
	var vals []param.Value
	for _, c := range combos {
		parts := make([]string, len(c))
		for i, j := range c {
			parts[i] = sweeps[i].Path + "=" + sweeps[i].Labels[j]
		}
		label := strings.Join(parts, ",")
		b.variants[label] = c
		vals = append(vals, param.Value{Text: label})
	}
	b.Matrix[param.Options.Name] = vals
}

// optionLabel is how an option's value reads in a cell's name.
func optionLabel(v reflect.Value) string {
	if v.Type() == reflect.TypeFor[time.Duration]() {
		return time.Duration(v.Int()).String()
	}
	return fmt.Sprint(v.Interface())
}

// optionNames lists the workload's options as paths, for messages.
func optionNames(def *workload.Def) []string {
	var out []string
	var walk func(t reflect.Type, pre string, depth int)
	walk = func(t reflect.Type, pre string, depth int) {
		for _, f := range workload.Fields(t) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() && depth < 4 {
				walk(ft, pre+f.Name+".", depth+1)
				continue
			}
			out = append(out, pre+f.Name)
		}
	}
	walk(def.OptionsType(), "", 0)
	return out
}

// checkMethods checks each value the blocks' matrices list for the method
// dimension: the workload's Check must accept it as its method option.
func (d *decoder) checkMethods(s *Scenario) {
	if d.def == nil {
		return
	}
	reported := map[string]bool{} // a top-level value many blocks inherit, once
	for i := range s.Blocks {
		b := &s.Blocks[i]
		pre := d.blockPre[i]
		path, _ := d.blockField(pre, "matrix.method")
		if !d.given(path) {
			continue
		}
		if d.def.Method == "" {
			if !reported[path] {
				reported[path] = true
				d.bad[path] = true
				d.addf(d.keyLine(path), path, "workload %s has no method to sweep (see its options: %s)", d.def.Name, strings.Join(optionNames(d.def), ", "))
			}
			continue
		}
		var kept []param.Value
		for j, v := range b.Matrix[param.Method.Name] {
			opts := d.def.Copy(b.Options)
			if fv, err := workload.Value(opts, d.def.Method); err == nil {
				fv.SetString(v.Text)
			}
			ok := true
			fields, _ := workload.FieldErrors(d.def.Check(opts))
			for _, fe := range fields {
				if fe.Field != d.def.Method {
					continue
				}
				ok = false
				site := fmt.Sprintf("%s[%d]", path, j)
				if reported[site] {
					continue
				}
				reported[site] = true
				at := d.keyLine(path)
				if n := d.nodes[site]; n != nil {
					at = line(n)
				}
				d.bad[path] = true
				d.addf(at, path, "%v, got %q", fe.Err, v.Text)
			}
			if ok {
				kept = append(kept, v)
			}
		}
		b.Matrix[param.Method.Name] = kept
	}
}

package scenario

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Parse decodes a scenario strictly, applies defaults and validates it.
// file names the source in error messages and is stored in Scenario.File.
// Any problem yields an *Error listing all of them; it wraps ErrInvalid.
func Parse(file string, data []byte) (*Scenario, error) {
	name := file
	if name == "" {
		name = "<input>"
	}
	d := &decoder{
		problems: problems{file: name},
		pos:      map[string]pos{},
		bad:      map[string]bool{},
	}
	body, ok := d.parse(data)
	if !ok {
		return nil, d.err()
	}
	s := &Scenario{File: file}
	d.scenario(body, s)
	d.defaults(s)
	d.validate(s)
	if err := d.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// pos records where a field was given: the line of its key and of its value.
type pos struct{ key, val int }

// decoder walks the YAML AST into a Scenario, recording problems with
// their lines and which fields the file set.
type decoder struct {
	problems
	anchors map[string]ast.Node
	pos     map[string]pos  // fields present in the file, by dotted path
	bad     map[string]bool // fields whose value was rejected
}

// given reports whether the file set the field at path (null counts as unset).
func (d *decoder) given(path string) bool { _, ok := d.pos[path]; return ok }

// ok reports whether the field at path holds a usable value: either it was
// not given (so it has its default) or it was given and accepted.
func (d *decoder) ok(path string) bool { return !d.bad[path] }

// keyLine returns the line of the field's key, or 0 when it was not given.
func (d *decoder) keyLine(path string) int { return d.pos[path].key }

// parse parses data as a single YAML document and returns its body
// (nil for an empty document).
func (d *decoder) parse(data []byte) (body ast.Node, ok bool) {
	f, err := safeParse(data)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			d.addf(tokenLine(ye.GetToken()), "", "syntax error: %s", ye.GetMessage())
		} else {
			d.addf(0, "", "syntax error: %v", err)
		}
		return nil, false
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) > 1 {
		d.addf(line(docs[1].Body), "", "a scenario file holds one YAML document, got %d", len(docs))
		return nil, false
	}
	if len(docs) == 0 {
		return nil, true
	}
	d.anchors = map[string]ast.Node{}
	for _, n := range ast.Filter(ast.AnchorType, docs[0].Body) {
		if a, ok := n.(*ast.AnchorNode); ok {
			d.anchors[tokenText(a.Name)] = a.Value
		}
	}
	return docs[0].Body, true
}

// safeParse runs the YAML parser, turning a panic into an error.
// Duplicate keys are let through so that mapping reports them by field.
func safeParse(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("cannot parse YAML: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

// field is one known key of a mapping and how to decode its value.
type field struct {
	name   string
	decode func(path string, v ast.Node)
}

// mapping decodes the mapping n at path field by field. Unknown and
// repeated keys are reported; null values leave the field unset.
func (d *decoder) mapping(path string, n ast.Node, fields []field) {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	n = d.unwrap(n)
	if isNull(n) {
		return
	}
	m, ok := n.(ast.MapNode)
	if !ok {
		d.bad[path] = true
		what := "must be a mapping"
		if path == "" {
			what = "a scenario must be a mapping"
		}
		d.addf(line(n), path, "%s with fields %s, got %s", what, strings.Join(names, ", "), show(n))
		return
	}
	seen := map[string]int{}
	it := m.MapRange()
	for it.Next() {
		k := it.Key()
		kl := line(k)
		if k.IsMergeKey() {
			d.addf(kl, join(path, "<<"), "merge keys are not supported; write the fields out")
			continue
		}
		name := keyName(k)
		fp := join(path, name)
		f, found := lookup(fields, name)
		if !found {
			msg := "unknown field; valid fields here: " + strings.Join(names, ", ")
			if c := closest(name, names); c != "" {
				msg += fmt.Sprintf("; did you mean %q?", c)
			}
			d.addf(kl, fp, "%s", msg)
			continue
		}
		if first, dup := seen[name]; dup {
			d.addf(kl, fp, "field given twice, first on line %d", first)
			continue
		}
		seen[name] = kl
		v := d.unwrap(it.Value())
		if isNull(v) {
			continue
		}
		d.pos[fp] = pos{key: kl, val: line(v)}
		f.decode(fp, v)
	}
}

func lookup(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// unwrap resolves anchors, aliases and tags to the node they stand for.
// A "!!str" tag turns a scalar into a string.
func (d *decoder) unwrap(n ast.Node) ast.Node {
	for range 32 {
		switch t := n.(type) {
		case *ast.AnchorNode:
			n = t.Value
		case *ast.AliasNode:
			target, ok := d.anchors[tokenText(t.Value)]
			if !ok {
				return n
			}
			n = target
		case *ast.TagNode:
			if t.Start != nil && t.Start.Value == "!!str" && t.Value != nil {
				if _, scalar := t.Value.(ast.ScalarNode); scalar && t.Value.GetToken() != nil {
					return ast.String(t.Value.GetToken())
				}
			}
			n = t.Value
		default:
			return n
		}
	}
	return n
}

// isNull reports whether n is absent or an explicit null.
func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

func keyName(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return tokenText(k)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

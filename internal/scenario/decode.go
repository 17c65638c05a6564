package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/scalebench/scalebench/internal/workload"
)

// Parse decodes a scenario strictly, applies defaults and validates it.
// file names the source in error messages and is stored in Scenario.File.
// A leading UTF-8 byte order mark is ignored; data over MaxFileSize, with
// over MaxTokens tokens or nested over MaxDepth levels is rejected before
// it is parsed.
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
		sweeps:   map[string]ast.Node{},
	}
	body, ok := d.parse(data)
	if !ok {
		return nil, d.err()
	}
	s := &Scenario{File: file, Matrix: Matrix{}}
	d.def = d.findWorkload(body)
	if d.def == nil {
		return nil, d.err()
	}
	opts := d.def.NewOptions()
	s.Workload = Workload{Name: d.def.Name, Def: d.def, Options: opts}
	blocks := d.scenario(body, s, opts)
	d.defaults(s, opts)
	d.blocks(s, blocks, opts)
	d.checkOptions(s)
	d.checkMethods(s)
	d.baselineDefaults(s)
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
	at      int             // while decoding a value reached through an alias, the alias's line
	pos     map[string]pos  // fields present in the file, by dotted path
	bad     map[string]bool // fields whose value was rejected
	// blockPre holds, for each of the scenario's Blocks, the prefix of its
	// fields' paths: "blocks[2].", or "" for the single block of a file
	// without a blocks list.
	blockPre []string

	// def is the scenario's workload (nil when it names one this
	// executable lacks).
	def *workload.Def
	// optAt maps a block's prefix and an option's path, joined by a NUL,
	// to the yaml path the file sets the option at.
	optAt map[string]string
	// nodes holds the value of each workload option the file sets (and
	// of each element of its lists, at path[i]), by yaml path.
	nodes map[string]ast.Node
	// sweeps holds the matrix.options mappings, by path, until the
	// block's options are known; topSweeps the top level's decoded.
	sweeps    map[string]ast.Node
	topSweeps []Sweep
	// baseOpts is baseline.options, decoded once the blocks are.
	baseOpts ast.Node
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
	tokens, ok := d.lex(data)
	if !ok {
		return nil, false
	}
	f, err := safeParse(tokens)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) {
			d.addf(errLine(ye.GetToken()), "", "syntax error: %s", explain(ye.GetMessage()))
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
func safeParse(tokens token.Tokens) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("cannot parse YAML: %v", r)
		}
	}()
	return parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
}

// explain adds to the YAML parser's commonest messages what usually
// causes them.
func explain(msg string) string {
	switch {
	case strings.Contains(msg, "mapping value is not allowed in this context"):
		return msg + ` (is a line indented too far, or does a value with ": " in it need quotes?)`
	case strings.Contains(msg, "'\t'"):
		return "a tab cannot start a token here; indent with spaces"
	}
	return msg
}

// errLine returns the line a syntax error points at: for a plain scalar
// that runs on over several lines (as a line indented too far does), the
// line where it ends, which is where the parser gave up.
func errLine(tk *token.Token) int {
	l := tokenLine(tk)
	if l > 0 && tk.Type == token.StringType {
		l += strings.Count(strings.TrimRight(tk.Origin, " \t\r\n"), "\n")
	}
	return l
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
		d.addf(d.lineOf(n), path, "%s with fields %s, got %s", what, strings.Join(names, ", "), show(n))
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
			if shown := clip(name); !printable(name) {
				fp = join(path, strconv.Quote(shown))
			} else {
				fp = join(path, shown)
			}
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
		d.use(it.Value(), func(v ast.Node) {
			if isNull(v) {
				return
			}
			d.pos[fp] = pos{key: kl, val: d.lineOf(v)}
			f.decode(fp, v)
		})
	}
}

// printable reports whether s has only graphic characters, so that it can
// be shown unquoted.
func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsGraphic(r) {
			return false
		}
	}
	return true
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

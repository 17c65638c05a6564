package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/scalebench/scalebench/internal/param"
)

// line returns the 1-based line where n starts, or 0 when unknown.
func line(n ast.Node) int {
	if n == nil {
		return 0
	}
	return tokenLine(n.GetToken())
}

func tokenLine(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// tokenText returns the source text of n's first token ("" for nil).
func tokenText(n ast.Node) string {
	if n == nil {
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// show renders a value for "got ..." in messages: strings quoted, other
// scalars as written, collections briefly.
func show(n ast.Node) string {
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.StringNode:
		return strconv.Quote(clip(t.Value))
	case *ast.LiteralNode:
		if t.Value != nil {
			return strconv.Quote(clip(t.Value.Value))
		}
		return "a block of text"
	case *ast.SequenceNode:
		return brief(t, t.IsFlowStyle, "a list")
	case *ast.MappingNode:
		return brief(t, t.IsFlowStyle, "a mapping")
	case *ast.MappingValueNode:
		return "a mapping"
	case *ast.AliasNode:
		return "*" + tokenText(t.Value)
	case ast.ScalarNode:
		if s := tokenText(t); s != "" {
			return clip(s)
		}
	}
	return "a " + strings.ToLower(n.Type().String())
}

// maxShown is the most bytes of a value or key a message quotes.
const maxShown = 60

// clip shortens s to maxShown bytes (at a rune boundary), marking the cut
// and the full length, so that a message never repeats a huge value.
func clip(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:cut], len(s))
}

// brief returns a flow-style collection's text when short, else what.
// It renders only collections of a few nodes, so that a message about each
// of many aliases of a long list costs little.
func brief(n ast.Node, flow bool, what string) string {
	budget := 16
	if !flow || !few(n, &budget) {
		return what
	}
	if s := n.String(); len(s) <= 40 && !strings.Contains(s, "\n") {
		return s
	}
	return what
}

// few reports whether n has at most *budget nodes, counting them off it.
func few(n ast.Node, budget *int) bool {
	if *budget--; *budget < 0 {
		return false
	}
	switch t := n.(type) {
	case *ast.SequenceNode:
		for _, v := range t.Values {
			if !few(v, budget) {
				return false
			}
		}
	case *ast.MappingNode:
		for _, v := range t.Values {
			if !few(v, budget) {
				return false
			}
		}
	case *ast.MappingValueNode:
		return few(t.Key, budget) && few(t.Value, budget)
	case *ast.AnchorNode:
		return few(t.Value, budget)
	case *ast.TagNode:
		return few(t.Value, budget)
	}
	return true
}

// typeErr reports that the value at path has the wrong type.
func (d *decoder) typeErr(path string, n ast.Node, want string) {
	d.bad[path] = true
	d.addf(d.lineOf(n), path, "must be %s, got %s", want, show(n))
}

// rangeErr reports that the value at path is out of range.
func (d *decoder) rangeErr(path string, n ast.Node, format string, args ...any) {
	d.bad[path] = true
	d.addf(d.lineOf(n), path, "%s, got %s", fmt.Sprintf(format, args...), show(n))
}

// str decodes a string.
func (d *decoder) str(path string, n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value != nil {
			return t.Value.Value, true
		}
	}
	d.typeErr(path, n, "a string")
	return "", false
}

// enum decodes a string that must be one of options.
func (d *decoder) enum(path string, n ast.Node, options ...string) (string, bool) {
	s, ok := d.str(path, n)
	if !ok {
		return "", false
	}
	for _, o := range options {
		if s == o {
			return s, true
		}
	}
	d.rangeErr(path, n, "must be one of %s", strings.Join(options, ", "))
	return "", false
}

// integer decodes an integer in [lo, hi].
func (d *decoder) integer(path string, n ast.Node, lo, hi int64) (int64, bool) {
	in, ok := n.(*ast.IntegerNode)
	if !ok {
		d.typeErr(path, n, "an integer")
		return 0, false
	}
	var v int64
	switch x := in.Value.(type) {
	case int64:
		v = x
	case uint64:
		v = math.MaxInt64
		if x <= math.MaxInt64 {
			v = int64(x)
		}
	default:
		d.typeErr(path, n, "an integer")
		return 0, false
	}
	switch {
	case v < lo:
		d.rangeErr(path, n, "must be >= %d", lo)
		return 0, false
	case v > hi:
		d.rangeErr(path, n, "must be <= %d", hi)
		return 0, false
	}
	return v, true
}

// num decodes a finite number (integer or float).
func (d *decoder) num(path string, n ast.Node) (float64, bool) {
	var v float64
	switch t := n.(type) {
	case *ast.IntegerNode:
		switch x := t.Value.(type) {
		case int64:
			v = float64(x)
		case uint64:
			v = float64(x)
		}
	case *ast.FloatNode:
		v = t.Value
	case *ast.StringNode:
		// Plain scalars such as 1e-3 reach us as strings.
		f, err := strconv.ParseFloat(t.Value, 64)
		if err != nil || t.Token == nil || t.Token.Type != token.StringType {
			d.typeErr(path, n, "a number")
			return 0, false
		}
		v = f
	case *ast.InfinityNode, *ast.NanNode:
		v = math.NaN()
	default:
		d.typeErr(path, n, "a number")
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		d.typeErr(path, n, "a finite number")
		return 0, false
	}
	return v, true
}

// fraction decodes a number in [0, 1].
func (d *decoder) fraction(path string, n ast.Node) (float64, bool) {
	v, ok := d.num(path, n)
	if ok && (v < 0 || v > 1) {
		d.rangeErr(path, n, "must be between 0 and 1")
		return 0, false
	}
	return v, ok
}

// durLimits bounds a duration: > min (or >= min when inclusive), <= max
// (when max > 0).
type durLimits struct {
	min       time.Duration
	inclusive bool
	max       time.Duration
}

// MaxDuration bounds every duration of a scenario's load and images.
const MaxDuration = time.Hour

// Bounds of durations: nonNegative allows 0 up to MaxDuration, positive
// more than 0 up to it.
var (
	nonNegative = durLimits{inclusive: true, max: MaxDuration}
	positive    = durLimits{max: MaxDuration}
)

// check says what is wrong with v under lim, or "".
func (lim durLimits) check(v time.Duration) string {
	switch {
	case lim.inclusive && v < lim.min:
		return fmt.Sprintf("must be >= %s, got %s", shortDur(lim.min), v)
	case !lim.inclusive && v <= lim.min:
		return fmt.Sprintf("must be > %s, got %s", shortDur(lim.min), v)
	case lim.max > 0 && v > lim.max:
		return fmt.Sprintf("must be <= %s, got %s", shortDur(lim.max), v)
	}
	return ""
}

// duration decodes a Go duration string such as "3s"; a bare 0 is allowed.
func (d *decoder) duration(path string, n ast.Node, lim durLimits) (Duration, bool) {
	var v time.Duration
	switch t := n.(type) {
	case *ast.StringNode:
		var err error
		if v, err = time.ParseDuration(strings.TrimSpace(t.Value)); err != nil {
			d.rangeErr(path, n, "not a duration like \"3s\" or \"500ms\"")
			return 0, false
		}
	case *ast.IntegerNode:
		if tokenText(t) != "0" {
			d.rangeErr(path, n, "not a duration like \"3s\" or \"500ms\"")
			return 0, false
		}
	default:
		d.rangeErr(path, n, "not a duration like \"3s\" or \"500ms\"")
		return 0, false
	}
	if msg := lim.check(v); msg != "" {
		d.bad[path] = true
		d.addf(d.lineOf(n), path, "%s", msg)
		return 0, false
	}
	return Duration(v), true
}

// shortDur formats whole minutes and hours without trailing zero units
// ("1h", "10m"); zero is "0".
func shortDur(v time.Duration) string {
	if v == 0 {
		return "0"
	}
	s := v.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return v.String()
	}
	return s
}

// sizeUnits are the units a size may be written in, by their factor.
var sizeUnits = []struct {
	name   string
	factor int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseSize reads a size in bytes: "32MiB", "1.5GiB", "4096B" or "4096".
func ParseSize(s string) (int64, error) {
	num, factor := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(num, u.name); ok {
			num, factor = strings.TrimSpace(rest), u.factor
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v >= 0) || math.IsInf(v, 0) || v*float64(factor) > math.MaxInt64/2 {
		return 0, fmt.Errorf("not a size like 32MiB, 512KiB or 1048576: %q", s)
	}
	b := v * float64(factor)
	if b != math.Trunc(b) {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	return int64(b), nil
}

// size decodes a size in bytes from lo to hi: an integer, or a string
// with a binary unit ("32MiB").
func (d *decoder) size(path string, n ast.Node, lo, hi int64) (int64, bool) {
	const want = "a size like 32MiB, 512KiB or 1048576"
	var v int64
	switch t := n.(type) {
	case *ast.IntegerNode:
		x, ok := d.integer(path, n, lo, hi)
		return x, ok
	case *ast.StringNode:
		x, err := ParseSize(t.Value)
		if err != nil {
			d.rangeErr(path, n, "not %s", want)
			return 0, false
		}
		v = x
	default:
		d.typeErr(path, n, want)
		return 0, false
	}
	switch {
	case v < lo:
		d.rangeErr(path, n, "must be at least %s", param.BytesLabel(float64(lo)))
		return 0, false
	case v > hi:
		d.rangeErr(path, n, "must be at most %s", param.BytesLabel(float64(hi)))
		return 0, false
	}
	return v, true
}

// rate decodes an arrival rate > 0: a number (per second) or "100/s".
func (d *decoder) rate(path string, n ast.Node) (float64, bool) {
	var v float64
	switch t := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		f, ok := d.num(path, n)
		if !ok {
			return 0, false
		}
		v = f
	case *ast.StringNode:
		r, err := ParseRate(t.Value)
		if err != nil {
			d.rangeErr(path, n, "not a rate like 100, \"100/s\" or \"6000/min\"")
			return 0, false
		}
		v = float64(r)
	default:
		d.rangeErr(path, n, "not a rate like 100, \"100/s\" or \"6000/min\"")
		return 0, false
	}
	switch {
	case v <= 0:
		d.rangeErr(path, n, "must be > 0")
		return 0, false
	case v < MinRate:
		d.rangeErr(path, n, "must be at least 1/h (no job would arrive in an hour's window)")
		return 0, false
	case v > MaxRate:
		d.rangeErr(path, n, "must be at most %g/s, the fastest the dispatcher can pace arrivals", float64(MaxRate))
		return 0, false
	}
	return v, true
}

// each calls f with every element of the list n at path, with problems in
// an element reached through an alias reported on the alias's line.
func (d *decoder) each(path string, n ast.Node, want string, f func(e ast.Node)) bool {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.typeErr(path, n, "a list of "+want)
		return false
	}
	if len(seq.Values) == 0 {
		d.rangeErr(path, n, "must list at least one value")
		return false
	}
	for _, v := range seq.Values {
		d.use(v, f)
	}
	return true
}

// use calls f with v resolved; while f runs, problems are reported on
// v's line when v is an alias of a scalar or list (for an alias of a
// mapping, each field's own line says more).
func (d *decoder) use(v ast.Node, f func(ast.Node)) {
	r := d.unwrap(v)
	if _, isMap := r.(ast.MapNode); r != v && !isMap && d.at == 0 {
		d.at = line(v)
		defer func() { d.at = 0 }()
	}
	f(r)
}

// lineOf returns the line to report a problem with n on.
func (d *decoder) lineOf(n ast.Node) int {
	if d.at > 0 {
		return d.at
	}
	return line(n)
}

// distinct reports a value seen before in the list at path.
func (d *decoder) distinct(path string, n ast.Node, key string, seen map[string]bool) bool {
	if seen[key] {
		d.bad[path] = true
		d.addf(d.lineOf(n), path, "values must be distinct, got %s more than once", key)
		return false
	}
	seen[key] = true
	return true
}

// values decodes a non-empty list of distinct values of dim; nil when
// the list itself is unusable.
func (d *decoder) values(path string, n ast.Node, dim *param.Dimension) []param.Value {
	var out []param.Value
	seen := map[string]bool{}
	ok := d.each(path, n, kindNoun(dim.Kind), func(e ast.Node) {
		v, ok := d.value(path, e, dim)
		key := dim.ValueText(v)
		if dim.Kind == param.Choice {
			key = strconv.Quote(key)
		}
		if ok && d.distinct(path, e, key, seen) {
			out = append(out, v)
		}
	})
	if !ok {
		return nil
	}
	return out
}

// value decodes one value of dim.
func (d *decoder) value(path string, n ast.Node, dim *param.Dimension) (param.Value, bool) {
	switch dim.Kind {
	case param.Count:
		x, ok := d.integer(path, n, dim.Min, dim.Max)
		return param.Value{Num: float64(x)}, ok
	case param.PerSecond:
		x, ok := d.rate(path, n)
		return param.Value{Num: x}, ok
	case param.Choice:
		x, ok := d.enum(path, n, Choices(dim)...)
		return param.Value{Text: x}, ok
	case param.Bytes:
		x, ok := d.size(path, n, dim.Min, dim.Max)
		return param.Value{Num: float64(x)}, ok
	}
	d.addf(d.lineOf(n), path, "cannot be listed in a matrix")
	return param.Value{}, false
}

// Choices are the valid values of a Choice dimension, which the workload
// defines: the thumbnail methods for the method dimension.
func Choices(dim *param.Dimension) []string {
	if dim == param.Method {
		return Methods
	}
	return nil
}

// kindNoun names the values of a kind in "must be a list of ...".
func kindNoun(k param.Kind) string {
	switch k {
	case param.Count:
		return "integers"
	case param.PerSecond:
		return "rates"
	case param.Bytes:
		return "sizes"
	}
	return "strings"
}

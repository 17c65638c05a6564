package scenario

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error that reports a problem in a
// scenario's content (syntax, types, values).
var ErrInvalid = errors.New("scenario: invalid")

// Problem is one thing wrong with a scenario file.
type Problem struct {
	File  string // file name as given to Parse
	Line  int    // 1-based line; 0 when unknown
	Field string // dotted field path, e.g. "matrix.workers"; "" for file-level problems
	Msg   string // what is wrong and what would be valid
}

// String formats the problem as "FILE:LINE: FIELD: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem found in a scenario file, in line order.
// It wraps ErrInvalid.
type Error struct {
	Problems []Problem
}

// Error returns the problems, one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// problems collects Problems for one file.
type problems struct {
	file string
	list []Problem
}

func (ps *problems) addf(line int, field, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the collected problems sorted by line, or nil when there are none.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	return &Error{Problems: list}
}

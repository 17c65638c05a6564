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

// maxProblems is the most problems reported for one file; a file with more
// gets a last line saying how many were left out.
const maxProblems = 100

// problems collects Problems for one file.
type problems struct {
	file    string
	list    []Problem
	times   []int           // how often each problem in list was found
	index   map[Problem]int // position in list
	dropped int             // distinct problems past maxProblems
	found   int             // problems found so far, repeats included
}

// addf records a problem; one found again (the same value listed twice,
// or an alias used many times) is counted, not repeated.
func (ps *problems) addf(line int, field, format string, args ...any) {
	ps.found++
	p := Problem{File: ps.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
	if i, ok := ps.index[p]; ok {
		ps.times[i]++
		return
	}
	if len(ps.list) >= maxProblems {
		ps.dropped++
		return
	}
	if ps.index == nil {
		ps.index = map[Problem]int{}
	}
	ps.index[p] = len(ps.list)
	ps.list = append(ps.list, p)
	ps.times = append(ps.times, 1)
}

// err returns the collected problems sorted by line, or nil when there are none.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	for i, n := range ps.times {
		if n > 1 {
			list[i].Msg += fmt.Sprintf(" (%d times)", n)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	if ps.dropped > 0 {
		list = append(list, Problem{File: ps.file, Msg: fmt.Sprintf("%d more problems not shown", ps.dropped)})
	}
	return &Error{Problems: list}
}

package analysis

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Limits on the data ReadCSV accepts.
const (
	// MaxCSVSize is the largest CSV input read, in bytes.
	MaxCSVSize = 4 << 20
	// MaxCSVRows is the most data rows read; a fit costs time in
	// proportion to them.
	MaxCSVRows = 100_000
	// MaxN and MaxThroughput bound the values: beyond them the fit's sums
	// of squares lose the precision it needs (near 1e308 they overflow).
	MaxN          = 1e9
	MaxThroughput = 1e15
)

// ReadCSV reads two numeric columns, N and throughput, for a fit. The first
// row is a header (any names, used in error messages) unless both its fields
// are numbers; blank lines and lines starting with # are skipped. N must be
// in (0, MaxN], throughput in [0, MaxThroughput]; the input may hold at
// most MaxCSVSize bytes and MaxCSVRows data rows. Errors name the input and
// line: `data.csv:4: throughput: not a number, got "abc"`.
func ReadCSV(name string, r io.Reader) (n, x []float64, err error) {
	lr := &io.LimitedReader{R: r, N: MaxCSVSize + 1}
	cr := csv.NewReader(lr)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cols := [2]string{"N", "throughput"}
	first := true
	for {
		rec, err := cr.Read()
		if lr.N <= 0 {
			return nil, nil, fmt.Errorf("analysis: read %s: larger than %d MiB, the limit for fit data", name, MaxCSVSize>>20)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, fmt.Errorf("read %s:%d: %w", name, pe.Line, pe.Err)
			}
			return nil, nil, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 2 {
			return nil, nil, fmt.Errorf("read %s:%d: want 2 columns (N, throughput), got %d", name, line, len(rec))
		}
		var v [2]float64
		var bad error
		for i, f := range rec {
			f = strings.TrimSpace(f)
			p, perr := strconv.ParseFloat(f, 64)
			if perr != nil && !errors.Is(perr, strconv.ErrRange) && bad == nil {
				bad = fmt.Errorf("%s:%d: %s: not a number, got %q", name, line, cols[i], f)
			}
			v[i] = p
		}
		if first {
			first = false
			if bad != nil { // a header row
				for i, f := range rec {
					if h := strings.TrimSpace(f); h != "" {
						cols[i] = h
					}
				}
				continue
			}
		}
		if bad == nil {
			bad = checkRow(name, line, cols, v)
		}
		if bad != nil {
			return nil, nil, fmt.Errorf("read %w", bad)
		}
		if len(n) == MaxCSVRows {
			return nil, nil, fmt.Errorf("analysis: read %s:%d: more than %d data rows, the limit for fit data", name, line, MaxCSVRows)
		}
		n, x = append(n, v[0]), append(x, v[1])
	}
	if len(n) == 0 {
		return nil, nil, fmt.Errorf("read %s: no data rows", name)
	}
	return n, x, nil
}

// checkRow reports a value outside the ranges a fit accepts.
func checkRow(name string, line int, cols [2]string, v [2]float64) error {
	switch n, x := v[0], v[1]; {
	case math.IsNaN(n) || math.IsInf(n, 0) || n <= 0 || n > MaxN:
		return fmt.Errorf("%s:%d: %s: must be a number > 0 and <= %g, got %g", name, line, cols[0], float64(MaxN), n)
	case math.IsNaN(x) || math.IsInf(x, 0) || x < 0 || x > MaxThroughput:
		return fmt.Errorf("%s:%d: %s: must be a number >= 0 and <= %g, got %g", name, line, cols[1], float64(MaxThroughput), x)
	}
	return nil
}

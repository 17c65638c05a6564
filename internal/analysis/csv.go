package analysis

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadCSV reads two numeric columns, N and throughput, for a fit. The first
// row is a header (any names, used in error messages) unless both its fields
// are numbers; blank lines and lines starting with # are skipped. Errors
// name the input and line: `data.csv:4: throughput: not a number, got "abc"`.
func ReadCSV(name string, r io.Reader) (n, x []float64, err error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cols := [2]string{"N", "throughput"}
	first := true
	for {
		rec, err := cr.Read()
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
			if perr != nil && bad == nil {
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
		if bad != nil {
			return nil, nil, fmt.Errorf("read %w", bad)
		}
		n, x = append(n, v[0]), append(x, v[1])
	}
	if len(n) == 0 {
		return nil, nil, fmt.Errorf("read %s: no data rows", name)
	}
	return n, x, nil
}

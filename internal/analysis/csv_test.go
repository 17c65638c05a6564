package analysis

import (
	"io"
	"strings"
	"testing"
)

// TestReadCSVLimits checks the values and sizes ReadCSV refuses, each with
// the line and the limit.
func TestReadCSVLimits(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"NaN", "N,X\n1,20\n2,NaN\n", `data.csv:3: X: must be a number >= 0 and <= 1e+15, got NaN`},
		{"Inf", "N,X\n1,20\nInf,30\n", `data.csv:3: N: must be a number > 0 and <= 1e+09, got +Inf`},
		{"overflow", "N,X\n1,1e400\n", `data.csv:2: X: must be a number >= 0 and <= 1e+15, got +Inf`},
		{"negative", "N,X\n1,20\n2,-5\n", `data.csv:3: X: must be a number >= 0 and <= 1e+15, got -5`},
		{"zero N", "N,X\n0,20\n", `data.csv:2: N: must be a number > 0 and <= 1e+09, got 0`},
		{"zero N without header", "0,20\n1,30\n", `data.csv:1: N: must be a number > 0 and <= 1e+09, got 0`},
		{"near 1e308", "N,X\n1,1.7e308\n2,1.7e308\n3,1.7e308\n", `data.csv:2: X: must be a number >= 0 and <= 1e+15, got 1.7e+308`},
		{"huge N", "N,X\n1e12,5\n", `data.csv:2: N: must be a number > 0 and <= 1e+09, got 1e+12`},
		{"too many rows", "N,X\n" + strings.Repeat("1,1\n", MaxCSVRows+1), "data.csv:100002: more than 100000 data rows"},
		{"too large", "N,X\n#" + strings.Repeat("x", MaxCSVSize), "data.csv: larger than 4 MiB, the limit for fit data"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadCSV("data.csv", strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %.200v, want %q", err, tt.want)
			}
		})
	}
	// An endless input stops at the limit.
	if _, _, err := ReadCSV("zero", io.LimitReader(zeros{}, 1<<40)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("endless input: %v", err)
	}
}

// zeros reads as an endless run of "1,1\n".
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "1,1\n"[i%4]
	}
	return len(p), nil
}

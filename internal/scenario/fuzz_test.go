package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml/lexer"
)

// FuzzParse checks that Parse never panics, that it reports at most
// maxProblems problems, that the nesting bound holds for what the parser
// builds, and that whatever it accepts is consistent: a bounded, non-empty
// matrix containing the baseline, within the machine limits. It is seeded
// with every scenario under testdata.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) <= MaxFileSize {
			tokens := lexer.Tokenize(string(data))
			if _, depth := nesting(tokens); depth <= MaxDepth && len(tokens) <= MaxTokens {
				if file, err := safeParse(tokens); err == nil {
					for _, doc := range file.Docs {
						if got := treeDepth(doc); got > 2*depth {
							t.Fatalf("parser nests %d levels, nesting says %d", got, depth)
						}
					}
				}
			}
		}
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatalf("scenario returned with error %v", err)
			}
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 || len(e.Problems) > maxProblems+1 {
				t.Fatalf("error %T with %d problems", err, len(e.Problems))
			}
			return
		}
		cells := s.Cells()
		if len(cells) == 0 || len(cells) > MaxCells {
			t.Fatalf("%d cells", len(cells))
		}
		i := s.BaselineIndex()
		if cells[i] != s.Baseline {
			t.Fatalf("baseline %+v not among cells", s.Baseline)
		}
		for _, c := range cells {
			if c.Method == "" || (c.Rate > 0) != (s.Load.Model == "open") {
				t.Fatalf("bad cell %+v for model %s", c, s.Load.Model)
			}
		}
		if s.Load.Repeats < 1 || s.Load.Repeats > 1000 || s.Estimate() <= 0 {
			t.Fatalf("repeats %d, estimate %v", s.Load.Repeats, s.Estimate())
		}
		for _, c := range cells {
			if c.Rate != 0 && (c.Rate < MinRate || c.Rate > MaxRate) {
				t.Fatalf("rate %v outside [%v, %v]", c.Rate, MinRate, MaxRate)
			}
			if int64(c.Workers)*int64(c.Replicas)*WorkerMemory > MaxCellMemory ||
				c.Replicas*(c.GOMAXPROCS+ThreadsPerProcess) > MaxThreads {
				t.Fatalf("cell %+v over the machine limits", c)
			}
		}
		if s.Load.Jobs > MaxBatchJobs {
			t.Fatalf("%d batch jobs", s.Load.Jobs)
		}
		for i := range s.Blocks {
			for _, c := range s.Blocks[i].cells() {
				if _, err := s.Blocks[i].OptionsFor(s.Workload, c); err != nil {
					t.Fatalf("cell %+v: %v", c, err)
				}
			}
		}
	})
}

package scenario

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts is
// consistent: a bounded, non-empty matrix containing the baseline.
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
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatalf("scenario returned with error %v", err)
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
		_ = s.URLs("http://127.0.0.1:1")
	})
}

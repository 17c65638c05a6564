package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/testutil"
)

// TestMainReportInputs rebuilds a report from each thing a user may hold:
// the run's directory, its results.json, and the report.html alone (whose
// embedded results once failed to parse with "invalid character '<'").
// Each time the console tells the result before naming the files.
func TestMainReportInputs(t *testing.T) {
	testutil.Long(t, "four full reports; TestReportSkipsATornLastLine renders one through the CLI")
	data, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", "batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	runDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(runDir, "results.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"report", runDir}, nil, &out, &errOut); code != 0 {
		t.Fatalf("report DIR: exit %d: %s", code, errOut.String())
	}
	page := filepath.Join(runDir, "report.html")
	for _, tc := range []struct{ name, input string }{
		{"directory", runDir},
		{"results.json", filepath.Join(runDir, "results.json")},
		{"report.html", page},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errOut bytes.Buffer
			if code := Main(context.Background(), []string{"report", "-o", dir, tc.input}, nil, &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			o := out.String()
			findings, table, paths := strings.Index(o, "Findings\n"), strings.Index(o, "(baseline)"), strings.Index(o, "report:  ")
			if findings < 0 || table < 0 || paths < 0 || !(findings < table && table < paths) {
				t.Errorf("stdout does not give findings, then the ratio table, then the paths:\n%s", o)
			}
			if !strings.Contains(o, "Scalability (makespan) = ") {
				t.Errorf("stdout lacks the lesson's ratio:\n%s", o)
			}
			got, err := os.ReadFile(filepath.Join(dir, "summary.md"))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(filepath.Join(runDir, "summary.md"))
			if !bytes.Equal(got, want) {
				t.Errorf("summary.md rebuilt from the %s differs from the original", tc.name)
			}
		})
	}
	t.Run("a page that is not a report", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(bad, []byte("<!DOCTYPE html><p>hello</p>"), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := Main(context.Background(), []string{"report", bad}, nil, &out, &errOut)
		if code != ExitUsage || !strings.Contains(errOut.String(), "not a scalebench report page") {
			t.Errorf("exit %d, stderr %q", code, errOut.String())
		}
	})
}

// TestReportJSON prints the derived view of a recorded run and writes no
// file; --format json with options that write files is a usage error.
func TestReportJSON(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", "batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "results.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"report", dir, "--format", "json"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var v struct {
		SchemaVersion int `json:"schema_version"`
		Lessons       []struct {
			Ratio struct {
				Decomposition *struct {
					Ratio   float64 `json:"ratio"`
					Factors []struct {
						Name  string  `json:"name"`
						Value float64 `json:"value"`
					} `json:"factors"`
				} `json:"decomposition"`
			} `json:"ratio"`
		} `json:"lessons"`
	}
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("stdout is not the JSON view: %v\n%s", err, out.String())
	}
	if v.SchemaVersion != 1 || len(v.Lessons) == 0 || v.Lessons[0].Ratio.Decomposition == nil ||
		len(v.Lessons[0].Ratio.Decomposition.Factors) != 2 || v.Lessons[0].Ratio.Decomposition.Factors[0].Name != "cpu used" {
		t.Errorf("view: %s", out.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("--format json wrote files: %v", entries)
	}
	for _, args := range [][]string{
		{"report", dir, "--format", "xml"},
		{"report", dir, "--format", "json", "--out", t.TempDir()},
		{"report", dir, "--format", "json", "--slides"},
	} {
		out.Reset()
		errOut.Reset()
		if code := Main(context.Background(), args, nil, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2 (usage): %s", args, code, errOut.String())
		}
	}
}

package app

import (
	"bytes"
	"context"
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

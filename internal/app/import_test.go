package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `import gobench -` reads go test -bench output on stdin and writes the
// run and its report, with the speedup charts; the units it has no place
// for are listed; `report DIR` and `fit` take what it wrote.
func TestImportGobench(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "gobench", "testdata", "sum.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bench")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"import", "gobench", "-", "--out", out}, bytes.NewReader(in), &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported 12 result lines of 3 benchmarks into 5 cells") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	for _, want := range []string{
		"allocs/op has no place in the report (kept with each result in results.json): example.com/sum.BenchmarkSum/n=1000",
		"hits/op has no place",
		"skipped OnlyBytes: no time per operation (ns/op)",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	for _, f := range []string{"results.json", "report.html", "charts/speedup-gomaxprocs.svg", "charts/efficiency-gomaxprocs.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	stdout.Reset()
	stderr.Reset()
	if code := Main(context.Background(), []string{"report", out}, nil, &stdout, &stderr); code != ExitOK ||
		!strings.Contains(stdout.String(), "Scalability (throughput) = ") {
		t.Errorf("report DIR: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	// A file that holds no benchmark is refused as bad input.
	stderr.Reset()
	code = Main(context.Background(), []string{"import", "gobench", "-", "--out", filepath.Join(t.TempDir(), "x")}, strings.NewReader("PASS\n"), &stdout, &stderr)
	if code != ExitUsage || !strings.Contains(stderr.String(), "no benchmark results") {
		t.Errorf("no benchmarks: exit %d, %s", code, stderr.String())
	}
}

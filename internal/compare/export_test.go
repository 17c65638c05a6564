package compare

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/scalebench/scalebench/internal/metric"
)

func exampleRun() ExportRun {
	key := func(w string) Key {
		return Key{Label: "gomaxprocs=1 workers=" + w + " replicas=1 method=fast", Params: []Param{{"gomaxprocs", "1"}, {"workers", w}, {"replicas", "1"}, {"method", "fast"}}}
	}
	rep := func(jobs int64, tput, p50, p99, rss float64) ExportRepeat {
		return ExportRepeat{Jobs: jobs, Values: map[metric.Metric]float64{metric.Throughput: tput, metric.P50: p50, metric.P99: p99, metric.RSS: rss}}
	}
	return ExportRun{
		Name:   "Thumbnail",
		Config: []Param{{"goos", "linux"}, {"goarch", "amd64"}, {"cpu", "Example CPU @ 2.00GHz"}, {"pkg", "github.com/scalebench/scalebench"}, {"scenario", "quickstart"}},
		Cells: []ExportCell{
			{Key: key("4"), Repeats: []ExportRepeat{rep(1234, 19.7, 0.0507, 0.0613, 50<<20), rep(1250, 19.9, 0.0502, 0.0609, 51<<20)}},
			{Key: key("8"), Repeats: []ExportRepeat{rep(2300, 38.1, 0.0521, 0.0701, 60<<20), {Jobs: 2280, Values: map[metric.Metric]float64{metric.Throughput: 37.8, metric.P50: math.NaN()}}}},
		},
	}
}

func TestBenchfmtGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteBenchfmt(&b, exampleRun()); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.bench", b.Bytes())
}

// TestBenchfmtReadsBack parses the export with golang.org/x/perf's own
// reader and checks names, iterations, units, values and configuration.
func TestBenchfmtReadsBack(t *testing.T) {
	run := exampleRun()
	var b bytes.Buffer
	if err := WriteBenchfmt(&b, run); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(bytes.NewReader(b.Bytes()), "export.bench")
	var results []*benchfmt.Result
	var units benchfmt.UnitMetadataMap
	for r.Scan() {
		switch rec := r.Result(); rec := rec.(type) {
		case *benchfmt.Result:
			results = append(results, rec.Clone())
		case *benchfmt.SyntaxError:
			t.Fatalf("syntax error: %v", rec)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	units = r.Units()
	if len(results) != 4 {
		t.Fatalf("%d results, want 4:\n%s", len(results), b.String())
	}
	i := 0
	for _, cell := range run.Cells {
		for _, rep := range cell.Repeats {
			res := results[i]
			i++
			if want := benchName("Thumbnail", cell.Key)[len("Benchmark"):]; string(res.Name) != want {
				t.Errorf("name %q, want %q", res.Name, want)
			}
			base, parts := res.Name.Parts()
			if string(base) != "Thumbnail" || len(parts) != 4 || string(parts[1]) != "/workers="+cell.Key.Params[1].Value {
				t.Errorf("name parts %q %q", base, parts)
			}
			if res.Iters != int(rep.Jobs) {
				t.Errorf("iters %d, want %d", res.Iters, rep.Jobs)
			}
			got := map[string]float64{}
			for _, v := range res.Values {
				got[v.Unit] = v.Value
			}
			n := 0
			for m, v := range rep.Values {
				if math.IsNaN(v) {
					continue
				}
				n++
				mi, _ := m.Info()
				if g, ok := got[mi.BenchUnit]; !ok || math.Abs(g-v) > 1e-5*math.Abs(v) {
					t.Errorf("%s: %s = %v (present %v), want %v", res.Name, mi.BenchUnit, g, ok, v)
				}
			}
			if len(res.Values) != n {
				t.Errorf("%s: %d values, want %d", res.Name, len(res.Values), n)
			}
			if got := string(res.GetConfig("cpu")); got != "Example CPU @ 2.00GHz" {
				t.Errorf("cpu config %q", got)
			}
			if got := string(res.GetConfig("goos")); got != "linux" {
				t.Errorf("goos config %q", got)
			}
		}
	}
	for m, want := range map[metric.Metric]int{metric.Throughput: +1, metric.P99: -1, metric.RSS: -1} {
		mi, _ := m.Info()
		if got := units.GetBetter(mi.BenchUnit); got != want {
			t.Errorf("unit %s better = %d, want %d", mi.BenchUnit, got, want)
		}
	}
}

func TestExportErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ExportRun)
		want   string
	}{
		{"config key upper case", func(r *ExportRun) { r.Config = []Param{{"GOOS", "linux"}} }, "lower-case"},
		{"config value newline", func(r *ExportRun) { r.Config = []Param{{"cpu", "a\nb"}} }, "line break"},
		{"name with space", func(r *ExportRun) { r.Name = "Thumb nail" }, "one word"},
		{"unknown metric", func(r *ExportRun) { r.Cells[0].Repeats[0].Values["latency"] = 1 }, "unknown metric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := exampleRun()
			tt.change(&run)
			for _, write := range []func(*bytes.Buffer) error{
				func(b *bytes.Buffer) error { return WriteBenchfmt(b, run) },
				func(b *bytes.Buffer) error { return WriteExportCSV(b, run) },
			} {
				var b bytes.Buffer
				if err := write(&b); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want one containing %q", err, tt.want)
				}
			}
		})
	}
	if got := benchName("Thumbnail", Key{Params: []Param{{"image", "a/b c"}}}); got != "BenchmarkThumbnail/image=a_b_c" {
		t.Errorf("benchName = %q", got)
	}
}

func TestExportCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteExportCSV(&b, exampleRun()); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.csv", b.Bytes())
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || len(recs[0]) != 1+4+2+4 || recs[4][len(recs[4])-1] != "" {
		t.Errorf("records %q", recs)
	}
}

// An export names its benchmark after the run's workload.
func TestExportNamesTheWorkload(t *testing.T) {
	for _, tc := range []struct{ workload, want string }{
		{"thumbnail", "Thumbnail"}, {"payslips", "Payslips"}, {"my-kv_store", "MyKvStore"}, {"-", "Workload"},
	} {
		if got := exportName(tc.workload); got != tc.want {
			t.Errorf("exportName(%q) = %q, want %q", tc.workload, got, tc.want)
		}
	}
}

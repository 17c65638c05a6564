package compare

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func seq(center, step float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = center + step*float64(i-n/2)
	}
	return xs
}

// exampleResult builds a comparison with every verdict, a geomean, a curve
// metric, an unpaired cell and warnings, from fixed samples.
func exampleResult(t *testing.T, failOnInconclusive bool) *Result {
	t.Helper()
	cell := func(w string) Key {
		return Key{Label: "gomaxprocs=1 workers=" + w + " replicas=1", Params: []Param{{"gomaxprocs", "1"}, {"workers", w}, {"replicas", "1"}}}
	}
	rng := rand.New(rand.NewPCG(42, 42))
	boot := func(c float64) []float64 { return noisy(rng, 400, c, 0.05) }
	in := Input{
		Pairs: []Pair{
			{Key: cell("1"), Metric: metric.Throughput, Base: seq(20, 0.1, 10), Head: seq(20.1, 0.1, 10)},
			{Key: cell("4"), Metric: metric.Throughput, Base: seq(76, 0.5, 10), Head: seq(57, 0.5, 10)},
			{Key: cell("16"), Metric: metric.Throughput, Base: seq(150, 10, 10), Head: seq(151, 10, 10)},
			{Key: cell("1"), Metric: metric.P99, Base: seq(0.061, 0.0005, 10), Head: seq(0.0455, 0.0005, 10)},
			{Key: cell("4"), Metric: metric.P99, Base: seq(0.064, 0.001, 3), Head: seq(0.070, 0.001, 3)},
			{Key: cell("1"), Metric: metric.RSS, Base: seq(48<<20, 1<<19, 10), Head: seq(48<<20, 1<<19, 10)},
			{Key: Key{Label: "gomaxprocs=1 replicas=1"}, Metric: metric.Kappa, Base: boot(0.002), Head: boot(0.004), BaseRepeats: 10, HeadRepeats: 10},
		},
		Unpaired: []Unpaired{{Key: cell("64"), Side: "head"}},
	}
	res, err := Compare(in, Options{Gate: Gate{FailOnInconclusive: failOnInconclusive}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestFormatsGolden(t *testing.T) {
	res := exampleResult(t, false)
	want := map[string]Verdict{"throughput/1": Same, "throughput/4": Worse, "throughput/16": Inconclusive, "p99/1": Better, "p99/4": Inconclusive, "rss/1": Same}
	for _, r := range res.Rows {
		if len(r.Key.Params) < 2 {
			continue
		}
		k := string(r.Metric) + "/" + r.Key.Params[1].Value
		if v, ok := want[k]; ok && r.Verdict != v {
			t.Errorf("%s: %s, want %s", k, r.Verdict, v)
		}
	}
	for _, tt := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"compare.txt", func(b *bytes.Buffer) error { return Write(b, res, FormatText) }},
		{"compare.md", func(b *bytes.Buffer) error { return Write(b, res, FormatMarkdown) }},
		{"compare.json", func(b *bytes.Buffer) error { return Write(b, res, FormatJSON) }},
		{"compare.csv", func(b *bytes.Buffer) error { return Write(b, res, FormatCSV) }},
		{"compare.junit.xml", func(b *bytes.Buffer) error { return WriteJUnit(b, res) }},
		{"compare.annotations", func(b *bytes.Buffer) error { return WriteGitHubAnnotations(b, res) }},
	} {
		t.Run(tt.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, b.Bytes())
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "markdown", "json", "csv"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("%s: %v %v", s, f, err)
		}
	}
	if _, err := ParseFormat("html"); err == nil || !strings.Contains(err.Error(), "text, markdown, json, csv") {
		t.Errorf("html: %v", err)
	}
}

func TestJSONParses(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, exampleResult(t, false)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SchemaVersion int `json:"schema_version"`
		ExitCode      int `json:"exit_code"`
		Rows          []struct {
			Metric  string   `json:"metric"`
			Verdict string   `json:"verdict"`
			Ratio   *float64 `json:"ratio"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.SchemaVersion != SchemaVersion || got.ExitCode != int(ExitWorse) || len(got.Rows) != 7 || got.Rows[1].Verdict != "worse" || got.Rows[1].Ratio == nil {
		t.Errorf("decoded %+v", got)
	}
}

func TestCSVShape(t *testing.T) {
	var b bytes.Buffer
	res := exampleResult(t, false)
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(res.Rows)+len(res.Geomeans) {
		t.Errorf("%d records for %d rows and %d geomeans", len(recs), len(res.Rows), len(res.Geomeans))
	}
}

func TestJUnitParses(t *testing.T) {
	for _, failIn := range []bool{false, true} {
		res := exampleResult(t, failIn)
		var b bytes.Buffer
		if err := WriteJUnit(&b, res); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			XMLName  xml.Name `xml:"testsuites"`
			Tests    int      `xml:"tests,attr"`
			Failures int      `xml:"failures,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name    string `xml:"name,attr"`
					Failure *struct {
						Type string `xml:"type,attr"`
					} `xml:"failure"`
					Skipped *struct{} `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("JUnit does not parse: %v\n%s", err, b.String())
		}
		cases, failures, skipped := 0, map[string]int{}, 0
		for _, s := range doc.Suites {
			for _, c := range s.Cases {
				cases++
				if c.Failure != nil {
					failures[c.Failure.Type]++
				}
				if c.Skipped != nil {
					skipped++
				}
			}
		}
		o := res.Outcome()
		wantSkipped := 0
		for _, r := range res.Rows {
			if !r.Gated {
				wantSkipped++
			}
		}
		wantInc := 0
		if failIn {
			wantInc = len(o.Inconclusive)
		}
		if cases != len(res.Rows) || doc.Tests != cases || failures["worse"] != len(o.Worse) || failures["inconclusive"] != wantInc || doc.Failures != len(o.Worse)+wantInc || skipped != wantSkipped || skipped == 0 {
			t.Errorf("failOnInconclusive=%v: %d cases (tests=%d), failures %v (attr %d), %d skipped; want %d cases, %d worse, %d inconclusive, %d skipped (the rows not gated)",
				failIn, cases, doc.Tests, failures, doc.Failures, skipped, len(res.Rows), len(o.Worse), wantInc, wantSkipped)
		}
	}
}

func TestAnnotationsEscape(t *testing.T) {
	res := &Result{Alpha: 0.05, Rows: []Row{{Key: Key{Label: "a,b:c"}, Metric: metric.Throughput, Gated: true, Verdict: Worse, Ratio: 0.5, Tolerance: 0.05, Hint: "100%\nsure"}}}
	var b bytes.Buffer
	if err := WriteGitHubAnnotations(&b, res); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if !strings.HasPrefix(got, "::error title=scalebench%3A throughput worse in a%2Cb%3Ac::") || strings.Count(got, "\n") != 1 || !strings.Contains(got, "100%25%0Asure") {
		t.Errorf("annotation %q", got)
	}
}

func TestAppendGitHubStepSummary(t *testing.T) {
	res := exampleResult(t, false)
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	if set, err := AppendGitHubStepSummary(res); set || err != nil {
		t.Errorf("unset: %v %v", set, err)
	}
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(path, []byte("# earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_STEP_SUMMARY", path)
	if set, err := AppendGitHubStepSummary(res); !set || err != nil {
		t.Fatalf("set: %v %v", set, err)
	}
	got, _ := os.ReadFile(path)
	var md bytes.Buffer
	_ = WriteMarkdown(&md, res)
	if string(got) != "# earlier step\n"+md.String() {
		t.Errorf("summary file:\n%s", got)
	}
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(t.TempDir(), "missing", "x.md"))
	if _, err := AppendGitHubStepSummary(res); err == nil || !strings.Contains(err.Error(), "append step summary") {
		t.Errorf("bad path: %v", err)
	}
}

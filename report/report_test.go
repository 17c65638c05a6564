package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/testutil"
)

var (
	resultsBlock = regexp.MustCompile(`(?s)<script type="application/json" id="results">(.*?)</script>`)
	preBlock     = regexp.MustCompile(`(?s)<pre>.*?</pre>`)
	remoteAttr   = regexp.MustCompile(`(?i)\b(src|href|xlink:href|action|poster|srcset|data)\s*=\s*["']?\s*(https?:)?//`)
	remoteCSS    = regexp.MustCompile(`(?i)url\(\s*["']?\s*(https?:)?//|@import`)
)

// externalRefs lists what in page could make a browser fetch from the
// network. Text that only mentions a URL (the embedded results, the
// scenario source in <pre>) is not a reference.
func externalRefs(page string) []string {
	var out []string
	out = append(out, remoteAttr.FindAllString(page, -1)...)
	out = append(out, remoteCSS.FindAllString(page, -1)...)
	rest := preBlock.ReplaceAllString(resultsBlock.ReplaceAllString(page, ""), "")
	for _, scheme := range []string{"http://", "https://"} {
		if i := strings.Index(rest, scheme); i >= 0 {
			out = append(out, rest[max(0, i-40):min(len(rest), i+40)])
		}
	}
	return out
}

// embeddedRun decodes the results JSON embedded in page.
func embeddedRun(t *testing.T, page string) *results.Run {
	t.Helper()
	m := resultsBlock.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("report.html has no results JSON block")
	}
	var run results.Run
	if err := json.Unmarshal([]byte(m[1]), &run); err != nil {
		t.Fatalf("embedded results JSON does not parse: %v", err)
	}
	return &run
}

// normalise compacts raw JSON fields so runs compare by content.
func normalise(t *testing.T, run *results.Run) *results.Run {
	t.Helper()
	out := *run
	if len(run.Scenario.Resolved) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, run.Scenario.Resolved); err != nil {
			t.Fatal(err)
		}
		out.Scenario.Resolved = buf.Bytes()
	}
	return &out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteQuickstart(t *testing.T) {
	testutil.Long(t, "the quickstart's full report under the race detector; TestWriteBatch renders one")
	run := loadFixture(t, quickstartFile, quickstartRun)
	dir := t.TempDir()
	files, err := WriteOptions(dir, run, Options{PNG: true})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if files.HTML != filepath.Join(dir, "report.html") || files.Markdown != filepath.Join(dir, "summary.md") {
		t.Errorf("Files = %+v", files)
	}
	for _, p := range append([]string{files.HTML, files.Markdown}, files.Charts...) {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", p, err)
		}
	}
	for _, name := range []string{
		"throughput-workers", "speedup-workers", "efficiency-workers", "latency-workers",
		"throughput-gomaxprocs", "latency-gomaxprocs", "stages", "timeseries", "cdf",
	} {
		for _, ext := range []string{".svg", ".png"} {
			p := filepath.Join(dir, "charts", name+ext)
			if !slices.Contains(files.Charts, p) {
				t.Errorf("Files.Charts lacks %s", p)
			}
		}
	}
	f, err := os.Open(filepath.Join(dir, "charts", "throughput-workers.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 1200 || cfg.Height != 800 {
		t.Errorf("throughput-workers.png is %dx%d, want 1200x800", cfg.Width, cfg.Height)
	}

	page := readFile(t, files.HTML)
	if n := strings.Count(page, "<svg"); n < 2 {
		t.Errorf("report.html has %d <svg elements, want >= 2", n)
	}
	if got, want := strings.Count(page, "<figure"), strings.Count(page, "<svg"); got != want {
		t.Errorf("%d figures but %d svgs", got, want)
	}
	for _, want := range []string{
		"Scalability (throughput) = ", "Performance (latency) = ", "quickstart", "Findings",
		"viewBox=", "few-repeats", "go1.26.8", "Synthetic CPU", "abc1234", "USL",
		"from the request to the last byte", "(image server latency 20 ms) stays the same",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, "Interrupted") {
		t.Error("a complete run shows the interrupted banner")
	}
	if refs := externalRefs(page); len(refs) > 0 {
		t.Errorf("report.html refers outside itself: %q", refs)
	}
	if strings.Contains(page, "<b>not markup</b>") {
		t.Error("scenario source is not escaped")
	}
	got := embeddedRun(t, page)
	if !reflect.DeepEqual(normalise(t, got), normalise(t, run)) {
		t.Error("embedded results JSON does not decode to the run")
	}

	svg := readFile(t, filepath.Join(dir, "charts", "throughput-workers.svg"))
	if !strings.HasPrefix(svg, "<?xml") || !strings.Contains(svg, "viewBox") || !strings.Contains(svg, "Arial") {
		t.Errorf("throughput-workers.svg is not a standalone SVG with font fallbacks:\n%.300s", svg)
	}
}

func TestWriteBatch(t *testing.T) {
	run := loadFixture(t, batchFile, batchRun)
	dir := t.TempDir()
	files, err := Write(dir, run)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	page := readFile(t, files.HTML)
	for _, want := range []string{"makespan", "batch (makespan)", "Scalability (throughput) = ", "Performance (latency) = "} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, c := range compare.Analyze(run).Cells {
		ci := fmtDurInterval(c.MakespanCI)
		if ci == "" {
			t.Fatalf("fixture cell %s has no makespan interval", paramsText(c.Params))
		}
		if want := `<td class="num" data-label="makespan">` + format.DurationFigure(c.Makespan, true) + `<br><span class="ci">` + ci + `</span></td>`; !strings.Contains(page, want) {
			t.Errorf("report.html lacks the makespan and its interval %q", want)
		}
	}
	if refs := externalRefs(page); len(refs) > 0 {
		t.Errorf("report.html refers outside itself: %q", refs)
	}
	if !reflect.DeepEqual(normalise(t, embeddedRun(t, page)), normalise(t, run)) {
		t.Error("embedded results JSON does not decode to the run")
	}
}

func TestMarkdownGolden(t *testing.T) {
	for _, tc := range []struct {
		fixture, golden string
		gen             func() *results.Run
	}{
		{quickstartFile, "quickstart.md.golden", quickstartRun},
		{batchFile, "batch.md.golden", batchRun},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			run := loadFixture(t, tc.fixture, tc.gen)
			var buf bytes.Buffer
			if err := Markdown(&buf, compare.Analyze(run)); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestEdgeCases(t *testing.T) {
	base := loadFixture(t, quickstartFile, quickstartRun)
	tests := []struct {
		name     string
		change   func(*results.Run)
		want     []string // in report.html
		charts   []string // chart files that must exist
		noCharts []string // chart files that must not exist
	}{
		{
			name:     "single cell",
			change:   func(r *results.Run) { r.Cells = r.Cells[:1] },
			charts:   []string{"stages", "timeseries", "cdf"},
			noCharts: []string{"throughput-workers", "latency-workers"},
		},
		{
			name: "zero throughput",
			change: func(r *results.Run) {
				for i := range r.Cells {
					c := &r.Cells[i]
					for j := range c.Repeats {
						rp := &c.Repeats[j]
						rp.Throughput, rp.Jobs, rp.Histogram, rp.Latency, rp.Stages = 0, 0, nil, results.Latency{}, results.Stages{}
						rp.Series = results.Series{}
					}
				}
			},
			noCharts: []string{"cdf", "timeseries", "stages"},
		},
		{
			name:   "no baseline",
			change: func(r *results.Run) { r.Scenario.Baseline = results.Params{GOMAXPROCS: 9, Workers: 9, Replicas: 9} },
			want:   []string{"no ratios"},
			charts: []string{"throughput-workers"},
		},
		{
			name: "missing histograms and series",
			change: func(r *results.Run) {
				for i := range r.Cells {
					for j := range r.Cells[i].Repeats {
						r.Cells[i].Repeats[j].Series = results.Series{}
						r.Cells[i].Repeats[j].Histogram = nil
					}
				}
			},
			charts:   []string{"throughput-workers"},
			noCharts: []string{"cdf", "timeseries"},
		},
		{
			name: "interrupted",
			change: func(r *results.Run) {
				r.Interrupted = true
				r.Cells = r.Cells[:5]
				r.Cells[4].Repeats = r.Cells[4].Repeats[:1]
			},
			want: []string{"Interrupted: partial results"},
		},
		{
			name:   "no cells",
			change: func(r *results.Run) { r.Cells = nil },
		},
		{
			name: "non-format.Finite and negative values",
			change: func(r *results.Run) {
				for j := range r.Cells[1].Repeats {
					r.Cells[1].Repeats[j].Throughput = math.Inf(1)
					r.Cells[2].Repeats[j].Latency.P99 = math.NaN()
					r.Cells[3].Repeats[j].Stages["fetch"] = -1
				}
				r.Cells[4].Repeats[0].Series.Bucket = 0
			},
		},
		{
			name: "methods and rates",
			change: func(r *results.Run) {
				r.Scenario.Model = "open"
				for i := range r.Cells {
					r.Cells[i].Params.Rate = float64(50 * (1 + i%4))
					r.Cells[i].Params.Method = []string{"naive", "fast"}[i/4]
					r.Cells[i].Params.Workers = 8
					r.Cells[i].Params.GOMAXPROCS = 1
				}
				r.Scenario.Baseline = r.Cells[0].Params
			},
			charts: []string{"throughput-rate", "throughput-method"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := variant(t, base, tc.change)
			a := compare.Analyze(run)
			var buf bytes.Buffer
			if err := HTML(&buf, a); err != nil {
				t.Fatalf("HTML: %v", err)
			}
			page := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("report.html lacks %q", w)
				}
			}
			if strings.Contains(page, "could not be drawn") {
				t.Errorf("a chart failed to draw:\n%s", regexp.MustCompile(`chart "[^"]*" could not be drawn[^<]*`).FindString(page))
			}
			if got, want := strings.Count(page, "<figure"), strings.Count(page, "<svg"); got != want {
				t.Errorf("%d figures but %d svgs", got, want)
			}
			for _, c := range tc.charts {
				if !strings.Contains(page, `id="fig-`+c+`"`) {
					t.Errorf("chart %s missing", c)
				}
			}
			for _, c := range tc.noCharts {
				if strings.Contains(page, `id="fig-`+c+`"`) {
					t.Errorf("chart %s drawn without data", c)
				}
			}
			if refs := externalRefs(page); len(refs) > 0 {
				t.Errorf("report.html refers outside itself: %q", refs)
			}
			var md bytes.Buffer
			if err := Markdown(&md, a); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestManyCells(t *testing.T) {
	a := compare.Analyze(manyCellsRun())
	var buf bytes.Buffer
	if err := HTML(&buf, a); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"12 of 40 cells: the baseline, the highest- and lowest-throughput cells", "4 of 40 cells", `id="fig-stages"`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	idx, _ := pickCells(a, 12)
	if len(idx) != 12 || !slices.Contains(idx, a.Baseline) || !slices.IsSorted(idx) {
		t.Errorf("pickCells = %v", idx)
	}
}

func TestWriteEmpty(t *testing.T) {
	run := &results.Run{SchemaVersion: results.SchemaVersion, Scenario: results.Scenario{Name: "empty"}}
	files, err := Write(t.TempDir(), run)
	if err != nil {
		t.Fatal(err)
	}
	if len(files.Charts) != 0 {
		t.Errorf("charts drawn for a run without cells: %q", files.Charts)
	}
	if page := readFile(t, files.HTML); strings.Contains(page, "<svg") || !strings.Contains(page, "empty") {
		t.Error("the report of an empty run is wrong")
	}
}

func TestFitChart(t *testing.T) {
	// The raytracer data of the R usl package.
	n := []float64{1, 4, 8, 12, 16, 20}
	x := []float64{20, 78, 130, 170, 190, 200}
	usl, err := analysis.FitUSL(n, x)
	if err != nil {
		t.Fatal(err)
	}
	amdahl, err := analysis.FitAmdahl(n, x)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := FitChart(dir, n, x, usl, amdahl)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "fit.svg"), filepath.Join(dir, "fit.png")}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("FitChart paths = %q, want %q", paths, want)
	}
	svg := readFile(t, want[0])
	for _, s := range []string{"USL fit", "Amdahl fit"} {
		if !strings.Contains(svg, s) {
			t.Errorf("fit.svg lacks %q", s)
		}
	}
	// The raytracer's USL peak lies beyond the measured 20: it is not drawn.
	if usl.PeakN <= 20 {
		t.Fatalf("raytracer USL peak at %v, want beyond the data", usl.PeakN)
	}
	if strings.Contains(svg, "N*") {
		t.Error("fit.svg marks a peak outside the measured range")
	}
	if _, err := FitChart(dir, n, x[:2], usl, amdahl); err == nil {
		t.Error("FitChart accepted mismatched lengths")
	}
	if _, err := FitChart(dir, nil, nil, nil, nil); err == nil {
		t.Error("FitChart accepted no data")
	}
}

func TestNoRun(t *testing.T) {
	if err := HTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("HTML(nil) succeeded")
	}
	if err := Markdown(&bytes.Buffer{}, nil); err == nil {
		t.Error("Markdown(nil) succeeded")
	}
	if _, err := Write(t.TempDir(), nil); err == nil {
		t.Error("Write(nil) succeeded")
	}
}

func TestHTMLMatchesWrite(t *testing.T) {
	run := loadFixture(t, batchFile, batchRun)
	var buf bytes.Buffer
	if err := HTML(&buf, compare.Analyze(run)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Count(page, "<svg") < 2 || len(externalRefs(page)) > 0 {
		t.Errorf("HTML output lacks charts or refers outside itself")
	}
}

func TestInlineSVG(t *testing.T) {
	doc := []byte("<?xml version=\"1.0\"?>\n<!-- Generated -->\n<svg width=\"432pt\" height=\"288pt\" viewBox=\"0 0 432 288\"\n\txmlns=\"http://www.w3.org/2000/svg\"\n\txmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<g></g>\n</svg>\n")
	got := string(inlineSVG(doc, `a "b" <c>`))
	want := `<svg viewBox="0 0 432 288" role="img" aria-label="a &#34;b&#34; &lt;c&gt;">` + "\n<g></g>\n</svg>"
	if got != want {
		t.Errorf("inlineSVG =\n%s\nwant\n%s", got, want)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{format.Number(2412.3), "2410"}, {format.Number(180), "180"}, {format.Number(1.5), "1.5"}, {format.Number(0.01234), "0.0123"},
		{format.Number(math.Inf(1)), "∞"}, {format.Number(math.NaN()), "—"},
		{format.Duration(2), "2 s"}, {format.Duration(0.0153), "15.3 ms"}, {format.Duration(42e-6), "42 µs"}, {format.Duration(0), "0"},
		{format.Bytes(64 << 20), "64 MiB"}, {format.Bytes(0), "—"},
		{format.DurationRange(0.93, 1.01), "0.93–1.01 s"}, {format.DurationRange(0.0021, 0.0185), "2.1–18.5 ms"},
		{fmtDurInterval(analysis.Interval{Lo: 1.47, Hi: 1.65, Confidence: 0.9375, N: 5}), "(93.8% CI 1.47–1.65 s)"},
		{fmtDurInterval(analysis.Interval{Lo: 1, Hi: 2, Confidence: 0.9375, N: 1}), ""},
		{mdCell("a|b *c* (x) **(baseline)**"), `a\|b \*c\* (x) **(baseline)**`},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestWriteTo writes the quickstart and batch reports to the directory named
// by $SCALEBENCH_REPORT_OUT, for looking at them.
func TestWriteTo(t *testing.T) {
	out := os.Getenv("SCALEBENCH_REPORT_OUT")
	if out == "" {
		t.Skip("set SCALEBENCH_REPORT_OUT to write example reports")
	}
	for name, run := range map[string]*results.Run{
		"quickstart": loadFixture(t, quickstartFile, quickstartRun),
		"batch":      loadFixture(t, batchFile, batchRun),
		"many":       manyCellsRun(),
	} {
		if _, err := Write(filepath.Join(out, name), run); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWarningGroups checks that per-cell warnings are grouped by kind: a
// message shared by several cells is one line naming them, differing
// messages stay one per cell, and per-cell few-repeats warnings that the
// run-level one already counts are left out.
func TestWarningGroups(t *testing.T) {
	base := loadFixture(t, quickstartFile, quickstartRun)
	run := variant(t, base, func(r *results.Run) {
		for i := range r.Cells[:2] {
			r.Cells[i].Repeats = r.Cells[i].Repeats[:1]
		}
	})
	a := compare.Analyze(run)
	for i := range a.Cells {
		c := &a.Cells[i]
		c.Warnings = nil
		if i < 2 {
			c.Warnings = append(c.Warnings, analysis.Warning{Kind: "few-repeats", Message: "1 repeat: no confidence interval"})
		} else {
			c.Warnings = append(c.Warnings, analysis.Warning{Kind: "few-repeats", Message: "3 repeats give only a 75.0% interval"})
		}
		c.Warnings = append(c.Warnings, analysis.Warning{Kind: "same-everywhere", Message: "shared by all"})
		if i == 3 {
			c.Warnings = append(c.Warnings, analysis.Warning{Kind: "oversubscribed", Message: "8 workers share 1 core: the CPU stages queue behind each other"})
		}
		if i >= 5 {
			c.Warnings = append(c.Warnings, analysis.Warning{Kind: "late-arrivals", Message: fmt.Sprintf("%d arrivals waited", 10*i)})
		}
	}
	runW, groups := warnings(a, nil)
	if !slices.ContainsFunc(runW, func(w analysis.Warning) bool { return w.Kind == "few-repeats" }) {
		t.Fatalf("no run-level few-repeats warning in %v", runW)
	}
	want := []warnGroup{
		// Kinds in order of their first cell.
		{Kind: "same-everywhere", Cells: 8, Items: []warnItem{{Message: "shared by all", Count: "all 8 cells"}}},
		{Kind: "few-repeats", Cells: 6, Items: []warnItem{{Message: "3 repeats give only a 75.0% interval", Count: "6 cells", Cells: []string{
			"GOMAXPROCS=1 workers=4", "GOMAXPROCS=1 workers=8", "GOMAXPROCS=2 workers=1",
			"GOMAXPROCS=2 workers=2", "GOMAXPROCS=2 workers=4", "GOMAXPROCS=2 workers=8"}}}},
		{Kind: "oversubscribed", Cells: 1, Items: []warnItem{
			{Message: "8 workers share 1 core: the CPU stages queue behind each other", Cells: []string{"GOMAXPROCS=1 workers=8"}}}},
		{Kind: "late-arrivals", Cells: 3, Items: []warnItem{
			{Message: "50 arrivals waited", Cells: []string{"GOMAXPROCS=2 workers=2"}},
			{Message: "60 arrivals waited", Cells: []string{"GOMAXPROCS=2 workers=4"}},
			{Message: "70 arrivals waited", Cells: []string{"GOMAXPROCS=2 workers=8"}}}},
	}
	if !reflect.DeepEqual(groups, want) {
		t.Errorf("warning groups:\n got %+v\nwant %+v", groups, want)
	}

	var md bytes.Buffer
	if err := Markdown(&md, a); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"- **same-everywhere** (all 8 cells): shared by all\n",
		"- **few-repeats** (6 cells: GOMAXPROCS=1 workers=4, GOMAXPROCS=1 workers=8, GOMAXPROCS=2 workers=1, GOMAXPROCS=2 workers=2, GOMAXPROCS=2 workers=4, GOMAXPROCS=2 workers=8): 3 repeats give only a 75.0% interval\n",
		"- **late-arrivals**, 3 cells:\n  - GOMAXPROCS=2 workers=2: 50 arrivals waited\n  - GOMAXPROCS=2 workers=4: 60 arrivals waited\n  - GOMAXPROCS=2 workers=8: 70 arrivals waited\n",
		"- **oversubscribed** (GOMAXPROCS=1 workers=8): 8 workers share",
	} {
		if !strings.Contains(md.String(), line) {
			t.Errorf("summary.md lacks %q:\n%s", line, md.String())
		}
	}
	var page bytes.Buffer
	if err := HTML(&page, a); err != nil {
		t.Fatal(err)
	}
	// The page embeds the results, which keep every warning: look at the rest.
	for _, s := range []string{md.String(), resultsBlock.ReplaceAllString(page.String(), "")} {
		if strings.Contains(s, "1 repeat: no confidence interval") {
			t.Error("a per-cell few-repeats warning the run-level one covers is shown")
		}
		if n := strings.Count(s, "shared by all"); n != 1 {
			t.Errorf("a message shared by all cells is shown %d times, want once", n)
		}
	}
	for _, want := range []string{`rowspan="3"><span class="kind">late-arrivals</span>`, "all 8 cells", "6 cells: "} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestCellTableOpenLoop checks the late-arrival and harness-lag columns of
// the cell table: summed and maxed over repeats, shown only when non-zero.
func TestCellTableOpenLoop(t *testing.T) {
	base := loadFixture(t, quickstartFile, quickstartRun)
	page := func(run *results.Run) string {
		var buf bytes.Buffer
		if err := HTML(&buf, compare.Analyze(run)); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if p := page(base); strings.Contains(p, "late arrivals</th>") || strings.Contains(p, "harness lag</th>") {
		t.Error("a closed-loop run shows late-arrival or harness-lag columns")
	}
	open := variant(t, base, func(r *results.Run) {
		r.Scenario.Model = "open"
		reps := r.Cells[1].Repeats
		for i, l := range []results.Lateness{{Count: 3, MaxLag: 0.010}, {Count: 4, MaxLag: 0.030, Dropped: 2}, {Count: 5, MaxLag: 0.020}} {
			reps[i].Late = &l
			reps[i].HarnessLag = 0.001 * float64(i+1)
		}
	})
	p := page(open)
	for _, want := range []string{
		"late arrivals</th>", "harness lag</th>",
		`<td class="num" data-label="late arrivals">12<br><span class="ci">max 30 ms, 2 dropped</span></td>`,
		`<td class="num" data-label="harness lag">3 ms</td>`,
		"Late arrivals are scheduled jobs", "Harness lag is how far",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	lagOnly := variant(t, base, func(r *results.Run) { r.Cells[0].Repeats[0].HarnessLag = 0.5 })
	if p := page(lagOnly); strings.Contains(p, "late arrivals</th>") || !strings.Contains(p, "harness lag</th>") {
		t.Error("with harness lag but no late arrivals, the table should show only the harness lag")
	}
}

package report

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// chartsByName builds the charts of run, by name.
func chartsByName(t *testing.T, run *results.Run) map[string]figure {
	t.Helper()
	out := map[string]figure{}
	for _, f := range buildCharts(compare.Analyze(run)) {
		out[f.Name] = f
	}
	return out
}

func chartSVG(t *testing.T, f figure) string {
	t.Helper()
	b, err := f.svg()
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return string(b)
}

func series(dim string, ns, xs []float64) analysis.Series {
	s := analysis.Series{Dim: dim, Label: "gomaxprocs=1, replicas=1"}
	for i, n := range ns {
		s.Points = append(s.Points, analysis.Point{N: n, Label: format.Number(n), Throughput: xs[i],
			Latency: results.Latency{P50: 0.03 * n, P90: 0.04 * n, P99: 0.05 * n}})
	}
	return s
}

// TestDoublingAxis: a series of 1, 2, 4 ... 64 is drawn on a log axis
// ticked at the measured values; an even series is not.
func TestDoublingAxis(t *testing.T) {
	for _, tc := range []struct {
		ns  []float64
		log bool
	}{
		{[]float64{1, 2, 4, 8, 16, 32, 64}, true},
		{[]float64{1, 2, 3, 4, 5}, false},
		{[]float64{1, 2}, false},
	} {
		ax := xAxis(param.Workers.Name, []analysis.Series{series(param.Workers.Name, tc.ns, tc.ns)})
		if ax.Log != tc.log || !slices.Equal(ax.Values, tc.ns) {
			t.Errorf("%v: axis log %v values %v, want log %v at the measured values", tc.ns, ax.Log, ax.Values, tc.log)
		}
		if tc.log && !strings.Contains(ax.Label, "log scale") {
			t.Errorf("%v: a log axis must say so: %q", tc.ns, ax.Label)
		}
	}
}

// TestModelsWithinData: the ideal line stops near the data, and fitted
// curves and the USL peak stay inside the measured range, even when the
// fit extrapolates a peak far beyond it (fit's ideal line once ran to 6400).
func TestModelsWithinData(t *testing.T) {
	n := []float64{1, 2, 4, 8, 16}
	x := []float64{100, 190, 340, 560, 800}
	usl, err := analysis.FitUSL(n, x)
	if err != nil {
		t.Fatal(err)
	}
	amdahl, err := analysis.FitAmdahl(n, x)
	if err != nil {
		t.Fatal(err)
	}
	far := *usl
	far.Flags = nil
	far.PeakN, far.PeakX = 6400, 2470
	for _, tc := range []struct {
		name string
		fit  *analysis.Fit
	}{{"fitted", usl}, {"extrapolated peak", &far}} {
		t.Run(tc.name, func(t *testing.T) {
			xy := scalingPanel(scaleOpts{ideal: idealLinear, fits: true}, []scaleLine{{n: n, y: x, usl: tc.fit, amdahl: amdahl}}, "t", false)
			if len(xy.Curves) == 0 {
				t.Fatal("no curves drawn")
			}
			for _, c := range xy.Curves {
				if c.From < 1 || c.To > 16 {
					t.Errorf("%s drawn over [%g, %g], outside the measured 1–16", c.Name, c.From, c.To)
				}
				if c.Name == "ideal linear" && c.F(c.To) > idealHeadroom*800*1.0001 {
					t.Errorf("ideal line reaches %g, far above the highest measurement 800", c.F(c.To))
				}
			}
			for _, m := range xy.Marks {
				if m.X > 16 {
					t.Errorf("peak marked at N = %g, beyond the data", m.X)
				}
			}
		})
	}
	// A fit pinned at a bound is not drawn.
	pinned := *usl
	pinned.Flags = []string{"sigma at bound 0"}
	xy := scalingPanel(scaleOpts{ideal: idealLinear, fits: true}, []scaleLine{{n: n, y: x, usl: &pinned}}, "t", false)
	for _, c := range xy.Curves {
		if c.Name == "USL fit" {
			t.Error("a USL fit pinned at a bound is drawn")
		}
	}
}

// TestSmallMultiples: more than four lines become one panel per group.
func TestSmallMultiples(t *testing.T) {
	var ss []analysis.Series
	for g := 1; g <= 5; g++ {
		s := series(param.Workers.Name, []float64{1, 2, 4, 8}, []float64{10, 19, 30, 33})
		s.Fixed = results.Params{GOMAXPROCS: g, Replicas: 1}
		ss = append(ss, s)
	}
	for _, tc := range []struct {
		groups int
		kind   string
	}{{1, "xy"}, {4, "xy"}, {5, "grid"}} {
		f := throughputChart(param.Workers.Name, ss[:tc.groups], false)
		if f == nil || f.Kind() != tc.kind {
			t.Errorf("%d groups: chart %v, want %s", tc.groups, f, tc.kind)
		}
	}
	// Latency of several groups is always small multiples: three
	// percentiles per group would tangle.
	if f := latencyChart(param.Workers.Name, ss[:2]); f == nil || f.Kind() != "grid" {
		t.Errorf("latency of two groups: %v, want small multiples", f)
	}
}

// TestCategoriesAsBars: methods are compared as bars, not joined by lines.
func TestCategoriesAsBars(t *testing.T) {
	run := variant(t, loadFixture(t, batchFile, batchRun), func(r *results.Run) {
		c := r.Cells[0]
		c.Params.Method = "fast"
		c.Repeats = slices.Clone(c.Repeats)
		for i := range c.Repeats {
			c.Repeats[i].Throughput *= 3
			c.Repeats[i].Makespan /= 3
		}
		r.Cells[0].Params.Method = "naive"
		r.Cells = []results.Cell{r.Cells[0], c}
		r.Order = nil
	})
	figs := chartsByName(t, run)
	f, ok := figs["throughput-method"]
	if !ok {
		names := []string{}
		for n := range figs {
			names = append(names, n)
		}
		t.Fatalf("no throughput-method chart among %q", names)
	}
	if f.Kind() != "bars" {
		t.Errorf("throughput by method is a %s chart, want bars", f.Kind())
	}
	if svg := chartSVG(t, f); !strings.Contains(svg, "naive") || !strings.Contains(svg, "fast") {
		t.Error("the method bars are not labelled naive and fast")
	}
}

// TestBatchCharts: a batch run has no throughput-over-time panels, and its
// CPU stages, dwarfed by fetch, get a panel of their own.
func TestBatchCharts(t *testing.T) {
	figs := chartsByName(t, loadFixture(t, batchFile, batchRun))
	if _, ok := figs["timeseries"]; ok {
		t.Error("a batch run has a throughput-over-time chart")
	}
	f, ok := figs["stages-cpu"]
	if !ok {
		t.Fatal("no CPU-only stage chart although fetch dwarfs the CPU stages")
	}
	svg := chartSVG(t, f)
	if strings.Contains(svg, "fetch") || !strings.Contains(svg, "resize") {
		t.Error("the CPU-only stage chart should show resize and not fetch")
	}
	if _, ok := chartsByName(t, loadFixture(t, quickstartFile, quickstartRun))["timeseries"]; !ok {
		t.Error("a closed-loop run lacks its throughput-over-time chart")
	}
}

// TestCDFAxis: the CDF's y axis is labelled in percentiles and it shows at
// most four distributions.
func TestCDFAxis(t *testing.T) {
	f, ok := chartsByName(t, manyCellsRun())["cdf"]
	if !ok {
		t.Fatal("no CDF chart")
	}
	svg := chartSVG(t, f)
	for _, want := range []string{">p50<", ">p90<", ">p99<", "percentile"} {
		if !strings.Contains(svg, want) {
			t.Errorf("CDF lacks %q", want)
		}
	}
	if !strings.Contains(f.Caption, "4 of 40 cells") {
		t.Errorf("CDF caption %q, want 4 of 40 cells", f.Caption)
	}
}

func TestSameConf(t *testing.T) {
	if got := sameConf(0, 0.95, true); got != 0.95 {
		t.Errorf("first = %v", got)
	}
	if got := sameConf(0.95, 0.75, false); got != 0 {
		t.Errorf("mixed = %v", got)
	}
	if !math.IsNaN(firstPointY(scaleLine{})) {
		t.Error("empty line has a first point")
	}
}

func firstPointY(l scaleLine) float64 { _, y := firstPoint(l); return y }

// TestPercentilesOf: when p90 equals p99 everywhere, one line stands for
// both instead of one hiding under the other.
func TestPercentilesOf(t *testing.T) {
	s := series(param.Workers.Name, []float64{1, 2}, []float64{1, 2})
	if got := percentilesOf([]analysis.Series{s}); len(got) != 3 {
		t.Errorf("distinct percentiles: %d lines, want 3", len(got))
	}
	for i := range s.Points {
		s.Points[i].Latency.P90 = s.Points[i].Latency.P99
	}
	got := percentilesOf([]analysis.Series{s})
	if len(got) != 2 || got[1].name != "p90 = p99" {
		t.Errorf("p90 = p99: got %d lines, second %q", len(got), got[len(got)-1].name)
	}
}

func TestBlocksInHeadings(t *testing.T) {
	series := func(dim string, blocks ...string) *analysis.Analysis {
		a := &analysis.Analysis{}
		for _, b := range blocks {
			a.Series = append(a.Series, analysis.Series{Dim: dim, Fixed: results.Params{Block: b}, Points: []analysis.Point{{}, {}}})
		}
		return a
	}
	for _, tc := range []struct {
		a    *analysis.Analysis
		want string
	}{
		{series("workers", ""), ""},
		{series("workers", "io", "io"), " (block io)"},
		{series("workers", "io", "cpu"), " (blocks io, cpu)"},
	} {
		if got := blocksOf(tc.a, "workers"); got != tc.want {
			t.Errorf("blocksOf = %q, want %q", got, tc.want)
		}
	}
}

// TestMemoryCharts: on a real article run, the stage chart shows the
// wait for memory, and the memory series' "where the throughput went"
// chart names what its dashed line is (the jobs the budget admitted, not
// CPU) and ticks its axis in sizes.
func TestMemoryCharts(t *testing.T) {
	run, err := results.Read(filepath.Join("..", "internal", "analysis", "testdata", "article.json"))
	if err != nil {
		t.Fatal(err)
	}
	figs := buildCharts(compare.Analyze(run))
	// The stage chart shows the wait for memory before the stages.
	for _, f := range figs {
		if f.Name == "stages" {
			svg, err := f.SVG(chart.Page)
			if err != nil || !strings.Contains(string(svg), "queue (waiting for memory)") || !strings.Contains(f.Caption, "In queue is the wait for memory") {
				t.Errorf("stages chart: no time in queue (%v)", err)
			}
		}
	}
	for _, f := range figs {
		if f.Name != "loss-memory" {
			continue
		}
		svg, err := f.SVG(chart.Page)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{analysis.FactorAdmitted + " allows", ">2MiB<", ">4MiB<"} {
			if !strings.Contains(string(svg), want) {
				t.Errorf("loss-memory.svg lacks %q", want)
			}
		}
		if !strings.Contains(f.Caption, "jobs admitted at once") {
			t.Errorf("caption: %s", f.Caption)
		}
		return
	}
	t.Fatal("no loss-memory chart")
}

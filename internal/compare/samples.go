package compare

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/stats"
)

// This file is the bridge from the raw record to the comparison engine,
// which works on plain samples: the figures it compares are derived here
// from a run and its analysis.

// BootstrapReplicates is the number of resamples of the repeats behind
// each curve metric (USL σ and κ, peak N*, efficiency at the largest N).
const BootstrapReplicates = 200

// CellKey names a cell for the comparison: its params in the matrix's
// dimension order, numbers written plainly ("100" for a rate of 100/s).
func CellKey(p results.Params) Key {
	k := Key{Label: p.String()}
	for _, d := range param.Dimensions {
		if d.Optional && !d.Set(p) {
			continue
		}
		k.Params = append(k.Params, Param{Key: d.Name, Value: d.Key(p)})
	}
	return k
}

// SeriesKey names a series for the comparison of curve metrics: its fixed
// dimensions and a "series" param naming the varying one.
func SeriesKey(s analysis.Series) Key {
	k := Key{Label: s.Dim + " series"}
	if s.Label != "" {
		k.Label += " (" + s.Label + ")"
	}
	k.Params = []Param{{Key: "series", Value: s.Dim}}
	for _, d := range param.Dimensions {
		if d.Name == s.Dim || d.Optional && !d.Set(s.Fixed) {
			continue
		}
		k.Params = append(k.Params, Param{Key: d.Name, Value: d.Key(s.Fixed)})
	}
	return k
}

// repeatMetrics returns one repeat's value of every point metric it
// measured, in base units; efficiency is added by the caller. A slice of
// a sliced A/B run measured throughput and CPU per job only.
func repeatMetrics(r *results.Repeat, batch bool) map[metric.Metric]float64 {
	v := map[metric.Metric]float64{metric.Throughput: r.Throughput}
	if r.HasLatency() { // a slice or an imported benchmark measures none
		v[metric.P50], v[metric.P90], v[metric.P99] = r.Latency.P50, r.Latency.P90, r.Latency.P99
		if batch {
			v[metric.Makespan] = r.Makespan
		}
	}
	if r.Resources.JobsPerCPUSecond > 0 {
		v[metric.CPUPerJob] = 1 / r.Resources.JobsPerCPUSecond
	}
	// A slice's peak RSS is its session's: no figure of its own to
	if r.Resources.MaxRSS > 0 && r.Slice == nil {
		v[metric.RSS] = float64(r.Resources.MaxRSS)
	}
	return v
}

// baselineSeries returns, for a cell, the numeric resource dimension along
// which it differs from the baseline cell, or nil when it differs in none
// or in more than one (then it shares no series with the baseline).
func baselineSeries(p, base results.Params) *param.Dimension {
	var along *param.Dimension
	for _, d := range param.Dimensions {
		differs := d.Value(p) != d.Value(base) || d.Text(p) != d.Text(base)
		if !differs {
			continue
		}
		if along != nil || !d.Resource || !d.Numeric || d.Value(base) <= 0 {
			return nil
		}
		along = d
	}
	return along
}

// efficiencies returns each repeat's efficiency against the baseline cell
// along dimension d: (X/X₀)/(N/N₀). Repeat i is divided by the baseline's
// repeat i, measured in the same round of the interleaved plan, when both
// cells have as many repeats; by the baseline's median otherwise.
func efficiencies(c, base *results.Cell, d *param.Dimension) []float64 {
	scale := d.Value(c.Params) / d.Value(base.Params)
	baseX := make([]float64, len(base.Repeats))
	for i := range base.Repeats {
		baseX[i] = base.Repeats[i].Throughput
	}
	med := stats.Median(baseX)
	out := make([]float64, 0, len(c.Repeats))
	for i := range c.Repeats {
		den := med
		if len(base.Repeats) == len(c.Repeats) {
			den = base.Repeats[i].Throughput
		}
		if !(den > 0) {
			out = append(out, math.NaN())
			continue
		}
		out = append(out, c.Repeats[i].Throughput/den/scale)
	}
	return out
}

// Samples returns what internal/compare compares for run: for each
// measured cell, one value per repeat of every point metric (throughput,
// p50, p90, p99, makespan for batch runs, CPU seconds per job, peak RSS,
// and efficiency for cells that share a series with the baseline cell);
// then, for each series the analysis fits the USL to, bootstrap
// replicates of σ, κ, peak N* and efficiency at the largest N.
//
// The replicates are drawn with a seed taken from the run's start time and
// the series, so the same file always gives the same samples.
func Samples(run *results.Run) []CellSamples {
	var out []CellSamples
	for ci := range run.Cells {
		if cs, ok := cellSamples(run, ci); ok {
			out = append(out, cs)
		}
	}
	return append(out, curveSamples(run)...)
}

// cellSamples returns the point metrics of every repeat of cell ci; false
// when the cell was not measured.
func cellSamples(run *results.Run, ci int) (CellSamples, bool) {
	c := &run.Cells[ci]
	if len(c.Repeats) == 0 {
		return CellSamples{}, false
	}
	batch := run.Scenario.Model == load.Batch
	cs := CellSamples{Key: CellKey(c.Params), Samples: map[metric.Metric][]float64{}, Repeats: len(c.Repeats)}
	for i := range c.Repeats {
		for m, v := range repeatMetrics(&c.Repeats[i], batch) {
			if cs.Samples[m] == nil {
				cs.Samples[m] = nanSlice(len(c.Repeats))
			}
			cs.Samples[m][i] = v
		}
	}
	if bi := run.Baseline(); bi >= 0 && ci != bi && len(run.Cells[bi].Repeats) > 0 {
		if d := baselineSeries(c.Params, run.Cells[bi].Params); d != nil {
			cs.Samples[metric.Efficiency] = efficiencies(c, &run.Cells[bi], d)
		}
	}
	return cs, true
}

func nanSlice(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.NaN()
	}
	return xs
}

// curveSamples bootstraps the USL fit of every series the analysis fits:
// each replicate resamples, with replacement, the repeats of every point
// and refits. Replicate j of a series draws from its own generator, seeded
// by the run's start time, the series and j, so the replicates are the same
// however many run at once.
func curveSamples(run *results.Run) []CellSamples {
	a := analysis.Analyze(run)
	type curve struct {
		key    Key
		ns     []float64
		pts    [][]float64
		seed   uint64
		minRep int
		fits   [4][]float64 // σ, κ, N*, efficiency at the largest N, per replicate
	}
	var curves []*curve
	for _, s := range a.Series {
		if s.USL == nil {
			continue
		}
		c := &curve{key: SeriesKey(s), ns: make([]float64, len(s.Points)), pts: make([][]float64, len(s.Points)), minRep: math.MaxInt}
		for i, pt := range s.Points {
			c.ns[i] = pt.N
			for _, r := range a.Cells[pt.Cell].Repeats {
				c.pts[i] = append(c.pts[i], r.Throughput)
			}
			c.minRep = min(c.minRep, len(c.pts[i]))
		}
		if c.minRep < 2 {
			continue // nothing to resample
		}
		h := fnv.New64a()
		fmt.Fprintf(h, "%s\x00%s", run.Environment.Started.Format(time.RFC3339Nano), c.key.Label)
		c.seed = h.Sum64()
		for m := range c.fits {
			c.fits[m] = make([]float64, BootstrapReplicates)
		}
		curves = append(curves, c)
	}
	// Fit the replicates of every series on all cores.
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c := curves[j[0]]
				rng := rand.New(rand.NewPCG(c.seed, uint64(j[1])))
				f := &c.fits
				f[0][j[1]], f[1][j[1]], f[2][j[1]], f[3][j[1]] = bootstrapFit(rng, c.ns, c.pts)
			}
		}()
	}
	for ci := range curves {
		for r := range BootstrapReplicates {
			jobs <- [2]int{ci, r}
		}
	}
	close(jobs)
	wg.Wait()
	out := make([]CellSamples, 0, len(curves))
	for _, c := range curves {
		cs := CellSamples{Key: c.key, Repeats: c.minRep, Samples: map[metric.Metric][]float64{
			metric.Sigma: c.fits[0], metric.Kappa: c.fits[1], metric.PeakN: c.fits[2], metric.EfficiencyMax: c.fits[3],
		}}
		// A peak beyond any N (κ = 0) in most replicates is no figure to
		//
		if finite(c.fits[2]) < BootstrapReplicates/2 {
			delete(cs.Samples, metric.PeakN)
		}
		out = append(out, cs)
	}
	return out
}

// bootstrapFit draws one resample of every point's repeats and returns the
// USL σ, κ and peak N* fitted to it (NaN when the fit fails, NaN for an
// unbounded peak) and the efficiency at the largest N: median throughput
// there over median throughput at the smallest N, divided by their ratio
// of N.
func bootstrapFit(rng *rand.Rand, ns []float64, pts [][]float64) (sigma, kappa, peak, eff float64) {
	var n, x []float64
	meds := make([]float64, len(pts))
	for i, reps := range pts {
		draw := make([]float64, len(reps))
		for j := range draw {
			draw[j] = reps[rng.IntN(len(reps))]
		}
		n = append(n, slicesRepeat(ns[i], len(draw))...)
		x = append(x, draw...)
		meds[i] = stats.Median(draw)
	}
	eff = math.NaN()
	last := len(pts) - 1
	if meds[0] > 0 && ns[0] > 0 {
		eff = meds[last] / meds[0] / (ns[last] / ns[0])
	}
	f, err := analysis.FitUSL(n, x)
	if err != nil {
		return math.NaN(), math.NaN(), math.NaN(), eff
	}
	peak = f.PeakN
	if math.IsInf(peak, 0) {
		peak = math.NaN()
	}
	return f.Sigma, f.Kappa, peak, eff
}

func slicesRepeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func finite(xs []float64) int {
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			n++
		}
	}
	return n
}

// Summaries returns each cell's and series' median of every metric, on
// which thresholds are evaluated.
func Summaries(samples []CellSamples) []CellSummary {
	out := make([]CellSummary, len(samples))
	for i, s := range samples {
		out[i] = s.Summarize()
	}
	return out
}

// Thresholds returns the thresholds block of the scenario a run was
// measured with, as recorded in its resolved scenario (none for files
// written before scenarios had thresholds).
func Thresholds(run *results.Run) (metric.Thresholds, error) {
	if len(run.Scenario.Resolved) == 0 {
		return nil, nil
	}
	var sc struct {
		Thresholds metric.Thresholds `json:"thresholds"`
	}
	if err := json.Unmarshal(run.Scenario.Resolved, &sc); err != nil {
		return nil, fmt.Errorf("read thresholds from the resolved scenario: %w", err)
	}
	return sc.Thresholds, nil
}

// exportName is a workload's name as a Go benchmark's: "thumbnail" is
// "Thumbnail", "my-kv" "MyKv".
func exportName(workload string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(workload, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	if b.Len() == 0 {
		return "Workload"
	}
	return b.String()
}

// Export returns run's repeats as compare writes them in Go benchmark
// format or CSV: the point metrics of every repeat of every cell, and the
// environment as configuration lines.
func Export(run *results.Run) ExportRun {
	env := run.Environment
	ex := ExportRun{Name: exportName(run.Scenario.WorkloadOf().Name)}
	add := func(k, v string) {
		if v != "" {
			ex.Config = append(ex.Config, Param{Key: k, Value: v})
		}
	}
	add("goos", env.OS)
	add("goarch", env.Arch)
	add("cpu", env.CPUModel)
	add("pkg", "github.com/scalebench/scalebench")
	add("scenario", run.Scenario.Name)
	add("model", string(run.Scenario.Model))
	add("scalebench", env.ScalebenchVersion)
	add("go", env.GoVersion)
	add("commit", env.Commit)
	if env.LogicalCPUs > 0 {
		add("cpus", strconv.Itoa(env.LogicalCPUs))
	}
	for ci := range run.Cells {
		cs, ok := cellSamples(run, ci)
		if !ok {
			continue
		}
		ec := ExportCell{Key: cs.Key}
		for i, r := range run.Cells[ci].Repeats {
			vals := map[metric.Metric]float64{}
			for m, xs := range cs.Samples {
				if !math.IsNaN(xs[i]) {
					vals[m] = xs[i]
				}
			}
			ec.Repeats = append(ec.Repeats, ExportRepeat{Jobs: r.Jobs, Values: vals})
		}
		ex.Cells = append(ex.Cells, ec)
	}
	return ex
}

package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/results"
)

// pickCells chooses at most limit cells to draw individually: all of them
// when they fit, otherwise the baseline, the highest- and lowest-throughput
// cells and others spread evenly by throughput. how says which, for the
// caption.
func pickCells(a *analysis.Analysis, limit int) (idx []int, how string) {
	cells := a.Cells
	n := len(cells)
	if n <= limit {
		for i := range cells {
			idx = append(idx, i)
		}
		if n == 1 {
			return idx, "the only cell"
		}
		return idx, fmt.Sprintf("all %d cells", n)
	}
	rank := make([]int, n)
	for i := range rank {
		rank[i] = i
	}
	slices.SortStableFunc(rank, func(x, y int) int {
		tx, ty := cells[x].Throughput, cells[y].Throughput
		switch {
		case tx > ty:
			return -1
		case tx < ty:
			return 1
		}
		return 0
	})
	pick := func(i int) {
		if i >= 0 && i < n && !slices.Contains(idx, i) && len(idx) < limit {
			idx = append(idx, i)
		}
	}
	pick(a.Baseline)
	pick(rank[0])
	pick(rank[n-1])
	for step := 1; len(idx) < limit && step < n; step++ {
		for j := 1; j < limit && len(idx) < limit; j++ {
			pick(rank[j*(n-1)/limit])
		}
		pick(rank[step])
	}
	slices.Sort(idx)
	lead := "the highest- and lowest-throughput cells"
	if a.Baseline >= 0 {
		lead = "the baseline, " + lead
	}
	return idx, fmt.Sprintf("%d of %d cells: %s and others spread evenly by throughput", len(idx), n, lead)
}

// cellLabels names the chosen cells by the params that vary among all
// cells, marking the baseline.
func cellLabels(a *analysis.Analysis, idx []int) []string {
	ps := make([]results.Params, len(a.Cells))
	for i, c := range a.Cells {
		ps[i] = c.Params
	}
	l := newLabeller(ps)
	out := make([]string, len(idx))
	for i, ci := range idx {
		out[i] = l.label(a.Cells[ci].Params)
		if ci == a.Baseline {
			out[i] += " (baseline)"
		}
	}
	return out
}

// stages are the job's stages in order; cool colours wait on I/O, warm
// ones use the CPU.
var stages = []struct {
	name, kind string
	colour     color.RGBA
	get        func(results.Stages) float64
}{
	{"fetch", "network I/O", okSky, func(s results.Stages) float64 { return s.Fetch }},
	{"decode", "CPU", okOrange, func(s results.Stages) float64 { return s.Decode }},
	{"resize", "CPU", okVermilion, func(s results.Stages) float64 { return s.Resize }},
	{"encode", "CPU", okPurple, func(s results.Stages) float64 { return s.Encode }},
	{"write", "I/O", okBlue, func(s results.Stages) float64 { return s.Write }},
}

// stagesChart is a stacked bar per cell of the mean time a job spends in
// each stage.
func stagesChart(a *analysis.Analysis) *chart {
	cells := a.Cells
	n := len(cells)
	if n == 0 {
		return nil
	}
	var used []int
	for si, st := range stages {
		for _, c := range cells {
			if v := st.get(c.Stages); v > 0 && finite(v) {
				used = append(used, si)
				break
			}
		}
	}
	if len(used) == 0 {
		return nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = n - 1 - i // first cell at the top
	}
	labels := cellLabels(a, idx)
	h := math.Max(float64(3*vg.Inch), float64(1.4*vg.Inch+vg.Length(n)*0.32*vg.Inch))
	p := newPlot("Where a job's time goes", "mean time per job (ms)", "")
	p.NominalY(labels...)
	p.Y.Tick.Label.Font.Size = tickSize
	barW := (vg.Length(h) - 1.2*vg.Inch) / vg.Length(n) * 0.72
	k := newKeys()
	var prev *plotter.BarChart
	for _, si := range used {
		st := stages[si]
		vals := make(plotter.Values, n)
		for i, ci := range idx {
			v := st.get(cells[ci].Stages) * 1e3
			if !finite(v) || v < 0 {
				v = 0
			}
			vals[i] = v
		}
		b, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil
		}
		b.Horizontal = true
		b.Color = st.colour
		b.LineStyle = lineStyle(hex(0xFFFFFF), vg.Points(0.5), nil)
		if prev != nil {
			b.StackOn(prev)
		}
		p.Add(b)
		prev = b
		k.add(st.name+" ("+st.kind+")", legendLine{fill: st.colour})
	}
	p.X.Min = 0
	p.X.Max *= 1.05
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4
	server := "the server's injected latency"
	if l := a.Run.Scenario.ImageLatency; l > 0 && finite(l) {
		server += " (" + fmtDur(l) + ")"
	}
	caption := "Mean time one job spends in each stage, per cell. Fetch is timed from the request to the last byte: " +
		"mostly waiting on the (simulated) network, which more workers overlap even on one core. " +
		"Once the CPU is saturated, fetch also includes the time the goroutine waited for a core after the data arrived, " +
		"so it grows with many workers on few cores while " + server + " stays the same. " +
		"Decode, resize and encode use the CPU: only more cores (GOMAXPROCS) or processes (replicas) speed them up. " +
		"Queueing before a job starts is not a stage; it shows in latency."
	return &chart{
		Name: "stages", Title: "Where a job's time goes", Caption: caption,
		w: 7 * vg.Inch, h: vg.Length(h),
		draw: func(dc draw.Canvas) { drawWithKeys(dc, p, k) },
	}
}

// repeatRates converts a repeat's completions per bucket into jobs/s at
// bucket midpoints; a short final bucket uses its real width.
func repeatRates(r results.Repeat) plotter.XYs {
	s := r.Series
	if !(s.Bucket > 0) || len(s.Completed) == 0 {
		return nil
	}
	var pts plotter.XYs
	for i, c := range s.Completed {
		start := float64(i) * s.Bucket
		w := s.Bucket
		if r.Elapsed > 0 && start+w > r.Elapsed {
			w = r.Elapsed - start
		}
		if w < 0.2*s.Bucket {
			continue // a sliver of a bucket is noise, not a rate
		}
		pts = append(pts, plotter.XY{X: start + w/2, Y: float64(c) / w})
	}
	return pts
}

// timeseriesChart draws throughput over each measured window as small
// multiples, one panel per cell, all repeats in each.
func timeseriesChart(a *analysis.Analysis) *chart {
	idx, how := pickCells(a, 12)
	var keep []int
	ymax, xmax := 0.0, 0.0
	for _, ci := range idx {
		ok := false
		for _, r := range a.Cells[ci].Repeats {
			for _, pt := range repeatRates(r) {
				ok = true
				ymax = math.Max(ymax, pt.Y)
				xmax = math.Max(xmax, pt.X+r.Series.Bucket/2)
			}
		}
		if ok {
			keep = append(keep, ci)
		}
	}
	if len(keep) == 0 || !(ymax > 0) {
		return nil
	}
	if len(keep) < len(idx) {
		how += fmt.Sprintf(" (%d without a time series are left out)", len(idx)-len(keep))
	}
	labels := cellLabels(a, keep)
	n := len(keep)
	cols := 3
	switch {
	case n == 1:
		cols = 1
	case n <= 4:
		cols = 2
	}
	rows := (n + cols - 1) / cols
	panelW, panelH := 3*vg.Inch, 2.1*vg.Inch
	w, h := vg.Length(cols)*panelW, vg.Length(rows)*panelH+0.4*vg.Inch
	if n == 1 {
		w, h = chartW, chartH
	}
	if cols == 2 {
		panelW = 3.4 * vg.Inch
		w = 2 * panelW
	}
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	for i, ci := range keep {
		r, c := i/cols, i%cols
		xl, yl := "", ""
		if r == rows-1 || i+cols >= n {
			xl = "time in window (s)"
		}
		if c == 0 {
			yl = "throughput (jobs/s)"
		}
		p := newPlot(labels[i], xl, yl)
		p.Title.TextStyle.Font.Size = vg.Points(labelSize)
		p.Title.Padding = vg.Points(4)
		cell := a.Cells[ci]
		reps := cell.Repeats
		for j := len(reps) - 1; j >= 0; j-- {
			pts := repeatRates(reps[j])
			if len(pts) == 0 {
				continue
			}
			ln, err := plotter.NewLine(pts)
			if err != nil {
				continue
			}
			if j == 0 {
				ln.LineStyle = lineStyle(okBlue, vg.Points(1.8), nil)
			} else {
				ln.LineStyle = lineStyle(fade(okSky, 0.8), vg.Points(1), nil)
			}
			p.Add(ln)
		}
		if cell.Throughput > 0 && finite(cell.Throughput) {
			addCurve(p, func(float64) float64 { return cell.Throughput }, 0, xmax, lineStyle(okBlack, refWidth, dashFit))
		}
		p.X.Min, p.X.Max = 0, xmax
		p.Y.Min, p.Y.Max = 0, ymax*1.1
		plots[r][c] = p
	}
	title := "Throughput over time"
	caption := "Completed jobs per second through each measured window, for " + how + ". " +
		"Dark line: the first repeat; light lines: the other repeats; dashed: the cell's median throughput. " +
		"A ramp at the start is warm-up; a steady band means the window measured a stable state, and repeats that " +
		"disagree mean noise the confidence intervals have to absorb. All panels share their axes."
	return &chart{
		Name: "timeseries", Title: title, Caption: caption, w: w, h: h, Wide: cols > 2,
		draw: func(dc draw.Canvas) {
			ts := textStyle(titleSize, true)
			ts.XAlign, ts.YAlign = draw.XCenter, draw.YTop
			dc.FillText(ts, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Points(4)}, title)
			tiles := draw.Tiles{Rows: rows, Cols: cols, PadTop: vg.Points(26), PadBottom: vg.Points(4),
				PadLeft: vg.Points(4), PadRight: vg.Points(8), PadX: vg.Points(10), PadY: vg.Points(8)}
			cs := plot.Align(plots, tiles, dc)
			for r := range plots {
				for c, p := range plots[r] {
					if p != nil {
						p.Draw(cs[r][c])
					}
				}
			}
		},
	}
}

// cdfQuantiles are the quantiles the CDF is drawn through: dense in the
// body, then each further nine of the tail.
var cdfQuantiles = func() []float64 {
	var qs []float64
	for i := 0; i < 99; i++ {
		qs = append(qs, float64(i)/100)
	}
	for _, base := range []float64{0.99, 0.999, 0.9999} {
		step := (1 - base) / 10
		for j := 0; j < 10; j++ {
			qs = append(qs, base+float64(j)*step)
		}
	}
	return append(qs, 1)
}()

// cdfChart is the latency distribution of chosen cells from their merged
// histograms.
func cdfChart(a *analysis.Analysis) *chart {
	idx, how := pickCells(a, 8)
	type curve struct {
		cell int
		pts  plotter.XYs
	}
	var curves []curve
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ci := range idx {
		h := a.Cells[ci].Histogram.HDR()
		if h.TotalCount() == 0 {
			continue
		}
		var pts plotter.XYs
		for _, q := range cdfQuantiles {
			v := float64(h.ValueAtQuantile(q*100)) / 1e3
			if q == 1 {
				v = float64(h.Max()) / 1e3
			}
			if !(v > 0) || !finite(v) {
				continue
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			pts = append(pts, plotter.XY{X: v, Y: q * 100})
		}
		if len(pts) > 1 {
			curves = append(curves, curve{ci, pts})
		}
	}
	if len(curves) == 0 {
		return nil
	}
	if len(curves) < len(idx) {
		how += fmt.Sprintf(" (%d without a latency histogram are left out)", len(idx)-len(curves))
	}
	if !(hi > lo) {
		lo, hi = lo*0.9, hi*1.1
	}
	keep := make([]int, len(curves))
	for i, c := range curves {
		keep[i] = c.cell
	}
	labels := cellLabels(a, keep)
	p := newPlot("Latency distribution (CDF)", "latency (ms, log scale)", "jobs completed within (%)")
	setLogAxis(&p.X, lo, hi)
	p.Y.Min, p.Y.Max = 0, 100
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 25, Label: "25"}, {Value: 50, Label: "50"}, {Value: 75, Label: "75"}, {Value: 90, Label: "90"}, {Value: 99, Label: "99"}, {Value: 100}}
	k := newKeys()
	for i, c := range curves {
		ln, err := plotter.NewLine(c.pts)
		if err != nil {
			continue
		}
		ln.LineStyle = lineStyle(colour(i), dataWidth, nil)
		if i >= len(palette) {
			ln.LineStyle.Dashes = dashFit
		}
		p.Add(ln)
		k.add(labels[i], legendLine{line: ln.LineStyle})
	}
	caption := "Share of jobs that finished within a given latency, for " + how + ", from all repeats merged. " +
		"Read across at 50% for the median and at 99% for the tail. A curve further left is faster; a steep curve is predictable, " +
		"a long flat tail to the right means a few jobs waited much longer than most (queueing, GC pauses, contention)."
	return standard("cdf", "Latency distribution", caption, p, k)
}

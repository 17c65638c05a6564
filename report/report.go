// Package report renders a run as a self-contained HTML report with inline
// SVG charts, a Markdown summary for CI, the same charts as SVG and PNG
// files, and on request as 16:9 slides. It decides what each chart shows;
// the chart package draws it. Everything it shows comes from the results
// file, via the analysis package.
package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/atomicfile"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// Files are the paths Write produced.
type Files struct {
	HTML, Markdown string
	Charts         []string
}

// Report file names inside the output directory.
const (
	htmlName     = "report.html"
	markdownName = "summary.md"
	chartsDir    = "charts"
)

// write renders run into dir, with the gate's section when g is set. It
// replaces only files an earlier report wrote and left as they were
// (outdir.Manifest), unless force, and removes the charts of an earlier
// report it does not draw again.
func write(dir string, run *results.Run, opt Options) (files Files, err error) {
	g := opt.Gate
	if run == nil {
		return Files{}, errors.New("no run to report")
	}
	a := compare.Analyze(run)
	m, err := outdir.ReadManifest(dir)
	if err != nil {
		return Files{}, fmt.Errorf("report: %w", err)
	}
	figs := buildCharts(a)
	if g != nil {
		figs = append(figs, gateFigures(g.Comparison, g.BaseName)...)
	}
	if !opt.Force {
		names := slices.Clone(outdir.ReportFiles)
		for _, f := range figs {
			names = append(names, chartsDir+"/"+f.Name+".svg")
			if opt.PNG {
				names = append(names, chartsDir+"/"+f.Name+".png")
			}
		}
		if err := m.Check(names...); err != nil {
			return Files{}, fmt.Errorf("report: %w", err)
		}
	}
	// What was written is listed even when a later file fails (a full
	// disk), so that the next report may replace it.
	defer func() {
		if serr := m.Save(); err == nil {
			err = serr
		}
	}()
	cdir := filepath.Join(dir, chartsDir)
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return Files{}, fmt.Errorf("report: %w", err)
	}
	drawn := drawAll(figs, chart.Page, opt.PNG)
	var rendered []renderedChart
	var problems []analysis.Warning
	for i, f := range figs {
		d := drawn[i]
		err := d.err
		if err == nil {
			var paths []string
			paths, err = writeChart(m, chartsDir, f.Name, d.svg, d.png)
			files.Charts = append(files.Charts, paths...)
		}
		if err != nil {
			problems = append(problems, chartWarning(f, err))
			continue
		}
		rendered = append(rendered, renderedChart{figure: f, svg: d.svg, file: chartsDir + "/" + f.Name + ".svg"})
	}
	// Charts of an earlier report that this one does not draw.
	if err := m.RemoveStale(chartsDir); err != nil {
		return files, fmt.Errorf("report: %w", err)
	}

	gate, rendered, err := gateHTML(g, rendered)
	if err != nil {
		return files, err
	}
	files.HTML = filepath.Join(dir, htmlName)
	// The page embeds the results: written as it is rendered, it is never
	// held whole in memory.
	sum := sha256.New()
	if err := atomicfile.WriteWith(files.HTML, 0o644, func(w io.Writer) error {
		sum.Reset()
		return renderHTML(io.MultiWriter(w, sum), a, rendered, problems, gate)
	}); err != nil {
		return files, err
	}
	m.WroteSum(htmlName, hex.EncodeToString(sum.Sum(nil)))

	var md bytes.Buffer
	if err := Markdown(&md, a); err != nil {
		return files, err
	}
	if err := gateMarkdown(&md, g); err != nil {
		return files, err
	}
	files.Markdown = filepath.Join(dir, markdownName)
	if err := writeFile(m, markdownName, md.Bytes()); err != nil {
		return files, err
	}
	return files, nil
}

// drawing is a chart drawn as SVG and, when asked, PNG.
type drawing struct {
	svg, png []byte
	err      error
}

// drawAll draws the charts as SVG, and as PNG when png is set, for medium
// m, several at a time.
func drawAll(figs []figure, m chart.Medium, png bool) []drawing {
	out := make([]drawing, len(figs))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, f := range figs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d := &out[i]
			if d.svg, d.err = f.SVG(m); d.err == nil && png {
				d.png, d.err = f.PNG(m)
			}
		}()
	}
	wg.Wait()
	return out
}

// writeChart stores name.svg and name.png (unless png is nil) in the directory sub of m's
// directory, recording them in m, and returns their paths.
func writeChart(m *outdir.Manifest, sub, name string, svg, png []byte) ([]string, error) {
	sp, pp := sub+"/"+name+".svg", sub+"/"+name+".png"
	if err := writeFile(m, sp, svg); err != nil {
		return nil, err
	}
	if png == nil {
		return []string{m.Path(sp)}, nil
	}
	if err := writeFile(m, pp, png); err != nil {
		return []string{m.Path(sp)}, err
	}
	return []string{m.Path(sp), m.Path(pp)}, nil
}

// writeFile replaces the file name (a path inside m's directory, with
// slashes) with data atomically, so a reader never sees half a report,
// and records it in m.
func writeFile(m *outdir.Manifest, name string, data []byte) error {
	if err := atomicfile.Write(m.Path(name), data, 0o644); err != nil {
		return err
	}
	m.Wrote(name, data)
	return nil
}

// FitChart writes fit.svg and fit.png into dir: measured points, ideal
// linear, USL and Amdahl curves, peak marked (for `scalebench fit --out`).
func FitChart(dir string, n, x []float64, usl, amdahl *analysis.Fit) ([]string, error) {
	if len(n) != len(x) {
		return nil, fmt.Errorf("fit chart: %d values of N but %d of throughput", len(n), len(x))
	}
	ax := chart.Axis{Label: "N (workers, cores or replicas)", Values: n}
	if chart.Doubling(n) {
		ax.Log = true
		ax.Label += ", log scale"
	}
	c, err := scalingFigure("fit", scaleOpts{
		title: "Throughput vs N: USL and Amdahl fits",
		x:     ax,
		y:     "throughput (jobs/s)",
		ideal: idealLinear,
		fits:  true,
	}, []scaleLine{{n: n, y: x, usl: usl, amdahl: amdahl}})
	if err != nil {
		return nil, fmt.Errorf("fit chart: %w", err)
	}
	svg, err := c.SVG(chart.Page)
	if err != nil {
		return nil, fmt.Errorf("report: fit chart: %w", err)
	}
	png, err := c.PNG(chart.Page)
	if err != nil {
		return nil, fmt.Errorf("report: fit chart: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fit chart: %w", err)
	}
	var paths []string
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".svg", svg}, {".png", png}} {
		p := filepath.Join(dir, c.Name+f.ext)
		if err := atomicfile.Write(p, f.data, 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/outdir"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/report/chart"
)

// Slide file names inside the output directory.
const (
	slidesDir  = "slides"
	slidesName = "index.html"
)

//go:embed templates/slides.html.tmpl
var slidesTemplate string

var slidesPage = template.Must(template.New("slides").Parse(slidesTemplate))

// Slides are the paths WriteSlides produced.
type Slides struct {
	HTML   string   // the page of all slides, one per printed page
	Charts []string // each chart as SVG and PNG
}

// WriteSlides renders run's charts as 16:9 slides with large type into
// dir/slides: each chart as SVG and 1920×1080 PNG, and index.html showing
// them in page order, one per printed page.
//
// Like Write, it replaces only files an earlier report wrote, and removes
// the slides of an earlier report it does not draw again.
func WriteSlides(dir string, run *results.Run) (Slides, error) {
	return WriteSlidesOptions(dir, run, Options{})
}

// WriteSlidesOptions is WriteSlides with options; their Gate is not used.
func WriteSlidesOptions(dir string, run *results.Run, opt Options) (out Slides, err error) {
	if run == nil {
		return Slides{}, errors.New("report: write slides: no run")
	}
	a := compare.Analyze(run)
	m, err := outdir.ReadManifest(dir)
	if err != nil {
		return Slides{}, fmt.Errorf("report: write slides: %w", err)
	}
	figs := buildCharts(a)
	if !opt.Force {
		names := []string{slidesDir + "/" + slidesName}
		for _, f := range figs {
			names = append(names, slidesDir+"/"+f.Name+".svg", slidesDir+"/"+f.Name+".png")
		}
		if err := m.Check(names...); err != nil {
			return Slides{}, fmt.Errorf("report: write slides: %w", err)
		}
	}
	// What was written is listed even when a later file fails.
	defer func() {
		if serr := m.Save(); err == nil {
			err = serr
		}
	}()
	sdir := filepath.Join(dir, slidesDir)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return Slides{}, fmt.Errorf("report: write slides: %w", err)
	}
	drawn := drawAll(figs, chart.Slide, true)
	type slide struct {
		Name, Title, Caption, File string
		SVG                        template.HTML
	}
	var views []slide
	var errs []error
	for i, f := range figs {
		d := drawn[i]
		if d.err != nil {
			errs = append(errs, fmt.Errorf("slide %s: %w", f.Name, d.err))
			continue
		}
		paths, err := writeChart(m, slidesDir, f.Name, d.svg, d.png)
		out.Charts = append(out.Charts, paths...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		views = append(views, slide{Name: f.Name, Title: f.Title, Caption: f.Caption, File: f.Name + ".png", SVG: inlineSVG(d.svg, f.Title)})
	}
	title := run.Scenario.Name
	if title == "" {
		title = "scalebench run"
	}
	var page bytes.Buffer
	if err := slidesPage.Execute(&page, struct {
		Title  string
		Slides []slide
	}{title, views}); err != nil {
		return out, fmt.Errorf("report: slides: %w", err)
	}
	out.HTML = filepath.Join(sdir, slidesName)
	if err := writeFile(m, slidesDir+"/"+slidesName, page.Bytes()); err != nil {
		return out, err
	}
	// Slides of an earlier report that this one does not draw.
	if err := m.RemoveStale(slidesDir); err != nil {
		errs = append(errs, fmt.Errorf("report: write slides: %w", err))
	}
	return out, errors.Join(errs...)
}

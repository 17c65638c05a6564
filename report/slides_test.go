package report

import (
	"github.com/scalebench/scalebench/internal/testutil"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/compare"
)

func TestWriteSlides(t *testing.T) {
	testutil.Long(t, "every chart of a run as a 1920x1080 PNG under the race detector; TestMainReportSlides (internal/app) writes slides in make test")
	run := loadFixture(t, batchFile, batchRun)
	dir := t.TempDir()
	s, err := WriteSlides(dir, run)
	if err != nil {
		t.Fatalf("WriteSlides: %v", err)
	}
	figs := buildCharts(compare.Analyze(run))
	if len(figs) == 0 || len(s.Charts) != 2*len(figs) {
		t.Fatalf("%d slide files for %d charts", len(s.Charts), len(figs))
	}
	for _, f := range figs {
		p := filepath.Join(dir, "slides", f.Name+".png")
		r, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if cfg.Width != 1920 || cfg.Height != 1080 {
			t.Errorf("%s is %d×%d, want 1920×1080", p, cfg.Width, cfg.Height)
		}
	}
	page := readFile(t, s.HTML)
	if got := strings.Count(page, `<section class="slide"`); got != len(figs) {
		t.Errorf("slides page has %d slides, want %d", got, len(figs))
	}
	for _, want := range []string{"break-after: page", "@page { size: 254mm 142.875mm", "<svg "} {
		if !strings.Contains(page, want) {
			t.Errorf("slides page lacks %q", want)
		}
	}
	if refs := externalRefs(page); len(refs) != 0 {
		t.Errorf("slides page refers outside itself: %q", refs)
	}
}

package trend

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scalebench/scalebench/internal/changepoint"
	"github.com/scalebench/scalebench/internal/history"
	"github.com/scalebench/scalebench/internal/metric"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// trendOf is a series of 24 runs, 10% slower from run 12, with 5 repeats
// each.
func trendOf(m metric.Metric) *history.Trend {
	rng := rand.New(rand.NewPCG(1, 2))
	t := &history.Trend{SeriesInfo: history.SeriesInfo{
		Testbed:  history.Testbed{Label: "ci-runner", CPUModel: "Test CPU", CPUs: 2, OS: "linux", Arch: "amd64", GoVersion: "go1.26"},
		Scenario: history.Scenario{Name: "ci", Hash: "0123456789abcdef"},
		Cell:     "gomaxprocs=1 workers=32 replicas=1", Metric: m,
	}, Branch: "main"}
	for i := range 24 {
		level := 200.0
		if i >= 12 {
			level = 180
		}
		run := &history.RunInfo{ID: int64(i + 1), Commit: fmt.Sprintf("commit%02d", i), Branch: "main", Time: time.Date(2026, 1, 1, i, 0, 0, 0, time.UTC)}
		p := history.Point{Run: run}
		for range 5 {
			p.Repeats = append(p.Repeats, level*(1+0.02*rng.NormFloat64()))
		}
		p.Median = median(p.Repeats)
		t.Points = append(t.Points, p)
	}
	return t
}

func TestRender(t *testing.T) {
	tcs, err := history.Changes([]*history.Trend{trendOf(metric.Throughput), trendOf(metric.P50)}, changepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tcs[0].Changes) != 1 {
		t.Fatalf("%d changes in the test series, want 1", len(tcs[0].Changes))
	}
	var b bytes.Buffer
	if err := Render(&b, tcs, Options{Store: "results/history.db", Level: 0.02, Now: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"results/history.db · 24 runs of 24 commits on main · 2 series",
		// throughput down is worse; the p50 series (here the same values) going down is better.
		`<span class="worse">worse -`, `<span class="better">better -`,
		"commit11 → commit12", "ci-runner",
		`<figure id="t0" class="flagged">`, "<svg", "commit11→commit12", // the change's label in the chart
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not hold %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 2 {
		t.Errorf("%d charts, want 2", n)
	}
	if regexp.MustCompile(`(src|href)="https?:`).MatchString(page) {
		t.Error("the page loads something from the network")
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	tcs, _ := history.Changes([]*history.Trend{trendOf(metric.Throughput)}, changepoint.Options{})
	path, err := Write(dir, tcs, Options{Level: 0.02})
	if err != nil || path != filepath.Join(dir, FileName) {
		t.Fatalf("Write = %s, %v", path, err)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("%s: %v", path, err)
	}
}

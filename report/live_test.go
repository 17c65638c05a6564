package report

import (
	"bytes"
	"html"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/compare"
)

// The live page's body is the report's own: what report.html holds in
// its <main>, figures and their points included.
func TestBodyIsTheReports(t *testing.T) {
	a := compare.Analyze(loadFixture(t, quickstartFile, quickstartRun))
	header, main, err := Body(a)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := HTML(&page, a); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page.Bytes(), main) || !bytes.Contains(page.Bytes(), header) {
		t.Error("the body or header is not the report page's")
	}
	if !bytes.Contains(header, []byte("<h1>")) {
		t.Errorf("header without the title:\n%s", header)
	}
	points := regexp.MustCompile(`<figure id="fig-[^"]+"[^>]* data-points="(\d+)"`).FindAllSubmatch(main, -1)
	if want := len(buildCharts(a)); len(points) != want {
		t.Errorf("%d figures with data-points in the body, want %d", len(points), want)
	}
	for _, p := range points {
		if n, _ := strconv.Atoi(string(p[1])); n == 0 {
			t.Errorf("a figure of the quickstart plots no point: %s", p[0])
		}
	}
}

// Both pages state the policies a server sends with them.
func TestPolicies(t *testing.T) {
	tmpl, err := os.ReadFile("templates/report.html.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(tmpl, []byte(`content="`+ReportPolicy+`"`)) {
		t.Errorf("report.html states another policy than ReportPolicy %q", ReportPolicy)
	}
	var live bytes.Buffer
	if err := LivePage(&live, LivePageData{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`http-equiv="Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(live.String())
	if m == nil || html.UnescapeString(m[1]) != LivePolicy {
		t.Errorf("the live page states policy %q, want LivePolicy %q", m, LivePolicy)
	}
}

// The plan and the measurement under way, in each state of a run.
func TestLiveParts(t *testing.T) {
	run := loadFixture(t, quickstartFile, quickstartRun)
	done := 0
	for _, c := range run.Cells {
		done += len(c.Repeats)
	}
	cur := &Measurement{Step: done, Cell: 2, Repeat: 1, Warmup: 500 * time.Millisecond, Window: 2 * time.Second, Bucket: 250 * time.Millisecond}
	measuring := *cur
	measuring.Buckets = []Bucket{{Width: 250 * time.Millisecond, Jobs: 25, P50: 0.020, P99: 0.045}, {Width: 250 * time.Millisecond, Jobs: 0, Errors: 2, P50: math.NaN(), P99: math.NaN()}}
	for _, tc := range []struct {
		name          string
		live          Live
		plan, current []string
	}{
		{"waiting", Live{State: LiveWaiting, Source: "out/results.jsonl"}, []string{"Waiting for the run to start: no journal in out/results.jsonl yet"}, nil},
		{"starting", Live{State: LiveRunning, Run: run, Done: done, Planned: done + 4, Started: time.Now(), Left: time.Minute, Current: cur},
			[]string{"measurements done, 4 left", "Now measuring", "about", `class="current"`},
			[]string{"starting its worker processes, then 500 ms of warm-up"}},
		{"measuring", Live{State: LiveRunning, Run: run, Done: done, Planned: done + 4, Started: time.Now(), Left: -1, Current: &measuring},
			[]string{"measurements done, 4 left"},
			[]string{"measuring: 500 ms of 2 s", "<svg", `data-points="4"`, "jobs so far</dt><dd>25<", "errors so far</dt><dd>2<", "p99, last bucket</dt><dd>—"}},
		{"followed", Live{State: LiveRunning, Run: run, Done: done, Planned: done + 4, Heard: time.Now().Add(-2 * time.Minute), Source: "out/results.jsonl", Current: cur},
			[]string{"no measurement recorded for 2:00"},
			[]string{"Followed from its journal"}},
		{"ended", Live{State: LiveEnded, Run: run, Done: done, Planned: done}, []string{"writing the report"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var plan, current bytes.Buffer
			if err := LivePlan(&plan, &tc.live); err != nil {
				t.Fatal(err)
			}
			if err := LiveCurrent(&current, &tc.live); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.plan {
				if !strings.Contains(plan.String(), w) {
					t.Errorf("plan lacks %q:\n%s", w, plan.String())
				}
			}
			for _, w := range tc.current {
				if !strings.Contains(current.String(), w) {
					t.Errorf("the measurement under way lacks %q:\n%s", w, current.String())
				}
			}
			if tc.current == nil && strings.TrimSpace(current.String()) != "" {
				t.Errorf("a measurement under way shown %s:\n%s", tc.name, current.String())
			}
		})
	}
}

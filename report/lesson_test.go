package report

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/results"
)

// kindOf is how a lesson's formula writes its operands.
func kindOf(l analysis.Lesson) format.Kind {
	if l.Seconds {
		return format.Seconds
	}
	return format.Plain
}

// TestLessonCards checks that each lesson has a card, that the cards come
// first in the report (before the findings), that the formula on each
// card's chart divides out, and that summary.md tells the lessons as text.
func TestLessonCards(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		gen     func() *results.Run
		titles  []string
	}{
		{quickstartFile, quickstartRun, []string{"Scalability: workers 1 → ", "Scalability: GOMAXPROCS 1 → 2 with 8 workers"}},
		{batchFile, batchRun, []string{"Scalability: workers 1 → 5"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			a := compare.Analyze(loadFixture(t, tc.fixture, tc.gen))
			if len(a.Lessons) != len(tc.titles) {
				t.Fatalf("%d lessons, want %d: %+v", len(a.Lessons), len(tc.titles), a.Lessons)
			}
			cards := lessonCharts(a)
			if len(cards) != len(a.Lessons) {
				t.Fatalf("%d cards for %d lessons", len(cards), len(a.Lessons))
			}
			for i, c := range cards {
				if !strings.HasPrefix(c.Title, tc.titles[i]) {
					t.Errorf("card %d title %q, want %q...", i, c.Title, tc.titles[i])
				}
				svg, err := c.svg()
				if err != nil {
					t.Fatal(err)
				}
				// The SVG writes each text run as its own element.
				text := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(string(svg), ""))
				if !strings.Contains(text, a.Lessons[i].Quotient) {
					t.Errorf("card %d does not show its formula %q", i, a.Lessons[i].Quotient)
				}
				checkQuotients(t, c.Name+".svg", text)
				// One number, one spelling: the bars are labelled with the
				// figures as the formula writes them.
				l := a.Lessons[i]
				a1, b1, _ := format.QuotientParts(l.Ratio.Num, l.Ratio.Den, kindOf(l))
				from, to := b1, a1
				if l.Seconds {
					from, to = a1, b1
				}
				if l.FromText != from || l.ToText != to {
					t.Errorf("card %d: figures %q and %q, the formula's %q and %q", i, l.FromText, l.ToText, from, to)
				}
				for _, fig := range []string{l.FromText, l.ToText} {
					if !strings.Contains(text, format.Spaced(fig)) || !strings.Contains(l.Quotient, fig) {
						t.Errorf("card %d: figure %q is not spelled alike on its bar and in its formula %q", i, fig, l.Quotient)
					}
				}
				if line := lessonText(a)[i]; !strings.Contains(line, format.Spaced(l.FromText)+" → "+format.Spaced(l.ToText)+": "+l.Quotient) {
					t.Errorf("lesson line %q spells its figures otherwise than %q", line, l.Quotient)
				}
			}
			var page, md bytes.Buffer
			if err := HTML(&page, a); err != nil {
				t.Fatal(err)
			}
			p := page.String()
			lesson, findings := strings.Index(p, `id="lesson"`), strings.Index(p, `id="findings"`)
			if lesson < 0 || findings < 0 || lesson > findings {
				t.Errorf("the lesson (at %d) does not come before the findings (at %d)", lesson, findings)
			}
			if !strings.Contains(p, `id="fig-lesson-1"`) || strings.Index(p, `id="fig-lesson-1"`) > findings {
				t.Errorf("the first card is not before the findings")
			}
			if err := Markdown(&md, a); err != nil {
				t.Fatal(err)
			}
			m := md.String()
			if l := strings.Index(m, "## The lesson"); l < 0 || l > strings.Index(m, "## Findings") {
				t.Errorf("summary.md does not lead with the lesson:\n%s", m)
			}
			for _, l := range a.Lessons {
				if !strings.Contains(m, l.Quotient) {
					t.Errorf("summary.md lacks %q", l.Quotient)
				}
			}
		})
	}
}

// TestSummaryText checks the console summary: lessons, findings and the
// ratio table, each quotient dividing out.
func TestSummaryText(t *testing.T) {
	run := loadFixture(t, quickstartFile, quickstartRun)
	var b bytes.Buffer
	if err := Summary(&b, run); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"The lesson\n", "Findings\n  - ", "(baseline)", "scalability", "performance"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	checkQuotients(t, "summary", s)
	if err := Summary(&b, nil); err == nil {
		t.Errorf("no error for no run")
	}
}

// TestLessonCardQuotesTheArticle prints, on a card whose block quotes the
// article, this run's formula above the article's, and says in its
// caption what the article did, how the ratios compare and why they
// differ.
func TestLessonCardQuotesTheArticle(t *testing.T) {
	a := compare.Analyze(loadFixture(t, batchFile, batchRun))
	l := a.Lessons[0]
	l.Reference = &results.Reference{Formula: "2/1 = 2X", Says: "two processes per report", Differs: "here threads share a core"}
	l.Against = "this run 4.63x, the article 2X: 132% more"
	card := lessonCard(a, 0, l)
	svg, err := card.svg()
	if err != nil {
		t.Fatal(err)
	}
	text := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(string(svg), ""))
	for _, want := range []string{"this run: " + l.Quotient, "the article: 2/1 = 2X"} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q", want)
		}
	}
	for _, want := range []string{"The article: two processes per report: 2/1 = 2X; this run 4.63x, the article 2X: 132% more.", "Here threads share a core."} {
		if !strings.Contains(card.Caption, want) {
			t.Errorf("caption lacks %q:\n%s", want, card.Caption)
		}
	}
	if line := lessonText(&analysis.Analysis{Lessons: []analysis.Lesson{l}})[0]; !strings.HasSuffix(line, " | the article: 2/1 = 2X") {
		t.Errorf("lesson line %q", line)
	}
}

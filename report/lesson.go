package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scalebench/scalebench/internal/analysis"
	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/report/chart"
)

// secLesson is the section of the lesson cards, first on the page.
const secLesson = "lesson"

// lessonCharts draws a card for each comparison the scenario was made
// for: two bars and the formula written on the chart.
func lessonCharts(a *analysis.Analysis) []*figure {
	var out []*figure
	for i, l := range a.Lessons {
		if f := lessonCard(a, i, l); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// cardLabel names a bar of a card: "1 worker (serial)" for one worker.
func cardLabel(l analysis.Lesson, label string, from bool) string {
	if from && l.Dim == param.Workers.Name && label == param.Workers.Count("1") {
		return label + " (serial)"
	}
	return label
}

// lessonTitle is a card's title: "Scalability: workers 1 → 5".
func lessonTitle(l analysis.Lesson) string {
	return l.Kind.Title() + ": " + l.Title
}

func lessonCard(a *analysis.Analysis, i int, l analysis.Lesson) *figure {
	axis, scale := "throughput (jobs/s)", 1.0
	if l.Seconds {
		axis = l.Measure + " (s)"
		if max(l.FromValue, l.ToValue) < 1 {
			axis, scale = l.Measure+" (ms)", 1e3
		}
	}
	f, err := chart.NewBars("lesson-"+strconv.Itoa(i+1), chart.Bars{
		Title:      lessonTitle(l),
		Categories: []string{cardLabel(l, l.FromLabel, true), cardLabel(l, l.ToLabel, false)},
		Series: []chart.BarSeries{{
			Values: []float64{l.FromValue * scale, l.ToValue * scale},
			Labels: []string{format.Spaced(l.FromText), format.Spaced(l.ToText)},
			Colour: chart.Colour(i),
		}},
		Value:   chart.Axis{Label: axis},
		Formula: cardFormula(l),
		Notes:   cardNotes(l),
	})
	if err != nil {
		return nil
	}
	return &figure{Figure: f, Caption: lessonCaption(a, l)}
}

// cardFormula is a card's formula: "9.333/5.5 = 1.70x", or "this run:
// 9.333/5.5 = 1.70x" above the article's.
func cardFormula(l analysis.Lesson) string {
	if l.Reference == nil || l.Reference.Formula == "" {
		return l.Quotient
	}
	return "this run: " + l.Quotient
}

// cardNotes are the lines under a card's formula: the article's formula
// when the block quotes it, and the ratio's interval when the repeats
// give one.
func cardNotes(l analysis.Lesson) []string {
	var out []string
	if ref := referenceLine(l); ref != "" {
		out = append(out, ref)
	}
	if iv := ratioInterval(l.Ratio); iv != "" {
		out = append(out, iv)
	}
	return out
}

// ratioInterval words a ratio's interval: "95% interval 1.72–1.86x"; ""
// when the repeats give none.
func ratioInterval(r analysis.Ratio) string {
	if !(r.Conf > 0 && r.Lo < r.Hi) {
		return ""
	}
	return fmt.Sprintf("%s%% interval %s–%s", format.Number(100*r.Conf), strings.TrimSuffix(format.Factor(r.Lo), "x"), format.Factor(r.Hi))
}

// referenceLine is the formula of the lesson's example a card stands
// beside: "the article: 180/120 = 1.5X"; "" without one.
func referenceLine(l analysis.Lesson) string {
	switch r := l.Reference; {
	case r == nil:
		return ""
	case r.Formula == "":
		return "the article: " + r.Says
	}
	return "the article: " + l.Reference.Formula
}

// lessonCaption says what a card compares and what its ratio means.
func lessonCaption(a *analysis.Analysis, l analysis.Lesson) string {
	what := format.Capitalize(l.Measure) + " (median of repeats)"
	if l.Measure == "makespan" {
		what = "Median time to finish the whole batch"
	}
	s := fmt.Sprintf("%s with %s and with %s. %s: %s", what, l.FromLabel, l.ToLabel, l.Ratio.Text, l.Verdict)
	if iv := ratioInterval(l.Ratio); iv != "" {
		s += " (" + iv + ")"
	}
	s += "."
	switch {
	case l.Seconds && l.Measure == "makespan":
		s += " Shorter is better: the ratio is the first time over the second."
	case l.Seconds:
		s += " Shorter is better: the ratio is the first latency over the second."
	default:
		s += " Taller is better: the ratio is the second throughput over the first."
	}
	if dc := l.Ratio.Decomposition; dc != nil {
		s += " In resources: " + dc.Sentence + "."
	}
	if r := l.Reference; r != nil {
		s += " The article"
		if r.Says != "" {
			s += ": " + strings.TrimSuffix(r.Says, ".")
		}
		if r.Formula != "" {
			s += ": " + r.Formula + "; " + l.Against
		}
		s += "."
		if r.Differs != "" {
			s += " " + format.Capitalize(strings.TrimSuffix(r.Differs, ".")) + "."
		}
	}
	return s
}

// lessonText is the lessons as lines of text: "Scalability: workers 1 →
// 5: makespan 1.54 s → 330 ms: 1.54s/330ms = 4.67x, near-linear for 5x
// the workers".
func lessonText(a *analysis.Analysis) []string {
	var out []string
	for _, l := range a.Lessons {
		line := fmt.Sprintf("%s: %s %s → %s: %s, %s", lessonTitle(l), l.Measure,
			format.Spaced(l.FromText), format.Spaced(l.ToText), l.Quotient, l.Verdict)
		if iv := ratioInterval(l.Ratio); iv != "" {
			line += " (" + iv + ")"
		}
		if ref := referenceLine(l); ref != "" {
			line += " | " + ref
		}
		out = append(out, line)
	}
	return out
}

package report

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
)

// quotientPattern matches a printed quotient "a/b = cx", each operand
// optionally with a unit: "1.544s/574.1ms = 2.69x", "1224/19.33 = 63.3x",
// "1220 jobs/s / 19.3 jobs/s = 63.3x".
var quotientPattern = regexp.MustCompile(`(\d[\d.,]*)\s?(s|ms|µs|jobs/s)?\s?/\s?(\d[\d.,]*)\s?(s|ms|µs|jobs/s)?\s?=\s?(\d[\d.,]*)\s?[x×]`)

var quotientUnits = map[string]float64{"": 1, "jobs/s": 1, "s": 1, "ms": 1e-3, "µs": 1e-6}

// isDuration reports whether unit is a unit of time.
func isDuration(unit string) bool { return unit == "s" || unit == "ms" || unit == "µs" }

// quotientProblems divides the printed operands of every quotient in text
// and compares the result with the printed ratio, to half a unit of its
// last digit. It returns how many quotients it found and what is wrong.
func quotientProblems(text string) (n int, problems []string) {
	for _, m := range quotientPattern.FindAllStringSubmatch(text, -1) {
		n++
		var v [3]float64
		for i, s := range []string{m[1], m[3], m[5]} {
			f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%q: %v", m[0], err))
			}
			v[i] = f
		}
		if isDuration(m[2]) != isDuration(m[4]) {
			problems = append(problems, fmt.Sprintf("%q: a duration divided by a number", m[0]))
			continue
		}
		got := v[0] * quotientUnits[m[2]] / (v[1] * quotientUnits[m[4]])
		half := 0.5
		if _, frac, ok := strings.Cut(m[5], "."); ok {
			half = 0.5 * math.Pow(10, -float64(len(frac)))
		}
		if math.Abs(got-v[2]) > half*(1+1e-9) {
			problems = append(problems, fmt.Sprintf("%q: %s/%s is %.4g, not %s", m[0], m[1]+m[2], m[3]+m[4], got, m[5]))
		}
	}
	return n, problems
}

// checkQuotients fails t for each quotient in text that does not check, and
// when text has none.
func checkQuotients(t *testing.T, name, text string) {
	t.Helper()
	n, problems := quotientProblems(text)
	for _, p := range problems {
		t.Errorf("%s: %s", name, p)
	}
	if n == 0 {
		t.Errorf("%s: no quotient found to check", name)
	}
}

// TestQuotientsCheck parses every "a/b = c" in the HTML report and the
// Markdown summary of each fixture and checks it with a calculator.
func TestQuotientsCheck(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		gen     func() *results.Run
	}{
		{quickstartFile, quickstartRun},
		{batchFile, batchRun},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			a := compare.Analyze(loadFixture(t, tc.fixture, tc.gen))
			var page, md bytes.Buffer
			if err := HTML(&page, a); err != nil {
				t.Fatal(err)
			}
			if err := Markdown(&md, a); err != nil {
				t.Fatal(err)
			}
			// Only the page's text: the embedded results JSON and the SVG
			// charts hold no sentences.
			text := regexp.MustCompile(`(?s)<script.*?</script>|<svg.*?</svg>|<[^>]*>`).ReplaceAllString(page.String(), " ")
			checkQuotients(t, "report.html", html.UnescapeString(text))
			checkQuotients(t, "summary.md", md.String())
		})
	}
}

// TestCheckQuotients shows the check catching the quotients that failed a
// calculator.
func TestCheckQuotients(t *testing.T) {
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"Performance (latency) = 1.5s/574ms = 2.69x", false},
		{"Scalability (throughput) = 1220/19.3 = 63.31x", false},
		{"Performance (latency) = 1.544s/574.1ms = 2.69x", true},
		{"Scalability (throughput) = 1224/19.33 = 63.3x", true},
		{"1.52 s/310 ms = 4.9x", true},
	} {
		n, problems := quotientProblems(tc.text)
		if n != 1 || (len(problems) == 0) != tc.ok {
			t.Errorf("%q: %d quotients, problems %q; want 1, ok %v", tc.text, n, problems, tc.ok)
		}
	}
}

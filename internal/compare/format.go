package compare

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/metric"
)

// Format names an output format of Write.
type Format string

// Output formats.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
	FormatCSV      Format = "csv"
)

// ParseFormat returns the format named s, or an error naming the valid ones.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatText, FormatMarkdown, FormatJSON, FormatCSV:
		return f, nil
	}
	return "", unusable("--format: unknown format %q (valid: text, markdown, json, csv)", s)
}

// Write writes r to w in format f.
func Write(w io.Writer, r *Result, f Format) error {
	switch f {
	case FormatText:
		return WriteText(w, r)
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatCSV:
		return WriteCSV(w, r)
	}
	return unusable("write comparison: unknown format %q (valid: text, markdown, json, csv)", f)
}

// Text writes s's median of metric m with its interval, to the digits
// the interval justifies: "121.0 jobs/s [120.0, 122.0]". An interval
// short of the confidence asked for is left out: "64.00 ms".
func (s Side) Text(m metric.Metric, confidence float64) string {
	if s.N == 0 {
		return "–"
	}
	lo, hi := s.Lo, s.Hi
	if s.Median == 0 || s.Conf < confidence-1e-9 {
		lo, hi = math.NaN(), math.NaN()
	}
	return format.Measured(s.Median, lo, hi, m.Unit())
}

// RatioInterval writes r's head/base with its interval: "0.900x [0.885,
// 0.916]", or "0.900x [no interval]".
func (r Row) RatioInterval() string {
	if r.RatioConf == 0 || math.IsNaN(r.RatioLo) {
		return format.Ratio(r.Ratio) + "x [no interval]"
	}
	return format.RatioInterval(r.Ratio, r.RatioLo, r.RatioHi)
}

// RatioText writes r's head/base with its interval and the change:
// "0.900x [0.885, 0.916] (-10.0%)"; "–" without a ratio.
func (r Row) RatioText() string {
	if math.IsNaN(r.Ratio) {
		return "–"
	}
	return r.RatioInterval() + " (" + format.Change(r.Change()) + ")"
}

func pText(r Row) string {
	if math.IsNaN(r.PAdj) {
		return "–"
	}
	return fmt.Sprintf("%.3g", r.PAdj)
}

// note returns the hint and warnings of a row as one footnote.
func note(r Row) string {
	var out []string
	if r.Hint != "" {
		out = append(out, r.Hint)
	}
	return strings.Join(append(out, r.Warnings...), "; ")
}

func gateLine(r *Result) string {
	o := r.Outcome()
	counts := map[Verdict]int{}
	for _, row := range r.Rows {
		if row.Gated {
			counts[row.Verdict]++
		}
	}
	status := "pass"
	switch o.Code {
	case ExitWorse:
		status = "FAIL (worse)"
	case ExitInconclusive:
		status = "FAIL (inconclusive)"
	}
	notWorse := ""
	if counts[NotWorse] > 0 {
		notWorse = fmt.Sprintf(", %d not worse", counts[NotWorse])
	}
	return fmt.Sprintf("gate: %s — %d gated comparisons (Holm-corrected at α=%g): %d worse, %d better, %d same%s, %d inconclusive",
		status, r.GatedComparisons, r.Alpha, counts[Worse], counts[Better], counts[Same], notWorse, counts[Inconclusive])
}

// methodLine says how a paired comparison was made and what its verdicts
// guarantee; empty for two runs compared repeat by repeat.
func methodLine(r *Result) string {
	if r.Method != MethodPaired {
		return ""
	}
	lo, hi := -1, 0
	for _, row := range r.Rows {
		if row.Paired {
			if lo < 0 || row.Rounds < lo {
				lo = row.Rounds
			}
			hi = max(hi, row.Rounds)
		}
	}
	rounds := fmt.Sprintf("%d rounds", hi)
	if lo >= 0 && lo != hi {
		rounds = fmt.Sprintf("%d to %d rounds", lo, hi)
	}
	return fmt.Sprintf("paired by round (%s, each measuring base and head back to back in random order): head/base is the median of the rounds' ratios (Hodges–Lehmann); "+
		"p-values and intervals are always valid, so the false-alarm rate is at most %g whatever the number of rounds looked at", rounds, r.Alpha)
}

// WriteText writes r as an aligned table like benchstat's: one line per
// metric and cell with both medians and their intervals, the ratio with
// its interval, the Holm-adjusted p-value and the verdict; a geomean line
// per metric; then notes, unpaired cells and warnings.
func WriteText(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	tw := tabwriter.NewWriter(&trimLines{w: bw}, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "metric\tcell\tbase\thead\thead/base [%.0f%% CI]\tp (Holm)\tverdict\t\n", 100*r.Confidence)
	var footnotes []string
	last := metric.Metric("")
	flush := func(m metric.Metric) {
		for _, g := range r.Geomeans {
			if g.Metric == m {
				fmt.Fprintf(tw, "%s\tgeomean\t%s\t%s\t%s (%s)\t\t\t\n", m, format.Measured(g.Base, math.NaN(), math.NaN(), m.Unit()), format.Measured(g.Head, math.NaN(), math.NaN(), m.Unit()), format.RatioInterval(g.Ratio, math.NaN(), math.NaN()), format.Change(g.Ratio-1))
			}
		}
	}
	for _, row := range sortedRows(r) {
		if row.Metric != last && last != "" {
			flush(last)
		}
		last = row.Metric
		verdict := string(row.Verdict)
		if !row.Gated {
			verdict += " (not gated)"
		}
		if n := note(row); n != "" {
			footnotes = append(footnotes, n)
			verdict += fmt.Sprintf(" [%d]", len(footnotes))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", row.Metric, row.Key.label(), row.Base.Text(row.Metric, r.Confidence), row.Head.Text(row.Metric, r.Confidence), row.RatioText(), pText(row), verdict)
	}
	flush(last)
	if err := tw.Flush(); err != nil {
		return err
	}
	bw.WriteString("\n" + gateLine(r) + "\n")
	if m := methodLine(r); m != "" {
		bw.WriteString(m + "\n")
	}
	for i, n := range footnotes {
		fmt.Fprintf(bw, "[%d] %s\n", i+1, n)
	}
	for _, u := range r.Unpaired {
		fmt.Fprintf(bw, "unpaired: %s only in %s\n", u.Key.label(), u.Side)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", wn)
	}
	return bw.Flush()
}

// trimLines writes what is written to it to w without the spaces at the
// ends of lines, which an aligned table's last column leaves, holding no
// more than one line's trailing spaces.
type trimLines struct {
	w      *bufio.Writer
	spaces int // spaces written but not yet passed on
}

func (t *trimLines) Write(p []byte) (int, error) {
	for _, c := range p {
		switch c {
		case ' ':
			t.spaces++
			continue
		case '\n':
			t.spaces = 0
		default:
			for ; t.spaces > 0; t.spaces-- {
				t.w.WriteByte(' ')
			}
		}
		if err := t.w.WriteByte(c); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// sortedRows returns the rows grouped by metric in display order, cells
// in input order within a metric.
func sortedRows(r *Result) []Row {
	var out []Row
	for _, mi := range metric.Metrics() {
		for _, row := range r.Rows {
			if row.Metric == mi.Metric {
				out = append(out, row)
			}
		}
	}
	return out
}

// badge is the Markdown form of a verdict.
func badge(v Verdict) string {
	switch v {
	case Worse:
		return "🔴 **worse**"
	case Better:
		return "🟢 **better**"
	case Same:
		return "⚪ same"
	case NotWorse:
		return "⚪ not worse"
	}
	return "🟡 inconclusive"
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteMarkdown writes r as a Markdown table with verdict badges, for pull
// requests and job summaries.
func WriteMarkdown(w io.Writer, r *Result) error {
	var b strings.Builder
	b.WriteString("### Performance comparison\n\n")
	fmt.Fprintf(&b, "**%s**\n\n", mdEscape(gateLine(r)))
	if m := methodLine(r); m != "" {
		fmt.Fprintf(&b, "%s\n\n", mdEscape(m))
	}
	fmt.Fprintf(&b, "| metric | cell | base | head | head/base [%.0f%% CI] | p (Holm) | verdict |\n", 100*r.Confidence)
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | --- |\n")
	var footnotes []string
	last := metric.Metric("")
	flush := func(m metric.Metric) {
		for _, g := range r.Geomeans {
			if g.Metric == m {
				fmt.Fprintf(&b, "| %s | *geomean* | %s | %s | %s (%s) | | |\n", m, format.Measured(g.Base, math.NaN(), math.NaN(), m.Unit()), format.Measured(g.Head, math.NaN(), math.NaN(), m.Unit()), format.RatioInterval(g.Ratio, math.NaN(), math.NaN()), format.Change(g.Ratio-1))
			}
		}
	}
	for _, row := range sortedRows(r) {
		if row.Metric != last && last != "" {
			flush(last)
		}
		last = row.Metric
		verdict := badge(row.Verdict)
		if !row.Gated {
			verdict += " (not gated)"
		}
		if n := note(row); n != "" {
			footnotes = append(footnotes, n)
			verdict += fmt.Sprintf(" [%d]", len(footnotes))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", row.Metric, mdEscape(row.Key.label()), row.Base.Text(row.Metric, r.Confidence), row.Head.Text(row.Metric, r.Confidence), row.RatioText(), pText(row), verdict)
	}
	flush(last)
	if len(footnotes) > 0 || len(r.Unpaired) > 0 || len(r.Warnings) > 0 {
		b.WriteString("\n")
	}
	for i, n := range footnotes {
		fmt.Fprintf(&b, "%d. %s\n", i+1, mdEscape(n))
	}
	for _, u := range r.Unpaired {
		fmt.Fprintf(&b, "- unpaired: `%s` only in %s\n", u.Key.label(), u.Side)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "- ⚠️ %s\n", mdEscape(wn))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jnum is a float64 that encodes NaN and ±Inf as JSON null.
type jnum float64

func (f jnum) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

type jsonSide struct {
	N      int  `json:"n"`
	Median jnum `json:"median"`
	Lo     jnum `json:"lo"`
	Hi     jnum `json:"hi"`
	Conf   jnum `json:"conf"`
}

type jsonRow struct {
	Key       Key           `json:"key"`
	Metric    metric.Metric `json:"metric"`
	Direction string        `json:"better"`
	Tolerance jnum          `json:"tolerance"`
	Gated     bool          `json:"gated"`
	Paired    bool          `json:"paired,omitempty"`
	Rounds    int           `json:"rounds,omitempty"`
	Base      jsonSide      `json:"base"`
	Head      jsonSide      `json:"head"`
	Ratio     jnum          `json:"ratio"`
	RatioLo   jnum          `json:"ratio_lo"`
	RatioHi   jnum          `json:"ratio_hi"`
	RatioConf jnum          `json:"ratio_conf"`
	P         jnum          `json:"p"`
	PAdj      jnum          `json:"p_adj"`
	Verdict   Verdict       `json:"verdict"`
	HintKind  HintKind      `json:"hint_kind,omitempty"`
	Hint      string        `json:"hint,omitempty"`
	Warnings  []string      `json:"warnings,omitempty"`
}

type jsonGeomean struct {
	Metric metric.Metric `json:"metric"`
	Pairs  int           `json:"pairs"`
	Base   jnum          `json:"base"`
	Head   jnum          `json:"head"`
	Ratio  jnum          `json:"ratio"`
}

type jsonResult struct {
	SchemaVersion      int           `json:"schema_version"`
	Method             string        `json:"method,omitempty"`
	Alpha              jnum          `json:"alpha"`
	Confidence         jnum          `json:"confidence"`
	ExitCode           ExitCode      `json:"exit_code"`
	GatedComparisons   int           `json:"gated_comparisons"`
	FailOnInconclusive bool          `json:"fail_on_inconclusive"`
	Rows               []jsonRow     `json:"rows"`
	Geomeans           []jsonGeomean `json:"geomeans"`
	Unpaired           []Unpaired    `json:"unpaired"`
	Warnings           []string      `json:"warnings"`
}

func jside(s Side) jsonSide {
	return jsonSide{s.N, jnum(s.Median), jnum(s.Lo), jnum(s.Hi), jnum(s.Conf)}
}

// WriteJSON writes r as indented JSON with a schema_version and the gate's
// exit_code; undefined numbers are null.
func WriteJSON(w io.Writer, r *Result) error {
	out := jsonResult{
		SchemaVersion:      SchemaVersion,
		Method:             r.Method,
		Alpha:              jnum(r.Alpha),
		Confidence:         jnum(r.Confidence),
		ExitCode:           r.Outcome().Code,
		GatedComparisons:   r.GatedComparisons,
		FailOnInconclusive: r.FailOnInconclusive,
		Rows:               []jsonRow{},
		Geomeans:           []jsonGeomean{},
		Unpaired:           append([]Unpaired{}, r.Unpaired...),
		Warnings:           append([]string{}, r.Warnings...),
	}
	for _, row := range r.Rows {
		mi, _ := row.Metric.Info()
		out.Rows = append(out.Rows, jsonRow{
			Key: row.Key, Metric: row.Metric, Direction: mi.Direction.String(), Tolerance: jnum(row.Tolerance), Gated: row.Gated,
			Paired: row.Paired, Rounds: row.Rounds,
			Base: jside(row.Base), Head: jside(row.Head),
			Ratio: jnum(row.Ratio), RatioLo: jnum(row.RatioLo), RatioHi: jnum(row.RatioHi), RatioConf: jnum(row.RatioConf),
			P: jnum(row.P), PAdj: jnum(row.PAdj), Verdict: row.Verdict, HintKind: row.HintKind, Hint: row.Hint, Warnings: row.Warnings,
		})
	}
	for _, g := range r.Geomeans {
		out.Geomeans = append(out.Geomeans, jsonGeomean{g.Metric, g.Pairs, jnum(g.Base), jnum(g.Head), jnum(g.Ratio)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// csvNum formats a number for CSV: empty when undefined.
func csvNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteCSV writes one row per comparison and one per geomean (cell
// "geomean", statistics empty), values in base units.
func WriteCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"metric", "cell", "gated", "tolerance",
		"base_n", "base_median", "base_lo", "base_hi", "head_n", "head_median", "head_lo", "head_hi",
		"ratio", "ratio_lo", "ratio_hi", "p", "p_adj", "verdict", "hint"})
	for _, row := range r.Rows {
		_ = cw.Write([]string{string(row.Metric), row.Key.label(), strconv.FormatBool(row.Gated), csvNum(row.Tolerance),
			strconv.Itoa(row.Base.N), csvNum(row.Base.Median), csvNum(row.Base.Lo), csvNum(row.Base.Hi),
			strconv.Itoa(row.Head.N), csvNum(row.Head.Median), csvNum(row.Head.Lo), csvNum(row.Head.Hi),
			csvNum(row.Ratio), csvNum(row.RatioLo), csvNum(row.RatioHi), csvNum(row.P), csvNum(row.PAdj),
			string(row.Verdict), row.Hint})
	}
	for _, g := range r.Geomeans {
		_ = cw.Write([]string{string(g.Metric), "geomean", "", "",
			strconv.Itoa(g.Pairs), csvNum(g.Base), "", "", strconv.Itoa(g.Pairs), csvNum(g.Head), "", "",
			csvNum(g.Ratio), "", "", "", "", "", ""})
	}
	cw.Flush()
	return cw.Error()
}

// JUnit XML, in the shape Jenkins, GitLab and GitHub test reporters read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// rowSummary is one line describing a row's outcome.
func rowSummary(r Row, confidence float64) string {
	mi, _ := r.Metric.Info()
	s := fmt.Sprintf("%s %s: %s, head/base %s, base %s, head %s, p=%s (%s is better, tolerance ±%s)",
		r.Key.label(), r.Metric, r.Verdict, r.RatioText(), r.Base.Text(r.Metric, confidence), r.Head.Text(r.Metric, confidence), pText(r), mi.Direction, format.Fraction(r.Tolerance))
	if n := note(r); n != "" {
		s += "; " + n
	}
	return s
}

// WriteJUnit writes one testcase per comparison (suite = metric, case =
// cell): a failure for each gated worse row, and for each gated
// inconclusive row when the gate fails on inconclusive; rows that do not
// gate are skipped tests.
func WriteJUnit(w io.Writer, r *Result) error {
	out := junitSuites{Name: "scalebench compare"}
	for _, mi := range metric.Metrics() {
		suite := junitSuite{Name: "scalebench/" + string(mi.Metric)}
		for _, row := range r.Rows {
			if row.Metric != mi.Metric {
				continue
			}
			c := junitCase{Name: row.Key.label(), Classname: "scalebench." + string(row.Metric), SystemOut: rowSummary(row, r.Confidence)}
			switch {
			case !row.Gated:
				c.Skipped = &junitSkipped{Message: "not gated: " + string(row.Verdict)}
				suite.Skipped++
			case row.Verdict == Worse, row.Verdict == Inconclusive && r.FailOnInconclusive:
				c.Failure = &junitFailure{Message: fmt.Sprintf("%s %s (head/base %s, tolerance ±%s)", row.Metric, row.Verdict, row.RatioText(), format.Fraction(row.Tolerance)), Type: string(row.Verdict), Text: rowSummary(row, r.Confidence)}
				suite.Failures++
			}
			suite.Cases = append(suite.Cases, c)
			suite.Tests++
		}
		if suite.Tests > 0 {
			out.Suites = append(out.Suites, suite)
			out.Tests += suite.Tests
			out.Failures += suite.Failures
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// escapeData escapes a GitHub Actions workflow command message.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command property such as title.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// WriteGitHubAnnotations writes GitHub Actions workflow commands: an
// ::error for each gated worse row (and gated inconclusive row when the
// gate fails on them), a ::warning for other gated inconclusive rows and
// for each comparison-wide warning.
func WriteGitHubAnnotations(w io.Writer, r *Result) error {
	var b strings.Builder
	for _, row := range sortedRows(r) {
		if !row.Gated {
			continue
		}
		level := ""
		switch {
		case row.Verdict == Worse, row.Verdict == Inconclusive && r.FailOnInconclusive:
			level = "error"
		case row.Verdict == Inconclusive:
			level = "warning"
		default:
			continue
		}
		title := fmt.Sprintf("scalebench: %s %s in %s", row.Metric, row.Verdict, row.Key.label())
		fmt.Fprintf(&b, "::%s title=%s::%s\n", level, escapeProperty(title), escapeData(rowSummary(row, r.Confidence)))
	}
	for _, u := range r.Unpaired {
		fmt.Fprintf(&b, "::warning title=%s::%s\n", escapeProperty("scalebench: unpaired cell"), escapeData(u.Key.label()+" only in "+u.Side))
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "::warning title=%s::%s\n", escapeProperty("scalebench compare"), escapeData(wn))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// AppendGitHubStepSummary appends the Markdown form of r to the file named
// by $GITHUB_STEP_SUMMARY. It reports whether the variable was set.
func AppendGitHubStepSummary(r *Result) (bool, error) {
	path := os.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return false, nil
	}
	return true, appendMarkdown(path, r)
}

func appendMarkdown(path string, r *Result) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("append step summary: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("append step summary: %w", cerr)
		}
	}()
	if err := WriteMarkdown(f, r); err != nil {
		return fmt.Errorf("append step summary %s: %w", path, err)
	}
	return nil
}

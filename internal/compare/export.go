package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/scalebench/scalebench/internal/metric"
)

// ExportRun is what WriteBenchfmt and WriteExportCSV write: the measured
// value of each metric for every repeat of every cell.
type ExportRun struct {
	// Name is the benchmark name without the "Benchmark" prefix: the
	// workload's name, "Thumbnail", "Payslips".
	Name string
	// Config is the environment as benchfmt configuration lines, in
	// order: goos, goarch, cpu, pkg and any other key. Keys start with a
	// lower-case letter and hold no space or upper-case letter.
	Config []Param
	Cells  []ExportCell
}

// ExportCell is one cell and its repeats.
type ExportCell struct {
	Key     Key
	Repeats []ExportRepeat
}

// ExportRepeat is one repeat of a cell: the jobs it completed (the
// benchmark's iteration count) and the value of each metric in base units.
// NaN values are left out.
type ExportRepeat struct {
	Jobs   int64
	Values map[metric.Metric]float64
}

// benchName returns the benchmark name of a cell: Name followed by
// /key=value for each param; characters benchfmt cannot hold in a name
// (white space, '/') become '_'.
func benchName(name string, k Key) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == '/' {
				return '_'
			}
			return r
		}, s)
	}
	var b strings.Builder
	b.WriteString("Benchmark" + clean(name))
	for _, p := range k.Params {
		b.WriteString("/" + clean(p.Key) + "=" + clean(p.Value))
	}
	if len(k.Params) == 0 && k.Label != "" {
		b.WriteString("/" + clean(k.Label))
	}
	return b.String()
}

func validConfigKey(k string) bool {
	for i, r := range k {
		if (i == 0 && !unicode.IsLower(r)) || unicode.IsSpace(r) || unicode.IsUpper(r) || r == ':' {
			return false
		}
	}
	return k != ""
}

func (run ExportRun) validate() error {
	if run.Name == "" || strings.ContainsFunc(run.Name, unicode.IsSpace) {
		return unusable("export: benchmark name %q must be one word", run.Name)
	}
	for _, c := range run.Config {
		if !validConfigKey(c.Key) {
			return unusable("export: configuration key %q must start with a lower-case letter and hold no space, colon or upper-case letter", c.Key)
		}
		if strings.ContainsAny(c.Value, "\r\n") {
			return unusable("export: configuration %s: value holds a line break", c.Key)
		}
	}
	for _, cell := range run.Cells {
		for i, rep := range cell.Repeats {
			for m := range rep.Values {
				if _, ok := m.Info(); !ok {
					return unusable("export: cell %s repeat %d: unknown metric %q (valid: %s)", cell.Key.label(), i+1, m, metric.MetricNames())
				}
			}
		}
	}
	return nil
}

// WriteBenchfmt writes run in the Go benchmark format that
// golang.org/x/perf's benchstat reads: the configuration lines, a
// "Unit ... better=higher|lower" line per metric used, then one line per
// cell and repeat, e.g.
//
//	BenchmarkThumbnail/gomaxprocs=1/workers=4 1234 19.7 jobs/s 0.0507 p50-sec 0.0613 p99-sec
//
// The iteration count is the jobs the repeat completed (at least 1, as
// benchfmt requires a count).
func WriteBenchfmt(w io.Writer, run ExportRun) error {
	if err := run.validate(); err != nil {
		return err
	}
	var b strings.Builder
	for _, c := range run.Config {
		fmt.Fprintf(&b, "%s: %s\n", c.Key, c.Value)
	}
	used := map[metric.Metric]bool{}
	for _, cell := range run.Cells {
		for _, rep := range cell.Repeats {
			for m, v := range rep.Values {
				if !math.IsNaN(v) {
					used[m] = true
				}
			}
		}
	}
	for _, mi := range metric.Metrics() {
		if used[mi.Metric] {
			fmt.Fprintf(&b, "Unit %s better=%s\n", mi.BenchUnit, mi.Direction)
		}
	}
	if len(run.Config) > 0 || len(used) > 0 {
		b.WriteString("\n")
	}
	for _, cell := range run.Cells {
		name := benchName(run.Name, cell.Key)
		for _, rep := range cell.Repeats {
			var vals strings.Builder
			for _, mi := range metric.Metrics() {
				v, ok := rep.Values[mi.Metric]
				if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
					continue
				}
				fmt.Fprintf(&vals, " %s %s", strconv.FormatFloat(v, 'g', -1, 64), mi.BenchUnit)
			}
			if vals.Len() == 0 {
				continue
			}
			fmt.Fprintf(&b, "%s %d%s\n", name, max(rep.Jobs, 1), vals.String())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// csvColumn is the CSV header of a metric: its name and base unit.
func csvColumn(mi metric.MetricInfo) string {
	switch mi.Unit {
	case "s":
		return string(mi.Metric) + "_s"
	case "B":
		return string(mi.Metric) + "_bytes"
	case "jobs/s":
		return string(mi.Metric) + "_jobs_per_s"
	}
	return string(mi.Metric)
}

// WriteExportCSV writes one row per cell and repeat: the cell label, one
// column per param key (in first-seen order), the repeat number (from 1),
// the jobs, and one column per metric used, in base units (empty when a
// repeat lacks the metric).
func WriteExportCSV(w io.Writer, run ExportRun) error {
	if err := run.validate(); err != nil {
		return err
	}
	var keys []string
	seenKey := map[string]bool{}
	used := map[metric.Metric]bool{}
	for _, cell := range run.Cells {
		for _, p := range cell.Key.Params {
			if !seenKey[p.Key] {
				seenKey[p.Key] = true
				keys = append(keys, p.Key)
			}
		}
		for _, rep := range cell.Repeats {
			for m, v := range rep.Values {
				if !math.IsNaN(v) {
					used[m] = true
				}
			}
		}
	}
	var cols []metric.MetricInfo
	for _, mi := range metric.Metrics() {
		if used[mi.Metric] {
			cols = append(cols, mi)
		}
	}
	cw := csv.NewWriter(w)
	header := append([]string{"cell"}, keys...)
	header = append(header, "repeat", "jobs")
	for _, mi := range cols {
		header = append(header, csvColumn(mi))
	}
	_ = cw.Write(header)
	for _, cell := range run.Cells {
		params := map[string]string{}
		for _, p := range cell.Key.Params {
			params[p.Key] = p.Value
		}
		for i, rep := range cell.Repeats {
			rec := []string{cell.Key.label()}
			for _, k := range keys {
				rec = append(rec, params[k])
			}
			rec = append(rec, strconv.Itoa(i+1), strconv.FormatInt(rep.Jobs, 10))
			for _, mi := range cols {
				v, ok := rep.Values[mi.Metric]
				if !ok {
					v = math.NaN()
				}
				rec = append(rec, csvNum(v))
			}
			_ = cw.Write(rec)
		}
	}
	cw.Flush()
	return cw.Error()
}

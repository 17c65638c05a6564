package history

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"time"
)

// exportRow is one point of one trend, as export writes it.
type exportRow struct {
	t *Trend
	p *Point
}

// rows lists every point of ts by run time, then series.
func rows(ts []*Trend) []exportRow {
	var out []exportRow
	for _, t := range ts {
		for i := range t.Points {
			out = append(out, exportRow{t, &t.Points[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b exportRow) int {
		return cmp.Or(a.p.Run.Time.Compare(b.p.Run.Time), cmp.Compare(a.p.Run.ID, b.p.Run.ID))
	})
	return out
}

// CSVHeader is the first line WriteCSV writes.
var CSVHeader = []string{"run", "time", "branch", "commit", "scenario", "scenario_hash", "testbed", "testbed_fingerprint", "cell", "metric", "repeat", "value"}

// WriteCSV writes each repeat of every point of ts as a CSV row, in run
// order: values in base units (seconds, jobs/s, bytes), times in RFC 3339.
func WriteCSV(w io.Writer, ts []*Trend) error {
	bw := bufio.NewWriter(w)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range rows(ts) {
		run, t := r.p.Run, r.t
		for i, v := range r.p.Repeats {
			if err := cw.Write([]string{
				strconv.FormatInt(run.ID, 10), run.Time.Format(time.RFC3339Nano), run.Branch, run.Commit,
				t.Scenario.Name, t.Scenario.Hash, t.Testbed.Name(), t.Testbed.Fingerprint(), t.Cell, string(t.Metric),
				strconv.Itoa(i + 1), strconv.FormatFloat(v, 'g', -1, 64),
			}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// JSONPoint is one point as WriteJSON writes it.
type JSONPoint struct {
	Run                int64     `json:"run"`
	Time               time.Time `json:"time"`
	Branch             string    `json:"branch"`
	Commit             string    `json:"commit"`
	Scenario           string    `json:"scenario"`
	ScenarioHash       string    `json:"scenario_hash"`
	Testbed            string    `json:"testbed"`
	TestbedFingerprint string    `json:"testbed_fingerprint"`
	Cell               string    `json:"cell"`
	Metric             string    `json:"metric"`
	Median             float64   `json:"median"`
	Repeats            []float64 `json:"repeats"`
}

// WriteJSON writes every point of ts as a JSON array, in run order.
func WriteJSON(w io.Writer, ts []*Trend) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("[\n"); err != nil {
		return err
	}
	for i, r := range rows(ts) {
		if i > 0 {
			bw.WriteString(",\n")
		}
		run, t := r.p.Run, r.t
		b, err := json.Marshal(JSONPoint{run.ID, run.Time, run.Branch, run.Commit, t.Scenario.Name, t.Scenario.Hash, t.Testbed.Name(),
			t.Testbed.Fingerprint(), t.Cell, string(t.Metric), r.p.Median, r.p.Repeats})
		if err != nil {
			return err
		}
		bw.Write(b)
	}
	if _, err := bw.WriteString("\n]\n"); err != nil {
		return err
	}
	return bw.Flush()
}

package compare

import (
	"bytes"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
)

func TestThresholdEvaluate(t *testing.T) {
	key := func(w string) Key {
		return Key{Label: "workers=" + w, Params: []Param{{"gomaxprocs", "1"}, {"workers", w}}}
	}
	cells := []CellSummary{
		{Key: key("1"), Values: map[metric.Metric]float64{metric.Throughput: 20, metric.P99: 0.150, metric.Efficiency: 1}},
		{Key: key("64"), Values: map[metric.Metric]float64{metric.Throughput: 45, metric.P99: 0.250, metric.Efficiency: 0.035}},
	}
	ts := metric.Thresholds{
		{Metric: "p99", Max: "200ms"},
		{Metric: "throughput", Min: "50/s", Where: map[string]string{"workers": "64"}},
		{Metric: "efficiency", Min: "0.8", Where: map[string]string{"workers": "1"}},
	}
	res, err := Evaluate(ts, cells)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		idx      int
		cell     string
		observed float64
		pass     bool
	}
	want := []result{{0, "workers=1", 0.150, true}, {0, "workers=64", 0.250, false}, {1, "workers=64", 45, false}, {2, "workers=1", 1, true}}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(res), len(want), res)
	}
	for i, w := range want {
		r := res[i]
		if r.Index != w.idx || r.Key.Label != w.cell || r.Observed != w.observed || r.Pass != w.pass {
			t.Errorf("result %d = %+v, want %+v", i, r, w)
		}
	}
	if ThresholdsOutcome(res) != ExitWorse || ThresholdsOutcome(res[:1]) != ExitOK {
		t.Error("outcome")
	}
	var b bytes.Buffer
	if err := WriteThresholds(&b, res); err != nil {
		t.Fatal(err)
	}
	golden(t, "thresholds.txt", b.Bytes())
	b.Reset()
	if err := WriteThresholdsMarkdown(&b, res); err != nil {
		t.Fatal(err)
	}
	golden(t, "thresholds.md", b.Bytes())
	b.Reset()
	if err := WriteThresholdAnnotations(&b, res); err != nil {
		t.Fatal(err)
	}
	golden(t, "thresholds.annotations", b.Bytes())

	for _, tt := range []struct {
		name string
		th   metric.Threshold
		want string
	}{
		{"selector matches no cell", metric.Threshold{Metric: "p99", Max: "1s", Where: map[string]string{"workers": "64", "gomaxprocs": "2"}}, "where {gomaxprocs: 2, workers: 64} selects no measured cell"},
		{"metric not measured", metric.Threshold{Metric: "makespan", Max: "1s"}, "none of the 2 selected cells has a value for makespan"},
		{"invalid", metric.Threshold{Metric: "latency", Max: "1s"}, "unknown metric"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(metric.Thresholds{tt.th}, cells)
			if err == nil || !strings.Contains(err.Error(), tt.want) || ExitCodeOf(err) != ExitUnusable {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

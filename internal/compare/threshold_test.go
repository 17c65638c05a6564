package compare

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var dims = map[string][]string{"gomaxprocs": {"1", "2"}, "workers": {"1", "4", "64"}, "replicas": {"1"}}

func TestThresholdValidate(t *testing.T) {
	tests := []struct {
		name string
		th   Threshold
		want []string // substrings of the error; none means valid
	}{
		{"p99 max", Threshold{Metric: "p99", Max: "200ms"}, nil},
		{"throughput min where", Threshold{Metric: "throughput", Min: "50/s", Where: map[string]string{"workers": "64"}}, nil},
		{"throughput per minute", Threshold{Metric: "throughput", Min: "3000/min"}, nil},
		{"efficiency", Threshold{Metric: "efficiency", Min: "0.8"}, nil},
		{"efficiency percent", Threshold{Metric: "efficiency", Min: "80%"}, nil},
		{"rss", Threshold{Metric: "rss", Max: "512MiB"}, nil},
		{"both bounds", Threshold{Metric: "p50", Min: "1ms", Max: "1s"}, nil},
		{"unknown metric", Threshold{Metric: "latency", Max: "1s", Pos: "scenario.yaml:12"}, []string{"scenario.yaml:12", `unknown metric "latency"`, "throughput, p50"}},
		{"unknown dimension", Threshold{Metric: "p99", Max: "1s", Where: map[string]string{"threads": "4"}}, []string{"thresholds[0]", `unknown dimension "threads"`, "gomaxprocs, replicas, workers"}},
		{"no such value", Threshold{Metric: "p99", Max: "1s", Where: map[string]string{"workers": "8"}}, []string{"no cell has workers=8", "1, 4, 64"}},
		{"latency without unit", Threshold{Metric: "p99", Max: "200"}, []string{"p99 max", "a duration such as 200ms"}},
		{"bad rate", Threshold{Metric: "throughput", Min: "50/day"}, []string{"a rate such as 50/s"}},
		{"bad size", Threshold{Metric: "rss", Max: "lots"}, []string{"a size such as 512MiB"}},
		{"negative", Threshold{Metric: "efficiency", Min: "-1"}, []string{"non-negative"}},
		{"no bound", Threshold{Metric: "p99"}, []string{"give min, max or both"}},
		{"min above max", Threshold{Metric: "p99", Min: "2s", Max: "1s"}, []string{"min 2s is above max 1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Thresholds{tt.th}.Validate(dims)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if ExitCodeOf(err) != ExitUnusable {
				t.Errorf("exit code %d", ExitCodeOf(err))
			}
		})
	}
	err := Thresholds{{Metric: "x", Max: "1"}, {Metric: "p99", Max: "1"}}.Validate(dims)
	var ue *UnusableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "thresholds[0]") || !strings.Contains(err.Error(), "thresholds[1]") {
		t.Errorf("all problems at once: %v", err)
	}
}

func TestThresholdEvaluate(t *testing.T) {
	key := func(w string) Key {
		return Key{Label: "workers=" + w, Params: []Param{{"gomaxprocs", "1"}, {"workers", w}}}
	}
	cells := []CellSummary{
		{Key: key("1"), Values: map[Metric]float64{Throughput: 20, P99: 0.150, Efficiency: 1}},
		{Key: key("64"), Values: map[Metric]float64{Throughput: 45, P99: 0.250, Efficiency: 0.035}},
	}
	ts := Thresholds{
		{Metric: "p99", Max: "200ms"},
		{Metric: "throughput", Min: "50/s", Where: map[string]string{"workers": "64"}},
		{Metric: "efficiency", Min: "0.8", Where: map[string]string{"workers": "1"}},
	}
	res, err := ts.Evaluate(cells)
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
		th   Threshold
		want string
	}{
		{"selector matches no cell", Threshold{Metric: "p99", Max: "1s", Where: map[string]string{"workers": "64", "gomaxprocs": "2"}}, "where {gomaxprocs: 2, workers: 64} selects no measured cell"},
		{"metric not measured", Threshold{Metric: "makespan", Max: "1s"}, "none of the 2 selected cells has a value for makespan"},
		{"invalid", Threshold{Metric: "latency", Max: "1s"}, "unknown metric"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Thresholds{tt.th}.Evaluate(cells)
			if err == nil || !strings.Contains(err.Error(), tt.want) || ExitCodeOf(err) != ExitUnusable {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

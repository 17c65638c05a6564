package metric

import (
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
		})
	}
	err := Thresholds{{Metric: "x", Max: "1"}, {Metric: "p99", Max: "1"}}.Validate(dims)
	if err == nil || !strings.Contains(err.Error(), "thresholds[0]") || !strings.Contains(err.Error(), "thresholds[1]") {
		t.Errorf("all problems at once: %v", err)
	}
}

package scenario

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/scalebench/scalebench/internal/compare"
)

func TestThresholdsDecode(t *testing.T) {
	src := `name: t
load: {model: open, rate: 10}
matrix: {workers: [1, 64], rate: [100, 200]}
thresholds:
  - {metric: p99, max: 200ms}
  - {metric: throughput, min: 50/s, where: {workers: 64, rate: 100/s}}
  - metric: efficiency
    min: 0.8
`
	sc, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := compare.Thresholds{
		{Metric: "p99", Max: "200ms", Pos: "t.yaml:5"},
		{Metric: "throughput", Min: "50/s", Where: map[string]string{"workers": "64", "rate": "100"}, Pos: "t.yaml:6"},
		{Metric: "efficiency", Min: "0.8", Pos: "t.yaml:7"},
	}
	if !reflect.DeepEqual(sc.Thresholds, want) {
		t.Errorf("thresholds = %+v\nwant %+v", sc.Thresholds, want)
	}
	// The resolved scenario recorded in results keeps them.
	data, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ Thresholds compare.Thresholds }
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Thresholds) != 3 || back.Thresholds[1].Where["rate"] != "100" {
		t.Errorf("round trip: %+v", back.Thresholds)
	}
}

package scenario

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
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
	want := metric.Thresholds{
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
	var back struct{ Thresholds metric.Thresholds }
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Thresholds) != 3 || back.Thresholds[1].Where["rate"] != "100" {
		t.Errorf("round trip: %+v", back.Thresholds)
	}
}

// TestThresholdWhereBuild: a threshold may select the cells of one build
// of a scenario that lists its builds; a build it does not list, or any
// build in a scenario without builds, is refused as a selector that
// matches no cell.
func TestThresholdWhereBuild(t *testing.T) {
	const head = `name: t
matrix: {workers: [1, 2]}
`
	const builds = "builds: [{name: base, path: self}, {name: head, path: self}]\n"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"a build the scenario lists", head + builds + "thresholds: [{metric: throughput, min: 1/s, where: {build: head}}]\n", ""},
		{"a build it does not list", head + builds + "thresholds: [{metric: throughput, min: 1/s, where: {build: v2}}]\n",
			"t.yaml:4: thresholds[0]: where: no cell has build=v2 (build takes base, head)"},
		{"no builds", head + "thresholds: [{metric: throughput, min: 1/s, where: {build: head}}]\n",
			`t.yaml:3: thresholds[0]: where: unknown dimension "build"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.src))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

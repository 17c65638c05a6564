package runner

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/scalebench/scalebench/internal/analysis"
)

// BenchmarkStart runs measurements of 2 replicas over the embedded NATS
// server and reports the median time from starting the worker processes
// until both registered ("launch-ms"), from handing out the specs to the
// last replica's ready ("spec-to-ready-ms"), from there to the go broadcast
// ("ready-to-go-us"), and the spread of the go signal's arrival across the
// replicas ("go-skew-us").
func BenchmarkStart(b *testing.B) {
	sc := parseB(b, `name: start
images: {paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 100ms, warmup: 0s, repeats: 5}
matrix: {replicas: [2]}
`)
	var launch, toReady, toGo, skew []float64
	for b.Loop() {
		run, err := Run(context.Background(), sc, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range run.Cells[0].Repeats {
			launch = append(launch, r.Start.Launch)
			toReady = append(toReady, r.Start.SpecToReady)
			toGo = append(toGo, r.Start.ReadyToGo)
			skew = append(skew, r.Start.Skew)
		}
	}
	b.ReportMetric(median(launch)*1e3, "launch-ms")
	b.ReportMetric(median(toReady)*1e3, "spec-to-ready-ms")
	b.ReportMetric(median(toGo)*1e6, "ready-to-go-us")
	b.ReportMetric(median(skew)*1e6, "go-skew-us")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkScaleOut runs scenarios/scale-out.yaml, one replica vs two at
// GOMAXPROCS 1 on CPU-bound work, and reports the ratio of their median
// throughputs ("scale-out-ratio"): near 2 on a machine with two idle cores.
func BenchmarkScaleOut(b *testing.B) {
	data, err := os.ReadFile("../../scenarios/scale-out.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sc := parseB(b, string(data))
	for b.Loop() {
		run, err := Run(context.Background(), sc, testOptions())
		if err != nil {
			b.Fatal(err)
		}
		cells := analysis.Summarize(run)
		b.ReportMetric(cells[1].Throughput/cells[0].Throughput, "scale-out-ratio")
	}
}

package compare

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/results"
)

// samplesRun is a workers series of three cells with six repeats each,
// throughput 50, 95 and 170 jobs/s around the medians.
func samplesRun() *results.Run {
	base := results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1, Method: "fast"}
	run := mkRun("closed", base,
		cellSpec{gomaxprocs: 1, workers: 1, replicas: 1, method: "fast", tput: 50, p50: 0.02, stages: ioStages, repeats: 6},
		cellSpec{gomaxprocs: 1, workers: 2, replicas: 1, method: "fast", tput: 95, p50: 0.021, stages: ioStages, repeats: 6},
		cellSpec{gomaxprocs: 1, workers: 4, replicas: 1, method: "fast", tput: 170, p50: 0.023, stages: ioStages, repeats: 6},
	)
	for ci := range run.Cells {
		for i := range run.Cells[ci].Repeats {
			r := &run.Cells[ci].Repeats[i]
			r.Resources = results.Resources{JobsPerCPUSecond: 4000, MaxRSS: 20 << 20}
		}
	}
	return run
}

func TestSamples(t *testing.T) {
	run := samplesRun()
	got := Samples(run)
	if len(got) != 4 {
		t.Fatalf("%d samples, want 3 cells and 1 series", len(got))
	}
	wantKey := Key{Label: "gomaxprocs=1 workers=2 replicas=1 method=fast", Params: []Param{
		{Key: "gomaxprocs", Value: "1"}, {Key: "workers", Value: "2"}, {Key: "replicas", Value: "1"}, {Key: "method", Value: "fast"}}}
	if !reflect.DeepEqual(got[1].Key, wantKey) {
		t.Errorf("key = %+v, want %+v", got[1].Key, wantKey)
	}
	for _, m := range []metric.Metric{metric.Throughput, metric.P50, metric.P90, metric.P99, metric.CPUPerJob, metric.RSS} {
		if n := len(got[1].Samples[m]); n != 6 {
			t.Errorf("%s: %d values, want one per repeat (6)", m, n)
		}
	}
	if _, ok := got[0].Samples[metric.Makespan]; ok {
		t.Error("makespan in a closed run")
	}
	if _, ok := got[0].Samples[metric.Efficiency]; ok {
		t.Error("the baseline cell has an efficiency")
	}
	// Efficiency pairs repeat i with the baseline's repeat i (same round).
	eff := got[2].Samples[metric.Efficiency]
	for i, e := range eff {
		want := run.Cells[2].Repeats[i].Throughput / run.Cells[0].Repeats[i].Throughput / 4
		if math.Abs(e-want) > 1e-12 {
			t.Errorf("efficiency[%d] = %v, want %v", i, e, want)
		}
	}
	if cpu := got[0].Samples[metric.CPUPerJob][0]; cpu != 1.0/4000 {
		t.Errorf("cpu_per_job = %v, want 1/4000", cpu)
	}

	s := got[3]
	if s.Key.Params[0] != (Param{Key: "series", Value: "workers"}) || !strings.HasPrefix(s.Key.Label, "workers series") {
		t.Errorf("series key = %+v", s.Key)
	}
	for _, m := range []metric.Metric{metric.Sigma, metric.Kappa, metric.EfficiencyMax} {
		if n := len(s.Samples[m]); n != BootstrapReplicates {
			t.Errorf("%s: %d replicates, want %d", m, n, BootstrapReplicates)
		}
	}
	// The efficiency at the largest N lies near 170/50/4.
	if med := s.Summarize().Values[metric.EfficiencyMax]; math.Abs(med-0.85) > 0.02 {
		t.Errorf("median efficiency at the largest N = %v, want about 0.85", med)
	}
	// The same file gives the same replicates.
	if again := Samples(run); !reflect.DeepEqual(again[3].Samples[metric.Sigma], s.Samples[metric.Sigma]) {
		t.Error("bootstrap replicates differ between two calls on the same run")
	}
}

func TestSamplesSkipsUnmeasuredAndBatch(t *testing.T) {
	base := results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1}
	run := mkRun("batch", base,
		cellSpec{gomaxprocs: 1, workers: 1, replicas: 1, tput: 2, p50: 0.5, makespan: 2.5, stages: ioStages},
		cellSpec{gomaxprocs: 2, workers: 2, replicas: 1, tput: 4, p50: 0.5, makespan: 1.3, stages: ioStages},
	)
	run.Cells = append(run.Cells, results.Cell{Params: results.Params{GOMAXPROCS: 1, Workers: 8, Replicas: 1}})
	got := Samples(run)
	if len(got) != 2 {
		t.Fatalf("%d samples, want the 2 measured cells", len(got))
	}
	if n := len(got[0].Samples[metric.Makespan]); n != 3 {
		t.Errorf("makespan: %d values, want 3", n)
	}
	// gomaxprocs and workers both differ from the baseline: no series with it.
	if _, ok := got[1].Samples[metric.Efficiency]; ok {
		t.Error("efficiency for a cell that shares no series with the baseline")
	}
}

func TestExportAndThresholds(t *testing.T) {
	run := samplesRun()
	run.Environment = results.Environment{OS: "linux", Arch: "amd64", CPUModel: "Test CPU", LogicalCPUs: 2}
	run.Scenario.Name = "s"
	var b bytes.Buffer
	if err := WriteBenchfmt(&b, Export(run)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"goos: linux\n", "cpu: Test CPU\n", "scenario: s\n",
		"BenchmarkThumbnail/gomaxprocs=1/workers=4/replicas=1/method=fast 100 "} {
		if !strings.Contains(out, want) {
			t.Errorf("benchfmt lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\nBenchmarkThumbnail/"); n != 18 {
		t.Errorf("%d benchmark lines, want 18 (3 cells × 6 repeats)", n)
	}

	resolved, _ := json.Marshal(map[string]any{"thresholds": []map[string]any{{"metric": "p50", "max": "21ms", "where": map[string]string{"workers": "4"}}}})
	run.Scenario.Resolved = resolved
	ts, err := Thresholds(run)
	if err != nil || len(ts) != 1 {
		t.Fatalf("thresholds = %v, %v", ts, err)
	}
	res, err := Evaluate(ts, Summaries(Samples(run)))
	if err != nil || len(res) != 1 || res[0].Pass {
		t.Errorf("p50 of 23ms against max 21ms: %+v, %v; want one failed limit", res, err)
	}
	run.Scenario.Resolved = nil
	if ts, err := Thresholds(run); err != nil || ts != nil {
		t.Errorf("no resolved scenario: %v, %v", ts, err)
	}
}

// BenchmarkSamples measures deriving the comparison's samples of a run,
// the bootstrap of the USL fit included.
func BenchmarkSamples(b *testing.B) {
	run := samplesRun()
	for b.Loop() {
		Samples(run)
	}
}

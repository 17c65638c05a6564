package analysis

import (
	"math"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
)

// cpuRepeat is one repeat of a closed-loop window of elapsed seconds that
// finished jobs using cpu CPU-seconds while the machine was busy for busy
// CPU-seconds (negative: not recorded).
func cpuRepeat(i int, elapsed float64, jobs int64, cpu, busy float64) results.Repeat {
	r := results.Repeat{Index: i, Elapsed: elapsed, Jobs: jobs, Throughput: float64(jobs) / elapsed,
		Latency: results.Latency{Mean: 0.1, P50: 0.1, P90: 0.1, P99: 0.1, P999: 0.1, Max: 0.1}, Stages: cpuStages}
	r.Resources = results.Resources{UserCPU: cpu * 0.9, SysCPU: cpu * 0.1, JobsPerCPUSecond: float64(jobs) / cpu, HarnessCPU: 0.2 * elapsed}
	if busy >= 0 {
		r.Resources.Machine = &results.Machine{Busy: busy, Steal: 0.01 * elapsed, CPUs: 2}
	}
	return r
}

// cpuCell is a cell of the GOMAXPROCS series with workers 2 whose
// repeats are given.
func cpuCell(gomaxprocs int, reps ...results.Repeat) results.Cell {
	return results.Cell{Params: results.Params{GOMAXPROCS: gomaxprocs, Workers: 2, Replicas: 1}, Repeats: reps}
}

func cpuRun(cells ...results.Cell) *results.Run {
	run := &results.Run{SchemaVersion: results.SchemaVersion, Cells: cells}
	run.Scenario.Model = "closed"
	run.Scenario.Baseline = cells[0].Params
	run.Environment.LogicalCPUs = 2
	return run
}

// TestDecompositionSynthetic checks the factors, their product and the
// reasons on runs whose CPU and jobs are known.
func TestDecompositionSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name          string
		to            []results.Repeat
		cpu, work     float64 // the factors
		reasons       []string
		noReason      string
		unavailableOK bool
	}{
		{
			// The case: 1.78 cores, each job 32% dearer.
			name: "contention",
			to: []results.Repeat{
				cpuRepeat(0, 3, 379, 5.34, 5.34+0.1*3),
				cpuRepeat(1, 3, 380, 5.34, 5.34+0.1*3),
				cpuRepeat(2, 3, 381, 5.34, 5.34+0.1*3),
			},
			cpu: 1.78, work: 71.2 / 96,
			reasons:  []string{"each job cost 35% more CPU at GOMAXPROCS=2", "the cores were there; each job got more expensive (contention)"},
			noReason: "other processes",
		},
		{
			name: "other processes took the second core",
			to: []results.Repeat{
				cpuRepeat(0, 3, 390, 4.05, 4.05+0.45*3),
				cpuRepeat(1, 3, 389, 4.05, 4.05+0.45*3),
				cpuRepeat(2, 3, 391, 4.05, 4.05+0.45*3),
			},
			cpu: 1.35, work: 96.3 / 96,
			reasons: []string{"each job cost about the same CPU", "the measured processes used 1.3 of the 2 cores they could",
				"other processes took 0.45 of a core during this cell (the harness and its image server about 0.2 of it)"},
			noReason: "contention",
		},
		{
			name: "no /proc/stat",
			to: []results.Repeat{
				cpuRepeat(0, 3, 390, 4.05, -1),
				cpuRepeat(1, 3, 389, 4.05, -1),
				cpuRepeat(2, 3, 391, 4.05, -1),
			},
			cpu: 1.35, work: 96.3 / 96,
			reasons:       []string{"whether other processes took the rest is unavailable (the machine's CPU is read from /proc/stat, on Linux only)"},
			unavailableOK: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			busy := func(cpu float64) float64 {
				if tc.unavailableOK {
					return -1
				}
				return cpu + 0.1*3
			}
			from := cpuCell(1,
				cpuRepeat(0, 3, 287, 2.99, busy(2.99)),
				cpuRepeat(1, 3, 288, 3.0, busy(3.0)),
				cpuRepeat(2, 3, 289, 3.01, busy(3.01)))
			a := Analyze(cpuRun(from, cpuCell(2, tc.to...)))
			if len(a.Lessons) != 1 {
				t.Fatalf("%d lessons, want the GOMAXPROCS step: %+v", len(a.Lessons), a.Lessons)
			}
			l := a.Lessons[0]
			dc := l.Ratio.Decomposition
			if dc == nil {
				t.Fatal("the lesson's ratio has no decomposition")
			}
			if got := dc.Factors[0].Value; math.Abs(got/tc.cpu-1) > 0.01 {
				t.Errorf("CPU used %.3fx, want %.3fx", got, tc.cpu)
			}
			if got := dc.Factors[1].Value; math.Abs(got/tc.work-1) > 0.01 {
				t.Errorf("jobs per CPU-second %.3fx, want %.3fx", got, tc.work)
			}
			if !dc.Agrees() || math.Abs(dc.Product/l.Ratio.Value-1) > DecompositionTolerance {
				t.Errorf("product %.4f does not reproduce the ratio %.4f", dc.Product, l.Ratio.Value)
			}
			if dc.Ideal != 2 {
				t.Errorf("ideal %v, want 2", dc.Ideal)
			}
			for _, want := range tc.reasons {
				if !strings.Contains(dc.Sentence, want) {
					t.Errorf("sentence lacks %q:\n%s", want, dc.Sentence)
				}
			}
			if tc.noReason != "" && strings.Contains(dc.Sentence, tc.noReason) {
				t.Errorf("sentence says %q:\n%s", tc.noReason, dc.Sentence)
			}
			if (dc.Unavailable != "") != tc.unavailableOK {
				t.Errorf("unavailable %q", dc.Unavailable)
			}
			if !strings.Contains(l.Sentence, "Decomposed: "+dc.Sentence) {
				t.Errorf("the finding does not explain itself:\n%s", l.Sentence)
			}
			// The same pair of cells, decomposed alike wherever its ratio is.
			if got := a.Ratios[1].Throughput.Decomposition; got == nil || got.Sentence != dc.Sentence {
				t.Errorf("the ratio table's decomposition differs: %+v", got)
			}
		})
	}
}

// TestDecompositionBatch decomposes a batch's ratio of median makespans:
// the factors reproduce the throughput ratio, which is the makespan ratio
// only as far as the repeats agree; when they do not, the sentence says so.
func TestDecompositionBatch(t *testing.T) {
	batch := func(gomaxprocs int, spans ...float64) results.Cell {
		c := results.Cell{Params: results.Params{GOMAXPROCS: gomaxprocs, Workers: 2, Replicas: 1}}
		for i, s := range spans {
			c.Repeats = append(c.Repeats, results.Repeat{Index: i, Elapsed: s, Makespan: s, Jobs: 20, Throughput: 20 / s,
				Resources: results.Resources{UserCPU: 0.9 * s * float64(gomaxprocs), JobsPerCPUSecond: 20 / (0.9 * s * float64(gomaxprocs))},
				Latency:   results.Latency{Mean: 0.1, P50: 0.1, P90: 0.1, P99: 0.1, P999: 0.1, Max: 0.1}, Stages: cpuStages})
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		to     results.Cell
		agrees bool
	}{
		{"repeats agree", batch(2, 1.02, 1.0, 1.01), true},
		{"repeats disagree", batch(2, 0.5, 1.5), false}, // median makespan 1.0; median throughput 26.7, not 20
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := cpuRun(batch(1, 2, 2.02, 1.98), tc.to)
			run.Scenario.Model = "batch"
			run.Scenario.Load.Jobs = 20
			a := Analyze(run)
			if len(a.Lessons) != 1 || a.Lessons[0].Ratio.Decomposition == nil {
				t.Fatalf("lessons %+v", a.Lessons)
			}
			dc := a.Lessons[0].Ratio.Decomposition
			if dc.Agrees() != tc.agrees || strings.Contains(dc.Formula, "the repeats disagree") == tc.agrees {
				t.Errorf("ratio %.3f, product %.3f, formula %q: agrees %v, want %v", dc.Ratio, dc.Product, dc.Formula, dc.Agrees(), tc.agrees)
			}
		})
	}
}

// TestDecompositionRealRun decomposes a real run of the quickstart on a
// shared 2-core machine with a busy loop pinned to its second CPU (load
// average 2.2 to 2.7): every ratio's factors reproduce it within the
// tolerance, and the scale-up finding says who took the second core.
func TestDecompositionRealRun(t *testing.T) {
	run, err := results.Read("testdata/quickstart-busy.json")
	if err != nil {
		t.Fatal(err)
	}
	a := Analyze(run)
	n := 0
	check := func(what string, r Ratio) {
		if r.Decomposition == nil {
			return
		}
		n++
		dc := r.Decomposition
		if !dc.Agrees() {
			t.Errorf("%s: %s: product %.4f, ratio %.4f", what, r.Text, dc.Product, dc.Ratio)
		}
		if dc.From == nil || dc.To == nil {
			t.Errorf("%s: the machine's figures are missing from a run that recorded them", what)
		}
	}
	for _, r := range a.Ratios {
		check("ratio", r.Throughput)
	}
	for _, s := range a.Series {
		for _, p := range s.Points {
			check("speedup", p.Speedup)
		}
	}
	for _, l := range a.Lessons {
		check("lesson", l.Ratio)
	}
	if n < 8 {
		t.Errorf("%d decomposed ratios, want at least 8", n)
	}
	var up *Lesson
	for i := range a.Lessons {
		if a.Lessons[i].Dim == "gomaxprocs" {
			up = &a.Lessons[i]
		}
	}
	if up == nil {
		t.Fatal("no scale-up lesson")
	}
	if !strings.Contains(up.Sentence, "the measured processes used 1 of the 2 cores they could; other processes took 0.92 of a core during this cell") {
		t.Errorf("the scale-up finding does not explain its shortfall:\n%s", up.Sentence)
	}
}

// TestDecompositionMemory writes a memory step as admitted concurrency ×
// jobs per slot-second, and its finding as service time and time in
// queue.
func TestDecompositionMemory(t *testing.T) {
	cell := func(mem int64, tput, mean, queue float64) results.Cell {
		c := results.Cell{Params: results.Params{GOMAXPROCS: 1, Workers: 8, Replicas: 1, Memory: mem}}
		for i := range 3 {
			d := 1 + 0.01*float64(i-1)
			c.Repeats = append(c.Repeats, results.Repeat{Index: i, Elapsed: 3, Jobs: int64(3 * tput * d), Throughput: tput * d,
				Latency: results.Latency{Mean: mean, P50: mean, P90: mean, P99: mean, P999: mean, Max: mean},
				Stages:  results.Stages{"queue": queue, "fetch": 0.38, "decode": 0.01, "resize": 0.01}})
		}
		return c
	}
	run := cpuRun(cell(2<<20, 5, 1.6, 1.2), cell(4<<20, 10, 0.8, 0.4))
	a := Analyze(run)
	if len(a.Lessons) != 1 || a.Lessons[0].Dim != "memory" {
		t.Fatalf("lessons %+v", a.Lessons)
	}
	l := a.Lessons[0]
	dc := l.Ratio.Decomposition
	if dc == nil || dc.Factors[0].Name != FactorAdmitted || math.Abs(dc.Factors[0].Value-2) > 1e-9 ||
		math.Abs(dc.Factors[1].Value-1) > 1e-9 || !dc.Agrees() || dc.Ideal != 2 {
		t.Fatalf("decomposition %+v", dc)
	}
	for _, want := range []string{
		"2.00x = 2.00x admitted concurrency × 1.00x jobs per slot-second",
		"4 jobs in service at once, on average, against 2",
		"each job's service time stayed the same (400 ms → 400 ms)",
	} {
		if !strings.Contains(dc.Sentence, want) {
			t.Errorf("decomposition lacks %q:\n%s", want, dc.Sentence)
		}
	}
	if !strings.Contains(l.Sentence, "service time 400 ms → 400 ms, time in queue 1.2 s → 400 ms (means)") ||
		!strings.HasPrefix(l.Sentence, "Scalability (scale up), memory 2MiB → 4MiB with 8 workers: ") {
		t.Errorf("finding %q", l.Sentence)
	}
}

// TestDecompositionBusyButLinear says who else had the cores even when a
// step reached near its ideal: the machine's load is context for both
// cells.
func TestDecompositionBusyButLinear(t *testing.T) {
	from := cpuCell(1, cpuRepeat(0, 3, 150, 3, 3+0.9*3), cpuRepeat(1, 3, 150, 3, 3+0.9*3))
	to := cpuCell(2, cpuRepeat(0, 3, 285, 5.7, 5.7+0.2*3), cpuRepeat(1, 3, 285, 5.7, 5.7+0.2*3))
	dc := Analyze(cpuRun(from, to)).Ratios[1].Throughput.Decomposition
	if dc == nil || !strings.Contains(dc.Sentence, "other processes took 0.2 of a core during GOMAXPROCS=2 (0.9 during GOMAXPROCS=1)") {
		t.Errorf("decomposition %+v", dc)
	}
}

// TestDecompositionArticleRun decomposes a real run of the article on the
// shared machine: every ratio's factors reproduce it within the
// tolerance, memory's as admitted concurrency.
func TestDecompositionArticleRun(t *testing.T) {
	run, err := results.Read("testdata/article.json")
	if err != nil {
		t.Fatal(err)
	}
	a := Analyze(run)
	n := 0
	for _, l := range a.Lessons {
		if dc := l.Ratio.Decomposition; dc != nil {
			n++
			if !dc.Agrees() {
				t.Errorf("%s: product %.4f, ratio %.4f", l.Title, dc.Product, dc.Ratio)
			}
			if l.Dim == "memory" && dc.Factors[0].Name != FactorAdmitted {
				t.Errorf("memory step decomposed as %s", dc.Factors[0].Name)
			}
		}
		if l.Reference == nil && l.Dim != "method" {
			t.Errorf("%s: no reference to the article", l.Title)
		}
	}
	if n < 3 {
		t.Errorf("%d decomposed lessons, want memory, replicas and workers", n)
	}
}

// TestSplitSentenceNamesWhoTookTheCores: the split step of a real run,
// with the hypervisor made to take a third of a core from its split cell,
// says so in a whole sentence.
func TestSplitSentenceNamesWhoTookTheCores(t *testing.T) {
	run, err := results.Read("testdata/article.json")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i := range run.Cells {
		c := &run.Cells[i]
		if c.Params.Split != 2 {
			continue
		}
		for j := range c.Repeats {
			r := &c.Repeats[j]
			if r.Resources.Machine == nil {
				t.Skip("the run recorded no machine counters")
			}
			span := r.Resources.Machine.Wall
			if !(span > 0) {
				span = r.Elapsed
			}
			r.Resources.Machine.Steal = span / 3
			found = true
		}
	}
	if !found {
		t.Fatal("no split=2 cell in testdata/article.json")
	}
	for _, l := range Analyze(run).Lessons {
		if l.Dim != "split" {
			continue
		}
		if !strings.Contains(l.Sentence, " while ") || !strings.HasSuffix(l.Sentence, "the hypervisor took 0.33 of a core (steal time).") {
			t.Errorf("split lesson: %s", l.Sentence)
		}
		return
	}
	t.Error("no split lesson")
}

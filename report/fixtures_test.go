package report

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/metrics"
	"github.com/scalebench/scalebench/internal/results"
)

var update = flag.Bool("update", false, "rewrite testdata fixtures and golden files")

// Fixture names under testdata/.
const (
	quickstartFile = "testdata/quickstart.json"
	batchFile      = "testdata/batch.json"
)

var fixtureStart = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// jobModel is a synthetic thumbnail job: a network fetch and CPU work.
type jobModel struct {
	fetch, decode, resize, encode, write float64 // seconds
}

func (m jobModel) cpu() float64 { return m.decode + m.resize + m.encode }

// synthCell measures a made-up cell: throughput from a smooth minimum of
// the I/O limit (workers overlap fetches) and the CPU limit (cores), with
// latency from Little's law, all with seeded noise.
func synthCell(rng *rand.Rand, p results.Params, m jobModel, repeats int, window float64, seqBase int, batchJobs int) results.Cell {
	cell := results.Cell{Params: p}
	cores := float64(p.GOMAXPROCS * p.Replicas)
	w := float64(p.Workers * p.Replicas)
	// CPU stages stretch when more goroutines than cores compete.
	stretch := math.Max(1, 0.6*w/cores)
	cpu := m.cpu() * stretch
	xIO := w / (m.fetch + cpu)
	xCPU := cores / m.cpu() * 0.95
	x := math.Pow(math.Pow(xIO, -4)+math.Pow(xCPU, -4), -0.25)
	for r := 0; r < repeats; r++ {
		noise := 1 + 0.04*(rng.Float64()-0.5)
		xr := x * noise
		rep := results.Repeat{
			Index:   r,
			Seq:     seqBase + r,
			Started: fixtureStart.Add(time.Duration(seqBase+r) * 7 * time.Second),
		}
		var jobs int64
		if batchJobs > 0 {
			jobs = int64(batchJobs)
			// A batch of n jobs on w workers takes ceil(n/w) rounds.
			rounds := math.Ceil(float64(batchJobs) / w)
			rep.Makespan = rounds * (m.fetch + cpu) * noise
			rep.Elapsed = rep.Makespan
			xr = float64(batchJobs) / rep.Makespan
		} else {
			jobs = int64(xr * window)
			rep.Elapsed = window
		}
		rep.Jobs = jobs
		rep.Throughput = xr
		h := metrics.NewHistogram()
		mean := w / xr
		if batchJobs > 0 {
			mean = m.fetch + cpu
		}
		for j := int64(0); j < jobs; j++ {
			// Log-normal around the mean with a heavier tail.
			v := mean * math.Exp(0.25*rng.NormFloat64()-0.03)
			if rng.Float64() < 0.01 {
				v *= 2.5
			}
			us := int64(v * 1e6)
			_ = h.RecordValue(max(us, 1))
		}
		rep.Histogram = results.HistogramOf(h)
		rep.Latency = rep.Histogram.Latency()
		rep.Stages = results.Stages{"fetch": m.fetch * noise, "decode": m.decode * stretch, "resize": m.resize * stretch, "encode": m.encode * stretch, "write": m.write}
		util := math.Min(1, xr*m.cpu()/cores)
		cpuSec := util * rep.Elapsed * cores
		rep.Resources = results.Resources{UserCPU: cpuSec * 0.9, SysCPU: cpuSec * 0.1, MaxRSS: int64(30+4*w) << 20, CPUUtil: util, JobsPerCPUSecond: float64(jobs) / cpuSec}
		// Completions per 250 ms bucket with a warm-up ramp.
		bucket := 0.25
		nb := int(math.Ceil(rep.Elapsed / bucket))
		rep.Series = results.Series{Bucket: bucket, Completed: make([]int64, nb)}
		var done int64
		for b := 0; b < nb; b++ {
			width := math.Min(bucket, rep.Elapsed-float64(b)*bucket)
			ramp := math.Min(1, 0.55+0.15*float64(b))
			if batchJobs > 0 {
				ramp = 1
			}
			c := int64(math.Round(xr * width * ramp * (1 + 0.08*(rng.Float64()-0.5))))
			if batchJobs > 0 && (b == nb-1 || done+c > jobs) {
				c = jobs - done
			}
			rep.Series.Completed[b] = c
			done += c
		}
		cell.Repeats = append(cell.Repeats, rep)
	}
	return cell
}

// checks0 are the scenario package's default thresholds.
var checks0 = results.Checks{MaxErrorRate: 0.01, LittleTolerance: 0.10, MinJobs: 100}

func environment0() results.Environment {
	return results.Environment{
		ScalebenchVersion: "v0.1.0-test",
		GoVersion:         "go1.26.8",
		OS:                "linux",
		Arch:              "amd64",
		CPUModel:          "Synthetic CPU @ 3.00GHz",
		LogicalCPUs:       2,
		Hostname:          "ci-runner",
		Commit:            "abc1234",
		Started:           fixtureStart,
	}
}

// interleave fills run.Order and each repeat's Seq in A B C A B C order.
func interleave(run *results.Run, repeats int) {
	seq := 0
	for r := 0; r < repeats; r++ {
		for ci := range run.Cells {
			run.Order = append(run.Order, results.Step{Cell: ci, Repeat: r})
			if r < len(run.Cells[ci].Repeats) {
				run.Cells[ci].Repeats[r].Seq = seq
				run.Cells[ci].Repeats[r].Started = fixtureStart.Add(time.Duration(seq) * 7 * time.Second)
			}
			seq++
		}
	}
	run.Finished = fixtureStart.Add(time.Duration(seq) * 7 * time.Second)
}

// quickstartRun is a closed-loop run over GOMAXPROCS [1,2] × workers [1,2,4,8].
func quickstartRun() *results.Run {
	rng := rand.New(rand.NewPCG(1, 2))
	m := jobModel{fetch: 0.020, decode: 0.004, resize: 0.005, encode: 0.0012, write: 0.0001}
	run := &results.Run{
		SchemaVersion: results.SchemaVersion,
		Scenario: results.Scenario{
			Name:         "quickstart",
			Description:  "Thumbnails from a mock image server with 20 ms latency: workers (concurrency) × GOMAXPROCS (scale up).",
			File:         "scenarios/quickstart.yaml",
			Model:        "closed",
			Baseline:     results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1},
			ImageLatency: 0.020,
			Load:         results.Load{Repeats: 3, Warmup: 1, Window: 5, Timeout: 30},
			Checks:       checks0,
			Resolved:     json.RawMessage(`{"name":"quickstart","matrix":{"gomaxprocs":[1,2],"workers":[1,2,4,8]}}`),
			Source: "# The lesson's thumbnail generator, after https://example.org/lesson\n" +
				"name: quickstart\nmodel: closed\nmatrix:\n  gomaxprocs: [1, 2]\n  workers: [1, 2, 4, 8]\nrepeats: 3\n# </script> <b>not markup</b>\n",
		},
		Environment: environment0(),
	}
	for _, g := range []int{1, 2} {
		for _, w := range []int{1, 2, 4, 8} {
			p := results.Params{GOMAXPROCS: g, Workers: w, Replicas: 1}
			run.Cells = append(run.Cells, synthCell(rng, p, m, 3, 5, 0, 0))
		}
	}
	interleave(run, 3)
	return run
}

// batchRun is the lesson's five URLs fetched by 1, 2 and 5 workers.
func batchRun() *results.Run {
	rng := rand.New(rand.NewPCG(3, 4))
	m := jobModel{fetch: 0.340, decode: 0.006, resize: 0.008, encode: 0.002, write: 0.0002}
	run := &results.Run{
		SchemaVersion: results.SchemaVersion,
		Scenario: results.Scenario{
			Name:         "five-urls",
			Description:  "The lesson's batch: five image URLs, serially and one worker per URL.",
			Model:        "batch",
			Baseline:     results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1},
			ImageLatency: 0.340,
			Load:         results.Load{Repeats: 3, Warmup: 1, Timeout: 30, Jobs: 5},
			Checks:       checks0,
		},
		Environment: environment0(),
	}
	for _, w := range []int{1, 2, 5} {
		p := results.Params{GOMAXPROCS: 1, Workers: w, Replicas: 1}
		run.Cells = append(run.Cells, synthCell(rng, p, m, 3, 0, 0, 5))
	}
	interleave(run, 3)
	return run
}

// manyCellsRun is a large matrix: GOMAXPROCS 1..5 × workers 1..8, one repeat each.
func manyCellsRun() *results.Run {
	rng := rand.New(rand.NewPCG(5, 6))
	m := jobModel{fetch: 0.010, decode: 0.004, resize: 0.005, encode: 0.0012, write: 0.0001}
	run := &results.Run{
		SchemaVersion: results.SchemaVersion,
		Scenario: results.Scenario{
			Name: "big-matrix", Model: "closed",
			Load:     results.Load{Repeats: 1, Window: 1, Timeout: 30},
			Checks:   checks0,
			Baseline: results.Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1},
		},
		Environment: environment0(),
	}
	for g := 1; g <= 5; g++ {
		for w := 1; w <= 8; w++ {
			p := results.Params{GOMAXPROCS: g, Workers: w, Replicas: 1}
			run.Cells = append(run.Cells, synthCell(rng, p, m, 1, 1, 0, 0))
		}
	}
	interleave(run, 1)
	return run
}

// loadFixture reads a testdata run, rewriting it from its generator first
// under -update.
func loadFixture(t *testing.T, path string, gen func() *results.Run) *results.Run {
	t.Helper()
	if *update {
		if err := results.Write(path, gen()); err != nil {
			t.Fatal(err)
		}
	}
	run, err := results.Read(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	return run
}

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run go test ./report -update to accept):\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// variant returns a deep copy of run changed by f.
func variant(t *testing.T, run *results.Run, f func(*results.Run)) *results.Run {
	t.Helper()
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	var out results.Run
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	f(&out)
	return &out
}

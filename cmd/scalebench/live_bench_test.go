package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// overheadScenario is a CPU-bound cell: the naive thumbnail of a large
// image on two workers at GOMAXPROCS 2, which keeps both of this project's
// cores busy, so that any CPU the live view takes shows in its throughput.
const overheadScenario = `name: live-overhead
images: {latency: 0s, paths: [/640x480/ccc/aaa.jpg]}
thumbnail: {method: naive}
load: {duration: 3s, warmup: 500ms, repeats: 3}
matrix: {gomaxprocs: [2], workers: [2]}
`

// gridScenario is I/O-bound cells along two dimensions, a measurement a
// second: the report the live view draws after each has series, fits and
// lesson charts, so the harness's CPU shows what drawing costs.
const gridScenario = `name: live-grid
images: {latency: 20ms, paths: [/160x120/ccc/aaa.jpg]}
thumbnail: {width: 32, height: 32}
load: {duration: 1s, warmup: 200ms, repeats: 1}
matrix: {gomaxprocs: [1, 2], workers: [1, 2, 4, 8]}
`

// liveClients is how many browsers watch the live runs.
const liveClients = 20

// BenchmarkLiveOverhead measures what the live view costs: each iteration
// runs a scenario twice, without --live and with --live and liveClients
// clients reading its event stream, in alternating order, and records the
// first cell's median throughput and jobs per worker CPU-second and the
// harness's CPU time (user and system, the whole process) of each run. It
// reports the medians of each mode and, pair by pair, the throughput with
// over without; the log lists every run. Run it with several iterations:
// -bench LiveOverhead -benchtime 6x.
func BenchmarkLiveOverhead(b *testing.B) {
	for _, sc := range []struct{ name, text string }{
		{"cpu-bound", overheadScenario},
		{"grid", gridScenario},
	} {
		b.Run(sc.name, func(b *testing.B) { liveOverhead(b, sc.text) })
	}
}

func liveOverhead(b *testing.B, scenario string) {
	dir := b.TempDir()
	sc := writeFile(b, dir, "overhead.yaml", scenario)
	names := [2]string{"without --live", "with --live and 20 clients"}
	var runs [2][]overhead // by mode: 0 without --live, 1 with
	var ratios []float64   // each pair's throughput with over without
	n := 0
	for b.Loop() {
		var pair [2]overhead
		for k := range 2 {
			mode := (n + k) % 2 // alternate which mode goes first
			o := overheadRun(b, sc, filepath.Join(dir, fmt.Sprintf("run-%d", n*2+k)), mode == 1)
			pair[mode] = o
			runs[mode] = append(runs[mode], o)
			b.Logf("pair %d, %s: %.2f jobs/s, %.1f jobs per worker CPU-s, harness CPU %.2f s, %.3f s per measurement", n+1, names[mode], o.rate, o.perCPU, o.cpu, o.measCPU)
		}
		ratios = append(ratios, pair[1].rate/pair[0].rate)
		n++
	}
	for mode, name := range []string{"off", "live"} {
		rate, cpu, per := field(runs[mode], func(o overhead) float64 { return o.rate }), field(runs[mode], func(o overhead) float64 { return o.cpu }),
			field(runs[mode], func(o overhead) float64 { return o.perCPU })
		meas := field(runs[mode], func(o overhead) float64 { return o.measCPU })
		b.ReportMetric(medianOf(rate), "jobs/s-"+name)
		b.ReportMetric(medianOf(cpu), "harness-cpu-s-"+name)
		b.ReportMetric(medianOf(meas), "harness-cpu-s/measurement-"+name)
		b.Logf("%s: throughput median %.2f jobs/s (min %.2f, max %.2f); jobs per worker CPU-s median %.1f (min %.1f, max %.1f); "+
			"harness CPU median %.2f s (min %.2f, max %.2f), per measurement %.3f s (min %.3f, max %.3f)",
			names[mode], medianOf(rate), slices.Min(rate), slices.Max(rate), medianOf(per), slices.Min(per), slices.Max(per),
			medianOf(cpu), slices.Min(cpu), slices.Max(cpu), medianOf(meas), slices.Min(meas), slices.Max(meas))
	}
	b.ReportMetric(medianOf(ratios), "throughput-ratio")
	b.Logf("throughput with over without, pair by pair: median %.3f (min %.3f, max %.3f) over %d pairs", medianOf(ratios), slices.Min(ratios), slices.Max(ratios), len(ratios))
}

// overhead is what one run measured.
type overhead struct {
	rate   float64 // the first cell's median throughput, jobs/s
	perCPU float64 // its median jobs per CPU-second of the worker processes
	cpu    float64 // the harness's CPU time, user and system, seconds
	// measCPU is the median, over every measurement, of the harness's CPU
	// time while it measured (warm-up included): what competed with the
	// workers.
	measCPU float64
}

func field(os []overhead, f func(overhead) float64) []float64 {
	out := make([]float64, len(os))
	for i, o := range os {
		out[i] = f(o)
	}
	return out
}

// overheadRun runs the scenario into out, with the live view and its
// clients when live.
func overheadRun(b *testing.B, sc, out string, live bool) overhead {
	b.Helper()
	args := []string{"run", sc, "--out", out, "--quiet"}
	if live {
		args = append(args, "--live")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	if live {
		for lines.Scan() {
			if m := liveURL.FindStringSubmatch(lines.Text()); m != nil {
				for range liveClients {
					go readStream(ctx, m[1]+"events")
				}
				break
			}
		}
	}
	for lines.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("run: %v", err)
	}
	var run struct {
		Cells []struct {
			Repeats []struct {
				Throughput float64 `json:"throughput"`
				Resources  struct {
					JobsPerCPU float64 `json:"jobs_per_cpu_second"`
					HarnessCPU float64 `json:"harness_cpu"`
				} `json:"resources"`
			} `json:"repeats"`
		} `json:"cells"`
	}
	readResults(b, out, &run)
	var rates, per, meas []float64
	for _, r := range run.Cells[0].Repeats {
		rates = append(rates, r.Throughput)
		per = append(per, r.Resources.JobsPerCPU)
	}
	for _, c := range run.Cells {
		for _, r := range c.Repeats {
			meas = append(meas, r.Resources.HarnessCPU)
		}
	}
	return overhead{rate: medianOf(rates), perCPU: medianOf(per), measCPU: medianOf(meas),
		cpu: (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()}
}

// readStream reads an event stream, as a browser would, until it ends.
func readStream(ctx context.Context, url string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Package gobench turns Go benchmark output (go test -bench, in the format
// golang.org/x/perf's benchfmt reads) into a results record, so that
// benchmarks a project already has get what a scenario run gets: speedup
// and efficiency with GOMAXPROCS, Amdahl and USL fits, comparisons and
// the gate.
//
// Each benchmark (its full name without the GOMAXPROCS suffix) becomes a
// block, each -cpu value a cell of it at that GOMAXPROCS, and each result
// line (each -count) a repeat of the cell. The time per operation becomes
// the throughput, operations per second; the iterations, the jobs. No
// latency is recorded: a benchmark's time per operation is not the
// latency of one operation when the benchmark runs them in parallel. Every
// other unit (B/op, allocs/op, custom metrics) is kept with its repeat and
// listed as not placed.
package gobench

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/results"
)

// Workload is the name the record gives the workload of imported
// benchmarks.
const Workload = "gobench"

// ErrNoResults reports input holding no benchmark result line.
var ErrNoResults = errors.New("gobench: no benchmark results")

// Import is what Read made of Go benchmark output.
type Import struct {
	Run *results.Run
	// Unplaced lists the units the record has no place for, each with the
	// benchmarks that reported it: kept with each repeat's result line,
	// not drawn.
	Unplaced []Unplaced
	// Skipped lists result lines without a time per operation, which no
	// throughput can be made of.
	Skipped []string
}

// Unplaced is a unit the record has no figure for.
type Unplaced struct {
	Unit       string
	Benchmarks []string
}

// Options say how to record the import.
type Options struct {
	// Name names the run ("gobench" when empty); letters, digits, - and _.
	Name string
	// File names the input in the record and in errors.
	File string
	// Version is this scalebench's, for the record.
	Version string
}

// key identifies a cell: the benchmark and its GOMAXPROCS.
type key struct {
	bench string
	procs int
}

// Read reads Go benchmark output from r and returns its record.
func Read(r io.Reader, opt Options) (*Import, error) {
	name := opt.Name
	if name == "" {
		name = Workload
	}
	if !nameRE.MatchString(name) {
		return nil, fmt.Errorf("gobench: name %q: want letters, digits, - and _", name)
	}
	br := benchfmt.NewReader(r, opt.File)
	imp := &Import{}
	cells := map[key][]benchfmt.Result{}
	var order []key
	var benches []string // in the order first seen
	unplaced := map[string]map[string]bool{}
	env := results.Environment{ScalebenchVersion: opt.Version}
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, fmt.Errorf("gobench: %w", rec)
		case *benchfmt.Result:
			full := benchName(rec)
			secs, ok := rec.Value("sec/op")
			if !ok || !(secs > 0) || math.IsInf(secs, 0) {
				imp.Skipped = append(imp.Skipped, rec.Name.String())
				continue
			}
			for _, v := range rec.Values {
				if v.Unit != "sec/op" {
					u := unitOf(v)
					if unplaced[u] == nil {
						unplaced[u] = map[string]bool{}
					}
					unplaced[u][full] = true
				}
			}
			k := key{bench: full, procs: gomaxprocs(rec.Name)}
			if _, seen := cells[k]; !seen {
				order = append(order, k)
				if !slices.Contains(benches, full) {
					benches = append(benches, full)
				}
			}
			cells[k] = append(cells[k], *rec.Clone())
			env.OS = cmpOr(env.OS, rec.GetConfig("goos"))
			env.Arch = cmpOr(env.Arch, rec.GetConfig("goarch"))
			env.CPUModel = cmpOr(env.CPUModel, rec.GetConfig("cpu"))
			env.GoVersion = cmpOr(env.GoVersion, rec.GetConfig("go"))
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("gobench: read %s: %w", opt.File, err)
	}
	if len(order) == 0 {
		if len(imp.Skipped) > 0 {
			return nil, fmt.Errorf("%w: %d result lines, none with a time per operation (ns/op)", ErrNoResults, len(imp.Skipped))
		}
		return nil, fmt.Errorf("%w in %s: want the output of go test -bench", ErrNoResults, opt.File)
	}
	shown := displayNames(benches)
	for _, u := range slices.Sorted(maps.Keys(unplaced)) {
		var names []string
		for b := range unplaced[u] {
			names = append(names, shown[b])
		}
		slices.Sort(names)
		imp.Unplaced = append(imp.Unplaced, Unplaced{Unit: u, Benchmarks: names})
	}
	imp.Run = record(name, opt, env, benches, order, cells)
	if err := imp.Run.Validate(opt.File); err != nil {
		return nil, fmt.Errorf("gobench: %w", err)
	}
	return imp, nil
}

// record builds the results record of the cells, in the order order,
// of benchmarks benches.
func record(name string, opt Options, env results.Environment, benches []string, order []key, cells map[key][]benchfmt.Result) *results.Run {
	blocks := blockNames(benches)
	// Cells by benchmark, then by GOMAXPROCS, as a matrix lists them.
	slices.SortStableFunc(order, func(a, b key) int {
		if c := slices.Index(benches, a.bench) - slices.Index(benches, b.bench); c != 0 {
			return c
		}
		return a.procs - b.procs
	})
	run := &results.Run{
		SchemaVersion: results.SchemaVersion,
		Scenario: results.Scenario{
			Name:        name,
			Description: "Go benchmarks (go test -bench), imported",
			File:        opt.File,
			Model:       load.Closed,
			Workload: &results.Workload{
				Name:        Workload,
				Description: "Each job is one operation of a Go benchmark, b.N of them a result line; its time per operation (ns/op) is the throughput's inverse.",
				Stages:      []results.Stage{{Name: "op"}},
			},
			Checks: results.Checks{MaxErrorRate: 0.01, LittleTolerance: 0.1},
		},
		Environment: env,
	}
	maxRepeats, maxProcs := 0, 1
	for _, k := range order {
		maxRepeats = max(maxRepeats, len(cells[k]))
		maxProcs = max(maxProcs, k.procs)
	}
	run.Scenario.Load = results.Load{Repeats: maxRepeats}
	run.Environment.LogicalCPUs = maxProcs
	shown := displayNames(benches)
	for _, b := range benches {
		run.Scenario.Blocks = append(run.Scenario.Blocks, results.Block{
			Name: blocks[b], Summary: shown[b], Load: results.Load{Repeats: maxRepeats},
		})
	}
	seq := 0
	for ci, k := range order {
		c := results.Cell{Params: results.Params{Block: blocks[k.bench], GOMAXPROCS: k.procs, Workers: 1, Replicas: 1}}
		for i, res := range cells[k] {
			ns := nsPerOp(&res)
			rep := results.Repeat{
				Index: i, Seq: seq,
				Elapsed: ns * float64(res.Iters) / 1e9, Jobs: int64(res.Iters),
				Throughput: 1e9 / ns,
				Stages:     results.Stages{},
				Benchmark:  &results.Benchmark{Name: res.Name.String(), Iters: res.Iters},
			}
			for _, v := range res.Values {
				val := v.OrigValue
				if v.OrigUnit == "" {
					val = v.Value
				}
				rep.Benchmark.Values = append(rep.Benchmark.Values, results.Value{Value: val, Unit: unitOf(v)})
			}
			c.Repeats = append(c.Repeats, rep)
			run.Order = append(run.Order, results.Step{Cell: ci, Repeat: i})
			seq++
		}
		run.Cells = append(run.Cells, c)
	}
	first := order[0]
	run.Scenario.Baseline = results.Params{Block: blocks[first.bench], GOMAXPROCS: first.procs, Workers: 1, Replicas: 1}
	run.Finished = time.Now()
	return run
}

// nsPerOp is a result's time per operation in nanoseconds, as written
// when it was written in them.
func nsPerOp(r *benchfmt.Result) float64 {
	for _, v := range r.Values {
		if v.Unit == "sec/op" {
			if v.OrigUnit == "ns/op" {
				return v.OrigValue
			}
			return v.Value * 1e9
		}
	}
	return math.NaN()
}

// unitOf is a value's unit as the benchmark wrote it.
func unitOf(v benchfmt.Value) string {
	if v.OrigUnit != "" {
		return v.OrigUnit
	}
	return v.Unit
}

// benchName is a result's name without its GOMAXPROCS suffix, after the
// package it came from and a space: "example.com/x Sum/n=10".
func benchName(r *benchfmt.Result) string {
	base, parts := r.Name.Parts()
	var b strings.Builder
	b.Write(base)
	for _, p := range parts {
		if len(p) > 0 && p[0] == '-' {
			continue // GOMAXPROCS
		}
		b.Write(p)
	}
	return r.GetConfig("pkg") + " " + b.String()
}

// gomaxprocs is the GOMAXPROCS a result's name ends with, "-4"; go test
// writes none for 1.
func gomaxprocs(n benchfmt.Name) int {
	_, parts := n.Parts()
	if len(parts) > 0 {
		if p := parts[len(parts)-1]; len(p) > 1 && p[0] == '-' {
			if v, err := strconv.Atoi(string(p[1:])); err == nil && v > 0 {
				return v
			}
		}
	}
	return 1
}

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
	notName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
)

// blockNames gives each benchmark a block name of letters, digits, - and
// _: its name without the package, its other characters turned into _,
// the package's last element added when two packages share a benchmark's
// name, a number when they still clash.
func blockNames(benches []string) map[string]string {
	short := func(b string, withPkg bool) string {
		pkg, name, _ := strings.Cut(b, " ")
		if withPkg && pkg != "" {
			name = pkg[strings.LastIndex(pkg, "/")+1:] + "." + name
		}
		name = strings.Trim(notName.ReplaceAllString(name, "_"), "_")
		if name == "" {
			name = "benchmark"
		}
		return name[:min(len(name), 80)]
	}
	count := map[string]int{}
	for _, b := range benches {
		count[short(b, false)]++
	}
	out := map[string]string{}
	used := map[string]bool{}
	for _, b := range benches {
		n := short(b, count[short(b, false)] > 1)
		for i := 2; used[n]; i++ {
			n = fmt.Sprintf("%s_%d", short(b, true), i)
		}
		used[n] = true
		out[b] = n
	}
	return out
}

// displayNames names each benchmark as go test does, "BenchmarkSum/n=10",
// after its package when the output holds several,
// "example.com/x.BenchmarkSum/n=10".
func displayNames(benches []string) map[string]string {
	pkgs := map[string]bool{}
	for _, b := range benches {
		pkg, _, _ := strings.Cut(b, " ")
		pkgs[pkg] = true
	}
	out := map[string]string{}
	for _, b := range benches {
		pkg, name, _ := strings.Cut(b, " ")
		name = "Benchmark" + name
		if len(pkgs) > 1 && pkg != "" {
			name = pkg + "." + name
		}
		out[b] = name
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

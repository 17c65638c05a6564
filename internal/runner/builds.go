package runner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/scenario"
	"github.com/scalebench/scalebench/internal/worker"
	"github.com/scalebench/scalebench/internal/workload"
)

// BuildWorker is one build of an A/B run: its record and the argv that
// starts one of its worker processes.
type BuildWorker struct {
	results.Build
	// Argv starts a worker process of this build: its executable and "worker".
	Argv []string
	// Slices is true when the build's workers run sliced specs.
	Slices bool
	// Description is what the build said of itself: its workloads among
	// the rest. The running executable's lists this one's.
	Description worker.Description
}

// CheckWorkload fails for a workload the build lacks, naming those it
// has.
func (b BuildWorker) CheckWorkload(name string) error {
	return b.Description.CheckWorkload(b.Path, name)
}

// SelfBuild is the path that names the running executable in --build.
const SelfBuild = "self"

// ResolveBuild prepares build name at path for an A/B run: path "self"
// means the running executable; any other is asked to describe itself
// (worker.Describe), and must speak this harness's worker protocol.
func ResolveBuild(ctx context.Context, name, path, version, commit string) (BuildWorker, error) {
	if err := scenario.CheckBuildName(name); err != nil {
		return BuildWorker{}, err
	}
	if path == SelfBuild {
		exe, err := os.Executable()
		if err != nil {
			return BuildWorker{}, fmt.Errorf("build %s: find this executable: %w", name, err)
		}
		return BuildWorker{
			Build:  results.Build{Name: name, Path: exe, Self: true, Version: version, Commit: commit, Protocol: worker.ProtocolVersion},
			Argv:   []string{exe, "worker"},
			Slices: true,
			Description: worker.Description{Version: version, Commit: commit, Protocol: worker.ProtocolVersion,
				Slices: true, Workloads: workload.Names()},
		}, nil
	}
	d, err := worker.Describe(ctx, path)
	if err != nil {
		return BuildWorker{}, fmt.Errorf("build %s: %w", name, err)
	}
	if d.Protocol != worker.ProtocolVersion {
		return BuildWorker{}, fmt.Errorf("build %s: %s (scalebench %s) speaks worker protocol %d, this harness speaks %d: "+
			"rebuild both builds from commits with the same worker protocol, or run each on its own and compare the result files with `scalebench compare BASE.json HEAD.json`",
			name, path, d.Version, d.Protocol, worker.ProtocolVersion)
	}
	return BuildWorker{
		Build:       results.Build{Name: name, Path: path, Version: d.Version, Commit: d.Commit, Protocol: d.Protocol},
		Argv:        []string{path, "worker"},
		Slices:      d.Slices,
		Description: d,
	}, nil
}

// expand returns the cells and the run order of sc's plan with every cell
// measured by each build: cell c of the scenario becomes cells
// c×len(builds)+b, and each repeat of it visits the builds back to back, in
// an order drawn from order for that repeat. Without builds it returns the
// scenario's own cells and plan.
func expand(sc *scenario.Scenario, builds []BuildWorker, order *rand.Rand) ([]scenario.Params, []results.Step) {
	cells, plan := sc.Cells(), sc.Plan()
	nb := len(builds)
	if nb == 0 {
		steps := make([]results.Step, len(plan))
		for i, s := range plan {
			steps[i] = results.Step{Cell: s.Cell, Repeat: s.Repeat}
		}
		return cells, steps
	}
	out := make([]scenario.Params, 0, len(cells)*nb)
	for _, c := range cells {
		for _, b := range builds {
			c.Build = b.Name
			out = append(out, c)
		}
	}
	steps := make([]results.Step, 0, len(plan)*nb)
	for _, s := range plan {
		steps = append(steps, visit(s.Cell, s.Repeat, results.RoundMain, nb, order)...)
	}
	return out, steps
}

// visit is one repeat of scenario cell c by each of nb builds back to
// back, in an order drawn at random: whichever slot is slower (a burst, the
// cache of the one before), each build is as likely to get it, which is
// what makes the paired comparison's p-values exact for an A/A run.
func visit(c, repeat, round, nb int, order *rand.Rand) []results.Step {
	steps := make([]results.Step, nb)
	for slot, b := range order.Perm(nb) {
		steps[slot] = results.Step{Cell: c*nb + b, Repeat: repeat, Round: round}
	}
	return steps
}

// NewOrder returns a source of build orders seeded at random.
func NewOrder() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }

// Interleave returns one more repeat of each of the given cells of an A/B
// run, measured by every build of the cell's group (the cells that differ
// only by build), in round round: for each group, the builds back to back
// in an order drawn from order. The repeat number follows the group's
// highest so far (in a sliced run, the step is a session, whose pairs of
// slices number on from it).
func Interleave(run *results.Run, cells []int, round int, order *rand.Rand) []results.Step {
	nb := max(len(run.Builds), 1)
	seen := map[int]bool{}
	var steps []results.Step
	for _, c := range cells {
		g := c / nb
		if c < 0 || c >= len(run.Cells) || seen[g] {
			continue
		}
		seen[g] = true
		repeat := 0
		for b := range nb {
			for _, r := range run.Cells[g*nb+b].Repeats {
				repeat = max(repeat, r.Index+1)
			}
		}
		steps = append(steps, visit(g, repeat, round, nb, order)...)
	}
	return steps
}

// workerArgv is the argv that starts a worker process for cell p.
func (opt Options) workerArgv(p scenario.Params) []string {
	for _, b := range opt.Builds {
		if b.Name == p.Build {
			return b.Argv
		}
	}
	return opt.Worker
}

// extraWork is the synthetic slowdown of the build that measures cell p.
func (opt Options) extraWork(p scenario.Params) float64 {
	for _, b := range opt.Builds {
		if b.Name == p.Build {
			return b.ExtraWork
		}
	}
	return 0
}

// builds returns the records of opt's builds for the results.
func (opt Options) builds() []results.Build {
	var out []results.Build
	for _, b := range opt.Builds {
		out = append(out, b.Build)
	}
	return out
}

// seedParams is the part of p a worker's random seed depends on: every
// build sees the same arrivals and image order for the same cell.
func seedParams(p scenario.Params) scenario.Params { return param.Build.Without(p) }

// baselineOf is the run's baseline cell: the scenario's, measured by the
// first build in an A/B run.
func baselineOf(sc *scenario.Scenario, builds []BuildWorker) scenario.Params {
	b := sc.Baseline
	if len(builds) > 0 {
		b.Build = builds[0].Name
	}
	return b
}

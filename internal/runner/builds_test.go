package runner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/results"
	"github.com/scalebench/scalebench/internal/worker"
)

func TestResolveBuildRejectsBadInput(t *testing.T) {
	for _, tc := range []struct{ name, path, want string }{
		{"", "self", "build name"},
		{"a b", "self", "build name"},
		{"head", "/nonexistent/scalebench", "describe /nonexistent/scalebench"},
	} {
		_, err := ResolveBuild(context.Background(), tc.name, tc.path, "v", "c")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ResolveBuild(%q, %q) = %v, want an error with %q", tc.name, tc.path, err, tc.want)
		}
	}
	b, err := ResolveBuild(context.Background(), "head", SelfBuild, "v", "c")
	if err != nil || !b.Self || b.Protocol != worker.ProtocolVersion || b.Argv[len(b.Argv)-1] != "worker" {
		t.Errorf("self build = %+v, %v", b, err)
	}
}

// TestRunWithBuilds: every cell is measured by each build, back to back
// in the order the run's source draws, and More's extra rounds are
// recorded.
func TestRunWithBuilds(t *testing.T) {
	sc := parse(t, `name: t
images: {latency: 5ms, paths: [/64x48/ccc/aaa.jpg]}
thumbnail: {width: 16, height: 16}
load: {duration: 150ms, warmup: 20ms, repeats: 2}
matrix: {gomaxprocs: [1], workers: [1, 2]}
`)
	opt := testOptions()
	for _, name := range []string{"base", "head"} {
		opt.Builds = append(opt.Builds, BuildWorker{
			Build: results.Build{Name: name, Path: os.Args[0], Version: "test", Protocol: worker.ProtocolVersion},
			Argv:  []string{os.Args[0]},
		})
	}
	opt.Order = rand.New(rand.NewPCG(1, 2))
	want := rand.New(rand.NewPCG(1, 2)) // draws the same orders
	asked := 0
	opt.More = func(run *results.Run) []results.Step {
		asked++
		if asked > 1 {
			return nil
		}
		return Interleave(run, []int{3}, results.RoundConfirm, opt.Order) // workers=2 head: the pair's group
	}
	run, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Cells) != 4 || len(run.Builds) != 2 {
		t.Fatalf("%d cells and %d builds, want 4 and 2", len(run.Cells), len(run.Builds))
	}
	var order []string
	for _, s := range run.Order {
		order = append(order, fmt.Sprintf("%s/w%d/r%d/%d", run.Cells[s.Cell].Params.Build, run.Cells[s.Cell].Params.Workers, s.Repeat, s.Round))
	}
	var wantOrder []string
	for _, s := range []struct{ workers, repeat, round int }{{1, 0, 0}, {2, 0, 0}, {1, 1, 0}, {2, 1, 0}, {2, 2, 1}} {
		for _, b := range want.Perm(2) {
			wantOrder = append(wantOrder, fmt.Sprintf("%s/w%d/r%d/%d", []string{"base", "head"}[b], s.workers, s.repeat, s.round))
		}
	}
	if got, w := strings.Join(order, " "), strings.Join(wantOrder, " "); got != w {
		t.Errorf("order\n got %s\nwant %s", got, w)
	}
	for i, c := range run.Cells {
		n := 2
		if i >= 2 {
			n = 3
		}
		if len(c.Repeats) != n {
			t.Errorf("cell %s: %d repeats, want %d", c.Params, len(c.Repeats), n)
		}
		if last := c.Repeats[len(c.Repeats)-1]; i >= 2 && last.Round != results.RoundConfirm {
			t.Errorf("cell %s: last repeat in round %d, want the confirmation", c.Params, last.Round)
		}
	}
}

// TestResolveBuildChecksProtocol: a build that speaks another worker
// protocol, or too old to tell, is refused before anything is measured.
func TestResolveBuildChecksProtocol(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, script, want string
	}{
		{"future", `echo '{"version":"v9","protocol":` + fmt.Sprint(worker.ProtocolVersion+1) + `}'`,
			fmt.Sprintf("speaks worker protocol %d, this harness speaks %d", worker.ProtocolVersion+1, worker.ProtocolVersion)},
		{"old", `[ "$1" = --version ] && echo 'scalebench version v0.1' && exit 0; echo 'unknown flag' >&2; exit 2`,
			"scalebench version v0.1 does not tell its worker protocol, so it predates versioned worker protocols"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			_, err := ResolveBuild(context.Background(), "base", path, "v", "c")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "scalebench compare") {
				t.Errorf("err = %v, want it to say %q and what to do", err, tc.want)
			}
		})
	}
}

package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/scalebench/scalebench/internal/compare"
	"github.com/scalebench/scalebench/internal/results"
)

// abRunOf makes an A/B run of one cell: base and head throughputs per
// repeat for the main round, then for the confirmation round.
func abRunOf(base, head, confirmBase, confirmHead []float64) *results.Run {
	run := &results.Run{
		Scenario: results.Scenario{Name: "t", Model: "closed"},
		Builds:   []results.Build{{Name: "base"}, {Name: "head"}},
	}
	for _, b := range []struct {
		name       string
		main, conf []float64
	}{{"base", base, confirmBase}, {"head", head, confirmHead}} {
		c := results.Cell{Params: results.Params{GOMAXPROCS: 1, Workers: 4, Replicas: 1, Build: b.name}}
		for round, xs := range [][]float64{b.main, b.conf} {
			for _, x := range xs {
				c.Repeats = append(c.Repeats, results.Repeat{Index: len(c.Repeats), Round: round, Throughput: x, Jobs: 100})
			}
		}
		run.Cells = append(run.Cells, c)
	}
	for i := range run.Cells[0].Repeats {
		for c := range run.Cells {
			run.Order = append(run.Order, results.Step{Cell: c, Repeat: i, Round: run.Cells[c].Repeats[i].Round})
		}
	}
	return run
}

func TestSplitBuilds(t *testing.T) {
	run := abRunOf([]float64{1, 2}, []float64{3, 4}, nil, nil)
	base, head, err := SplitBuilds(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Cells) != 1 || base.Cells[0].Params.Build != "" || base.Cells[0].Repeats[1].Throughput != 2 ||
		head.Cells[0].Repeats[0].Throughput != 3 || len(head.Order) != 2 || head.Order[1].Cell != 0 {
		t.Errorf("split into base %+v and head %+v", base.Cells, head.Cells)
	}
	plain := &results.Run{Cells: []results.Cell{{Params: results.Params{Workers: 1}}}}
	var ue *compare.UnusableError
	if _, _, err := SplitBuilds(plain); !errors.As(err, &ue) || !strings.Contains(err.Error(), "no build dimension") {
		t.Errorf("a run without builds: %v", err)
	}
	three := abRunOf(nil, nil, nil, nil)
	three.Cells[0].Params.Build, three.Cells[1].Params.Build = "a", "b"
	three.Cells = append(three.Cells, results.Cell{Params: results.Params{Build: "c"}})
	if _, _, err := SplitBuilds(three); !errors.As(err, &ue) || !strings.Contains(err.Error(), "a, b, c") {
		t.Errorf("three unnamed builds: %v", err)
	}
}

// TestJudgeConfirms: a worse row fails only when the confirmation round on
// its own also says worse.
func TestJudgeConfirms(t *testing.T) {
	same := []float64{100, 101, 99, 100, 102, 98, 100, 101}
	slow := []float64{75, 76, 74, 75, 77, 73, 75, 76}
	gate, err := compare.ParseFailOn("throughput:-5%")
	if err != nil {
		t.Fatal(err)
	}
	gate.Only = []compare.Metric{compare.Throughput}
	for _, tc := range []struct {
		name          string
		run           *results.Run
		want          compare.Verdict
		code          compare.ExitCode
		warn          string
		confirmedRows int
	}{
		{"worse, no confirmation", abRunOf(same, slow, nil, nil), compare.Worse, compare.ExitWorse, "", 0},
		{"worse, confirmed", abRunOf(same, slow, same, slow), compare.Worse, compare.ExitWorse, "confirmed", 1},
		{"worse, not confirmed", abRunOf(same, slow, same, same), compare.Same, compare.ExitOK, "not failing", 1},
		{"same needs no confirmation", abRunOf(same, same, nil, nil), compare.Same, compare.ExitOK, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := judge(tc.run, gate)
			if err != nil {
				t.Fatal(err)
			}
			r := v.Final.Rows[0]
			if r.Metric != compare.Throughput || r.Verdict != tc.want || v.Final.Outcome().Code != tc.code {
				t.Errorf("%s %s, exit %d; want %s, exit %d", r.Metric, r.Verdict, v.Final.Outcome().Code, tc.want, tc.code)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(r.Warnings, " "), tc.warn) {
				t.Errorf("warnings %q lack %q", r.Warnings, tc.warn)
			}
			n := 0
			if v.Confirm != nil {
				n = len(v.Confirm.Rows)
			}
			if n != tc.confirmedRows {
				t.Errorf("confirmation compared %d rows, want %d: only the rows found worse", n, tc.confirmedRows)
			}
		})
	}
}

func TestOpenCellsAreThoseInconclusive(t *testing.T) {
	run := abRunOf([]float64{1, 2}, []float64{3, 4}, nil, nil)
	run.Cells = append(run.Cells, results.Cell{Params: results.Params{Workers: 8, Build: "base"}}, results.Cell{Params: results.Params{Workers: 8, Build: "head"}})
	res, err := compare.Compare(compare.PairCells(roundSamples(onlyBuild(run, "base"), 0), roundSamples(onlyBuild(run, "head"), 0)), compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	open := openCells(run, res)
	if len(open) != 1 || open[0] != 0 {
		t.Errorf("open cells %v, want [0]: the workers=8 pair has no repeats and is unpaired", open)
	}
	if !strings.Contains(openList(res), "workers=4 replicas=1 (throughput") {
		t.Errorf("open list %q", openList(res))
	}
}

package history

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/param"
	"github.com/scalebench/scalebench/internal/results"
)

// Filter selects runs. Empty fields select every run.
type Filter struct {
	// Branch, Scenario (a name) and Testbed (a label or fingerprint) must
	// match exactly.
	Branch, Scenario, Testbed string
	// Last keeps each series' (or for Runs, the list's) last N runs; 0
	// keeps all.
	Last int
}

// RunInfo is a stored run without its values.
type RunInfo struct {
	ID        int64
	TestbedID int64
	Testbed   Testbed
	Scenario  Scenario
	Branch    string
	Commit    string
	Time      time.Time
	Added     time.Time
	Version   string
	File      string
	// Interrupted runs stopped before their plan finished.
	Interrupted bool
	Builds      []Build
	// Points is how many series values the run holds.
	Points int
	// order is the run's place in time order among the runs read.
	order int
}

// testbeds reads the testbeds, by ID.
func (s *Store) testbeds(ctx context.Context) (map[int64]Testbed, error) {
	return byID(ctx, s, "testbeds", `SELECT id, label, cpu_model, cpus, cpu_quota, os, arch, kernel, go_version FROM testbeds`,
		func(t *Testbed) []any {
			return []any{&t.Label, &t.CPUModel, &t.CPUs, &t.CPUQuota, &t.OS, &t.Arch, &t.Kernel, &t.GoVersion}
		})
}

// scenarios reads the scenarios, by ID.
func (s *Store) scenarios(ctx context.Context) (map[int64]Scenario, error) {
	return byID(ctx, s, "scenarios", `SELECT id, name, hash, resolved FROM scenarios`,
		func(sc *Scenario) []any { return []any{&sc.Name, &sc.Hash, &sc.Resolved} })
}

// byID reads a table whose first column is its ID; fields gives the
// destinations of the other columns in a row.
func byID[T any](ctx context.Context, s *Store, table, query string, fields func(*T) []any) (map[int64]T, error) {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read %s from %s: %w", table, s.Where, err)
	}
	defer rows.Close()
	out := map[int64]T{}
	for rows.Next() {
		var id int64
		var v T
		if err := rows.Scan(append([]any{&id}, fields(&v)...)...); err != nil {
			return nil, fmt.Errorf("read %s from %s: %w", table, s.Where, err)
		}
		out[id] = v
	}
	return out, rows.Err()
}

func (t Testbed) matches(name string) bool {
	if name == "" {
		return true
	}
	fp := t.Fingerprint()
	return t.Label == name || t.Name() == name || len(name) >= 6 && strings.HasPrefix(fp, name)
}

// Runs returns the runs f selects in time order (with f.Last, the last
// f.Last of them).
func (s *Store) Runs(ctx context.Context, f Filter) ([]*RunInfo, error) {
	runs, err := s.runs(ctx, f)
	if err != nil {
		return nil, err
	}
	if f.Last > 0 && len(runs) > f.Last {
		runs = runs[len(runs)-f.Last:]
	}
	// Builds and point counts, for the runs listed.
	ids := map[int64]*RunInfo{}
	for _, r := range runs {
		ids[r.ID] = r
	}
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, name, path, version, commit_id, protocol, extra_work FROM builds ORDER BY run_id, name`)
	if err != nil {
		return nil, fmt.Errorf("read builds from %s: %w", s.Where, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b Build
		if err := rows.Scan(&id, &b.Name, &b.Path, &b.Version, &b.Commit, &b.Protocol, &b.ExtraWork); err != nil {
			return nil, fmt.Errorf("read builds from %s: %w", s.Where, err)
		}
		if r := ids[id]; r != nil {
			r.Builds = append(r.Builds, b)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(runs) > 0 && len(runs) <= 1000 {
		q := `SELECT run_id, count(*) FROM points WHERE run_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(runs)), ", ") + `) GROUP BY run_id`
		args := make([]any, len(runs))
		for i, r := range runs {
			args[i] = r.ID
		}
		rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
		if err != nil {
			return nil, fmt.Errorf("count points in %s: %w", s.Where, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return nil, err
			}
			if r := ids[id]; r != nil {
				r.Points = n
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// runs reads the runs f's branch, scenario and testbed select, in time
// order.
func (s *Store) runs(ctx context.Context, f Filter) ([]*RunInfo, error) {
	tbs, err := s.testbeds(ctx)
	if err != nil {
		return nil, err
	}
	scs, err := s.scenarios(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, testbed_id, scenario_id, branch, commit_id, started, added, version, file, interrupted FROM runs`
	var args []any
	if f.Branch != "" {
		q += ` WHERE branch = ?`
		args = append(args, f.Branch)
	}
	q += ` ORDER BY started, id`
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read runs from %s: %w", s.Where, err)
	}
	defer rows.Close()
	var out []*RunInfo
	for rows.Next() {
		r := &RunInfo{}
		var sc int64
		var started, added int64
		var interrupted int
		if err := rows.Scan(&r.ID, &r.TestbedID, &sc, &r.Branch, &r.Commit, &started, &added, &r.Version, &r.File, &interrupted); err != nil {
			return nil, fmt.Errorf("read runs from %s: %w", s.Where, err)
		}
		r.Testbed, r.Scenario = tbs[r.TestbedID], scs[sc]
		r.Time, r.Added = time.UnixMicro(started).UTC(), time.UnixMicro(added).UTC()
		r.Interrupted = interrupted != 0
		if (f.Scenario != "" && r.Scenario.Name != f.Scenario) || !r.Testbed.matches(f.Testbed) {
			continue
		}
		r.order = len(out)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SeriesInfo is one series: a testbed, a scenario, a cell and a metric.
type SeriesInfo struct {
	ID       int64
	Testbed  Testbed
	Scenario Scenario
	Cell     string
	Params   results.Params
	Metric   metric.Metric
}

// Trend is a series' values on one branch, in time order.
type Trend struct {
	SeriesInfo
	Branch string
	Points []Point
}

// Point is one run's values of a series.
type Point struct {
	Run    *RunInfo
	Median float64
	// Repeats holds each repeat's value (when read with repeats).
	Repeats []float64
}

// Medians returns the trend's medians, in order.
func (t *Trend) Medians() []float64 {
	xs := make([]float64, len(t.Points))
	for i, p := range t.Points {
		xs[i] = p.Median
	}
	return xs
}

// Title names the trend: "ci · workers=4 · throughput · main · testbed".
func (t *Trend) Title() string {
	return fmt.Sprintf("%s · %s · %s · %s · %s", t.Scenario.Name, t.Cell, t.Metric, t.Branch, t.Testbed.Name())
}

// SeriesFilter selects trends.
type SeriesFilter struct {
	Filter
	// Metrics lists the metrics wanted; none means every one.
	Metrics []metric.Metric
	// Cell holds name=value pairs a cell must have, e.g. workers=4.
	Cell map[string]string
	// Repeats reads each point's repeats too.
	Repeats bool
}

// ParseCell reads a cell selector, "workers=4,gomaxprocs=1" (commas or
// spaces between pairs), naming the valid dimensions when one is unknown.
func ParseCell(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("cell %q: want name=value pairs such as workers=4,gomaxprocs=1, got %q", s, pair)
		}
		if param.Lookup(k) == nil {
			var names []string
			for _, d := range param.Dimensions {
				names = append(names, d.Name)
			}
			return nil, fmt.Errorf("cell %q: unknown dimension %q (valid: %s)", s, k, strings.Join(names, ", "))
		}
		out[k] = v
	}
	return out, nil
}

// selects reports whether a cell's params have every value sel names.
func selects(sel map[string]string, p results.Params) bool {
	for k, v := range sel {
		d := param.Lookup(k)
		if d == nil || d.Key(p) != v && d.Label(p) != v {
			return false
		}
	}
	return true
}

// Trends returns the trends f selects: each series' points on each
// branch, in time order, ordered by scenario, testbed, cell, metric and
// branch. Series never mix testbeds or branches.
func (s *Store) Trends(ctx context.Context, f SeriesFilter) ([]*Trend, error) {
	runs, err := s.runs(ctx, f.Filter)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*RunInfo, len(runs))
	for _, r := range runs {
		byID[r.ID] = r
	}
	series, err := s.series(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(series) == 0 || len(runs) == 0 {
		return nil, nil
	}
	cols := `series_id, run_id, median`
	if f.Repeats {
		cols += `, repeats`
	}
	q := `SELECT ` + cols + ` FROM points`
	var args []any
	if len(series) <= 500 {
		q += ` WHERE series_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(series)), ", ") + `)`
		for id := range series {
			args = append(args, id)
		}
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read points from %s: %w", s.Where, err)
	}
	defer rows.Close()
	type key struct {
		series int64
		branch string
	}
	trends := map[key]*Trend{}
	var sid, rid int64
	var med float64
	var blob []byte
	dest := []any{&sid, &rid, &med}
	if f.Repeats {
		dest = append(dest, &blob)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read points from %s: %w", s.Where, err)
		}
		si, r := series[sid], byID[rid]
		if si == nil || r == nil {
			continue
		}
		k := key{sid, r.Branch}
		t := trends[k]
		if t == nil {
			t = &Trend{SeriesInfo: *si, Branch: r.Branch}
			trends[k] = t
		}
		p := Point{Run: r, Median: med}
		if f.Repeats {
			if p.Repeats, err = decodeValues(blob); err != nil {
				return nil, fmt.Errorf("read points from %s: run %d, series %d: %w", s.Where, rid, sid, err)
			}
		}
		t.Points = append(t.Points, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read points from %s: %w", s.Where, err)
	}
	out := make([]*Trend, 0, len(trends))
	for _, t := range trends {
		slices.SortFunc(t.Points, func(a, b Point) int { return a.Run.order - b.Run.order })
		if f.Last > 0 && len(t.Points) > f.Last {
			t.Points = t.Points[len(t.Points)-f.Last:]
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Trend) int {
		return cmp.Or(
			cmp.Compare(a.Scenario.Name, b.Scenario.Name),
			cmp.Compare(a.Scenario.Hash, b.Scenario.Hash),
			cmp.Compare(a.Testbed.Name(), b.Testbed.Name()),
			param.Compare(a.Params, b.Params),
			a.Metric.Order()-b.Metric.Order(),
			cmp.Compare(a.Branch, b.Branch),
		)
	})
	return out, nil
}

// series reads the series f's scenario, testbed, metrics and cell select.
func (s *Store) series(ctx context.Context, f SeriesFilter) (map[int64]*SeriesInfo, error) {
	tbs, err := s.testbeds(ctx)
	if err != nil {
		return nil, err
	}
	scs, err := s.scenarios(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, testbed_id, scenario_id, cell, params, metric FROM series`)
	if err != nil {
		return nil, fmt.Errorf("read series from %s: %w", s.Where, err)
	}
	defer rows.Close()
	out := map[int64]*SeriesInfo{}
	for rows.Next() {
		si := &SeriesInfo{}
		var tb, sc int64
		var params string
		if err := rows.Scan(&si.ID, &tb, &sc, &si.Cell, &params, &si.Metric); err != nil {
			return nil, fmt.Errorf("read series from %s: %w", s.Where, err)
		}
		si.Testbed, si.Scenario = tbs[tb], scs[sc]
		if f.Scenario != "" && si.Scenario.Name != f.Scenario || !si.Testbed.matches(f.Testbed) {
			continue
		}
		if len(f.Metrics) > 0 && !slices.Contains(f.Metrics, si.Metric) {
			continue
		}
		if err := json.Unmarshal([]byte(params), &si.Params); err != nil {
			return nil, fmt.Errorf("read series from %s: series %d: params: %w", s.Where, si.ID, err)
		}
		if !selects(f.Cell, si.Params) {
			continue
		}
		out[si.ID] = si
	}
	return out, rows.Err()
}

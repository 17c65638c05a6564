package history

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/stats"
)

// Add stores run in one transaction: all of it or, if anything fails or
// the process dies, none of it. It returns the run's ID and whether it
// was added; a run whose measurements the store already holds (the same
// results added twice) is not added again, and its ID is the stored one.
func (s *Store) Add(ctx context.Context, run *Run) (id int64, added bool, err error) {
	if err := run.Validate(); err != nil {
		return 0, false, err
	}
	if id, err := s.runID(ctx, run.Key); err != nil || id != 0 {
		return id, false, err
	}
	id, err = s.add(ctx, run)
	if s.d.postgres && uniqueViolation(err) {
		// Another process added the same run since: it is stored.
		if id, err := s.runID(ctx, run.Key); err != nil || id != 0 {
			return id, false, err
		}
	}
	if err != nil {
		return 0, false, fmt.Errorf("add run to %s: %w", s.Where, err)
	}
	return id, id != 0, nil
}

// uniqueViolation reports PostgreSQL's refusal of a duplicate key.
func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// runID returns the ID of the run whose key is key, 0 when none.
func (s *Store) runID(ctx context.Context, key string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT id FROM runs WHERE run_key = ?`), key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("look up run in %s: %w", s.Where, err)
	}
	return id, nil
}

// add inserts run; 0 when the transaction found it stored already.
func (s *Store) add(ctx context.Context, run *Run) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// In SQLite the transaction holds the write lock from its start, so a
	// run added by another process while this one waited is seen here.
	var exists int64
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT id FROM runs WHERE run_key = ?`), run.Key).Scan(&exists)
	if err == nil {
		return exists, tx.Commit()
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	tb := run.Testbed
	testbed, err := s.ensure(ctx, tx, "testbeds", "fingerprint = ?", []any{tb.Fingerprint()},
		"fingerprint, label, cpu_model, cpus, cpu_quota, os, arch, kernel, go_version",
		[]any{tb.Fingerprint(), tb.Label, tb.CPUModel, tb.CPUs, tb.CPUQuota, tb.OS, tb.Arch, tb.Kernel, tb.GoVersion}, "fingerprint")
	if err != nil {
		return 0, fmt.Errorf("testbed: %w", err)
	}
	sc := run.Scenario
	scenario, err := s.ensure(ctx, tx, "scenarios", "name = ? AND hash = ?", []any{sc.Name, sc.Hash},
		"name, hash, resolved", []any{sc.Name, sc.Hash, sc.Resolved}, "name, hash")
	if err != nil {
		return 0, fmt.Errorf("scenario: %w", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO runs (run_key, testbed_id, scenario_id, branch, commit_id, started, added, version, file, interrupted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		run.Key, testbed, scenario, run.Branch, run.Commit, run.Time.UnixMicro(), time.Now().UnixMicro(), run.Version, run.File, boolInt(run.Interrupted)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("run: %w", err)
	}
	for _, b := range run.Builds {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO builds (run_id, name, path, version, commit_id, protocol, extra_work) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			id, b.Name, b.Path, b.Version, b.Commit, b.Protocol, b.ExtraWork); err != nil {
			return 0, fmt.Errorf("build %s: %w", b.Name, err)
		}
	}
	series, err := s.seriesIDs(ctx, tx, testbed, scenario, run)
	if err != nil {
		return 0, err
	}
	if err := s.insertPoints(ctx, tx, id, series, run); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// ensure returns the ID of the row of table that where selects, inserting
// it (cols, vals) when there is none; conflict names its unique columns.
func (s *Store) ensure(ctx context.Context, tx *sql.Tx, table, where string, key []any, cols string, vals []any, conflict string) (int64, error) {
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO `+table+` (`+cols+`) VALUES (`+ph+`) ON CONFLICT (`+conflict+`) DO NOTHING`), vals...); err != nil {
		return 0, err
	}
	var id int64
	err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT id FROM `+table+` WHERE `+where), key...).Scan(&id)
	return id, err
}

// seriesKey names a series within a testbed and scenario.
type seriesKey struct {
	cell   string
	metric metric.Metric
}

// seriesIDs returns the ID of every series run has values for, creating
// the new ones.
func (s *Store) seriesIDs(ctx context.Context, tx *sql.Tx, testbed, scenario int64, run *Run) (map[seriesKey]int64, error) {
	ids := map[seriesKey]int64{}
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT id, cell, metric FROM series WHERE testbed_id = ? AND scenario_id = ?`), testbed, scenario)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	for rows.Next() {
		var id int64
		var k seriesKey
		if err := rows.Scan(&id, &k.cell, &k.metric); err != nil {
			rows.Close()
			return nil, fmt.Errorf("series: %w", err)
		}
		ids[k] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	for _, c := range run.Cells {
		cell := CellKey(c.Params)
		params, _ := json.Marshal(c.Params) // plain data: cannot fail
		for _, m := range sortedMetrics(c.Values) {
			k := seriesKey{cell, m}
			if _, ok := ids[k]; ok {
				continue
			}
			id, err := s.ensure(ctx, tx, "series", "testbed_id = ? AND scenario_id = ? AND cell = ? AND metric = ?", []any{testbed, scenario, cell, string(m)},
				"testbed_id, scenario_id, cell, params, metric", []any{testbed, scenario, cell, string(params), string(m)}, "testbed_id, scenario_id, cell, metric")
			if err != nil {
				return nil, fmt.Errorf("series %s %s: %w", cell, m, err)
			}
			ids[k] = id
		}
	}
	return ids, nil
}

// pointsPerInsert is how many points one INSERT statement carries (4
// parameters each, within both databases' limits).
const pointsPerInsert = 250

// insertPoints stores each series' repeats and their median.
func (s *Store) insertPoints(ctx context.Context, tx *sql.Tx, runID int64, series map[seriesKey]int64, run *Run) error {
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := `INSERT INTO points (series_id, run_id, median, repeats) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(args)/4), ", ")
		_, err := tx.ExecContext(ctx, s.d.rebind(q), args...)
		args = args[:0]
		return err
	}
	for _, c := range run.Cells {
		cell := CellKey(c.Params)
		for _, m := range sortedMetrics(c.Values) {
			vs := c.Values[m]
			if len(vs) == 0 {
				continue
			}
			args = append(args, series[seriesKey{cell, m}], runID, stats.Median(vs), encodeValues(vs))
			if len(args) == 4*pointsPerInsert {
				if err := flush(); err != nil {
					return fmt.Errorf("points: %w", err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("points: %w", err)
	}
	return nil
}

func sortedMetrics(m map[metric.Metric][]float64) []metric.Metric {
	out := make([]metric.Metric, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b metric.Metric) int { return a.Order() - b.Order() })
	return out
}

// encodeValues writes vs as little-endian float64s.
func encodeValues(vs []float64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

// decodeValues reads what encodeValues wrote.
func decodeValues(b []byte) ([]float64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("repeats: %d bytes, not a whole number of float64s", len(b))
	}
	vs := make([]float64, len(b)/8)
	for i := range vs {
		vs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return vs, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	// The database drivers: SQLite in pure Go (no cgo), PostgreSQL
	// through pgx's database/sql driver.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// SchemaVersion is the version of the store's tables this scalebench
// writes; migrations bring an older store up to it.
const SchemaVersion = 1

// ErrNewer reports a store written by a newer scalebench.
var ErrNewer = errors.New("history: store from a newer scalebench")

// ErrNoStore reports a SQLite file that does not exist, opened to read.
var ErrNoStore = errors.New("history: no store")

// Store is an open history: a SQLite file or a PostgreSQL database.
type Store struct {
	db *sql.DB
	d  dialect
	// Where names the store in messages: the file, or the database URL
	// without its password.
	Where string
}

// dialect holds what differs between the two databases.
type dialect struct {
	postgres bool
}

// rebind turns the ? placeholders of q into PostgreSQL's $1, $2, ...
func (d dialect) rebind(q string) string {
	if !d.postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the store dsn names: a postgres:// or postgresql:// URL, or
// the path of a SQLite file, which Open creates (with its directory) when
// create is set. It brings the store's tables up to SchemaVersion, and
// refuses a store whose version is newer, naming both versions; version
// is this scalebench's, recorded with each migration.
func Open(ctx context.Context, dsn string, create bool, version string) (*Store, error) {
	s := &Store{Where: dsn}
	var err error
	if IsPostgres(dsn) {
		s.d.postgres = true
		s.Where = redact(dsn)
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(4)
			err = s.db.PingContext(ctx)
		}
	} else {
		s.db, err = openSQLite(dsn, create)
	}
	if err != nil {
		if s.db != nil {
			s.db.Close()
		}
		return nil, fmt.Errorf("open history %s: %w", s.Where, err)
	}
	if err := s.migrate(ctx, version); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open history %s: %w", s.Where, err)
	}
	return s, nil
}

// openSQLite opens a SQLite file in WAL mode: readers do not wait for a
// writer, and a process killed while writing leaves the last committed
// state. Writers take the lock when their transaction begins and wait up
// to a minute for another writer.
func openSQLite(path string, create bool) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("no file named")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("a history file's name may not hold ? or #, got %q", path)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && !create:
		return nil, fmt.Errorf("%w: %s does not exist (history add creates it)", ErrNoStore, path)
	case errors.Is(err, os.ErrNotExist):
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Set("_busy_timeout", "60000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, notSQLite(path, err)
	}
	return db, nil
}

// notSQLite words SQLite's complaint about a file that is not a database.
func notSQLite(path string, err error) error {
	if strings.Contains(err.Error(), "not a database") || strings.Contains(err.Error(), "file is encrypted") {
		return fmt.Errorf("%s is not a SQLite database: %w", path, err)
	}
	return err
}

// redact removes the password from a database URL.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Postgres reports whether the store is a PostgreSQL database.
func (s *Store) Postgres() bool { return s.d.postgres }

// migration is one step of the schema: the statements that bring a store
// from the version before it to its own.
type migration struct {
	version int
	stmts   func(d dialect) []string
}

// migrations lists every schema version in order. A new version appends
// one; none is ever edited once released.
var migrations = []migration{
	{1, schemaV1},
}

// schemaV1 is the first schema. Each repeat's values are kept in points
// as little-endian float64s (a BLOB, BYTEA in PostgreSQL), beside their
// median, which is what change points are found on.
func schemaV1(d dialect) []string {
	id, blob, real, rowid := "INTEGER PRIMARY KEY", "BLOB", "REAL", " WITHOUT ROWID"
	if d.postgres {
		id, blob, real, rowid = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BYTEA", "DOUBLE PRECISION", ""
	}
	return []string{
		`CREATE TABLE testbeds (
			id ` + id + `,
			fingerprint TEXT NOT NULL UNIQUE,
			label TEXT NOT NULL,
			cpu_model TEXT NOT NULL,
			cpus INTEGER NOT NULL,
			cpu_quota ` + real + ` NOT NULL,
			os TEXT NOT NULL,
			arch TEXT NOT NULL,
			kernel TEXT NOT NULL,
			go_version TEXT NOT NULL)`,
		`CREATE TABLE scenarios (
			id ` + id + `,
			name TEXT NOT NULL,
			hash TEXT NOT NULL,
			resolved TEXT NOT NULL,
			UNIQUE (name, hash))`,
		`CREATE TABLE runs (
			id ` + id + `,
			run_key TEXT NOT NULL UNIQUE,
			testbed_id BIGINT NOT NULL REFERENCES testbeds (id),
			scenario_id BIGINT NOT NULL REFERENCES scenarios (id),
			branch TEXT NOT NULL,
			commit_id TEXT NOT NULL,
			started BIGINT NOT NULL,
			added BIGINT NOT NULL,
			version TEXT NOT NULL,
			file TEXT NOT NULL,
			interrupted INTEGER NOT NULL)`,
		`CREATE INDEX runs_started ON runs (started, id)`,
		`CREATE TABLE builds (
			run_id BIGINT NOT NULL REFERENCES runs (id),
			name TEXT NOT NULL,
			path TEXT NOT NULL,
			version TEXT NOT NULL,
			commit_id TEXT NOT NULL,
			protocol INTEGER NOT NULL,
			extra_work ` + real + ` NOT NULL,
			PRIMARY KEY (run_id, name))`,
		`CREATE TABLE series (
			id ` + id + `,
			testbed_id BIGINT NOT NULL REFERENCES testbeds (id),
			scenario_id BIGINT NOT NULL REFERENCES scenarios (id),
			cell TEXT NOT NULL,
			params TEXT NOT NULL,
			metric TEXT NOT NULL,
			UNIQUE (testbed_id, scenario_id, cell, metric))`,
		`CREATE TABLE points (
			series_id BIGINT NOT NULL REFERENCES series (id),
			run_id BIGINT NOT NULL REFERENCES runs (id),
			median ` + real + ` NOT NULL,
			repeats ` + blob + ` NOT NULL,
			PRIMARY KEY (series_id, run_id))` + rowid,
	}
}

// migrate brings the store to SchemaVersion. A store already there is
// only read; otherwise the migration runs in one transaction, which holds
// the store's write lock (SQLite) or an advisory lock (PostgreSQL), so
// that two processes opening a new store do not both create it.
func (s *Store) migrate(ctx context.Context, version string) error {
	have, by, err := s.version(ctx, s.db)
	if err != nil {
		return err
	}
	if err := newer(have, by, version); err != nil || have == SchemaVersion {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return notSQLite(s.Where, err)
	}
	defer tx.Rollback()
	if s.d.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7236415378)`); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS scalebench_history (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return notSQLite(s.Where, err)
	}
	if have, by, err = s.version(ctx, tx); err != nil {
		return err
	}
	if err := newer(have, by, version); err != nil || have == SchemaVersion {
		return err
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		for _, q := range m.stmts(s.d) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", m.version, err)
			}
		}
	}
	for _, kv := range [][2]string{{"schema_version", strconv.Itoa(SchemaVersion)}, {"written_by", version}} {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM scalebench_history WHERE key = ?`), kv[0]); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO scalebench_history (key, value) VALUES (?, ?)`), kv[0], kv[1]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// newer refuses a store of a schema newer than this scalebench's.
func newer(have int, by, version string) error {
	if have <= SchemaVersion {
		return nil
	}
	if by == "" {
		by = "an unknown version"
	}
	return fmt.Errorf("%w: its schema is version %d (written by scalebench %s); this scalebench (%s) reads up to version %d: use a newer scalebench",
		ErrNewer, have, by, version, SchemaVersion)
}

// querier is a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// version reads the store's schema version and the scalebench that wrote
// it; 0 for a store without tables.
func (s *Store) version(ctx context.Context, q querier) (int, string, error) {
	exists := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'scalebench_history'`
	if s.d.postgres {
		exists = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'scalebench_history'`
	}
	var n int
	rows, err := q.QueryContext(ctx, exists)
	if err != nil {
		return 0, "", notSQLite(s.Where, err)
	}
	if rows.Next() {
		err = rows.Scan(&n)
	}
	rows.Close()
	if err != nil || n == 0 {
		return 0, "", err
	}
	have, by := 0, ""
	rows, err = q.QueryContext(ctx, `SELECT key, value FROM scalebench_history`)
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return 0, "", err
		}
		switch k {
		case "schema_version":
			if have, err = strconv.Atoi(v); err != nil {
				return 0, "", fmt.Errorf("schema_version %q is not a number", v)
			}
		case "written_by":
			by = v
		}
	}
	return have, by, rows.Err()
}

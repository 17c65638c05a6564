// Package historytest gives tests a PostgreSQL database to keep a history
// in: SCALEBENCH_POSTGRES_URL names the server (CI starts one); each test
// gets a schema of its own, dropped when it ends.
package historytest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
)

// Postgres returns the URL of a fresh, empty schema in the database
// SCALEBENCH_POSTGRES_URL names. Without that variable the test is
// skipped, saying so, or fails when SCALEBENCH_REQUIRE_POSTGRES=1 (in
// CI, where a missing server is a failure).
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SCALEBENCH_POSTGRES_URL")
	if base == "" {
		if os.Getenv("SCALEBENCH_REQUIRE_POSTGRES") == "1" {
			t.Fatal("SCALEBENCH_REQUIRE_POSTGRES=1 but SCALEBENCH_POSTGRES_URL is not set: the PostgreSQL tests cannot run")
		}
		t.Skip("PostgreSQL: set SCALEBENCH_POSTGRES_URL=postgres://user@127.0.0.1:PORT/DB to run this test against a server (.ci/run starts one)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("SCALEBENCH_POSTGRES_URL: %v", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("SCALEBENCH_POSTGRES_URL: cannot reach the server: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SCALEBENCH_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

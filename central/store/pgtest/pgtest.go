// Package pgtest gives tests a private PostgreSQL schema. It is for tests
// only: nothing outside _test.go files may import it.
//
// The server is LINEWISE_PG_DSN, else postgres://postgres@127.0.0.1:5432/test.
// When it cannot be reached the test is skipped, unless CI=true: a service
// missing in CI is a failure, not a skip.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
)

// DefaultDSN is the server tests use when LINEWISE_PG_DSN is not set.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseDSN is the server's DSN, without a schema.
func BaseDSN() string {
	if v := os.Getenv("LINEWISE_PG_DSN"); v != "" {
		return v
	}
	return DefaultDSN
}

// Schema creates a fresh schema lw_<random>, drops it (with everything in
// it) when the test ends, and returns a DSN whose search_path is that schema.
func Schema(t testing.TB) string {
	t.Helper()
	base := BaseDSN()
	db, err := sql.Open("pgx", base)
	if err != nil {
		unavailable(t, base, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		unavailable(t, base, err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "lw_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		db.Close()
		t.Fatalf("pgtest: create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return WithSearchPath(base, name)
}

// WithSearchPath adds search_path=schema to a URL or keyword/value DSN.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

func unavailable(t testing.TB, dsn string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: PostgreSQL at %s is required in CI (CI=true): %v", redact(dsn), err)
	}
	t.Skipf("pgtest: PostgreSQL at %s unavailable, skipping (set CI=true to fail instead): %v", redact(dsn), err)
}

// redact hides a password in a URL DSN before it reaches a log.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

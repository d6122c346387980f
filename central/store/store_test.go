package store

import (
	"testing"
)

// Tests of the store's behaviour against a database live in contract_test.go
// and run on every backend; this file holds the pure helpers' tests.

func TestRebind(t *testing.T) {
	if got := rebind(`SELECT a FROM t WHERE x = ? AND y IN (?, ?)`); got != `SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)` {
		t.Errorf("rebind = %s", got)
	}
}

func TestForDialect(t *testing.T) {
	body := "CREATE TABLE a (x TEXT);\nCREATE INDEX i ON a(x); -- only:postgres\nPRAGMA foo; -- only:sqlite\n"
	if got, want := forDialect(body, true), "CREATE TABLE a (x TEXT);\nCREATE INDEX i ON a(x); -- only:postgres\n"; got != want {
		t.Errorf("postgres: %q, want %q", got, want)
	}
	if got, want := forDialect(body, false), "CREATE TABLE a (x TEXT);\nPRAGMA foo; -- only:sqlite\n"; got != want {
		t.Errorf("sqlite: %q, want %q", got, want)
	}
}

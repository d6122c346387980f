package store

import (
	"context"
	"errors"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestUniqueViolationsAreConflicts: on both databases a write that trips a
// primary key or unique constraint (as a concurrent create does after the
// existence check) is recognised by isUnique, which the store's creates
// turn into domain.ErrConflict (HTTP 409) rather than a bare database
// error (500); a constraint of another kind is not taken for one.
func TestUniqueViolationsAreConflicts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		if err := s.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}); err != nil {
			t.Fatal(err)
		}
		_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO lines (id, name) VALUES (?, ?)`), "L1", "again")
		if err == nil || !isUnique(err) {
			t.Fatalf("duplicate primary key: isUnique(%v) = false", err)
		}
		_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO lines (id, name) VALUES (?, ?)`), "L2", nil)
		if err == nil || isUnique(err) {
			t.Errorf("NOT NULL violation on name: isUnique(%v) = true", err)
		}
		if err := s.CreateLine(ctx, domain.Line{ID: "L1", Name: "again"}); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("CreateLine of an existing id: %v, want a conflict", err)
		}
	})
}

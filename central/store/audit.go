package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/domain"
)

// dbtx is what both *sql.DB and *sql.Tx offer, so helpers run in either.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// randomSuffix is 6 random bytes in hex, to make time-ordered ids unique.
func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return hex.EncodeToString(b)
}

// snapshot marshals v for an audit entry's before or after; nil stays SQL NULL.
func snapshot(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return b
}

func nullJSON(r json.RawMessage) sql.NullString {
	if len(r) == 0 || string(r) == "null" {
		return sql.NullString{}
	}
	return sql.NullString{String: string(r), Valid: true}
}

// writeAudit appends an entry in the caller's transaction, so the change and
// its record commit or roll back together. At and ID are filled if empty.
func (s *Store) writeAudit(ctx context.Context, q dbtx, e domain.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.ID == "" {
		e.ID = fmt.Sprintf("%019d-%s", e.At.UnixNano(), randomSuffix())
	}
	_, err := q.ExecContext(ctx, s.q(`INSERT INTO audit_log
		(id, occurred_at, actor, role, entity, entity_id, action, reason, before_json, after_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, nanos(e.At), e.Actor, string(e.Role), e.Entity, e.EntityID, e.Action, e.Reason, nullJSON(e.Before), nullJSON(e.After))
	if err != nil {
		return fmt.Errorf("store: audit %s %s %s: %w", e.Action, e.Entity, e.EntityID, err)
	}
	return nil
}

// RecordAudit appends entries in their own transaction, for changes made by
// a method that owns its transaction (StartWorkOrder, StopWorkOrder).
func (s *Store) RecordAudit(ctx context.Context, entries ...domain.AuditEntry) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	defer tx.Rollback()
	for _, e := range entries {
		if err := s.writeAudit(ctx, tx, e); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ListAudit returns entries matching f, newest first; at most f.Limit (default 100).
func (s *Store) ListAudit(ctx context.Context, f domain.AuditFilter) ([]domain.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.From != nil {
		add("occurred_at >= ?", nanos(*f.From))
	}
	if f.To != nil {
		add("occurred_at < ?", nanos(*f.To))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	query := `SELECT id, occurred_at, actor, role, entity, entity_id, action, reason, before_json, after_json FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY occurred_at DESC, id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	out := []domain.AuditEntry{}
	for rows.Next() {
		var e domain.AuditEntry
		var at int64
		var role string
		var before, after sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.Actor, &role, &e.Entity, &e.EntityID, &e.Action, &e.Reason, &before, &after); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		e.At, e.Role = fromNanos(at), domain.Role(role)
		if before.Valid {
			e.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			e.After = json.RawMessage(after.String)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

// SavedViews lists a user's saved views of a page, by name.
func (s *Store) SavedViews(ctx context.Context, username, page string) ([]domain.SavedView, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT page, name, query, updated_at FROM saved_views
		WHERE username = ? AND page = ? ORDER BY name`), username, page)
	if err != nil {
		return nil, fmt.Errorf("store: saved views of %s: %w", username, err)
	}
	defer rows.Close()
	out := []domain.SavedView{}
	for rows.Next() {
		var v domain.SavedView
		var at int64
		if err := rows.Scan(&v.Page, &v.Name, &v.Query, &at); err != nil {
			return nil, fmt.Errorf("store: saved views of %s: %w", username, err)
		}
		v.UpdatedAt = fromNanos(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// SaveView stores a user's view under its name, replacing one of the same
// name (created says which), audited on entity saved_view
// "<user>/<page>/<name>". A user keeps at most domain.MaxSavedViews per
// page: one more is a field error on name. The caller checks v.
func (s *Store) SaveView(ctx context.Context, username string, v domain.SavedView, actor domain.Actor) (saved domain.SavedView, created bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return v, false, fmt.Errorf("store: save view %s: %w", v.Name, err)
	}
	defer tx.Rollback()
	var before domain.SavedView
	var at int64
	err = tx.QueryRowContext(ctx, s.q(`SELECT page, name, query, updated_at FROM saved_views WHERE username = ? AND page = ? AND name = ?`),
		username, v.Page, v.Name).Scan(&before.Page, &before.Name, &before.Query, &at)
	switch {
	case errors.Is(err, errNoRows):
		created = true
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM saved_views WHERE username = ? AND page = ?`), username, v.Page).Scan(&n); err != nil {
			return v, false, fmt.Errorf("store: save view %s: %w", v.Name, err)
		}
		if n >= domain.MaxSavedViews {
			return v, false, &domain.FieldError{Field: "name", Rule: fmt.Sprintf("you already keep %d views of this page; delete one first", n), Conflict: true}
		}
	case err != nil:
		return v, false, fmt.Errorf("store: save view %s: %w", v.Name, err)
	}
	v.UpdatedAt = s.now().UTC()
	if created {
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO saved_views (username, page, name, query, updated_at) VALUES (?, ?, ?, ?, ?)`),
			username, v.Page, v.Name, v.Query, nanos(v.UpdatedAt))
	} else {
		_, err = tx.ExecContext(ctx, s.q(`UPDATE saved_views SET query = ?, updated_at = ? WHERE username = ? AND page = ? AND name = ?`),
			v.Query, nanos(v.UpdatedAt), username, v.Page, v.Name)
	}
	if err != nil {
		return v, false, fmt.Errorf("store: save view %s: %w", v.Name, err)
	}
	e := domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "saved_view", EntityID: username + "/" + v.Page + "/" + v.Name,
		Action: "create", After: snapshot(map[string]string{"query": v.Query})}
	if !created {
		e.Action, e.Before = "edit", snapshot(map[string]string{"query": before.Query})
	}
	if err := s.writeAudit(ctx, tx, e); err != nil {
		return v, false, err
	}
	if err := tx.Commit(); err != nil {
		return v, false, fmt.Errorf("store: save view %s: %w", v.Name, err)
	}
	return v, created, nil
}

// DeleteSavedView removes a user's view (audited); domain.ErrNotFound if
// there is none of that name.
func (s *Store) DeleteSavedView(ctx context.Context, username, page, name string, actor domain.Actor) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: delete view %s: %w", name, err)
	}
	defer tx.Rollback()
	var query string
	if err := tx.QueryRowContext(ctx, s.q(`SELECT query FROM saved_views WHERE username = ? AND page = ? AND name = ?`),
		username, page, name).Scan(&query); err != nil {
		return notFound("store: view "+name, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM saved_views WHERE username = ? AND page = ? AND name = ?`), username, page, name); err != nil {
		return fmt.Errorf("store: delete view %s: %w", name, err)
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "saved_view",
		EntityID: username + "/" + page + "/" + name, Action: "delete", Before: snapshot(map[string]string{"query": query})}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: delete view %s: %w", name, err)
	}
	return nil
}

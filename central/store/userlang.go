package store

import (
	"context"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

// SetUserLang stores a user's language ("" to follow the browser) and
// audits the change; domain.ErrNotFound if there is no such user. The
// caller checks that lang is supported.
func (s *Store) SetUserLang(ctx context.Context, username, lang string, actor domain.Actor) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: set language of %s: %w", username, err)
	}
	defer tx.Rollback()
	var before string
	if err := tx.QueryRowContext(ctx, s.q(`SELECT lang FROM users WHERE username = ?`), username).Scan(&before); err != nil {
		return notFound("store: user "+username, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET lang = ? WHERE username = ?`), lang, username); err != nil {
		return fmt.Errorf("store: set language of %s: %w", username, err)
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "user", EntityID: username,
		Action: "set_lang", Before: snapshot(map[string]string{"lang": before}), After: snapshot(map[string]string{"lang": lang})}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: set language of %s: %w", username, err)
	}
	return nil
}

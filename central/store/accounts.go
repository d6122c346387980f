package store

import (
	"context"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

// bootstrapLockKey serialises CreateFirstAdmin across central replicas
// sharing one PostgreSQL (second half of the key: the schema, as for
// migrations).
const bootstrapLockKey = 0x4c58

// CreateFirstAdmin creates u, an admin, only if no enabled admin exists,
// and audits it; created says whether it did. Replicas starting at once on
// one PostgreSQL take an advisory lock, so only one of them creates it.
func (s *Store) CreateFirstAdmin(ctx context.Context, u domain.User, actor domain.Actor) (created bool, err error) {
	if u.Role != domain.RoleAdmin {
		return false, fmt.Errorf("store: first admin %s has role %s: %w", u.Username, u.Role, domain.ErrInvalid)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: first admin: %w", err)
	}
	defer tx.Rollback()
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, bootstrapLockKey); err != nil {
			return false, fmt.Errorf("store: first admin lock: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE role = ? AND disabled = 0`),
		string(domain.RoleAdmin)).Scan(&n); err != nil {
		return false, fmt.Errorf("store: count admins: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if err := s.insertUser(ctx, tx, u, actor); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: first admin %s: %w", u.Username, err)
	}
	return true, nil
}

// SetPassword replaces a user's password hash, ends the user's sessions
// (whoever knew the old password is signed out) and audits the change
// without either hash; domain.ErrNotFound if there is no such user.
func (s *Store) SetPassword(ctx context.Context, username, hash string, actor domain.Actor) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: set password of %s: %w", username, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE username = ?`), hash, username)
	if err != nil {
		return fmt.Errorf("store: set password of %s: %w", username, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: set password of %s: %w", username, err)
	} else if n == 0 {
		return fmt.Errorf("store: user %s: %w", username, domain.ErrNotFound)
	}
	res, err = tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE username = ?`), username)
	if err != nil {
		return fmt.Errorf("store: end sessions of %s: %w", username, err)
	}
	ended, _ := res.RowsAffected()
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "user",
		EntityID: username, Action: "set_password", After: snapshot(map[string]int64{"sessions_ended": ended})}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: set password of %s: %w", username, err)
	}
	return nil
}

// lockAdmins serialises, across replicas sharing one PostgreSQL, every
// transaction that may change who the enabled admins are (the same lock as
// CreateFirstAdmin): two admins disabling each other at once must not both
// see the other still enabled. SQLite has one writer already.
func (s *Store) lockAdmins(ctx context.Context, tx dbtx) error {
	if !s.postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, bootstrapLockKey); err != nil {
		return fmt.Errorf("store: admins lock: %w", err)
	}
	return nil
}

// keepAnAdmin refuses, with a *domain.LastAdminError, a change to user
// username that leaves it no enabled admin (stays false: disabled or
// another role) when it is the only enabled admin now. Call it in the
// change's transaction after lockAdmins and before writing; roleChanged
// only chooses the error's field. A future deletion of users must call it
// too (there is none: users are disabled, never deleted).
func (s *Store) keepAnAdmin(ctx context.Context, tx dbtx, username string, stays, roleChanged bool) error {
	if stays {
		return nil
	}
	var n int
	err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE role = ? AND disabled = 0 AND username = ?`),
		string(domain.RoleAdmin), username).Scan(&n)
	if err != nil {
		return fmt.Errorf("store: check admins: %w", err)
	}
	if n == 0 {
		return nil // not an enabled admin now: nothing is taken away
	}
	err = tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE role = ? AND disabled = 0 AND username <> ?`),
		string(domain.RoleAdmin), username).Scan(&n)
	if err != nil {
		return fmt.Errorf("store: check admins: %w", err)
	}
	if n > 0 {
		return nil
	}
	field := "disabled"
	if roleChanged {
		field = "role"
	}
	return &domain.LastAdminError{Username: username, Field: field}
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
)

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateUser adds a user and audits it (without the password hash).
func (s *Store) CreateUser(ctx context.Context, u domain.User, actor domain.Actor) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create user %s: %w", u.Username, err)
	}
	defer tx.Rollback()
	if err := s.insertUser(ctx, tx, u, actor); err != nil {
		return err
	}
	return tx.Commit()
}

// insertUser is CreateUser inside the caller's transaction; every way a
// user is created (API, CLI, bootstrap, demo) goes through it.
func (s *Store) insertUser(ctx context.Context, tx dbtx, u domain.User, actor domain.Actor) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (username, display_name, role, password_hash, badge, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`),
		u.Username, u.DisplayName, string(u.Role), u.PasswordHash, nullString(s.badgeHash(u.Badge)), boolInt(u.Disabled), nanos(s.now()))
	if isUnique(err) {
		return fmt.Errorf("store: user %s or its badge already exists: %w", u.Username, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create user %s: %w", u.Username, err)
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "user",
		EntityID: u.Username, Action: "create", After: snapshot(u)})
}

const userColumns = `username, display_name, role, password_hash, COALESCE(badge, ''), disabled FROM users`

func scanUser(sc interface{ Scan(...any) error }) (domain.User, error) {
	var u domain.User
	var role string
	var disabled int
	err := sc.Scan(&u.Username, &u.DisplayName, &role, &u.PasswordHash, &u.Badge, &disabled)
	u.Role, u.Disabled, u.HasBadge = domain.Role(role), disabled != 0, u.Badge != ""
	return u, err
}

// GetUser returns a user by name; domain.ErrNotFound if absent.
func (s *Store) GetUser(ctx context.Context, username string) (domain.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` WHERE username = ?`), username))
	if err != nil {
		return u, notFound("store: user "+username, err)
	}
	return u, nil
}

// UserByBadge returns the user with a badge code (or its stored hash);
// domain.ErrNotFound if none.
func (s *Store) UserByBadge(ctx context.Context, badge string) (domain.User, error) {
	if badge == "" {
		return domain.User{}, fmt.Errorf("store: badge: %w", domain.ErrNotFound)
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` WHERE badge = ?`), s.badgeHash(badge)))
	if err != nil {
		return u, notFound("store: badge", err)
	}
	return u, nil
}

// ListUsers returns every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]domain.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	out := []domain.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession stores a session (by its token's hash).
func (s *Store) CreateSession(ctx context.Context, se domain.Session) error {
	return s.insert(ctx, "session", `INSERT INTO sessions (token_hash, username, station_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		se.TokenHash, se.Username, se.StationID, nanos(se.CreatedAt), nanos(se.ExpiresAt))
}

// DeleteSession ends a session; ending an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_hash = ?`), tokenHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// SessionPrincipal returns who holds an unexpired session of an enabled
// user; domain.ErrNotFound otherwise.
func (s *Store) SessionPrincipal(ctx context.Context, tokenHash string, now time.Time) (domain.Principal, error) {
	var p domain.Principal
	var role string
	var line sql.NullString
	err := s.db.QueryRowContext(ctx, s.q(`SELECT u.username, u.display_name, u.role, se.station_id, st.line_id, u.lang
		FROM sessions se JOIN users u ON u.username = se.username LEFT JOIN stations st ON st.id = se.station_id
		WHERE se.token_hash = ? AND se.expires_at > ? AND u.disabled = 0`), tokenHash, nanos(now)).
		Scan(&p.Username, &p.DisplayName, &role, &p.StationID, &line, &p.Lang)
	if err != nil {
		return p, notFound("store: session", err)
	}
	if p.StationID != "" && !line.Valid {
		// The station is gone: a badge session without a station is nothing.
		return p, fmt.Errorf("store: session at removed station %s: %w", p.StationID, domain.ErrNotFound)
	}
	// A badge session acts on its station's line only.
	p.Role, p.Via, p.LineScope = domain.Role(role), "session", line.String
	return p, nil
}

// CreateAPIToken stores a token (by its hash) and audits it.
func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken, actor domain.Actor) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create token %s: %w", t.Name, err)
	}
	defer tx.Rollback()
	if t.Kind == "" {
		t.Kind = domain.TokenAPI
	}
	for _, l := range strings.Split(t.LineID, ",") {
		if t.LineID == "" {
			break
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM lines WHERE id = ?`), l).Scan(&n); err != nil {
			return fmt.Errorf("store: create token %s: %w", t.Name, err)
		}
		if n == 0 {
			return domain.Invalid("line", "line %q does not exist", l)
		}
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO api_tokens (id, name, token_hash, role, line_id, created_at, expires_at, kind, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), t.ID, t.Name, t.TokenHash, string(t.Role), t.LineID, nanos(t.CreatedAt), nullNanos(t.ExpiresAt),
		t.Kind, t.CreatedBy)
	if isUnique(err) {
		return fmt.Errorf("store: token %s already exists: %w", t.ID, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create token %s: %w", t.Name, err)
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "api_token",
		EntityID: t.ID, Action: "create", After: snapshot(t)}); err != nil {
		return err
	}
	return tx.Commit()
}

// TokenPrincipal returns the principal of an unexpired, unrevoked API
// token; domain.ErrNotFound otherwise.
func (s *Store) TokenPrincipal(ctx context.Context, tokenHash string, now time.Time) (domain.Principal, error) {
	var p domain.Principal
	var name, role, kind string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT name, role, line_id, kind FROM api_tokens
		WHERE token_hash = ? AND revoked = 0 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`), tokenHash, nanos(now)).
		Scan(&name, &role, &p.LineScope, &kind)
	if err != nil {
		return p, notFound("store: token", err)
	}
	p.Username, p.DisplayName, p.Role, p.Via = "token:"+name, name, domain.Role(role), "token"
	if kind == domain.TokenKiosk {
		p.Username, p.Role, p.Kiosk = "kiosk:"+name, "", true
	}
	return p, nil
}

// ListAPITokens returns every token, newest first, without its hash.
func (s *Store) ListAPITokens(ctx context.Context) ([]domain.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, kind, role, line_id, created_at, created_by, expires_at, revoked, revoked_at
		FROM api_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	defer rows.Close()
	out := []domain.APIToken{}
	for rows.Next() {
		var t domain.APIToken
		var role string
		var created int64
		var revoked int
		var exp, rev sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Kind, &role, &t.LineID, &created, &t.CreatedBy, &exp, &revoked, &rev); err != nil {
			return nil, fmt.Errorf("store: list tokens: %w", err)
		}
		t.Role, t.CreatedAt, t.ExpiresAt, t.RevokedAt = domain.Role(role), fromNanos(created), fromNull(exp), fromNull(rev)
		if revoked != 0 && t.RevokedAt == nil {
			t.RevokedAt = &t.CreatedAt // revoked before revoked_at was kept
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken revokes a token for good and audits it; revoking a
// revoked one changes nothing and is not an error. domain.ErrNotFound if
// there is no such token.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time, actor domain.Actor) (domain.APIToken, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.APIToken{}, fmt.Errorf("store: revoke token %s: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q(`UPDATE api_tokens SET revoked = 1, revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), nanos(at), id)
	if err != nil {
		return domain.APIToken{}, fmt.Errorf("store: revoke token %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	var t domain.APIToken
	var role string
	var created int64
	var exp, rev sql.NullInt64
	err = tx.QueryRowContext(ctx, s.q(`SELECT id, name, kind, role, line_id, created_at, created_by, expires_at, revoked_at
		FROM api_tokens WHERE id = ?`), id).Scan(&t.ID, &t.Name, &t.Kind, &role, &t.LineID, &created, &t.CreatedBy, &exp, &rev)
	if err != nil {
		return t, notFound("store: token "+id, err)
	}
	t.Role, t.CreatedAt, t.ExpiresAt, t.RevokedAt = domain.Role(role), fromNanos(created), fromNull(exp), fromNull(rev)
	if n > 0 {
		if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "api_token",
			EntityID: id, Action: "revoke", After: snapshot(t)}); err != nil {
			return t, err
		}
	}
	if err := tx.Commit(); err != nil {
		return t, fmt.Errorf("store: revoke token %s: %w", id, err)
	}
	return t, nil
}

package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// Badges are credentials, but a scan must find its user in one indexed
// lookup, so bcrypt (a salt per row, a comparison per row) is out. The
// store keeps HMAC-SHA-256(badge_key, code) instead: deterministic, so
// users.badge stays UNIQUE and indexed, and keyed with a random per-install
// key (server_secrets.badge_key), so a copied users table or audit trail
// cannot be matched against a precomputed list of likely codes. A copy of
// the whole database includes the key: short badge codes can then be
// brute-forced, which is why badges only ever sign in at a station (never
// into admin pages) and the scan route is throttled.

const (
	badgeKeyName      = "badge_key"
	badgeKeyCheckName = "badge_key_check" // HMAC(key, badgeKeyCheck): which key the stored badges use
	badgeKeyCheck     = "linewise badge key check"
)

// loadBadgeKey reads the install's badge key, making it on first open, and
// mixes in pepper (a secret kept outside the database) when there is one.
// Two replicas starting at once both try to insert; the first wins and
// both read it back. A key other than the one the stored badges were
// hashed with is refused while any user has a badge: every badge would
// silently stop signing in.
func (s *Store) loadBadgeKey(ctx context.Context, pepper []byte) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("store: badge key: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
		badgeKeyName, hex.EncodeToString(b[:])); err != nil {
		return fmt.Errorf("store: badge key: %w", err)
	}
	var v string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM server_secrets WHERE name = ?`), badgeKeyName).Scan(&v); err != nil {
		return fmt.Errorf("store: badge key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return errors.New("store: badge key in server_secrets is not hex of at least 16 bytes")
	}
	if len(pepper) > 0 {
		m := hmac.New(sha256.New, pepper)
		m.Write(key)
		key = m.Sum(nil)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(badgeKeyCheck))
	check := hex.EncodeToString(m.Sum(nil))
	var stored string
	err = s.db.QueryRowContext(ctx, s.q(`SELECT value FROM server_secrets WHERE name = ?`), badgeKeyCheckName).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// First open with this schema: the stored badges (if any) are codes
		// still, hashed next with this key.
	case err != nil:
		return fmt.Errorf("store: badge key: %w", err)
	case stored != check:
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE badge IS NOT NULL`).Scan(&n); err != nil {
			return fmt.Errorf("store: badge key: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("store: the badge pepper differs from the one the %d stored badges were hashed with "+
				"(security.badge_pepper_file changed or removed?); restore it, or clear the users' badges first: %w", n, domain.ErrConflict)
		}
	}
	if stored != check {
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM server_secrets WHERE name = ?`), badgeKeyCheckName); err != nil {
			return fmt.Errorf("store: badge key: %w", err)
		}
		if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
			badgeKeyCheckName, check); err != nil {
			return fmt.Errorf("store: badge key: %w", err)
		}
	}
	s.badgeKey = key
	return nil
}

// badgeHash is what users.badge holds for a badge code; a value that is
// already a hash is returned as it is (a user record read back and written
// again keeps its badge).
func (s *Store) badgeHash(code string) string {
	if code == "" || domain.IsBadgeHash(code) {
		return code
	}
	m := hmac.New(sha256.New, s.badgeKey)
	m.Write([]byte(code))
	return domain.BadgeHashPrefix + hex.EncodeToString(m.Sum(nil))
}

// hashStoredBadges replaces every badge code stored before migration 0290
// with its hash, once: afterwards no row holds a code.
func (s *Store) hashStoredBadges(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT username, badge FROM users WHERE badge IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("store: hash badges: %w", err)
	}
	plain := map[string]string{}
	for rows.Next() {
		var u, b string
		if err := rows.Scan(&u, &b); err != nil {
			rows.Close()
			return fmt.Errorf("store: hash badges: %w", err)
		}
		if !domain.IsBadgeHash(b) {
			plain[u] = b
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: hash badges: %w", err)
	}
	if len(plain) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: hash badges: %w", err)
	}
	defer tx.Rollback()
	for u, b := range plain {
		// Only if still the code we read: another replica may have hashed it.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET badge = ? WHERE username = ? AND badge = ?`), s.badgeHash(b), u, b); err != nil {
			return fmt.Errorf("store: hash badge of %s: %w", u, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: hash badges: %w", err)
	}
	return nil
}

const auditScrubbedName = "audit_badges_scrubbed"

// scrubAuditBadges replaces, once per install, the badge codes that user
// entries of the audit trail recorded before migration 0290 with true
// ("had a badge"). The trail is append-only, but a credential has no place
// in it: this is the one rewrite of it.
func (s *Store) scrubAuditBadges(ctx context.Context) error {
	var done int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM server_secrets WHERE name = ?`), auditScrubbedName).Scan(&done); err != nil {
		return fmt.Errorf("store: scrub audit badges: %w", err)
	}
	if done > 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: scrub audit badges: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(before_json, ''), COALESCE(after_json, '') FROM audit_log
		WHERE entity = 'user' AND (before_json LIKE '%"badge":"%' OR after_json LIKE '%"badge":"%')`)
	if err != nil {
		return fmt.Errorf("store: scrub audit badges: %w", err)
	}
	type entry struct{ id, before, after string }
	var es []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.before, &e.after); err != nil {
			rows.Close()
			return fmt.Errorf("store: scrub audit badges: %w", err)
		}
		es = append(es, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: scrub audit badges: %w", err)
	}
	scrub := func(js string) sql.NullString {
		if js == "" {
			return sql.NullString{}
		}
		var m map[string]any
		if json.Unmarshal([]byte(js), &m) != nil {
			return sql.NullString{String: js, Valid: true}
		}
		if b, ok := m["badge"].(string); ok {
			m["badge"] = b != ""
		}
		out, _ := json.Marshal(m)
		return sql.NullString{String: string(out), Valid: true}
	}
	for _, e := range es {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE audit_log SET before_json = ?, after_json = ? WHERE id = ?`),
			scrub(e.before), scrub(e.after), e.id); err != nil {
			return fmt.Errorf("store: scrub audit badges: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO server_secrets (name, value) VALUES (?, '1') ON CONFLICT (name) DO NOTHING`),
		auditScrubbedName); err != nil {
		return fmt.Errorf("store: scrub audit badges: %w", err)
	}
	return tx.Commit()
}

// badgeOwner returns the user whose badge code (or stored hash) is code;
// ok is false if it is no badge.
func (s *Store) badgeOwner(ctx context.Context, q dbtx, code string) (u domain.User, ok bool, err error) {
	if code == "" {
		return u, false, nil
	}
	u, err = scanUser(q.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` WHERE badge = ?`), s.badgeHash(code)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, false, nil
	}
	if err != nil {
		return u, false, fmt.Errorf("store: badge: %w", err)
	}
	return u, true, nil
}

// hashScanBadges returns evs with the badge codes of scan events (as code
// or as operator) replaced by their hashes, so the events table never
// holds a badge code; the scan applier finds the user by the hash as by
// the code. evs itself is not changed.
func (s *Store) hashScanBadges(ctx context.Context, q dbtx, evs []wire.Event) ([]wire.Event, error) {
	var out []wire.Event
	for i, ev := range evs {
		if ev.Type != wire.TypeScan || ev.Scan == nil {
			continue
		}
		sc := *ev.Scan
		changed := false
		for _, f := range []*string{&sc.Code, &sc.Operator} {
			if *f == "" || domain.IsBadgeHash(*f) {
				continue
			}
			if _, ok, err := s.badgeOwner(ctx, q, *f); err != nil {
				return nil, err
			} else if ok {
				*f, changed = s.badgeHash(*f), true
			}
		}
		if !changed {
			continue
		}
		if out == nil {
			out = append([]wire.Event(nil), evs...)
		}
		out[i].Scan = &sc
	}
	if out == nil {
		return evs, nil
	}
	return out, nil
}

// BadgeShown is what responses show in place of a badge code.
const BadgeShown = "[badge]"

// badgeNames remembers, for one response, which codes are badges.
type badgeNames struct {
	s     *Store
	ctx   context.Context
	q     dbtx
	names map[string]string // code or hash → operator name, "" if no badge
}

func (s *Store) newBadgeNames(ctx context.Context, q dbtx) *badgeNames {
	return &badgeNames{s: s, ctx: ctx, q: q, names: map[string]string{}}
}

// name is the display name (else username) of the badge code's owner, or
// "" if code is not a badge. A stored hash of a badge since removed is
// still no code to show: it says who it was not, only "[badge]".
func (b *badgeNames) name(code string) (string, bool, error) {
	if n, ok := b.names[code]; ok {
		return n, n != "" || domain.IsBadgeHash(code), nil
	}
	u, ok, err := b.s.badgeOwner(b.ctx, b.q, code)
	if err != nil {
		return "", false, err
	}
	n := ""
	if ok {
		n = u.DisplayName
		if n == "" {
			n = u.Username
		}
	}
	b.names[code] = n
	return n, ok || domain.IsBadgeHash(code), nil
}

// redactScan rewrites a scan event's payload so it shows no badge code:
// a badge as code becomes "[badge]" with the operator's name, a badge as
// operator becomes the name.
func (b *badgeNames) redactScan(payload json.RawMessage) (json.RawMessage, error) {
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		return payload, nil // not ours to judge; it holds no scan we can read
	}
	sc, ok := ev["scan"].(map[string]any)
	if !ok {
		return payload, nil
	}
	changed := false
	if code, _ := sc["code"].(string); code != "" {
		name, isBadge, err := b.name(code)
		if err != nil {
			return nil, err
		}
		if isBadge {
			sc["code"], changed = BadgeShown, true
			if name != "" {
				sc["operator"] = name
			}
		}
	}
	if op, _ := sc["operator"].(string); op != "" && !changed {
		name, isBadge, err := b.name(op)
		if err != nil {
			return nil, err
		}
		if isBadge {
			sc["operator"], changed = name, true
			if name == "" {
				sc["operator"] = BadgeShown
			}
		}
	}
	if !changed {
		return payload, nil
	}
	out, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("store: redact scan: %w", err)
	}
	return out, nil
}

// redactScanned returns a scanned code and operator as a response or the
// scan_results table may show them: a badge as code becomes "[badge]"
// with its owner as operator (unless the scan named one), a badge as
// operator becomes its owner's name.
func (b *badgeNames) redactScanned(code, operator string) (string, string, error) {
	if code != "" {
		name, isBadge, err := b.name(code)
		if err != nil {
			return code, operator, err
		}
		if isBadge {
			code = BadgeShown
			if operator == "" {
				operator = name
			}
		}
	}
	operator, err := b.redactField(operator)
	return code, operator, err
}

// redactField returns v, or the operator's name (or "[badge]") if v is a
// badge code or hash.
func (b *badgeNames) redactField(v string) (string, error) {
	if v == "" {
		return v, nil
	}
	name, isBadge, err := b.name(v)
	if err != nil || !isBadge {
		return v, err
	}
	if name == "" {
		return BadgeShown, nil
	}
	return name, nil
}

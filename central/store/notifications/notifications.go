// Package notifications stores central's notices, each user's
// notifications (read or unread) and the e-mail and webhook deliveries
// with their attempts, on SQLite and PostgreSQL through store's shared
// handle. It implements notify.Store and sends nothing itself.
package notifications

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/store"
)

// Store implements notify.Store.
type Store struct{ h store.Handle }

var _ notify.Store = (*Store)(nil)

// New works through the shared handle.
func New(h store.Handle) *Store { return &Store{h: h} }

func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// newID is time-ordered, so "newest first" is ORDER BY id DESC.
func newID(t time.Time) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%019d-%s", t.UnixNano(), hex.EncodeToString(b))
}

// AddNotice stores n, a notification for each recipient and each delivery.
func (s *Store) AddNotice(ctx context.Context, n notify.Notice, targets []notify.Target) (bool, error) {
	now := s.h.Now()
	id := newID(now)
	if n.Key == "" {
		n.Key = "notice:" + id
	}
	vars, err := json.Marshal(n.Vars)
	if err != nil {
		return false, err
	}
	roles := make([]string, len(n.Roles))
	for i, r := range n.Roles {
		roles[i] = string(r)
	}
	added := false
	err = s.h.InTx(ctx, func(q store.Q) error {
		res, err := q.Exec(ctx, `INSERT INTO notices (id, notice_key, kind, severity, line_id, title_key, vars_json, title, body, link, roles, at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (notice_key) DO NOTHING`,
			id, n.Key, n.Kind, n.Severity, n.Line, n.TitleKey, string(vars), n.Title, n.Body, n.Link, strings.Join(roles, ","), nanos(n.At), nanos(now))
		if err != nil {
			return fmt.Errorf("store: notice %s: %w", n.Key, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			added = false
			return nil
		}
		added = true
		users, err := recipients(ctx, q, n)
		if err != nil {
			return err
		}
		for _, u := range users {
			if _, err := q.Exec(ctx, `INSERT INTO notifications (id, notice_id, username, created_at) VALUES (?, ?, ?, ?)`,
				newID(now), id, u, nanos(now)); err != nil {
				return fmt.Errorf("store: notification for %s: %w", u, err)
			}
		}
		for _, t := range targets {
			if _, err := q.Exec(ctx, `INSERT INTO notify_deliveries (id, notice_id, channel, target, status, next_at, created_at)
				VALUES (?, ?, ?, ?, ?, 0, ?)`, newID(now), id, t.Channel, t.To, notify.StatusPending, nanos(now)); err != nil {
				return fmt.Errorf("store: delivery to %s: %w", t.To, err)
			}
		}
		return nil
	})
	return added, err
}

// recipients are the enabled users of the notice's roles and its named
// users, each once, in name order.
func recipients(ctx context.Context, q store.Q, n notify.Notice) ([]string, error) {
	var conds []string
	var args []any
	if len(n.Roles) > 0 {
		conds = append(conds, "role IN (?"+strings.Repeat(", ?", len(n.Roles)-1)+")")
		for _, r := range n.Roles {
			args = append(args, string(r))
		}
	}
	if len(n.Users) > 0 {
		conds = append(conds, "username IN (?"+strings.Repeat(", ?", len(n.Users)-1)+")")
		for _, u := range n.Users {
			args = append(args, u)
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT username FROM users WHERE disabled = 0 AND (`+strings.Join(conds, " OR ")+`) ORDER BY username`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: notice recipients: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

const noticeColumns = `n.kind, n.severity, n.line_id, n.title_key, n.vars_json, n.title, n.body, n.link, n.roles, n.at`

func scanNotice(dest []any, n *notify.Notice, vars *string, roles *string, at *int64) []any {
	return append(dest, &n.Kind, &n.Severity, &n.Line, &n.TitleKey, vars, &n.Title, &n.Body, &n.Link, roles, at)
}

func finishNotice(n *notify.Notice, vars, roles string, at int64) {
	n.At = fromNanos(at)
	_ = json.Unmarshal([]byte(vars), &n.Vars)
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			n.Roles = append(n.Roles, domain.Role(r))
		}
	}
}

// ClaimDeliveries leases due pending deliveries. A conditional update
// claims each one: of two replicas only one sees its lease written.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]notify.Delivery, error) {
	q := s.h.Read()
	rows, err := q.Query(ctx, `SELECT d.id, d.notice_id, d.channel, d.target, d.status, d.attempts, d.next_at, d.lease_until, `+noticeColumns+`
		FROM notify_deliveries d JOIN notices n ON n.id = d.notice_id
		WHERE d.status = ? AND d.next_at <= ? AND d.lease_until <= ? ORDER BY d.next_at, d.id LIMIT ?`,
		notify.StatusPending, nanos(now), nanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due deliveries: %w", err)
	}
	type cand struct {
		d     notify.Delivery
		lease int64
	}
	var cands []cand
	for rows.Next() {
		var c cand
		var next, at int64
		var vars, roles string
		dest := []any{&c.d.ID, &c.d.NoticeID, &c.d.Target.Channel, &c.d.Target.To, &c.d.Status, &c.d.Attempts, &next, &c.lease}
		if err := rows.Scan(scanNotice(dest, &c.d.Notice, &vars, &roles, &at)...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: due deliveries: %w", err)
		}
		c.d.NextAt = fromNanos(next)
		finishNotice(&c.d.Notice, vars, roles, at)
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []notify.Delivery
	for _, c := range cands {
		res, err := q.Exec(ctx, `UPDATE notify_deliveries SET lease_until = ? WHERE id = ? AND status = ? AND lease_until = ?`,
			nanos(now.Add(lease)), c.d.ID, notify.StatusPending, c.lease)
		if err != nil {
			return out, fmt.Errorf("store: claim delivery %s: %w", c.d.ID, err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			out = append(out, c.d)
		}
	}
	return out, nil
}

// FinishDelivery logs the attempt and moves the delivery on.
func (s *Store) FinishDelivery(ctx context.Context, id string, a notify.Attempt, next time.Time) error {
	return s.h.InTx(ctx, func(q store.Q) error {
		var attempts int
		if err := q.QueryRow(ctx, `SELECT attempts FROM notify_deliveries WHERE id = ?`, id).Scan(&attempts); err != nil {
			return store.NotFound("delivery "+id, err)
		}
		ok := 0
		if a.OK {
			ok = 1
		}
		if _, err := q.Exec(ctx, `INSERT INTO notify_attempts (delivery_id, attempt, at, ok, detail) VALUES (?, ?, ?, ?, ?)`,
			id, attempts+1, nanos(a.At), ok, a.Detail); err != nil {
			return fmt.Errorf("store: delivery attempt %s: %w", id, err)
		}
		status, sentAt, nextAt, lastErr := notify.StatusPending, sql.NullInt64{}, nanos(next), a.Detail
		switch {
		case a.OK:
			status, sentAt, nextAt, lastErr = notify.StatusSent, sql.NullInt64{Int64: nanos(a.At), Valid: true}, nanos(a.At), ""
		case next.IsZero():
			status, nextAt = notify.StatusFailed, nanos(a.At)
		}
		_, err := q.Exec(ctx, `UPDATE notify_deliveries SET status = ?, attempts = attempts + 1, next_at = ?, lease_until = 0,
			last_error = ?, sent_at = ? WHERE id = ?`, status, nextAt, lastErr, sentAt, id)
		return err
	})
}

// ListDeliveries is the delivery log with each delivery's attempts.
func (s *Store) ListDeliveries(ctx context.Context, limit int) ([]notify.Delivery, error) {
	q := s.h.Read()
	rows, err := q.Query(ctx, `SELECT d.id, d.notice_id, d.channel, d.target, d.status, d.attempts, d.next_at, d.last_error, d.sent_at, `+noticeColumns+`
		FROM notify_deliveries d JOIN notices n ON n.id = d.notice_id ORDER BY d.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	out := []notify.Delivery{}
	idx := map[string]int{}
	for rows.Next() {
		var d notify.Delivery
		var next, at int64
		var sent sql.NullInt64
		var vars, roles string
		dest := []any{&d.ID, &d.NoticeID, &d.Target.Channel, &d.Target.To, &d.Status, &d.Attempts, &next, &d.LastErr, &sent}
		if err := rows.Scan(scanNotice(dest, &d.Notice, &vars, &roles, &at)...); err != nil {
			rows.Close()
			return nil, err
		}
		d.NextAt = fromNanos(next)
		if sent.Valid {
			t := fromNanos(sent.Int64)
			d.SentAt = &t
		}
		finishNotice(&d.Notice, vars, roles, at)
		idx[d.ID] = len(out)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	args := make([]any, 0, len(out))
	for _, d := range out {
		args = append(args, d.ID)
	}
	arows, err := q.Query(ctx, `SELECT delivery_id, at, ok, detail FROM notify_attempts WHERE delivery_id IN (?`+
		strings.Repeat(", ?", len(args)-1)+`) ORDER BY delivery_id, attempt`, args...)
	if err != nil {
		return nil, err
	}
	defer arows.Close()
	for arows.Next() {
		var a notify.Attempt
		var at int64
		var ok int
		if err := arows.Scan(&a.DeliveryID, &at, &ok, &a.Detail); err != nil {
			return nil, err
		}
		a.At, a.OK = fromNanos(at), ok == 1
		i := idx[a.DeliveryID]
		out[i].Log = append(out[i].Log, a)
	}
	return out, arows.Err()
}

// ListNotifications is a user's page, newest first, and their unread count.
func (s *Store) ListNotifications(ctx context.Context, f notify.Filter) (notify.Page, error) {
	q := s.h.Read()
	p := notify.Page{Items: []notify.Notification{}}
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE username = ? AND read_at IS NULL`, f.User).Scan(&p.Unread); err != nil {
		return p, fmt.Errorf("store: unread count: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	query := `SELECT x.id, x.read_at, ` + noticeColumns + ` FROM notifications x JOIN notices n ON n.id = x.notice_id WHERE x.username = ?`
	args := []any{f.User}
	if f.UnreadOnly {
		query += ` AND x.read_at IS NULL`
	}
	if f.Cursor != "" {
		query, args = query+` AND x.id < ?`, append(args, f.Cursor)
	}
	query, args = query+` ORDER BY x.id DESC LIMIT ?`, append(args, f.Limit+1)
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return p, fmt.Errorf("store: notifications: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanNotification(rows)
		if err != nil {
			return p, err
		}
		p.Items = append(p.Items, x)
	}
	if len(p.Items) > f.Limit {
		p.Items = p.Items[:f.Limit]
		p.Next = p.Items[f.Limit-1].ID
	}
	return p, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanNotification(r scanner) (notify.Notification, error) {
	var x notify.Notification
	var n notify.Notice
	var read sql.NullInt64
	var vars, roles string
	var at int64
	if err := r.Scan(scanNotice([]any{&x.ID, &read}, &n, &vars, &roles, &at)...); err != nil {
		return x, err
	}
	finishNotice(&n, vars, roles, at)
	x.Kind, x.Severity, x.TitleKey, x.Vars, x.Title, x.Body, x.Link, x.Line, x.At = n.Kind, n.Severity, n.TitleKey, n.Vars, n.Title, n.Body, n.Link, n.Line, n.At
	if read.Valid {
		t := fromNanos(read.Int64)
		x.ReadAt = &t
	}
	return x, nil
}

func getNotification(ctx context.Context, q store.Q, user, id string) (notify.Notification, error) {
	x, err := scanNotification(q.QueryRow(ctx, `SELECT x.id, x.read_at, `+noticeColumns+`
		FROM notifications x JOIN notices n ON n.id = x.notice_id WHERE x.id = ? AND x.username = ?`, id, user))
	if errors.Is(err, sql.ErrNoRows) {
		return x, store.NotFound("notification "+id, err)
	}
	return x, err
}

// MarkRead marks one of the user's notifications read (audited); marking
// a read one again changes nothing. Another user's is not found.
func (s *Store) MarkRead(ctx context.Context, user, id string, actor domain.Actor) (notify.Notification, error) {
	var out notify.Notification
	err := s.h.InTx(ctx, func(q store.Q) error {
		before, err := getNotification(ctx, q, user, id)
		if err != nil {
			return err
		}
		if before.ReadAt != nil {
			out = before
			return nil
		}
		now := s.h.Now()
		if _, err := q.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND username = ? AND read_at IS NULL`, nanos(now), id, user); err != nil {
			return fmt.Errorf("store: mark notification %s read: %w", id, err)
		}
		out = before
		out.ReadAt = &now
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "notification", EntityID: id,
			Action: "read", Before: mustJSON(map[string]any{"read": false}), After: mustJSON(map[string]any{"read": true, "kind": before.Kind})})
	})
	return out, err
}

// MarkAllRead marks every unread notification of the user read (one audit
// entry with the count); it returns how many.
func (s *Store) MarkAllRead(ctx context.Context, user string, actor domain.Actor) (int, error) {
	var n int64
	err := s.h.InTx(ctx, func(q store.Q) error {
		res, err := q.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE username = ? AND read_at IS NULL`, nanos(s.h.Now()), user)
		if err != nil {
			return fmt.Errorf("store: mark notifications read: %w", err)
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "notification", EntityID: user,
			Action: "read_all", After: mustJSON(map[string]any{"marked_read": n})})
	})
	return int(n), err
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

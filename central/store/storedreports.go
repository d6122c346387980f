package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// StoredReport is one revision of a stored shift or day report (migration
// 0461). Content is the report as JSON; Hash is its SHA-256, by which a
// later generation tells whether the figures changed.
type StoredReport struct {
	Kind        string          `json:"kind"` // "shift" or "day"
	Date        string          `json:"date"` // the plant day, YYYY-MM-DD
	Shift       string          `json:"shift,omitempty"`
	Revision    int             `json:"revision"`
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	GeneratedAt time.Time       `json:"generated_at"`
	Reason      string          `json:"reason"`
	Hash        string          `json:"content_hash"`
	Content     json.RawMessage `json:"content,omitempty"`
}

// InsertStoredReport stores r unless its revision is stored already (by
// another replica, or before a restart): inserted says whether this call
// stored it. A new revision is audited with it, in one transaction.
func (s *Store) InsertStoredReport(ctx context.Context, r StoredReport) (inserted bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO stored_reports (kind, period_date, shift, revision, period_from, period_to,
			generated_at, reason, content_hash, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, period_date, shift, revision) DO NOTHING`),
		r.Kind, r.Date, r.Shift, r.Revision, nanos(r.From), nanos(r.To), nanos(r.GeneratedAt), r.Reason, r.Hash, string(r.Content))
	if err != nil {
		return false, fmt.Errorf("store: stored report %s %s %s: %w", r.Kind, r.Date, r.Shift, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	id := r.Date
	if r.Shift != "" {
		id += "/" + r.Shift
	}
	head := r
	head.Content = nil
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: r.GeneratedAt, Actor: "central", Role: domain.RoleAdmin, Entity: r.Kind + "_report",
		EntityID: id, Action: "generate", Reason: r.Reason, After: snapshot(head)}); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

const storedCols = `kind, period_date, shift, revision, period_from, period_to, generated_at, reason, content_hash`

func scanStored(r interface{ Scan(...any) error }, content bool) (StoredReport, error) {
	var sr StoredReport
	var from, to, gen int64
	dst := []any{&sr.Kind, &sr.Date, &sr.Shift, &sr.Revision, &from, &to, &gen, &sr.Reason, &sr.Hash}
	var body string
	if content {
		dst = append(dst, &body)
	}
	if err := r.Scan(dst...); err != nil {
		return StoredReport{}, err
	}
	sr.From, sr.To, sr.GeneratedAt = fromNanos(from), fromNanos(to), fromNanos(gen)
	if content {
		sr.Content = json.RawMessage(body)
	}
	return sr, nil
}

// StoredReportRevision is revision rev of a stored report (0: the latest),
// with its content; domain.ErrNotFound if there is none.
func (s *Store) StoredReportRevision(ctx context.Context, kind, date, shift string, rev int) (StoredReport, error) {
	q := `SELECT ` + storedCols + `, content FROM stored_reports WHERE kind = ? AND period_date = ? AND shift = ?`
	args := []any{kind, date, shift}
	if rev > 0 {
		q += ` AND revision = ?`
		args = append(args, rev)
	}
	q += ` ORDER BY revision DESC LIMIT 1`
	r, err := scanStored(s.db.QueryRowContext(ctx, s.q(q), args...), true)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredReport{}, domain.ErrNotFound
	}
	if err != nil {
		return StoredReport{}, fmt.Errorf("store: stored report %s %s %s: %w", kind, date, shift, err)
	}
	return r, nil
}

// StoredReports lists every revision of the reports of the plant days from
// to (YYYY-MM-DD, inclusive), without their content: days first, then
// shifts by start, each by revision.
func (s *Store) StoredReports(ctx context.Context, from, to string) ([]StoredReport, error) {
	out := []StoredReport{}
	err := s.each(ctx, `SELECT `+storedCols+` FROM stored_reports WHERE period_date >= ? AND period_date <= ?
		ORDER BY period_date, kind, period_from, shift, revision`, []any{from, to}, func(r *sql.Rows) error {
		sr, err := scanStored(r, false)
		if err != nil {
			return err
		}
		out = append(out, sr)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: stored reports: %w", err)
	}
	return out, nil
}

// FirstEventAt is the earliest source time of any stored event; ok false
// when none is stored.
func (s *Store) FirstEventAt(ctx context.Context) (at time.Time, ok bool, err error) {
	var ns sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(source_time) FROM events`).Scan(&ns); err != nil {
		return time.Time{}, false, fmt.Errorf("store: first event: %w", err)
	}
	if !ns.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(ns.Int64), true, nil
}

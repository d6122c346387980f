package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
)

const exceptionColumns = `id, line_id, work_order_id, kind, severity, status, opened_at, last_at, occurrences, detail,
	raised_by, acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution`

func scanException(sc interface{ Scan(...any) error }) (domain.Exception, error) {
	var x domain.Exception
	var kind, sev, status string
	var opened, last int64
	var ack, res sql.NullInt64
	err := sc.Scan(&x.ID, &x.Line, &x.WorkOrder, &kind, &sev, &status, &opened, &last, &x.Occurrences, &x.Detail,
		&x.RaisedBy, &ack, &x.AcknowledgedBy, &res, &x.ResolvedBy, &x.Resolution)
	x.Kind, x.Severity, x.Status = domain.ExceptionKind(kind), domain.Severity(sev), domain.ExceptionStatus(status)
	x.OpenedAt, x.LastAt = fromNanos(opened), fromNanos(last)
	x.AcknowledgedAt, x.ResolvedAt = fromNull(ack), fromNull(res)
	return x, err
}

// RaiseException opens x (its Line, Kind, WorkOrder, OpenedAt, Detail are
// used; the rest is filled) unless an exception already covers it:
//
//   - one not yet resolved for the same (line, kind, work order): if x is
//     later than its last occurrence, it counts one more (RaiseRepeated) and
//     takes x's detail; otherwise nothing changes (a resent event);
//   - one for the same occurrence that is still open, or was resolved by a
//     person (a supervisor who resolved a down line by hand is not told
//     again about the same stop): nothing changes.
//
// occurrence names the occurrence (see migration 0230). A new exception is
// audited as "raise" by actor in the same transaction.
func (s *Store) RaiseException(ctx context.Context, x domain.Exception, occurrence string, actor domain.Actor) (domain.Exception, domain.RaiseOutcome, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return x, domain.RaiseUnchanged, fmt.Errorf("store: raise %s on line %s: %w", x.Kind, x.Line, err)
	}
	defer tx.Rollback()
	fail := func(err error) (domain.Exception, domain.RaiseOutcome, error) {
		return x, domain.RaiseUnchanged, fmt.Errorf("store: raise %s on line %s: %w", x.Kind, x.Line, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM exceptions
		WHERE line_id = ? AND kind = ? AND work_order_id = ? AND occurrence = ? AND (status <> ? OR resolved_by <> ?)`),
		x.Line, string(x.Kind), x.WorkOrder, occurrence, string(domain.ExceptionResolved), domain.SystemActor).Scan(&n); err != nil {
		return fail(err)
	}
	if n > 0 {
		cur, err := scanException(tx.QueryRowContext(ctx, s.q(`SELECT `+exceptionColumns+` FROM exceptions
			WHERE line_id = ? AND kind = ? AND work_order_id = ? AND status <> ?`),
			x.Line, string(x.Kind), x.WorkOrder, string(domain.ExceptionResolved)))
		if errors.Is(err, sql.ErrNoRows) {
			return x, domain.RaiseUnchanged, nil // resolved by hand
		}
		if err != nil {
			return fail(err)
		}
		return cur, domain.RaiseUnchanged, nil
	}
	now := s.now()
	if x.LastAt.IsZero() || x.LastAt.Before(x.OpenedAt) {
		x.LastAt = x.OpenedAt
	}
	x.ID = fmt.Sprintf("%019d-%s", now.UnixNano(), randomSuffix())
	x.Severity, x.Status, x.Occurrences, x.RaisedBy = x.Kind.Severity(), domain.ExceptionOpen, 1, actor.Name
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO exceptions (id, line_id, work_order_id, kind, severity, status, occurrence,
			opened_at, last_at, occurrences, detail, raised_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT DO NOTHING`),
		x.ID, x.Line, x.WorkOrder, string(x.Kind), string(x.Severity), string(x.Status), occurrence,
		nanos(x.OpenedAt), nanos(x.LastAt), x.Detail, x.RaisedBy, nanos(now))
	if err != nil {
		return fail(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		// One is open already: count this occurrence if it is a new one.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE exceptions SET occurrences = occurrences + 1, last_at = ?, detail = ?
			WHERE line_id = ? AND kind = ? AND work_order_id = ? AND status <> ? AND last_at < ?`),
			nanos(x.LastAt), x.Detail, x.Line, string(x.Kind), x.WorkOrder, string(domain.ExceptionResolved), nanos(x.LastAt))
		if err != nil {
			return fail(err)
		}
		outcome := domain.RaiseUnchanged
		if k, _ := res.RowsAffected(); k > 0 {
			outcome = domain.RaiseRepeated
		}
		cur, err := scanException(tx.QueryRowContext(ctx, s.q(`SELECT `+exceptionColumns+` FROM exceptions
			WHERE line_id = ? AND kind = ? AND work_order_id = ? AND status <> ?`),
			x.Line, string(x.Kind), x.WorkOrder, string(domain.ExceptionResolved)))
		if err != nil {
			return fail(err)
		}
		if err := tx.Commit(); err != nil {
			return fail(err)
		}
		return cur, outcome, nil
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "exception",
		EntityID: x.ID, Action: "raise", Reason: x.Detail, After: snapshot(x)}); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return x, domain.RaiseCreated, nil
}

// GetException returns one exception.
func (s *Store) GetException(ctx context.Context, id string) (domain.Exception, error) {
	x, err := scanException(s.db.QueryRowContext(ctx, s.q(`SELECT `+exceptionColumns+` FROM exceptions WHERE id = ?`), id))
	if err != nil {
		return x, notFound("store: exception "+id, err)
	}
	return x, nil
}

// ListExceptions returns the exceptions f selects, newest first.
func (s *Store) ListExceptions(ctx context.Context, f domain.ExceptionFilter) ([]domain.Exception, error) {
	var where []string
	var args []any
	if f.Line != "" {
		where, args = append(where, "line_id = ?"), append(args, f.Line)
	}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		where = append(where, col+" IN (?"+strings.Repeat(", ?", len(vals)-1)+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	var sts, kinds []string
	for _, v := range f.Status {
		sts = append(sts, string(v))
	}
	for _, v := range f.Kind {
		kinds = append(kinds, string(v))
	}
	in("status", sts)
	in("kind", kinds)
	if f.After != "" {
		where, args = append(where, "id < ?"), append(args, f.After)
	}
	query := `SELECT ` + exceptionColumns + ` FROM exceptions`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	query += " ORDER BY id DESC LIMIT ? OFFSET ?"
	args = append(args, f.Limit, f.Offset)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list exceptions: %w", err)
	}
	defer rows.Close()
	out := []domain.Exception{}
	for rows.Next() {
		x, err := scanException(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list exceptions: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// AcknowledgeException moves an open exception to acknowledged.
func (s *Store) AcknowledgeException(ctx context.Context, id string, actor domain.Actor, note string) (domain.Exception, error) {
	return s.changeException(ctx, id, domain.ExceptionAcknowledged, actor, note, s.now())
}

// ResolveException resolves an open or acknowledged exception; at is when
// (the source time of what cleared it, or now for a person).
func (s *Store) ResolveException(ctx context.Context, id string, actor domain.Actor, note string, at time.Time) (domain.Exception, error) {
	return s.changeException(ctx, id, domain.ExceptionResolved, actor, note, at)
}

func (s *Store) changeException(ctx context.Context, id string, to domain.ExceptionStatus, actor domain.Actor, note string, at time.Time) (domain.Exception, error) {
	action := "acknowledge"
	if to == domain.ExceptionResolved {
		action = "resolve"
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.Exception{}, fmt.Errorf("store: %s exception %s: %w", action, id, err)
	}
	defer tx.Rollback()
	before, err := scanException(tx.QueryRowContext(ctx, s.q(`SELECT `+exceptionColumns+` FROM exceptions WHERE id = ?`), id))
	if err != nil {
		return before, notFound("store: exception "+id, err)
	}
	if err := before.Transition(to); err != nil {
		return before, err
	}
	after := before
	after.Status = to
	var q string
	var args []any
	if to == domain.ExceptionAcknowledged {
		after.AcknowledgedAt, after.AcknowledgedBy = &at, actor.Name
		q = `UPDATE exceptions SET status = ?, acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND status = ?`
	} else {
		after.ResolvedAt, after.ResolvedBy, after.Resolution = &at, actor.Name, note
		q = `UPDATE exceptions SET status = ?, resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ? AND status = ?`
	}
	if to == domain.ExceptionAcknowledged {
		args = []any{string(to), nanos(at), actor.Name, id, string(before.Status)}
	} else {
		args = []any{string(to), nanos(at), actor.Name, note, id, string(before.Status)}
	}
	res, err := tx.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return before, fmt.Errorf("store: %s exception %s: %w", action, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return before, fmt.Errorf("exception %s changed meanwhile: %w", id, domain.ErrConflict)
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "exception", EntityID: id,
		Action: action, Reason: note, Before: snapshot(before), After: snapshot(after)}); err != nil {
		return before, err
	}
	if err := tx.Commit(); err != nil {
		return before, fmt.Errorf("store: %s exception %s: %w", action, id, err)
	}
	return after, nil
}

// EventWorkOrder is the work order a stored event was attributed to by its
// source time ("" when none ran on its line then); domain.ErrNotFound if
// the event is not stored.
func (s *Store) EventWorkOrder(ctx context.Context, edge string, seq uint64) (string, error) {
	var wo sql.NullString
	// Seq is stored as BIGINT (see insertEvents).
	err := s.db.QueryRowContext(ctx, s.q(`SELECT work_order_id FROM events WHERE edge_id = ? AND seq = ?`), edge, int64(seq)).Scan(&wo)
	if err != nil {
		return "", notFound(fmt.Sprintf("store: event %s/%d", edge, seq), err)
	}
	return wo.String, nil
}

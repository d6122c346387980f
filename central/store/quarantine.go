package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// Quarantine keeps the events of edge that ingest refused, each once (a
// resent batch stores nothing again), and in the same transaction raises
// one quarantined_event exception per line they claim, or counts the new
// ones as occurrences of the one already open. It returns how many events
// were new. Only after it commits may the refusals be acknowledged.
func (s *Store) Quarantine(ctx context.Context, edge string, refused []wire.Refused) (int, error) {
	if len(refused) == 0 {
		return 0, nil
	}
	fail := func(err error) (int, error) {
		return 0, fmt.Errorf("store: quarantine events of edge %s: %w", edge, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	now := s.now()
	type lineNews struct {
		n    int
		last wire.Refused
	}
	news := map[string]*lineNews{}
	var order []string
	added := 0
	for _, r := range refused {
		var at sql.NullInt64
		if !r.SourceTime.IsZero() {
			at = sql.NullInt64{Int64: nanos(r.SourceTime), Valid: true} // Screen kept it only within 1970..2262
		}
		line := r.Line
		if wire.ValidID(line) != nil {
			line = "" // not a line id: kept in the raw event, not as a key
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO quarantine (edge_id, seq, line_id, type, source_time, received_at, reason, payload)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (edge_id, seq) DO NOTHING`),
			edge, int64(r.Seq), line, clip(r.Type, 64), at, nanos(now), clip(r.Reason, 2000), string(r.Raw))
		if err != nil {
			return fail(err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue // quarantined before: a resend
		}
		added++
		if line == "" {
			continue
		}
		if news[line] == nil {
			news[line] = &lineNews{}
			order = append(order, line)
		}
		news[line].n++
		news[line].last = r
	}
	for _, line := range order {
		nl := news[line]
		detail := fmt.Sprintf("event %d of edge %s refused: %s", nl.last.Seq, edge, clip(nl.last.Reason, 300))
		if nl.n > 1 {
			detail = fmt.Sprintf("%d events of edge %s refused; the last, %d: %s", nl.n, edge, nl.last.Seq, clip(nl.last.Reason, 300))
		}
		if err := s.raiseQuarantined(ctx, tx, line, edge, nl.last.Seq, nl.n, detail); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return added, nil
}

// raiseQuarantined opens the line's quarantined_event exception, or adds n
// occurrences to the one not yet resolved.
func (s *Store) raiseQuarantined(ctx context.Context, tx *sql.Tx, line, edge string, seq uint64, n int, detail string) error {
	now := s.now()
	kind := domain.ExceptionQuarantinedEvent
	x := domain.Exception{ID: fmt.Sprintf("%019d-%s", now.UnixNano(), randomSuffix()), Line: line, Kind: kind,
		Severity: kind.Severity(), Status: domain.ExceptionOpen, OpenedAt: now, LastAt: now, Occurrences: n,
		Detail: detail, RaisedBy: domain.SystemActor}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO exceptions (id, line_id, work_order_id, kind, severity, status, occurrence,
			opened_at, last_at, occurrences, detail, raised_by, created_at)
		VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		x.ID, line, string(kind), string(x.Severity), string(x.Status), fmt.Sprintf("%s/%d", edge, seq),
		nanos(now), nanos(now), n, detail, x.RaisedBy, nanos(now))
	if err != nil {
		return fmt.Errorf("raise %s on line %s: %w", kind, line, err)
	}
	if k, _ := res.RowsAffected(); k > 0 {
		return s.writeAudit(ctx, tx, domain.AuditEntry{At: now, Actor: domain.SystemActor, Entity: "exception",
			EntityID: x.ID, Action: "raise", Reason: detail, After: snapshot(x)})
	}
	_, err = tx.ExecContext(ctx, s.q(`UPDATE exceptions SET occurrences = occurrences + ?, detail = ?,
			last_at = CASE WHEN last_at < ? THEN ? ELSE last_at END
		WHERE line_id = ? AND kind = ? AND work_order_id = '' AND status <> ?`),
		n, detail, nanos(now), nanos(now), line, string(kind), string(domain.ExceptionResolved))
	if err != nil {
		return fmt.Errorf("repeat %s on line %s: %w", kind, line, err)
	}
	return nil
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// ListQuarantine returns the quarantined events f selects, newest first.
func (s *Store) ListQuarantine(ctx context.Context, f domain.QuarantineFilter) ([]domain.QuarantinedEvent, error) {
	var where []string
	var args []any
	if f.Line != "" {
		where, args = append(where, "line_id = ?"), append(args, f.Line)
	}
	if f.Edge != "" {
		where, args = append(where, "edge_id = ?"), append(args, f.Edge)
	}
	query := `SELECT edge_id, seq, line_id, type, source_time, received_at, reason, payload, COALESCE(work_order_id, ''), origin FROM quarantine`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	query += " ORDER BY received_at DESC, edge_id, seq DESC LIMIT ? OFFSET ?"
	args = append(args, f.Limit, max(f.Offset, 0))
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list quarantine: %w", err)
	}
	defer rows.Close()
	out := []domain.QuarantinedEvent{}
	for rows.Next() {
		var q domain.QuarantinedEvent
		var seq, received int64
		var at sql.NullInt64
		if err := rows.Scan(&q.EdgeID, &seq, &q.Line, &q.Type, &at, &received, &q.Reason, &q.Raw, &q.WorkOrder, &q.Origin); err != nil {
			return nil, fmt.Errorf("store: list quarantine: %w", err)
		}
		q.Seq, q.ReceivedAt, q.SourceTime = uint64(seq), fromNanos(received), fromNull(at)
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list quarantine: %w", err)
	}
	return out, nil
}

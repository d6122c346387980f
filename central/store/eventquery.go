package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// QueryEvents returns up to q.Limit stored events of q.Line that q
// selects, newest source time first, ties broken by edge id and sequence
// (descending), so a cursor (q.After) continues exactly where a page
// ended even when events share a source time. It reads the index on line
// and source time; a scan shows whose badge it was, never the code.
func (s *Store) QueryEvents(ctx context.Context, q domain.EventQuery) ([]domain.EventRecord, error) {
	where, args := []string{"line_id = ?"}, []any{q.Line}
	if q.Type != "" {
		where, args = append(where, "type = ?"), append(args, q.Type)
	}
	if q.WorkOrder != "" {
		where, args = append(where, "work_order_id = ?"), append(args, q.WorkOrder)
	}
	if !q.From.IsZero() {
		where, args = append(where, "source_time >= ?"), append(args, nanos(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "source_time < ?"), append(args, nanos(q.To))
	}
	if c := q.After; c != nil {
		// (source_time, edge_id, seq) < cursor, spelled out: both
		// databases use the index on source_time for the first term.
		where = append(where, "(source_time < ? OR (source_time = ? AND (edge_id < ? OR (edge_id = ? AND seq < ?))))")
		ts := nanos(c.SourceTime)
		args = append(args, ts, ts, c.EdgeID, c.EdgeID, int64(c.Seq))
	}
	query := `SELECT edge_id, seq, line_id, type, source_time, received_at, payload, work_order_id FROM events WHERE `
	for i, w := range where {
		if i > 0 {
			query += " AND "
		}
		query += w
	}
	query += ` ORDER BY source_time DESC, edge_id DESC, seq DESC LIMIT ?`
	args = append(args, q.Limit)
	out := []domain.EventRecord{}
	err := s.each(ctx, query, args, func(rows *sql.Rows) error {
		var e domain.EventRecord
		var seq, ts, rx int64
		var payload string
		var wo sql.NullString
		if err := rows.Scan(&e.EdgeID, &seq, &e.LineID, &e.Type, &ts, &rx, &payload, &wo); err != nil {
			return err
		}
		e.Seq, e.SourceTime, e.ReceivedAt, e.Payload = uint64(seq), fromNanos(ts), fromNanos(rx), json.RawMessage(payload)
		if wo.Valid {
			e.WorkOrderID = &wo.String
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: events of line %s: %w", q.Line, err)
	}
	names := s.newBadgeNames(ctx, s.db)
	for i := range out {
		if out[i].Type != wire.TypeScan {
			continue
		}
		if out[i].Payload, err = names.redactScan(out[i].Payload); err != nil {
			return nil, err
		}
	}
	return out, nil
}

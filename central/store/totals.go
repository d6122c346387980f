package store

import (
	"context"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// LineTotals sums the good and reject deltas of line's count events whose
// source time is in [from, to), per attributed work order. It reads the
// stored events (the index on line and source time), so the totals are
// what the events say, whatever a work order's own counters hold.
func (s *Store) LineTotals(ctx context.Context, line string, from, to time.Time) (domain.LineTotals, error) {
	good, reject := `CAST(json_extract(e.payload, '$.count.good') AS INTEGER)`, `CAST(json_extract(e.payload, '$.count.reject') AS INTEGER)`
	if s.postgres {
		good, reject = `((e.payload::jsonb)->'count'->>'good')::bigint`, `((e.payload::jsonb)->'count'->>'reject')::bigint`
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT COALESCE(e.work_order_id, ''), COALESCE(MIN(w.order_number), ''),
			CAST(COALESCE(SUM(`+good+`), 0) AS BIGINT), CAST(COALESCE(SUM(`+reject+`), 0) AS BIGINT), COUNT(*)
		FROM events e LEFT JOIN work_orders w ON w.id = e.work_order_id
		WHERE e.line_id = ? AND e.type = 'count' AND e.source_time >= ? AND e.source_time < ?
		GROUP BY e.work_order_id
		ORDER BY MIN(e.source_time), e.work_order_id`), line, nanos(from), nanos(to))
	if err != nil {
		return domain.LineTotals{}, fmt.Errorf("store: totals of line %s: %w", line, err)
	}
	defer rows.Close()
	t := domain.LineTotals{Line: line, From: from, To: to, WorkOrders: []domain.WorkOrderTotals{}}
	for rows.Next() {
		var w domain.WorkOrderTotals
		var n int64
		if err := rows.Scan(&w.WorkOrderID, &w.OrderNumber, &w.Good, &w.Reject, &n); err != nil {
			return domain.LineTotals{}, fmt.Errorf("store: totals of line %s: %w", line, err)
		}
		t.Good += w.Good
		t.Reject += w.Reject
		t.CountEvents += n
		if w.WorkOrderID == "" {
			t.UnattributedGood, t.UnattributedReject = w.Good, w.Reject
			continue
		}
		t.WorkOrders = append(t.WorkOrders, w)
	}
	if err := rows.Err(); err != nil {
		return domain.LineTotals{}, fmt.Errorf("store: totals of line %s: %w", line, err)
	}
	return t, nil
}

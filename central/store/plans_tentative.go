package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// tentativeWork is the work of scheduled orders that have no work orders
// yet (they are cut at release): one entry per routing operation of the
// order's product, with the work order id release will give it, its
// routing line, the order's quantity and nothing made. The plan shows it as
// tentative; release firms it.
func (s *Store) tentativeWork(ctx context.Context) ([]domain.PlanWork, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT o.number, r.seq, r.line_id, o.quantity, o.due_at, o.priority, o.product_code, p.name,
			CASE WHEN r.ideal_cycle_ns > 0 THEN r.ideal_cycle_ns ELSE p.ideal_cycle_ns END,
			r.setup_ns, CASE WHEN p.family <> '' THEN p.family ELSE p.code END
		FROM orders o
		JOIN products p ON p.code = o.product_code
		JOIN routings r ON r.product_code = o.product_code
		WHERE o.status = ? AND NOT EXISTS (SELECT 1 FROM work_orders w WHERE w.order_number = o.number)
		ORDER BY o.number, r.seq`), string(domain.StatusScheduled))
	if err != nil {
		return nil, fmt.Errorf("store: tentative planning work: %w", err)
	}
	defer rows.Close()
	var out []domain.PlanWork
	for rows.Next() {
		var w domain.PlanWork
		var due, cycle, setup sql.NullInt64
		if err := rows.Scan(&w.OrderNumber, &w.OperationSeq, &w.LineID, &w.Quantity, &due, &w.Priority, &w.ProductCode, &w.ProductName,
			&cycle, &setup, &w.Family); err != nil {
			return nil, fmt.Errorf("store: tentative planning work: %w", err)
		}
		w.WorkOrderID = domain.WorkOrderID(w.OrderNumber, w.OperationSeq)
		w.Status, w.OrderStatus, w.Tentative = domain.StatusScheduled, domain.StatusScheduled, true
		w.Due = fromNull(due)
		w.IdealCycle, w.Setup = time.Duration(cycle.Int64), time.Duration(setup.Int64)
		out = append(out, w)
	}
	return out, rows.Err()
}

package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// FGLot is the lot a work order's completion books its good parts into.
func FGLot(workOrder string) string { return "FG-" + workOrder }

// onWorkOrderDone books, in the transaction that completes a work order,
// the finished (or semi-finished) goods it made: when it is its order's
// last operation (what leaves it is the order's product), its good count
// less what was already received from it goes into lot FG-<work order>
// (produced by it, so its backward trace shows the lots its order
// consumed) at its line's line-side location, else the first warehouse
// location, as an fg_receipt by whoever completed it (audited like every
// movement). A work order with nothing good, or with nowhere to put it,
// books nothing; completion never fails for it.
func (s *Store) onWorkOrderDone(ctx context.Context, q store.Q, w domain.WorkOrder, actor domain.Actor) error {
	if w.Good <= 0 {
		return nil
	}
	var last int
	if err := q.QueryRow(ctx, `SELECT MAX(operation_seq) FROM work_orders WHERE order_number = ?`, w.OrderNumber).Scan(&last); err != nil {
		return fmt.Errorf("store: finished goods of %s: %w", w.ID, err)
	}
	if w.OperationSeq != last {
		return nil
	}
	var received int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM inv_movements WHERE work_order_id = ? AND type = 'fg_receipt'`,
		w.ID).Scan(&received); err != nil {
		return fmt.Errorf("store: finished goods of %s: %w", w.ID, err)
	}
	qty := domain.Qty(w.Good*domain.QtyScale - received)
	if qty <= 0 {
		return nil
	}
	var loc string
	err := q.QueryRow(ctx, `SELECT id FROM inv_locations WHERE disabled = 0 AND
		((kind = 'line_side' AND line_id = ?) OR kind = 'warehouse')
		ORDER BY CASE kind WHEN 'line_side' THEN 0 ELSE 1 END, id LIMIT 1`, w.LineID).Scan(&loc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: finished goods of %s: %w", w.ID, err)
	}
	m := domain.MovementRequest{Type: domain.MoveFGReceipt, Lot: FGLot(w.ID), Quantity: qty, To: loc, WorkOrder: w.ID,
		Reason: "completed"}
	if err := domain.CheckMovement(m); err != nil {
		return nil
	}
	_, err = s.book(ctx, q, m, actor)
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return nil // a lot of that name made by something else: the goods are booked by hand
	}
	return err
}

package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// backflusher is who backflush movements are booked as.
var backflusher = domain.Actor{Name: "backflush"}

// backflush consumes, in the ingest transaction that books counts, the
// components of what each work order made (good + reject): its order's BOM
// per part, at the order's first operation (components go in there), from
// released lots at its line's line-side locations, earliest expiry first,
// then oldest. Each lot taken is an issue movement (reason "backflush"),
// so genealogy and the ledger follow. What the line side does not hold is
// kept as the work order's backflush shortfall; a count never fails for a
// business reason.
func (s *Store) backflush(ctx context.Context, q store.Q, counts []store.WorkOrderCount) error {
	for _, c := range counts {
		n := c.Good + c.Reject
		if n <= 0 {
			continue
		}
		var order, line, product string
		var seq, first int
		err := q.QueryRow(ctx, `SELECT w.order_number, w.line_id, w.operation_seq, o.product_code,
			(SELECT MIN(x.operation_seq) FROM work_orders x WHERE x.order_number = w.order_number)
			FROM work_orders w JOIN orders o ON o.number = w.order_number WHERE w.id = ?`, c.WorkOrder).Scan(&order, &line, &seq, &product, &first)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("backflush %s: %w", c.WorkOrder, err)
		}
		if seq != first {
			continue
		}
		rows, err := q.Query(ctx, `SELECT component_code, quantity, unit FROM bom_items WHERE product_code = ? ORDER BY component_code`, product)
		if err != nil {
			return fmt.Errorf("backflush %s: bom: %w", c.WorkOrder, err)
		}
		var bom []bomLine
		for rows.Next() {
			var b bomLine
			if err := rows.Scan(&b.component, &b.per, &b.unit); err != nil {
				rows.Close()
				return err
			}
			bom = append(bom, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, b := range bom {
			if err := s.backflushComponent(ctx, q, c, line, n, b); err != nil {
				return fmt.Errorf("backflush %s of %s: %w", b.component, c.WorkOrder, err)
			}
		}
	}
	return nil
}

type source struct {
	lot, location string
	qty           domain.Qty
}

func (s *Store) backflushComponent(ctx context.Context, q store.Q, c store.WorkOrderCount, line string, parts int64, b bomLine) error {
	mat, err := loadMaterial(ctx, q, b.component, "bom")
	if err != nil {
		return err
	}
	need, err := domain.Convert(mat.code, mat.unit, domain.Qty(math.Round(float64(parts)*domain.QtyScale*b.per)), b.unit, mat.convs)
	if err != nil {
		// A BOM unit without a conversion: nothing can be booked; the
		// whole requirement, in the BOM's figure, stays short.
		need = domain.Qty(math.Round(float64(parts) * domain.QtyScale * b.per))
		return short(ctx, q, c, b.component, need)
	}
	rows, err := q.Query(ctx, `SELECT b.lot_id, b.location_id, b.quantity FROM inv_balances b
		JOIN inv_lots l ON l.id = b.lot_id JOIN inv_locations loc ON loc.id = b.location_id
		WHERE b.material = ? AND loc.kind = 'line_side' AND loc.line_id = ? AND loc.disabled = 0 AND l.status = 'released' AND b.quantity > 0
		ORDER BY (l.expires_at IS NULL), l.expires_at, COALESCE(l.received_at, l.produced_at, l.created_at), l.id, b.location_id`, b.component, line)
	if err != nil {
		return err
	}
	var srcs []source
	for rows.Next() {
		var sr source
		var qty int64
		if err := rows.Scan(&sr.lot, &sr.location, &qty); err != nil {
			rows.Close()
			return err
		}
		sr.qty = domain.Qty(qty)
		srcs = append(srcs, sr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, sr := range srcs {
		if need <= 0 {
			break
		}
		take := min(need, sr.qty)
		_, err := s.book(ctx, q, domain.MovementRequest{Type: domain.MoveIssue, Lot: sr.lot, Quantity: take, From: sr.location,
			WorkOrder: c.WorkOrder, Reason: "backflush"}, backflusher)
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			continue // moved or blocked meanwhile, or the order no longer takes material: try the next lot
		}
		if err != nil {
			return err
		}
		need -= take
	}
	if need > 0 {
		return short(ctx, q, c, b.component, need)
	}
	return nil
}

func short(ctx context.Context, q store.Q, c store.WorkOrderCount, material string, qty domain.Qty) error {
	_, err := q.Exec(ctx, `INSERT INTO inv_backflush_short (work_order_id, material, quantity, last_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (work_order_id, material) DO UPDATE SET quantity = inv_backflush_short.quantity + excluded.quantity, last_at = excluded.last_at`,
		c.WorkOrder, material, int64(qty), store.Nanos(c.At))
	return err
}

// BackflushShort returns what a work order's counts could not consume, per material.
func (s *Store) BackflushShort(ctx context.Context, workOrder string) (map[string]domain.Qty, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT material, quantity FROM inv_backflush_short WHERE work_order_id = ?`, workOrder)
	if err != nil {
		return nil, fmt.Errorf("store: backflush shortfall of %s: %w", workOrder, err)
	}
	defer rows.Close()
	out := map[string]domain.Qty{}
	for rows.Next() {
		var m string
		var q int64
		if err := rows.Scan(&m, &q); err != nil {
			return nil, err
		}
		out[m] = domain.Qty(q)
	}
	return out, rows.Err()
}

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

// backflush consumes, in the transaction that books counts (ingest, a
// station's scrap, a re-attribution of counts to another work order), the
// components of what each work order made (good + reject): its order's BOM
// per part, at the order's first operation (components go in there), from
// released lots at its line's line-side locations, earliest expiry first,
// then oldest. Each lot taken is an issue movement (reason "backflush"),
// so genealogy and the ledger follow. What the line side does not hold is
// kept as the work order's backflush shortfall; a count never fails for a
// business reason. BOM lines consumed by manual issue are skipped. Counts
// taken away from a work order (negative) give back what they consumed:
// the shortfall first, then the latest backflushed lots, returned to
// where they came from.
func (s *Store) backflush(ctx context.Context, q store.Q, counts []store.WorkOrderCount) error {
	for _, c := range counts {
		n := c.Good + c.Reject
		if n == 0 {
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
		rows, err := q.Query(ctx, `SELECT component_code, quantity, unit FROM bom_items WHERE product_code = ? AND consumption <> 'manual'
			ORDER BY component_code`, product)
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
			if n < 0 {
				// Counts left the work order (re-attributed to another):
				// what they consumed comes back.
				if err := s.unbackflush(ctx, q, c, -n, b); err != nil {
					return fmt.Errorf("backflush %s of %s: %w", b.component, c.WorkOrder, err)
				}
				continue
			}
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

// unbackflush gives back what parts of c's work order consumed of b: its
// backflush shortfall first, then its backflush issues, latest first, as
// returns to the location each came from (at most what the work order
// still holds of that lot).
func (s *Store) unbackflush(ctx context.Context, q store.Q, c store.WorkOrderCount, parts int64, b bomLine) error {
	mat, err := loadMaterial(ctx, q, b.component, "bom")
	if err != nil {
		return err
	}
	need, err := domain.Convert(mat.code, mat.unit, domain.Qty(math.Round(float64(parts)*domain.QtyScale*b.per)), b.unit, mat.convs)
	if err != nil {
		return nil // nothing was booked for it either
	}
	var sh int64
	if err := q.QueryRow(ctx, `SELECT quantity FROM inv_backflush_short WHERE work_order_id = ? AND material = ?`, c.WorkOrder,
		b.component).Scan(&sh); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if d := min(domain.Qty(sh), need); d > 0 {
		if _, err := q.Exec(ctx, `UPDATE inv_backflush_short SET quantity = quantity - ? WHERE work_order_id = ? AND material = ?`,
			int64(d), c.WorkOrder, b.component); err != nil {
			return err
		}
		need -= d
	}
	if need <= 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT m.lot_id, m.from_location, m.quantity, COALESCE(w.quantity, 0) FROM inv_movements m
		LEFT JOIN inv_wo_lots w ON w.work_order_id = m.work_order_id AND w.lot_id = m.lot_id
		WHERE m.work_order_id = ? AND m.material = ? AND m.type = 'issue' AND m.reason = 'backflush' ORDER BY m.id DESC`,
		c.WorkOrder, b.component)
	if err != nil {
		return err
	}
	type issued struct {
		lot, from string
		qty, net  domain.Qty
	}
	var is []issued
	for rows.Next() {
		var x issued
		var qty, net int64
		if err := rows.Scan(&x.lot, &x.from, &qty, &net); err != nil {
			rows.Close()
			return err
		}
		x.qty, x.net = domain.Qty(qty), domain.Qty(net)
		is = append(is, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	left := map[string]domain.Qty{}
	for _, x := range is {
		if _, ok := left[x.lot]; !ok {
			left[x.lot] = x.net
		}
	}
	for _, x := range is {
		take := min(need, x.qty, left[x.lot])
		if take <= 0 {
			continue
		}
		_, err := s.book(ctx, q, domain.MovementRequest{Type: domain.MoveReturn, Lot: x.lot, Quantity: take, To: x.from,
			WorkOrder: c.WorkOrder, Reason: "backflush moved: counts re-attributed"}, backflusher)
		var fe *domain.FieldError
		if errors.As(err, &fe) {
			continue
		}
		if err != nil {
			return err
		}
		left[x.lot] -= take
		need -= take
		if need <= 0 {
			break
		}
	}
	return nil
}

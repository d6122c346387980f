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

// LoadLot loads a lot scanned at a station of line for workOrder (the one
// running there): it checks the lot's material is a component of the work
// order's product and the lot is released, then transfers the lot's stock
// held in warehouse locations to the line's line-side location, all in one
// transaction (each transfer audited as a movement by actor). Backflush
// then consumes it with the work order's counts, so genealogy links it to
// what the work order makes. A lot that is not known is ErrNotFound.
func (s *Store) LoadLot(ctx context.Context, line, workOrder, lotID string, actor domain.Actor) (domain.LotLoad, error) {
	var ld domain.LotLoad
	err := s.h.InTx(ctx, func(q store.Q) error {
		var err error
		ld, err = s.loadLot(ctx, q, line, workOrder, lotID, actor)
		return err
	})
	if err != nil {
		return ld, err
	}
	ld.Loaded, err = s.LineSide(ctx, line)
	return ld, err
}

// loadLot is LoadLot in the caller's transaction (a fixed scanner's scan).
func (s *Store) loadLot(ctx context.Context, q store.Q, line, workOrder, lotID string, actor domain.Actor) (domain.LotLoad, error) {
	ld := domain.LotLoad{Lot: lotID, WorkOrder: workOrder}
	err := func() error {
		var status string
		err := q.QueryRow(ctx, `SELECT l.material, l.status, p.unit FROM inv_lots l JOIN products p ON p.code = l.material WHERE l.id = ?`,
			lotID).Scan(&ld.Material, &status, &ld.Unit)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("lot %s: %w", lotID, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: lot %s: %w", lotID, err)
		}
		var product string
		if err := q.QueryRow(ctx, `SELECT o.product_code FROM work_orders w JOIN orders o ON o.number = w.order_number WHERE w.id = ?`,
			workOrder).Scan(&product); err != nil {
			return store.NotFound("work order "+workOrder, err)
		}
		var bl bomLine
		var consumption string
		err = q.QueryRow(ctx, `SELECT component_code, quantity, unit, consumption FROM bom_items WHERE product_code = ? AND component_code = ?`,
			product, ld.Material).Scan(&bl.component, &bl.per, &bl.unit, &consumption)
		if errors.Is(err, sql.ErrNoRows) {
			return conflict("code", "lot %s is material %s, not a component of %s (work order %s)", lotID, ld.Material, product, workOrder)
		}
		if err != nil {
			return err
		}
		switch domain.LotStatus(status) {
		case domain.LotReleased:
		case domain.LotConsumed:
			return conflict("code", "lot %s is consumed: nothing of it is left", lotID)
		default:
			return conflict("code", "lot %s is %s: quality must release it before it is used", lotID, status)
		}
		if consumption == domain.ConsumeManual {
			return s.issueScanned(ctx, q, line, workOrder, lotID, bl, &ld, actor)
		}
		if err := q.QueryRow(ctx, `SELECT id FROM inv_locations WHERE kind = 'line_side' AND line_id = ? AND disabled = 0 ORDER BY id LIMIT 1`,
			line).Scan(&ld.Location); errors.Is(err, sql.ErrNoRows) {
			return conflict("code", "line %s has no line-side location to load lot %s into", line, lotID)
		} else if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT b.location_id, b.quantity FROM inv_balances b JOIN inv_locations loc ON loc.id = b.location_id
			WHERE b.lot_id = ? AND b.quantity > 0 AND loc.kind = 'warehouse' AND loc.disabled = 0 ORDER BY b.location_id`, lotID)
		if err != nil {
			return err
		}
		var srcs []source
		for rows.Next() {
			var sr source
			var n int64
			if err := rows.Scan(&sr.location, &n); err != nil {
				rows.Close()
				return err
			}
			sr.qty = domain.Qty(n)
			srcs = append(srcs, sr)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, sr := range srcs {
			if _, err := s.book(ctx, q, domain.MovementRequest{Type: domain.MoveTransfer, Lot: lotID, Quantity: sr.qty, From: sr.location,
				To: ld.Location, Reason: "loaded at line " + line + " for " + workOrder}, actor); err != nil {
				return err
			}
			ld.Moved += sr.qty
		}
		var here int64
		if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(b.quantity), 0) FROM inv_balances b JOIN inv_locations loc ON loc.id = b.location_id
			WHERE b.lot_id = ? AND loc.kind = 'line_side' AND loc.line_id = ?`, lotID, line).Scan(&here); err != nil {
			return err
		}
		if here <= 0 {
			return conflict("code", "lot %s has no stock in a warehouse or at line %s to load", lotID, line)
		}
		return nil
	}()
	return ld, err
}

// LineSide is what a line's line-side locations hold (lots with stock),
// earliest expiry first — the order backflush takes them in.
func (s *Store) LineSide(ctx context.Context, line string) ([]domain.Balance, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT b.material, b.lot_id, b.location_id, b.quantity, p.unit, l.status, l.expires_at, b.updated_at
		FROM inv_balances b JOIN inv_lots l ON l.id = b.lot_id JOIN products p ON p.code = b.material
		JOIN inv_locations loc ON loc.id = b.location_id
		WHERE loc.kind = 'line_side' AND loc.line_id = ? AND b.quantity <> 0
		ORDER BY b.material, (l.expires_at IS NULL), l.expires_at, COALESCE(l.received_at, l.produced_at, l.created_at), l.id, b.location_id`, line)
	if err != nil {
		return nil, fmt.Errorf("store: line side of %s: %w", line, err)
	}
	defer rows.Close()
	out := []domain.Balance{}
	for rows.Next() {
		var b domain.Balance
		var status string
		var exp sql.NullInt64
		var updated int64
		if err := rows.Scan(&b.Material, &b.Lot, &b.Location, &b.Quantity, &b.Unit, &status, &exp, &updated); err != nil {
			return nil, err
		}
		b.LotStatus, b.UpdatedAt = domain.LotStatus(status), store.FromNanos(updated)
		if exp.Valid {
			t := store.FromNanos(exp.Int64)
			b.ExpiresAt = &t
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// issueScanned issues a scanned lot of a manually consumed component to
// the work order: what its order still needs of it (BOM per part × the
// work order's quantity, less what the order's work orders hold of it net
// of returns), at most what the lot holds at the line side and in
// warehouse locations (the line side first), as issue movements by the
// operator. Nothing left to issue is refused.
func (s *Store) issueScanned(ctx context.Context, q store.Q, line, workOrder, lotID string, bl bomLine, ld *domain.LotLoad, actor domain.Actor) error {
	mat, err := loadMaterial(ctx, q, bl.component, "code")
	if err != nil {
		return err
	}
	var woQty int64
	var order string
	if err := q.QueryRow(ctx, `SELECT quantity, order_number FROM work_orders WHERE id = ?`, workOrder).Scan(&woQty, &order); err != nil {
		return err
	}
	std, err := domain.Convert(mat.code, mat.unit, domain.Qty(math.Round(float64(woQty)*domain.QtyScale*bl.per)), bl.unit, mat.convs)
	if err != nil {
		return err
	}
	var issued int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(w.quantity), 0) FROM inv_wo_lots w JOIN work_orders x ON x.id = w.work_order_id
		WHERE x.order_number = ? AND w.material = ?`, order, bl.component).Scan(&issued); err != nil {
		return err
	}
	need := std - domain.Qty(issued)
	if need <= 0 {
		return conflict("code", "work order %s has all its %s issued (%s %s); lot %s is not needed", workOrder, bl.component,
			domain.Qty(issued), mat.unit, lotID)
	}
	rows, err := q.Query(ctx, `SELECT b.location_id, b.quantity FROM inv_balances b JOIN inv_locations loc ON loc.id = b.location_id
		WHERE b.lot_id = ? AND b.quantity > 0 AND loc.disabled = 0 AND ((loc.kind = 'line_side' AND loc.line_id = ?) OR loc.kind = 'warehouse')
		ORDER BY CASE loc.kind WHEN 'line_side' THEN 0 ELSE 1 END, b.location_id`, lotID, line)
	if err != nil {
		return err
	}
	var srcs []source
	for rows.Next() {
		var sr source
		var n int64
		if err := rows.Scan(&sr.location, &n); err != nil {
			rows.Close()
			return err
		}
		sr.qty = domain.Qty(n)
		srcs = append(srcs, sr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, sr := range srcs {
		take := min(need, sr.qty)
		if take <= 0 {
			break
		}
		if _, err := s.book(ctx, q, domain.MovementRequest{Type: domain.MoveIssue, Lot: lotID, Quantity: take, From: sr.location,
			WorkOrder: workOrder, Reason: "issued by scan at line " + line}, actor); err != nil {
			var fe *domain.FieldError
			if errors.As(err, &fe) {
				fe.Field = "code"
			}
			return err
		}
		ld.Issued += take
		ld.Location = sr.location
		need -= take
	}
	if ld.Issued <= 0 {
		return conflict("code", "lot %s has no stock in a warehouse or at line %s to issue", lotID, line)
	}
	return nil
}

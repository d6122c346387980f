package inventory

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

const lotCols = `l.id, l.material, p.unit, l.supplier_lot, COALESCE(l.work_order_id, ''), l.quantity, l.status,
	l.received_at, l.produced_at, l.expires_at, l.created_at, l.updated_at,
	COALESCE((SELECT SUM(b.quantity) FROM inv_balances b WHERE b.lot_id = l.id), 0)`

const lotFrom = ` FROM inv_lots l JOIN products p ON p.code = l.material`

func scanLot(sc interface{ Scan(...any) error }) (domain.Lot, error) {
	var l domain.Lot
	var status string
	var rec, prod, exp sql.NullInt64
	var created, updated int64
	var qty, onHand int64
	if err := sc.Scan(&l.ID, &l.Material, &l.Unit, &l.SupplierLot, &l.WorkOrderID, &qty, &status,
		&rec, &prod, &exp, &created, &updated, &onHand); err != nil {
		return l, err
	}
	l.Quantity, l.OnHand, l.Status = domain.Qty(qty), domain.Qty(onHand), domain.LotStatus(status)
	l.ReceivedAt, l.ProducedAt, l.ExpiresAt = store.FromNull(rec), store.FromNull(prod), store.FromNull(exp)
	l.CreatedAt, l.UpdatedAt = store.FromNanos(created), store.FromNanos(updated)
	return l, nil
}

// GetLot returns a lot with its on-hand quantity (the sum of its few balances).
func (s *Store) GetLot(ctx context.Context, id string) (domain.Lot, error) {
	return getLot(ctx, s.h.Read(), id)
}

func getLot(ctx context.Context, q store.Q, id string) (domain.Lot, error) {
	l, err := scanLot(q.QueryRow(ctx, `SELECT `+lotCols+lotFrom+` WHERE l.id = ?`, id))
	if err != nil {
		return l, store.NotFound("lot "+id, err)
	}
	return l, nil
}

// ListLots lists lots by id.
func (s *Store) ListLots(ctx context.Context, f domain.LotFilter) ([]domain.Lot, error) {
	query := `SELECT ` + lotCols + lotFrom + ` WHERE 1 = 1`
	var args []any
	if f.Material != "" {
		query += ` AND l.material = ?`
		args = append(args, f.Material)
	}
	if f.Status != "" {
		query += ` AND l.status = ?`
		args = append(args, string(f.Status))
	}
	if f.SupplierLot != "" {
		query += ` AND l.supplier_lot = ?`
		args = append(args, f.SupplierLot)
	}
	if f.After != "" {
		query += ` AND l.id > ?`
		args = append(args, f.After)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	query += ` ORDER BY l.id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.h.Read().Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list lots: %w", err)
	}
	defer rows.Close()
	out := []domain.Lot{}
	for rows.Next() {
		l, err := scanLot(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list lots: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// lockLot takes the lot's row lock (an UPDATE, which both databases
// support; SQLite has one writer anyway) so movements of one lot and
// quality's decisions on it run one after the other, each seeing the
// balances the one before left. It reports whether the lot exists.
func lockLot(ctx context.Context, q store.Q, id string, at int64) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE inv_lots SET updated_at = ? WHERE id = ?`, at, id)
	if err != nil {
		return false, fmt.Errorf("store: lock lot %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// SetLotStatus is quality's release, block or quarantine of a lot
// (audited with the reason). A consumed lot has nothing left to decide on.
func (s *Store) SetLotStatus(ctx context.Context, id string, c domain.LotStatusChange, actor domain.Actor) (domain.Lot, error) {
	if err := domain.CheckLotStatusChange(c); err != nil {
		return domain.Lot{}, err
	}
	var after domain.Lot
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.h.Now()
		ok, err := lockLot(ctx, q, id, store.Nanos(now))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("lot %s: %w", id, domain.ErrNotFound)
		}
		before, err := getLot(ctx, q, id)
		if err != nil {
			return err
		}
		if before.Status == domain.LotConsumed {
			return conflict("status", "lot %s is consumed: no stock is left to release or block", id)
		}
		if before.Status == c.Status {
			after = before
			return nil
		}
		if _, err := q.Exec(ctx, `UPDATE inv_lots SET status = ? WHERE id = ?`, string(c.Status), id); err != nil {
			return fmt.Errorf("store: lot %s status: %w", id, err)
		}
		after = before
		after.Status, after.UpdatedAt = c.Status, now
		return q.Audit(ctx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "lot", EntityID: id,
			Action: "status_" + string(c.Status), Reason: c.Reason,
			Before: mustJSON(map[string]any{"status": before.Status}), After: mustJSON(map[string]any{"status": c.Status})})
	})
	return after, err
}

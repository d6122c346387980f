package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// StockLevels returns a material's levels, all-locations first.
func (s *Store) StockLevels(ctx context.Context, material string) ([]domain.StockLevel, error) {
	q := s.h.Read()
	if ok, err := exists(ctx, q, `SELECT 1 FROM products WHERE code = ?`, material); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("material %s: %w", material, domain.ErrNotFound)
		}
		return nil, err
	}
	return levels(ctx, q, `WHERE material = ?`, material)
}

func levels(ctx context.Context, q store.Q, where string, args ...any) ([]domain.StockLevel, error) {
	rows, err := q.Query(ctx, `SELECT location_id, safety_stock, reorder_point, maximum FROM inv_stock_levels `+where+
		` ORDER BY location_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: stock levels: %w", err)
	}
	defer rows.Close()
	out := []domain.StockLevel{}
	for rows.Next() {
		var l domain.StockLevel
		var ss, rp, mx int64
		if err := rows.Scan(&l.Location, &ss, &rp, &mx); err != nil {
			return nil, err
		}
		l.SafetyStock, l.ReorderPoint, l.Maximum = domain.Qty(ss), domain.Qty(rp), domain.Qty(mx)
		out = append(out, l)
	}
	return out, rows.Err()
}

// ReplaceStockLevels sets a material's levels (audited).
func (s *Store) ReplaceStockLevels(ctx context.Context, material string, ls []domain.StockLevel, actor domain.Actor) error {
	if err := domain.CheckStockLevels(ls); err != nil {
		return err
	}
	return s.h.InTx(ctx, func(q store.Q) error {
		if ok, err := exists(ctx, q, `SELECT 1 FROM products WHERE code = ?`, material); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("material %s: %w", material, domain.ErrNotFound)
			}
			return err
		}
		for i, l := range ls {
			if l.Location == "" {
				continue
			}
			if _, err := getLocation(ctx, q, l.Location); errors.Is(err, domain.ErrNotFound) {
				return domain.Invalid(fmt.Sprintf("[%d].location", i), "location %s does not exist", l.Location)
			} else if err != nil {
				return err
			}
		}
		before, err := levels(ctx, q, `WHERE material = ?`, material)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM inv_stock_levels WHERE material = ?`, material); err != nil {
			return err
		}
		for _, l := range ls {
			if _, err := q.Exec(ctx, `INSERT INTO inv_stock_levels (material, location_id, safety_stock, reorder_point, maximum) VALUES (?, ?, ?, ?, ?)`,
				material, l.Location, int64(l.SafetyStock), int64(l.ReorderPoint), int64(l.Maximum)); err != nil {
				return fmt.Errorf("store: stock levels of %s: %w", material, err)
			}
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "stock_levels", EntityID: material,
			Action: "replace", Before: mustJSON(before), After: mustJSON(ls)})
	})
}

// StockAlerts lists every level the usable stock (released lots outside
// quarantine locations, at the level's location or all of them) breaks,
// by material and location. It sums the kept balances of each material.
func (s *Store) StockAlerts(ctx context.Context) ([]domain.StockAlert, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT s.material, s.location_id, p.unit, s.safety_stock, s.reorder_point, s.maximum,
		COALESCE((SELECT SUM(b.quantity) FROM inv_balances b
			JOIN inv_lots l ON l.id = b.lot_id JOIN inv_locations loc ON loc.id = b.location_id
			WHERE b.material = s.material AND l.status = 'released' AND loc.kind <> 'quarantine' AND loc.disabled = 0
			AND (s.location_id = '' OR b.location_id = s.location_id)), 0)
		FROM inv_stock_levels s JOIN products p ON p.code = s.material
		ORDER BY s.material, s.location_id`)
	if err != nil {
		return nil, fmt.Errorf("store: stock alerts: %w", err)
	}
	defer rows.Close()
	out := []domain.StockAlert{}
	for rows.Next() {
		var a domain.StockAlert
		var ss, rp, mx, stock int64
		if err := rows.Scan(&a.Material, &a.Location, &a.Unit, &ss, &rp, &mx, &stock); err != nil {
			return nil, fmt.Errorf("store: stock alerts: %w", err)
		}
		a.SafetyStock, a.ReorderPoint, a.Maximum, a.Stock = domain.Qty(ss), domain.Qty(rp), domain.Qty(mx), domain.Qty(stock)
		lv := domain.StockLevel{SafetyStock: a.SafetyStock, ReorderPoint: a.ReorderPoint, Maximum: a.Maximum}
		if a.Kind = lv.Alert(a.Stock); a.Kind != "" {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}

package inventory

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

type projectedWO struct {
	id, order, line, product, status string
	qty, made                        int64
	cycle                            time.Duration // the product's ideal cycle
	start                            time.Time
}

// MaterialShortages projects stock over the work orders that take
// material — each order's first operation (where backflush consumes),
// released with a planned start before now+horizon, or running (in
// progress or paused) — in the order they start: each draws its remaining
// need (BOM per part × its quantity, converted to the base unit, less what
// was issued to it net of returns) from the usable stock (released lots
// outside quarantine, less what orders outside the projection have
// allocated). A work order whose need the stock left for it does not
// cover is short by the difference. A running work order whose counts
// consumed more than its line side held (the backflush shortfall) is short
// too while its line side holds none of that material.
func (s *Store) MaterialShortages(ctx context.Context, now time.Time, horizon time.Duration) ([]domain.MaterialShortage, error) {
	q := s.h.Read()
	wos, err := projectedWorkOrders(ctx, q, now.Add(horizon))
	if err != nil {
		return nil, err
	}
	byWO := map[string]*domain.MaterialShortage{}
	var out []*domain.MaterialShortage
	add := func(w projectedWO, m domain.ShortMaterial) {
		x := byWO[w.id]
		if x == nil {
			x = &domain.MaterialShortage{WorkOrder: w.id, Order: w.order, Line: w.line, Start: w.start}
			byWO[w.id] = x
			out = append(out, x)
		}
		x.Materials = append(x.Materials, m)
	}
	if len(wos) > 0 {
		orders := map[string]bool{}
		for _, w := range wos {
			orders[w.order] = true
		}
		stock := map[string]domain.Qty{}
		mats := map[string]material{}
		for _, w := range wos {
			bom, err := bomOf(ctx, q, w.product)
			if err != nil {
				return nil, err
			}
			for _, b := range bom {
				mat, ok := mats[b.component]
				if !ok {
					if mat, err = loadMaterial(ctx, q, b.component, "bom"); err != nil {
						return nil, err
					}
					mats[b.component] = mat
					left, err := projectableStock(ctx, q, b.component, orders)
					if err != nil {
						return nil, err
					}
					stock[b.component] = left
				}
				need, err := domain.Convert(mat.code, mat.unit, domain.Qty(math.Round(float64(w.qty)*domain.QtyScale*b.per)), b.unit, mat.convs)
				if err != nil {
					continue // no conversion: the availability shows it; nothing to project
				}
				var issued int64
				if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM inv_wo_lots WHERE work_order_id = ? AND material = ?`,
					w.id, b.component).Scan(&issued); err != nil {
					return nil, fmt.Errorf("store: issued %s to %s: %w", b.component, w.id, err)
				}
				need = max(need-domain.Qty(issued), 0)
				if need == 0 {
					continue
				}
				left := stock[b.component]
				stock[b.component] = left - need
				if left < need {
					add(w, domain.ShortMaterial{Material: b.component, Unit: mat.unit, Need: need, Projected: max(left, 0), Short: need - max(left, 0),
						At: runsOut(w, now, max(left, 0), b, mat)})
				}
			}
		}
	}
	if err := lineSideShort(ctx, q, func(w projectedWO, m domain.ShortMaterial) {
		if x := byWO[w.id]; x != nil && slices.ContainsFunc(x.Materials, func(o domain.ShortMaterial) bool { return o.Material == m.Material }) {
			return
		}
		add(w, m)
	}); err != nil {
		return nil, err
	}
	res := make([]domain.MaterialShortage, 0, len(out))
	for _, x := range out {
		res = append(res, *x)
	}
	return res, nil
}

func projectedWorkOrders(ctx context.Context, q store.Q, until time.Time) ([]projectedWO, error) {
	rows, err := q.Query(ctx, `SELECT w.id, w.order_number, w.line_id, o.product_code, w.status, w.quantity, w.good + w.reject,
			p.ideal_cycle_ns, COALESCE(w.actual_start, w.planned_start, 0)
		FROM work_orders w JOIN orders o ON o.number = w.order_number JOIN products p ON p.code = o.product_code
		WHERE w.operation_seq = (SELECT MIN(x.operation_seq) FROM work_orders x WHERE x.order_number = w.order_number)
		  AND (w.status IN ('in_progress', 'paused') OR (w.status = 'released' AND w.planned_start IS NOT NULL AND w.planned_start <= ?))
		ORDER BY COALESCE(w.actual_start, w.planned_start, 0), w.id`, store.Nanos(until))
	if err != nil {
		return nil, fmt.Errorf("store: work orders to project: %w", err)
	}
	defer rows.Close()
	var out []projectedWO
	for rows.Next() {
		var w projectedWO
		var start, cycle int64
		if err := rows.Scan(&w.id, &w.order, &w.line, &w.product, &w.status, &w.qty, &w.made, &cycle, &start); err != nil {
			return nil, err
		}
		w.start, w.cycle = store.FromNanos(start), time.Duration(cycle)
		out = append(out, w)
	}
	return out, rows.Err()
}

func bomOf(ctx context.Context, q store.Q, product string) ([]bomLine, error) {
	rows, err := q.Query(ctx, `SELECT component_code, quantity, unit FROM bom_items WHERE product_code = ? ORDER BY component_code`, product)
	if err != nil {
		return nil, fmt.Errorf("store: bom of %s: %w", product, err)
	}
	defer rows.Close()
	var bom []bomLine
	for rows.Next() {
		var b bomLine
		if err := rows.Scan(&b.component, &b.per, &b.unit); err != nil {
			return nil, err
		}
		bom = append(bom, b)
	}
	return bom, rows.Err()
}

// projectableStock is a material's usable stock less what orders outside
// the projection have reserved.
func projectableStock(ctx context.Context, q store.Q, m string, orders map[string]bool) (domain.Qty, error) {
	var onHand int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(b.quantity), 0) FROM inv_balances b
		JOIN inv_lots l ON l.id = b.lot_id JOIN inv_locations loc ON loc.id = b.location_id
		WHERE b.material = ? AND l.status = 'released' AND loc.kind NOT IN ('quarantine', 'subcontractor') AND loc.disabled = 0`, m).Scan(&onHand); err != nil {
		return 0, fmt.Errorf("store: stock of %s: %w", m, err)
	}
	rows, err := q.Query(ctx, `SELECT order_number, quantity FROM inv_allocations WHERE material = ?`, m)
	if err != nil {
		return 0, fmt.Errorf("store: allocations of %s: %w", m, err)
	}
	defer rows.Close()
	left := domain.Qty(onHand)
	for rows.Next() {
		var o string
		var n int64
		if err := rows.Scan(&o, &n); err != nil {
			return 0, err
		}
		if !orders[o] {
			left -= domain.Qty(n)
		}
	}
	return left, rows.Err()
}

// lineSideShort reports the running work orders with a backflush shortfall
// whose line side holds no released stock of that material.
func lineSideShort(ctx context.Context, q store.Q, add func(projectedWO, domain.ShortMaterial)) error {
	rows, err := q.Query(ctx, `SELECT w.id, w.order_number, w.line_id, COALESCE(w.actual_start, w.planned_start, 0), s.material, p.unit, s.quantity
		FROM inv_backflush_short s JOIN work_orders w ON w.id = s.work_order_id JOIN products p ON p.code = s.material
		WHERE s.quantity > 0 AND w.status IN ('in_progress', 'paused')
		  AND NOT EXISTS (SELECT 1 FROM inv_balances b JOIN inv_lots l ON l.id = b.lot_id JOIN inv_locations loc ON loc.id = b.location_id
			WHERE b.material = s.material AND loc.kind = 'line_side' AND loc.line_id = w.line_id AND loc.disabled = 0
			  AND l.status = 'released' AND b.quantity > 0)
		ORDER BY w.id, s.material`)
	if err != nil {
		return fmt.Errorf("store: backflush shortfalls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w projectedWO
		var start, qty int64
		var m domain.ShortMaterial
		if err := rows.Scan(&w.id, &w.order, &w.line, &start, &m.Material, &m.Unit, &qty); err != nil {
			return err
		}
		w.start = store.FromNanos(start)
		m.Short, m.Need, m.Backflush = domain.Qty(qty), domain.Qty(qty), true
		add(w, m)
	}
	return rows.Err()
}

// runsOut is when the stock left for w (left, in the material's base unit)
// is used up at the product's ideal rate: from its start (or now, if that
// has passed), one BOM quantity per part. Zero when the rate is unknown.
func runsOut(w projectedWO, now time.Time, left domain.Qty, b bomLine, mat material) time.Time {
	if w.cycle <= 0 {
		return time.Time{}
	}
	per, err := domain.Convert(mat.code, mat.unit, domain.Qty(math.Round(domain.QtyScale*b.per)), b.unit, mat.convs)
	if err != nil || per <= 0 {
		return time.Time{}
	}
	from := w.start
	if from.Before(now) {
		from = now
	}
	return from.Add(time.Duration(int64(left/per)) * w.cycle)
}

package inventory

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Consumption returns a work order's consumption against its BOM (see
// domain.WorkOrderConsumption). It reads what the ledger keeps with each
// movement (inv_wo_lots, inv_backflush_short) and the work order's counts.
func (s *Store) Consumption(ctx context.Context, workOrder string) (domain.WorkOrderConsumption, error) {
	q := s.h.Read()
	out := domain.WorkOrderConsumption{WorkOrder: workOrder, Lines: []domain.ConsumptionLine{}}
	var seq, first int
	err := q.QueryRow(ctx, `SELECT w.order_number, o.product_code, w.good, w.reject, w.operation_seq,
		(SELECT MIN(x.operation_seq) FROM work_orders x WHERE x.order_number = w.order_number)
		FROM work_orders w JOIN orders o ON o.number = w.order_number WHERE w.id = ?`, workOrder).
		Scan(&out.Order, &out.Product, &out.Good, &out.Reject, &seq, &first)
	if err != nil {
		return out, store.NotFound("work order "+workOrder, err)
	}
	out.Standard = seq == first
	lines := map[string]*domain.ConsumptionLine{}
	line := func(m string) (*domain.ConsumptionLine, error) {
		if l, ok := lines[m]; ok {
			return l, nil
		}
		mat, err := loadMaterial(ctx, q, m, "material")
		if err != nil {
			return nil, err
		}
		l := &domain.ConsumptionLine{Material: m, Unit: mat.unit, Lots: []domain.LotUsed{}}
		lines[m] = l
		return l, nil
	}
	rows, err := q.Query(ctx, `SELECT component_code, quantity, unit, consumption FROM bom_items WHERE product_code = ? ORDER BY component_code`, out.Product)
	if err != nil {
		return out, fmt.Errorf("store: consumption of %s: %w", workOrder, err)
	}
	type bl struct {
		bomLine
		consumption string
	}
	var bom []bl
	for rows.Next() {
		var b bl
		if err := rows.Scan(&b.component, &b.per, &b.unit, &b.consumption); err != nil {
			rows.Close()
			return out, err
		}
		bom = append(bom, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	parts := out.Good + out.Reject
	for _, b := range bom {
		l, err := line(b.component)
		if err != nil {
			return out, err
		}
		l.Consumption = domain.ConsumeBackflush
		if b.consumption != "" {
			l.Consumption = b.consumption
		}
		if !out.Standard {
			continue
		}
		mat, err := loadMaterial(ctx, q, b.component, "material")
		if err != nil {
			return out, err
		}
		std, err := domain.Convert(mat.code, mat.unit, domain.Qty(math.Round(float64(parts)*domain.QtyScale*b.per)), b.unit, mat.convs)
		if err == nil {
			l.Standard = std
		}
	}
	rows, err = q.Query(ctx, `SELECT material, lot_id, quantity FROM inv_wo_lots WHERE work_order_id = ? AND quantity <> 0 ORDER BY material, lot_id`, workOrder)
	if err != nil {
		return out, fmt.Errorf("store: consumption of %s: %w", workOrder, err)
	}
	type use struct {
		m, lot string
		qty    int64
	}
	var uses []use
	for rows.Next() {
		var u use
		if err := rows.Scan(&u.m, &u.lot, &u.qty); err != nil {
			rows.Close()
			return out, err
		}
		uses = append(uses, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	for _, u := range uses {
		l, err := line(u.m)
		if err != nil {
			return out, err
		}
		l.Actual += domain.Qty(u.qty)
		l.Lots = append(l.Lots, domain.LotUsed{Lot: u.lot, Quantity: domain.Qty(u.qty)})
	}
	short, err := s.BackflushShort(ctx, workOrder)
	if err != nil {
		return out, err
	}
	for m, qty := range short {
		if qty == 0 {
			continue
		}
		l, err := line(m)
		if err != nil {
			return out, err
		}
		l.Short = qty
	}
	for _, l := range lines {
		l.Variance = l.Actual + l.Short - l.Standard
		out.Lines = append(out.Lines, *l)
	}
	slices.SortFunc(out.Lines, func(a, b domain.ConsumptionLine) int {
		switch {
		case a.Material < b.Material:
			return -1
		case a.Material > b.Material:
			return 1
		}
		return 0
	})
	return out, nil
}

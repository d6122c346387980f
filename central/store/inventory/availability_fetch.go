package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/domain"
)

// prefetch loads the stock figures of a BOM level's components in a few
// set queries (instead of several per component), so a check of a long
// bill of materials costs a handful of round trips per level. Components
// it does not find (no such product) are left to stock(), which reports
// them.
func (x *exploder) prefetch(ctx context.Context, comps []string) error {
	var want []string
	seen := map[string]bool{}
	for _, c := range comps {
		if _, ok := x.mats[c]; !ok && !seen[c] {
			seen[c] = true
			want = append(want, c)
		}
	}
	if len(want) < 2 {
		return nil // stock() does one as cheaply
	}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(want)), ", ")
	args := func(extra ...any) []any {
		a := make([]any, 0, len(want)+len(extra))
		for _, w := range want {
			a = append(a, w)
		}
		return append(a, extra...)
	}
	got := map[string]*matStock{}
	each := func(query string, a []any, scan func(m string, vals ...any) error, dest func() []any) error {
		rows, err := x.q.Query(ctx, query, a...)
		if err != nil {
			return fmt.Errorf("store: availability: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m string
			d := dest()
			if err := rows.Scan(append([]any{&m}, d...)...); err != nil {
				return err
			}
			if err := scan(m, d...); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	var unit string
	if err := each(`SELECT code, unit FROM products WHERE code IN (`+in+`)`, args(), func(m string, _ ...any) error {
		got[m] = &matStock{unit: unit, convs: []domain.UnitConversion{}}
		return nil
	}, func() []any { return []any{&unit} }); err != nil {
		return err
	}
	var cu string
	var cf float64
	if err := each(`SELECT material, unit, factor FROM inv_unit_conversions WHERE material IN (`+in+`) ORDER BY material, unit`, args(), func(m string, _ ...any) error {
		if st := got[m]; st != nil {
			st.convs = append(st.convs, domain.UnitConversion{Unit: cu, Factor: cf})
		}
		return nil
	}, func() []any { return []any{&cu, &cf} }); err != nil {
		return err
	}
	var n int64
	sum := func(query string, a []any, set func(st *matStock, v domain.Qty)) error {
		return each(query, a, func(m string, _ ...any) error {
			if st := got[m]; st != nil {
				set(st, domain.Qty(n))
			}
			return nil
		}, func() []any { return []any{&n} })
	}
	if err := sum(`SELECT b.material, COALESCE(SUM(b.quantity), 0) FROM inv_balances b
		JOIN inv_lots l ON l.id = b.lot_id JOIN inv_locations loc ON loc.id = b.location_id
		WHERE b.material IN (`+in+`) AND l.status = 'released' AND loc.kind NOT IN ('quarantine', 'subcontractor') AND loc.disabled = 0
		GROUP BY b.material`, args(), func(st *matStock, v domain.Qty) { st.onHand = v }); err != nil {
		return err
	}
	if err := sum(`SELECT material, COALESCE(SUM(quantity), 0) FROM inv_allocations WHERE material IN (`+in+`) AND order_number <> ? GROUP BY material`,
		args(x.order), func(st *matStock, v domain.Qty) { st.allocated = v }); err != nil {
		return err
	}
	if err := sum(`SELECT material, quantity FROM inv_allocations WHERE material IN (`+in+`) AND order_number = ?`,
		args(x.order), func(st *matStock, v domain.Qty) { st.reserved = v }); err != nil {
		return err
	}
	if x.before != "" {
		if err := sum(`SELECT l.material, COALESCE(SUM(l.quantity - l.received), 0) FROM po_lines l JOIN purchase_orders o ON o.number = l.po_number
			WHERE l.material IN (`+in+`) AND l.closed = 0 AND l.quantity > l.received AND l.confirmed_date <> '' AND l.confirmed_date < ?
			AND o.status IN ('approved', 'sent', 'partially_received') AND o.subcontract = 0 GROUP BY l.material`,
			args(x.before), func(st *matStock, v domain.Qty) { st.incoming = v }); err != nil {
			return err
		}
	}
	if err := each(`SELECT DISTINCT product_code FROM bom_items WHERE product_code IN (`+in+`)`, args(), func(m string, _ ...any) error {
		if st := got[m]; st != nil {
			st.inHouse = true
		}
		return nil
	}, func() []any { return nil }); err != nil {
		return err
	}
	for m, st := range got {
		x.mats[m] = st
	}
	return nil
}

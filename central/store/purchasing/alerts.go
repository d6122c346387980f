package purchasing

import (
	"context"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Scorecard thresholds below which a supplier is flagged, over the last
// AlertWindow, once it has at least AlertMinLots receipts (or inspections).
const (
	AlertOnTimePct  = 85.0
	AlertQualityPct = 90.0
	AlertMinLots    = 3
	AlertWindow     = 90 * 24 * time.Hour
)

type atRisk struct{ wo, line, order string }

// risked lists the open orders' first work orders that consume material
// (directly, by their product's BOM), earliest planned first.
func risked(ctx context.Context, q store.Q, material string) ([]atRisk, error) {
	rows, err := q.Query(ctx, `SELECT w.id, w.line_id, o.number FROM work_orders w JOIN orders o ON o.number = w.order_number
		JOIN bom_items b ON b.product_code = o.product_code
		WHERE b.component_code = ? AND o.status IN ('approved', 'scheduled', 'released', 'in_progress', 'paused')
		AND w.status NOT IN ('completed', 'closed', 'cancelled')
		AND w.operation_seq = (SELECT MIN(w2.operation_seq) FROM work_orders w2 WHERE w2.order_number = o.number)
		ORDER BY w.planned_start, w.id LIMIT 20`, material)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []atRisk
	for rows.Next() {
		var r atRisk
		if err := rows.Scan(&r.wo, &r.line, &r.order); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// spread makes one alert per work order at risk (one on no line when none is).
func spread(kind domain.ExceptionKind, key, detail string, rs []atRisk) []domain.PurchaseAlert {
	if len(rs) == 0 {
		return []domain.PurchaseAlert{{Kind: kind, Key: key, Detail: detail}}
	}
	out := make([]domain.PurchaseAlert, len(rs))
	for i, r := range rs {
		out[i] = domain.PurchaseAlert{Kind: kind, Line: r.line, WorkOrder: r.wo, Key: key,
			Detail: fmt.Sprintf("%s; puts order %s (work order %s) at risk", detail, r.order, r.wo)}
	}
	return out
}

// PurchaseAlerts is purchasing's part of the exception rules (the
// exceptions service raises and resolves them): purchase order lines
// past their confirmed (else due) date with something still to come,
// received lots rejected whose return is still open, suppliers below the
// scorecard thresholds, outsourced operations past their due-back date.
func (s *Store) PurchaseAlerts(ctx context.Context, now time.Time) ([]domain.PurchaseAlert, error) {
	q := s.h.Read()
	today := now.UTC().Format(time.DateOnly)
	var out []domain.PurchaseAlert

	type late struct {
		po, material, supplier, date string
		line                         int
		qty, rec                     int64
	}
	var lates []late
	rows, err := q.Query(ctx, `SELECT l.po_number, l.line, l.material, l.quantity, l.received, l.due_date, l.confirmed_date, o.supplier
		FROM po_lines l JOIN purchase_orders o ON o.number = l.po_number
		WHERE l.closed = 0 AND l.received < l.quantity AND o.subcontract = 0 AND o.status IN ('approved', 'sent', 'partially_received')
		ORDER BY l.po_number, l.line`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l late
		var due, confirmed string
		if err := rows.Scan(&l.po, &l.line, &l.material, &l.qty, &l.rec, &due, &confirmed, &l.supplier); err != nil {
			rows.Close()
			return nil, err
		}
		l.date = confirmed
		if l.date == "" {
			l.date = due
		}
		if l.date != "" && l.date < today {
			lates = append(lates, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, l := range lates {
		rs, err := risked(ctx, q, l.material)
		if err != nil {
			return nil, err
		}
		out = append(out, spread(domain.ExceptionLatePurchase, fmt.Sprintf("late/%s/%d", l.po, l.line),
			fmt.Sprintf("purchase order %s line %d (%s from %s): %s of %s still to come, promised for %s", l.po, l.line, l.material, l.supplier,
				domain.Qty(l.qty-l.rec), domain.Qty(l.qty), l.date), rs)...)
	}

	type rejected struct{ ret, receipt, po, material, lot, supplier string }
	var rejs []rejected
	rows, err = q.Query(ctx, `SELECT sr.id, sr.receipt_id, sr.po_number, sr.material, sr.lot_id, sr.supplier FROM supplier_returns sr
		WHERE sr.status = 'open' ORDER BY sr.id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r rejected
		if err := rows.Scan(&r.ret, &r.receipt, &r.po, &r.material, &r.lot, &r.supplier); err != nil {
			rows.Close()
			return nil, err
		}
		rejs = append(rejs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range rejs {
		rs, err := risked(ctx, q, r.material)
		if err != nil {
			return nil, err
		}
		out = append(out, spread(domain.ExceptionReceiptRejected, "rejected/"+r.receipt,
			fmt.Sprintf("lot %s of %s from %s (purchase order %s) rejected by incoming inspection; return %s open", r.lot, r.material, r.supplier, r.po, r.ret), rs)...)
	}

	scs, err := s.Scorecards(ctx, "", now.Add(-AlertWindow), now.Add(time.Minute))
	if err != nil {
		return nil, err
	}
	for _, sc := range scs {
		var why []string
		if sc.Receipts >= AlertMinLots && sc.OnTimePct != nil && *sc.OnTimePct < AlertOnTimePct {
			why = append(why, fmt.Sprintf("on time %.1f %% of %d receipts (threshold %.0f %%)", *sc.OnTimePct, sc.Receipts, AlertOnTimePct))
		}
		if sc.Inspected >= AlertMinLots && sc.QualityPct != nil && *sc.QualityPct < AlertQualityPct {
			why = append(why, fmt.Sprintf("accepted %.1f %% of %d inspected lots (threshold %.0f %%)", *sc.QualityPct, sc.Inspected, AlertQualityPct))
		}
		if len(why) > 0 {
			out = append(out, domain.PurchaseAlert{Kind: domain.ExceptionSupplierBelow, Key: "supplier/" + sc.Supplier,
				Detail: fmt.Sprintf("supplier %s (%s) over the last %d days: %s", sc.Supplier, sc.Name, int(AlertWindow.Hours()/24), joinWhy(why))})
		}
	}

	subs, err := s.ListSubcontracts(ctx, SubcontractFilter{Status: domain.SubAtSupplier})
	if err != nil {
		return nil, err
	}
	for _, sc := range subs {
		if sc.ExpectedAt == nil || !sc.ExpectedAt.Before(now) || sc.AtSupplier <= 0 {
			continue
		}
		r := atRisk{wo: sc.WorkOrder, order: sc.Order}
		if next, line := nextWorkOrder(ctx, q, sc.Order, sc.OperationSeq); next != "" {
			r.wo, r.line = next, line
		} else {
			_ = q.QueryRow(ctx, `SELECT line_id FROM work_orders WHERE id = ?`, sc.WorkOrder).Scan(&r.line)
		}
		out = append(out, spread(domain.ExceptionSubcontractLate, "subcontract/"+sc.ID,
			fmt.Sprintf("outsourced operation %d of order %s at %s: %d parts not back, due %s", sc.OperationSeq, sc.Order, sc.Supplier, sc.AtSupplier,
				sc.ExpectedAt.UTC().Format("2006-01-02 15:04Z")), []atRisk{r})...)
	}
	return out, nil
}

func joinWhy(ws []string) string {
	s := ws[0]
	for _, w := range ws[1:] {
		s += "; " + w
	}
	return s
}

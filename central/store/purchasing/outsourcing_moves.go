package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
	"github.com/linewise/linewise/central/store"
)

// Outsourcing's movements: components to the supplier, parts back,
// quality's decision; and what the scheduler and costing read of it.

// supplierLocation is the supplier's stock location, made on first use.
func (s *Store) supplierLocation(ctx context.Context, q store.Q, supplier string, now time.Time) (string, error) {
	id := "SUB-" + supplier
	var kind string
	err := q.QueryRow(ctx, `SELECT kind FROM inv_locations WHERE id = ?`, id).Scan(&kind)
	if err == nil {
		if kind != string(domain.LocSubcontractor) {
			return "", conflict("location", "location %s exists but is a %s location, not the subcontractor %s's", id, kind, supplier)
		}
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	var name string
	if err := q.QueryRow(ctx, `SELECT name FROM suppliers WHERE code = ?`, supplier).Scan(&name); err != nil {
		return "", err
	}
	if _, err := q.Exec(ctx, `INSERT INTO inv_locations (id, name, kind, warehouse, created_at, updated_at) VALUES (?, ?, ?, '', ?, ?)`,
		id, "At subcontractor "+name, string(domain.LocSubcontractor), store.Nanos(now), store.Nanos(now)); err != nil {
		return "", fmt.Errorf("store: location of subcontractor %s: %w", supplier, err)
	}
	return id, nil
}

// ShipSubcontract sends component lots to the supplier's location for
// r.Quantity parts (audited): only once management approved.
func (s *Store) ShipSubcontract(ctx context.Context, id string, r ShipRequest, actor domain.Actor) (domain.Subcontract, error) {
	if r.Quantity <= 0 || r.Quantity > domain.MaxQuantity {
		return domain.Subcontract{}, domain.Invalid("quantity", "must be the number of parts the components are for (1 to %d)", int64(domain.MaxQuantity))
	}
	if len(r.Lots) == 0 || len(r.Lots) > 100 {
		return domain.Subcontract{}, domain.Invalid("lots", "must list 1 to 100 lots sent: [{lot, from, quantity}]")
	}
	for i, l := range r.Lots {
		f := fmt.Sprintf("lots[%d]", i)
		if err := domain.ValidNumber(f+".lot", l.Lot); err != nil {
			return domain.Subcontract{}, err
		}
		if err := domain.ValidNumber(f+".from", l.From); err != nil {
			return domain.Subcontract{}, err
		}
		if l.Quantity <= 0 || l.Quantity > domain.MaxStock {
			return domain.Subcontract{}, domain.Invalid(f+".quantity", "must be above 0")
		}
	}
	var out domain.Subcontract
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		sc, err := s.lockSub(ctx, q, id, now)
		if err != nil {
			return err
		}
		switch sc.Status {
		case domain.SubApproved, domain.SubAtSupplier:
		case domain.SubRequested:
			return conflict("status", "subcontract %s is not approved yet; management must approve outsourcing before anything is sent", id)
		default:
			return conflict("status", "subcontract %s is %s; nothing more is sent", id, sc.Status)
		}
		if sc.Sent+r.Quantity > sc.Quantity {
			return conflict("quantity", "subcontract %s is for %d parts and %d are sent; %d more is too many", id, sc.Quantity, sc.Sent, r.Quantity)
		}
		loc, err := s.supplierLocation(ctx, q, sc.Supplier, now)
		if err != nil {
			return err
		}
		for i, l := range r.Lots {
			mv, err := s.inv.BookIn(ctx, q, domain.MovementRequest{Type: domain.MoveTransfer, Lot: l.Lot, Quantity: l.Quantity, From: l.From, To: loc,
				Reason: "sent to subcontractor " + sc.Supplier + " for " + sc.WorkOrder}, actor)
			if err != nil {
				return prefixField(err, fmt.Sprintf("lots[%d].", i))
			}
			if _, err := q.Exec(ctx, `INSERT INTO subcontract_lots (subcontract_id, kind, lot_id, material, quantity, from_location, status, booked_at)
				VALUES (?, 'sent', ?, ?, ?, ?, '', ?)`, id, l.Lot, mv.Material, int64(mv.Quantity), l.From, store.Nanos(now)); err != nil {
				return err
			}
		}
		set, args := `status = ?, sent = sent + ?, location_id = ?`, []any{string(domain.SubAtSupplier), r.Quantity, loc}
		if sc.Sent == 0 {
			set, args = set+`, expected_at = ?`, append(args, store.Nanos(now.AddDate(0, 0, sc.LeadTimeDays)))
		}
		if _, err := q.Exec(ctx, `UPDATE subcontracts SET `+set+` WHERE id = ?`, append(args, id)...); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE purchase_orders SET status = ?, sent_at = ? WHERE number = ? AND status = ?`,
			string(domain.POSent), store.Nanos(now), sc.PO, string(domain.POApproved)); err != nil {
			return err
		}
		if out, err = s.getSub(ctx, q, id); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "subcontract", id, "ship", "", map[string]any{"sent": sc.Sent}, map[string]any{"sent": out.Sent, "lots": r.Lots})
	})
	return out, err
}

// prefixField names the request's lot entry in an inventory error.
func prefixField(err error, prefix string) error {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		c := *fe
		c.Field = prefix + c.Field
		return &c
	}
	return err
}

// ReceiveSubcontract takes r.Quantity parts back from the supplier
// (audited): the components at the supplier's location are issued to the
// operation's work order in proportion (the last receipt takes what is
// left), the parts come in as a new lot made by that work order into
// quarantine, and the subcontract purchase order's line counts them.
// More than is at the supplier is refused.
func (s *Store) ReceiveSubcontract(ctx context.Context, id string, r ReturnRequest, actor domain.Actor) (domain.Subcontract, error) {
	if r.Quantity <= 0 || r.Quantity > domain.MaxQuantity {
		return domain.Subcontract{}, domain.Invalid("quantity", "must be a number of parts above 0")
	}
	if r.Lot != "" {
		if err := domain.ValidNumber("lot", r.Lot); err != nil {
			return domain.Subcontract{}, err
		}
	}
	var out domain.Subcontract
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		sc, err := s.lockSub(ctx, q, id, now)
		if err != nil {
			return err
		}
		if sc.Status != domain.SubAtSupplier {
			return conflict("status", "subcontract %s is %s; parts come back from a supplier they were sent to", id, sc.Status)
		}
		if r.Quantity > sc.AtSupplier {
			return conflict("quantity", "%d parts were sent to %s and %d came back; %d is more than the %d at the supplier",
				sc.Sent, sc.Supplier, sc.Received, r.Quantity, sc.AtSupplier)
		}
		last := r.Quantity == sc.AtSupplier
		lots := map[string]bool{}
		for _, l := range sc.Shipped {
			if lots[l.Lot] {
				continue
			}
			lots[l.Lot] = true
			var there int64
			if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM inv_balances WHERE lot_id = ? AND location_id = ?`, l.Lot, sc.Location).Scan(&there); err != nil {
				return err
			}
			use := there
			if !last {
				use = there * r.Quantity / sc.AtSupplier
			}
			if use <= 0 {
				continue
			}
			if _, err := s.inv.BookIn(ctx, q, domain.MovementRequest{Type: domain.MoveIssue, Lot: l.Lot, Quantity: domain.Qty(use), From: sc.Location,
				WorkOrder: sc.WorkOrder, Reason: "used by subcontractor " + sc.Supplier}, actor); err != nil {
				return err
			}
		}
		quarantine, err := firstLocation(ctx, q, domain.LocQuarantine, "parts back from a subcontractor")
		if err != nil {
			return err
		}
		lot := r.Lot
		if lot == "" {
			lot = fmt.Sprintf("%s-R%d", sc.WorkOrder, len(sc.Returned)+1)
		}
		mv, err := s.inv.BookIn(ctx, q, domain.MovementRequest{Type: domain.MoveFGReceipt, Lot: lot, Quantity: domain.Qty(r.Quantity * domain.QtyScale),
			To: quarantine, WorkOrder: sc.WorkOrder, Reason: "back from subcontractor " + sc.Supplier}, actor)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `INSERT INTO subcontract_lots (subcontract_id, kind, lot_id, material, quantity, from_location, status, booked_at)
			VALUES (?, 'returned', ?, ?, ?, ?, ?, ?)`, id, lot, mv.Material, int64(mv.Quantity), sc.Location, string(domain.LotQuarantine), store.Nanos(now)); err != nil {
			return err
		}
		st := domain.SubAtSupplier
		if sc.Received+r.Quantity >= sc.Quantity {
			st = domain.SubReceived
		}
		if _, err := q.Exec(ctx, `UPDATE subcontracts SET status = ?, received = received + ? WHERE id = ?`, string(st), r.Quantity, id); err != nil {
			return err
		}
		if err := s.countOnPO(ctx, q, sc.PO, r.Quantity*domain.QtyScale); err != nil {
			return err
		}
		if out, err = s.getSub(ctx, q, id); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "subcontract", id, "receive", "", map[string]any{"received": sc.Received},
			map[string]any{"received": out.Received, "lot": lot})
	})
	return out, err
}

// countOnPO adds parts received to the subcontract purchase order's line.
func (s *Store) countOnPO(ctx context.Context, q store.Q, number string, qty int64) error {
	if _, err := q.Exec(ctx, `UPDATE po_lines SET received = received + ? WHERE po_number = ? AND line = 1`, qty, number); err != nil {
		return err
	}
	po, err := getPO(ctx, q, number)
	if err != nil {
		return err
	}
	st := domain.POReceived
	if slices.ContainsFunc(po.Lines, func(l domain.POLine) bool { return l.Received < l.Quantity }) {
		st = domain.POPartiallyReceived
	}
	_, err = q.Exec(ctx, `UPDATE purchase_orders SET status = ? WHERE number = ?`, string(st), number)
	return err
}

// InspectSubcontract is quality's decision on a lot back from the
// supplier (audited): accepted, it is released to the next operation's
// line side (else the first warehouse location); rejected, it is blocked.
func (s *Store) InspectSubcontract(ctx context.Context, id string, r SubInspection, actor domain.Actor) (domain.Subcontract, error) {
	if err := domain.ValidNumber("lot", r.Lot); err != nil {
		return domain.Subcontract{}, err
	}
	switch r.Decision {
	case domain.InspectAccept, domain.InspectReject:
	case domain.InspectDeviation:
		if r.Reason == "" {
			return domain.Subcontract{}, domain.Invalid("reason", "is required to accept with a deviation")
		}
	default:
		return domain.Subcontract{}, domain.Invalid("decision", "must be accept, accept_with_deviation or reject")
	}
	if e := domain.CheckText("reason", r.Reason, 500); e != nil {
		return domain.Subcontract{}, e
	}
	var out domain.Subcontract
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		sc, err := s.lockSub(ctx, q, id, now)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(sc.Returned, func(l domain.SubcontractLot) bool { return l.Lot == r.Lot })
		if i < 0 {
			return domain.Invalid("lot", "lot %s did not come back on subcontract %s", r.Lot, id)
		}
		ret := sc.Returned[i]
		if ret.Status != string(domain.LotQuarantine) {
			return conflict("lot", "lot %s is already inspected (%s)", r.Lot, ret.Status)
		}
		parts := int64(ret.Quantity) / domain.QtyScale
		accepted := int64(0)
		st := domain.LotBlocked
		if r.Decision != domain.InspectReject {
			st, accepted = domain.LotReleased, parts
		}
		if err := setLotStatus(ctx, q, r.Lot, st, "subcontract inspection: "+string(r.Decision)+" "+r.Reason, actor, now); err != nil {
			return err
		}
		if st == domain.LotReleased {
			to := ""
			if _, line := nextWorkOrder(ctx, q, sc.Order, sc.OperationSeq); line != "" {
				_ = q.QueryRow(ctx, `SELECT id FROM inv_locations WHERE kind = ? AND line_id = ? AND disabled = 0 ORDER BY id LIMIT 1`,
					string(domain.LocLineSide), line).Scan(&to)
			}
			if to == "" {
				if to, err = firstLocation(ctx, q, domain.LocWarehouse, "accepted parts"); err != nil {
					return err
				}
			}
			var from string
			var onHand int64
			if err := q.QueryRow(ctx, `SELECT location_id, quantity FROM inv_balances WHERE lot_id = ? AND quantity > 0 ORDER BY location_id LIMIT 1`,
				r.Lot).Scan(&from, &onHand); err == nil && from != to {
				if _, err := s.inv.BookIn(ctx, q, domain.MovementRequest{Type: domain.MoveTransfer, Lot: r.Lot, Quantity: domain.Qty(onHand),
					From: from, To: to, Reason: "accepted from subcontractor " + sc.Supplier}, actor); err != nil {
					return err
				}
			}
		}
		if _, err := q.Exec(ctx, `UPDATE subcontract_lots SET status = ? WHERE subcontract_id = ? AND kind = 'returned' AND lot_id = ?`,
			string(st), id, r.Lot); err != nil {
			return err
		}
		next := sc.Status
		if sc.Status == domain.SubReceived && sc.Inspected+parts >= sc.Received {
			next = domain.SubClosed
		}
		if _, err := q.Exec(ctx, `UPDATE subcontracts SET status = ?, inspected = inspected + ?, accepted = accepted + ? WHERE id = ?`,
			string(next), parts, accepted, id); err != nil {
			return err
		}
		if out, err = s.getSub(ctx, q, id); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "subcontract", id, "inspect", r.Reason, nil, map[string]any{"lot": r.Lot, "decision": r.Decision})
	})
	return out, err
}

// MaterialReady is the scheduler's view of outsourcing (planning's
// MaterialTimes): the operation after an outsourced one starts no earlier
// than the parts are due back from the supplier (its lead time from the
// first shipment, or from approval while nothing is sent).
func (s *Store) MaterialReady(ctx context.Context, work []domain.PlanWork, now time.Time) (map[string]time.Time, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT order_number, op_seq, expected_at FROM subcontracts
		WHERE status IN (?, ?) AND expected_at IS NOT NULL`, string(domain.SubApproved), string(domain.SubAtSupplier))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type sub struct {
		seq int
		at  time.Time
	}
	subs := map[string][]sub{}
	for rows.Next() {
		var order string
		var seq int
		var at int64
		if err := rows.Scan(&order, &seq, &at); err != nil {
			return nil, err
		}
		subs[order] = append(subs[order], sub{seq, store.FromNanos(at)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	// The next operation of each order after the outsourced one.
	next := map[string]domain.PlanWork{}
	for _, w := range work {
		for _, sc := range subs[w.OrderNumber] {
			key := fmt.Sprintf("%s/%d", w.OrderNumber, sc.seq)
			if w.OperationSeq > sc.seq && (next[key].WorkOrderID == "" || w.OperationSeq < next[key].OperationSeq) {
				next[key] = w
			}
		}
	}
	for order, ss := range subs {
		for _, sc := range ss {
			if w, ok := next[fmt.Sprintf("%s/%d", order, sc.seq)]; ok && sc.at.After(out[w.WorkOrderID]) {
				out[w.WorkOrderID] = sc.at
			}
		}
	}
	return out, nil
}

// OutsourcingCost is costing's hook for outsourced work (costing.Store's
// Outsourcing): per order, what its subcontract purchase orders in the
// plant's currency cost for the parts received back, at their price.
func (s *Store) OutsourcingCost(currency string) func(ctx context.Context, q store.Q, order string) (money.Amount, error) {
	return func(ctx context.Context, q store.Q, order string) (money.Amount, error) {
		rows, err := q.Query(ctx, `SELECT l.price, l.received FROM subcontracts sc JOIN purchase_orders p ON p.number = sc.po_number
			JOIN po_lines l ON l.po_number = p.number WHERE sc.order_number = ? AND p.currency = ?`, order, currency)
		if err != nil {
			return 0, fmt.Errorf("store: outsourcing cost of %s: %w", order, err)
		}
		defer rows.Close()
		var sum money.Amount
		for rows.Next() {
			var price, received int64
			if err := rows.Scan(&price, &received); err != nil {
				return 0, err
			}
			sum += money.MulDiv(money.Amount(price), received, domain.QtyScale)
		}
		return sum, rows.Err()
	}
}

package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Outsourcing (外协): an operation of an order done by a supplier. A
// request names the work order and the supplier (one approved to supply
// the order's product as a service, with its price and lead time);
// management approves it (never the requester), which writes the
// subcontract purchase order; the warehouse sends component lots to the
// supplier's stock location; the part comes back as a new lot of the
// order's product made by the operation's work order (the components it
// took are issued to that work order at the supplier's location, so the
// trace runs from the returned lot down to the supplier lots), held in
// quarantine until quality accepts it to the next operation's line side.

// SubcontractRequest asks for one operation to be outsourced.
type SubcontractRequest struct {
	WorkOrder string `json:"work_order"`
	Supplier  string `json:"supplier"` // empty: the routing operation's default
	Quantity  int64  `json:"quantity"` // parts; 0: what is left of the work order
	Reason    string `json:"reason"`
}

// ShipLot is a lot (part of one) sent to the supplier.
type ShipLot struct {
	Lot      string     `json:"lot"`
	From     string     `json:"from"`
	Quantity domain.Qty `json:"quantity"`
}

// ShipRequest sends components for Quantity parts.
type ShipRequest struct {
	Quantity int64     `json:"quantity"`
	Lots     []ShipLot `json:"lots"`
}

// ReturnRequest receives Quantity parts back as one lot.
type ReturnRequest struct {
	Quantity int64  `json:"quantity"`
	Lot      string `json:"lot"` // empty: <work order>-R<n>
}

// SubInspection is quality's decision on a returned lot.
type SubInspection struct {
	Lot      string                    `json:"lot"`
	Decision domain.InspectionDecision `json:"decision"`
	Reason   string                    `json:"reason"`
}

// SubcontractFilter selects subcontracts; empty fields match all.
type SubcontractFilter struct {
	Status    domain.SubcontractStatus
	WorkOrder string
	Supplier  string
}

// PutSubcontractOp marks a routing operation as subcontracted (audited).
func (s *Store) PutSubcontractOp(ctx context.Context, op domain.SubcontractOp, actor domain.Actor) (domain.SubcontractOp, error) {
	if op.Mode != domain.SubcontractAlways && op.Mode != domain.SubcontractPerOrder {
		return op, domain.Invalid("mode", "must be always or per_order")
	}
	err := s.h.InTx(ctx, func(q store.Q) error {
		if ok, err := exists(ctx, q, `SELECT 1 FROM routings WHERE product_code = ? AND seq = ?`, op.Product, op.Seq); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("operation %d of product %s: %w", op.Seq, op.Product, domain.ErrNotFound)
		}
		if op.Supplier != "" {
			if _, err := s.serviceTerms(ctx, q, op.Supplier, op.Product, "supplier"); err != nil {
				return err
			}
		}
		now := s.now()
		if _, err := q.Exec(ctx, `INSERT INTO subcontract_ops (product_code, seq, mode, supplier, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (product_code, seq) DO UPDATE SET mode = excluded.mode, supplier = excluded.supplier, updated_at = excluded.updated_at`,
			op.Product, op.Seq, string(op.Mode), op.Supplier, store.Nanos(now)); err != nil {
			return fmt.Errorf("store: subcontract operation %s/%d: %w", op.Product, op.Seq, err)
		}
		return audit(ctx, q, now, actor, "routing_op", fmt.Sprintf("%s/%d", op.Product, op.Seq), "subcontract", "", nil, op)
	})
	return op, err
}

// SubcontractOps lists a product's subcontracted operations.
func (s *Store) SubcontractOps(ctx context.Context, product string) ([]domain.SubcontractOp, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT product_code, seq, mode, supplier FROM subcontract_ops WHERE product_code = ? ORDER BY seq`, product)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.SubcontractOp{}
	for rows.Next() {
		var op domain.SubcontractOp
		var mode string
		if err := rows.Scan(&op.Product, &op.Seq, &mode, &op.Supplier); err != nil {
			return nil, err
		}
		op.Mode = domain.SubcontractMode(mode)
		out = append(out, op)
	}
	return out, rows.Err()
}

type serviceTerms struct {
	leadDays int
	name     string
}

// serviceTerms checks that supplier is approved and may supply product
// (the operation, as a service) and returns its lead time.
func (s *Store) serviceTerms(ctx context.Context, q store.Q, supplier, product, field string) (serviceTerms, error) {
	var t serviceTerms
	var st string
	err := q.QueryRow(ctx, `SELECT status, name FROM suppliers WHERE code = ?`, supplier).Scan(&st, &t.name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, domain.Invalid(field, "supplier %s does not exist", supplier)
	}
	if err != nil {
		return t, err
	}
	if domain.SupplierStatus(st) == domain.SupplierBlocked {
		return t, conflict(field, "supplier %s is blocked", supplier)
	}
	err = q.QueryRow(ctx, `SELECT lead_time_days FROM supplier_items WHERE supplier = ? AND material = ?`, supplier, product).Scan(&t.leadDays)
	if errors.Is(err, sql.ErrNoRows) {
		return t, conflict(field, "supplier %s is not approved for %s (add it to the supplier's items with price and lead time)", supplier, product)
	}
	return t, err
}

const subCols = `id, work_order_id, order_number, op_seq, product, supplier, quantity, status, reason, requested_by, requested_at, approved_by,
	approved_at, po_number, location_id, lead_time_days, expected_at, sent, received, inspected, accepted`

func scanSub(r interface{ Scan(...any) error }) (domain.Subcontract, error) {
	var sc domain.Subcontract
	var st string
	var req int64
	var appr, exp sql.NullInt64
	err := r.Scan(&sc.ID, &sc.WorkOrder, &sc.Order, &sc.OperationSeq, &sc.Product, &sc.Supplier, &sc.Quantity, &st, &sc.Reason,
		&sc.RequestedBy, &req, &sc.ApprovedBy, &appr, &sc.PO, &sc.Location, &sc.LeadTimeDays, &exp, &sc.Sent, &sc.Received,
		&sc.Inspected, &sc.Accepted)
	sc.Status, sc.RequestedAt, sc.AtSupplier = domain.SubcontractStatus(st), store.FromNanos(req), sc.Sent-sc.Received
	if appr.Valid {
		t := store.FromNanos(appr.Int64)
		sc.ApprovedAt = &t
	}
	if exp.Valid {
		t := store.FromNanos(exp.Int64)
		sc.ExpectedAt = &t
	}
	return sc, err
}

func (s *Store) getSub(ctx context.Context, q store.Q, id string) (domain.Subcontract, error) {
	sc, err := scanSub(q.QueryRow(ctx, `SELECT `+subCols+` FROM subcontracts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return sc, fmt.Errorf("subcontract %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return sc, err
	}
	return sc, loadSubLots(ctx, q, &sc)
}

// loadSubLots reads an outsourced operation's next work order and the
// lots sent and returned.
func loadSubLots(ctx context.Context, q store.Q, sc *domain.Subcontract) error {
	sc.NextWork, _ = nextWorkOrder(ctx, q, sc.Order, sc.OperationSeq)
	rows, err := q.Query(ctx, `SELECT l.kind, l.lot_id, l.material, p.unit, l.quantity, l.from_location, l.status, l.booked_at
		FROM subcontract_lots l JOIN products p ON p.code = l.material WHERE l.subcontract_id = ? ORDER BY l.booked_at, l.lot_id`, sc.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	sc.Shipped, sc.Returned = []domain.SubcontractLot{}, []domain.SubcontractLot{}
	for rows.Next() {
		var kind string
		var l domain.SubcontractLot
		var qty, at int64
		if err := rows.Scan(&kind, &l.Lot, &l.Material, &l.Unit, &qty, &l.From, &l.Status, &at); err != nil {
			return err
		}
		l.Quantity, l.At = domain.Qty(qty), store.FromNanos(at)
		if kind == "sent" {
			sc.Shipped = append(sc.Shipped, l)
		} else {
			sc.Returned = append(sc.Returned, l)
		}
	}
	return rows.Err()
}

// lockSub takes the subcontract's row lock and reads it.
func (s *Store) lockSub(ctx context.Context, q store.Q, id string, now time.Time) (domain.Subcontract, error) {
	res, err := q.Exec(ctx, `UPDATE subcontracts SET updated_at = ? WHERE id = ?`, store.Nanos(now), id)
	if err != nil {
		return domain.Subcontract{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Subcontract{}, fmt.Errorf("subcontract %s: %w", id, domain.ErrNotFound)
	}
	return s.getSub(ctx, q, id)
}

// nextWorkOrder is the work order of the order's operation after seq ("" for the last).
func nextWorkOrder(ctx context.Context, q store.Q, order string, seq int) (string, string) {
	var id, line string
	_ = q.QueryRow(ctx, `SELECT id, line_id FROM work_orders WHERE order_number = ? AND operation_seq > ? AND status NOT IN ('cancelled')
		ORDER BY operation_seq LIMIT 1`, order, seq).Scan(&id, &line)
	return id, line
}

// GetSubcontract reads one subcontract with its lots.
func (s *Store) GetSubcontract(ctx context.Context, id string) (domain.Subcontract, error) {
	return s.getSub(ctx, s.h.Read(), id)
}

// ListSubcontracts lists subcontracts, newest first.
func (s *Store) ListSubcontracts(ctx context.Context, f SubcontractFilter) ([]domain.Subcontract, error) {
	where, args := `1 = 1`, []any{}
	if f.Status != "" {
		where, args = where+` AND status = ?`, append(args, string(f.Status))
	}
	if f.WorkOrder != "" {
		where, args = where+` AND work_order_id = ?`, append(args, f.WorkOrder)
	}
	if f.Supplier != "" {
		where, args = where+` AND supplier = ?`, append(args, f.Supplier)
	}
	rows, err := s.h.Read().Query(ctx, `SELECT `+subCols+` FROM subcontracts WHERE `+where+` ORDER BY requested_at DESC, id DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	out := []domain.Subcontract{}
	for rows.Next() {
		sc, err := scanSub(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, sc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadSubLots(ctx, s.h.Read(), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RequestSubcontract asks for a work order's operation to be outsourced
// (audited); it waits for management's approval.
func (s *Store) RequestSubcontract(ctx context.Context, r SubcontractRequest, actor domain.Actor) (domain.Subcontract, error) {
	if err := domain.ValidNumber("work_order", r.WorkOrder); err != nil {
		return domain.Subcontract{}, err
	}
	if r.Supplier != "" {
		if err := domain.ValidNumber("supplier", r.Supplier); err != nil {
			return domain.Subcontract{}, err
		}
	}
	if e := domain.CheckText("reason", r.Reason, 500); e != nil {
		return domain.Subcontract{}, e
	}
	if r.Quantity < 0 || r.Quantity > domain.MaxQuantity {
		return domain.Subcontract{}, domain.Invalid("quantity", "must be a number of parts from 1 to %d (0: what is left of the work order)", int64(domain.MaxQuantity))
	}
	var out domain.Subcontract
	err := s.h.InTx(ctx, func(q store.Q) error {
		var order, product, st, ost string
		var seq int
		var qty, good int64
		err := q.QueryRow(ctx, `SELECT w.order_number, w.operation_seq, w.status, w.quantity, w.good, o.status, o.product_code
			FROM work_orders w JOIN orders o ON o.number = w.order_number WHERE w.id = ?`, r.WorkOrder).Scan(&order, &seq, &st, &qty, &good, &ost, &product)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Invalid("work_order", "work order %s does not exist", r.WorkOrder)
		}
		if err != nil {
			return err
		}
		switch domain.OrderStatus(ost) {
		case domain.StatusApproved, domain.StatusScheduled, domain.StatusReleased, domain.StatusInProgress, domain.StatusPaused:
		default:
			return conflict("work_order", "order %s is %s; only an approved, scheduled, released or running order's operation may be outsourced", order, ost)
		}
		switch domain.OrderStatus(st) {
		case domain.StatusCompleted, domain.StatusClosed, domain.StatusCancelled:
			return conflict("work_order", "work order %s is %s", r.WorkOrder, st)
		}
		if ok, err := exists(ctx, q, `SELECT 1 FROM subcontracts WHERE work_order_id = ? AND status <> ?`, r.WorkOrder, string(domain.SubRejected)); err != nil {
			return err
		} else if ok {
			return conflict("work_order", "work order %s is already outsourced (or asked to be)", r.WorkOrder)
		}
		if r.Supplier == "" {
			_ = q.QueryRow(ctx, `SELECT supplier FROM subcontract_ops WHERE product_code = ? AND seq = ?`, product, seq).Scan(&r.Supplier)
			if r.Supplier == "" {
				return domain.Invalid("supplier", "is required: operation %d of %s has no default subcontractor", seq, product)
			}
		}
		terms, err := s.serviceTerms(ctx, q, r.Supplier, product, "supplier")
		if err != nil {
			return err
		}
		left := max(qty-good, 0)
		if r.Quantity == 0 {
			r.Quantity = left
		}
		if r.Quantity <= 0 || r.Quantity > qty {
			return conflict("quantity", "work order %s is for %d parts (%d left); %d cannot be outsourced", r.WorkOrder, qty, left, r.Quantity)
		}
		now := s.now()
		var id string
		for n := 1; ; n++ {
			id = fmt.Sprintf("SC-%s-%d", r.WorkOrder, n)
			if ok, err := exists(ctx, q, `SELECT 1 FROM subcontracts WHERE id = ?`, id); err != nil {
				return err
			} else if !ok {
				break
			}
		}
		if _, err := q.Exec(ctx, `INSERT INTO subcontracts (id, work_order_id, order_number, op_seq, product, supplier, quantity, status, reason,
			requested_by, requested_at, lead_time_days, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, r.WorkOrder, order, seq, product, r.Supplier, r.Quantity, string(domain.SubRequested), r.Reason, actor.Name, store.Nanos(now),
			terms.leadDays, store.Nanos(now)); err != nil {
			return fmt.Errorf("store: subcontract of %s: %w", r.WorkOrder, err)
		}
		if out, err = s.getSub(ctx, q, id); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "subcontract", id, "request", r.Reason, nil, out)
	})
	return out, err
}

// DecideSubcontract is management's approval (approve true) or refusal
// of an outsourcing request (audited). Approval writes the subcontract
// purchase order to the supplier, approved within the approver's limit.
func (s *Store) DecideSubcontract(ctx context.Context, id string, approve bool, reason string, actor domain.Actor) (domain.Subcontract, error) {
	if e := domain.CheckText("reason", reason, 500); e != nil {
		return domain.Subcontract{}, e
	}
	var out domain.Subcontract
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		sc, err := s.lockSub(ctx, q, id, now)
		if err != nil {
			return err
		}
		if sc.Status != domain.SubRequested {
			return conflict("status", "subcontract %s is %s; only a request is approved or rejected", id, sc.Status)
		}
		if sc.RequestedBy == actor.Name {
			return conflict("approved_by", "%s asked for this outsourcing; another member of management must approve it", actor.Name)
		}
		if !approve {
			if reason == "" {
				return domain.Invalid("reason", "is required to reject an outsourcing request")
			}
			if _, err := q.Exec(ctx, `UPDATE subcontracts SET status = ?, approved_by = ?, approved_at = ? WHERE id = ?`,
				string(domain.SubRejected), actor.Name, store.Nanos(now), id); err != nil {
				return err
			}
		} else {
			terms, err := s.serviceTerms(ctx, q, sc.Supplier, sc.Product, "supplier")
			if err != nil {
				return err
			}
			due := now.UTC().AddDate(0, 0, terms.leadDays)
			po := domain.PurchaseOrder{Number: "SC-PO-" + sc.ID[3:], Supplier: sc.Supplier, Subcontract: true,
				Notes: fmt.Sprintf("Subcontract 外协: operation %d of order %s (work order %s)", sc.OperationSeq, sc.Order, sc.WorkOrder),
				Lines: []domain.POLine{{Line: 1, Material: sc.Product, Quantity: domain.Qty(sc.Quantity * domain.QtyScale), DueDate: due.Format(time.DateOnly)}}}
			if po, err = s.createPO(ctx, q, po, actor); err != nil {
				return err
			}
			if err := s.rules.CheckApproval(actor.Role, po); err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `UPDATE purchase_orders SET status = ?, approved_by = ?, approved_at = ? WHERE number = ?`,
				string(domain.POApproved), actor.Name, store.Nanos(now), po.Number); err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `UPDATE subcontracts SET status = ?, approved_by = ?, approved_at = ?, po_number = ?, lead_time_days = ?,
				expected_at = ? WHERE id = ?`, string(domain.SubApproved), actor.Name, store.Nanos(now), po.Number, terms.leadDays,
				store.Nanos(now.AddDate(0, 0, terms.leadDays)), id); err != nil {
				return err
			}
		}
		if out, err = s.getSub(ctx, q, id); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "subcontract", id, map[bool]string{true: "approve", false: "reject"}[approve], reason,
			map[string]any{"status": sc.Status}, map[string]any{"status": out.Status, "purchase_order": out.PO})
	})
	return out, err
}

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

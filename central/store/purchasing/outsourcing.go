package purchasing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

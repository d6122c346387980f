package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Book records one movement and changes the balances it touches, the lot
// and the work order's consumption in the same transaction, with its audit
// entry. Every movement of one lot runs under that lot's row lock, so two
// people taking the last unit at once get one success and one
// InsufficientStockError (409), on PostgreSQL and SQLite alike.
func (s *Store) Book(ctx context.Context, m domain.MovementRequest, actor domain.Actor) (domain.Movement, error) {
	if err := domain.CheckMovement(m); err != nil {
		return domain.Movement{}, err
	}
	var out domain.Movement
	err := s.h.InTx(ctx, func(q store.Q) error {
		var err error
		out, err = s.book(ctx, q, m, actor)
		return err
	})
	return out, err
}

// workOrder is what a movement needs to know of a work order.
type workOrder struct {
	id, order, line, product string
	status, orderStatus      domain.OrderStatus
}

func loadWorkOrder(ctx context.Context, q store.Q, id string) (workOrder, error) {
	w := workOrder{id: id}
	var st, ost string
	err := q.QueryRow(ctx, `SELECT w.order_number, w.line_id, w.status, o.status, o.product_code
		FROM work_orders w JOIN orders o ON o.number = w.order_number WHERE w.id = ?`, id).Scan(&w.order, &w.line, &st, &ost, &w.product)
	if errors.Is(err, sql.ErrNoRows) {
		return w, domain.Invalid("work_order", "work order %s does not exist", id)
	}
	if err != nil {
		return w, fmt.Errorf("store: work order %s: %w", id, err)
	}
	w.status, w.orderStatus = domain.OrderStatus(st), domain.OrderStatus(ost)
	if err := orderOpen("work_order", w.order, w.orderStatus); err != nil {
		return w, err
	}
	if w.status == domain.StatusCancelled || w.status == domain.StatusClosed {
		return w, conflict("work_order", "work order %s is %s; no stock moves against it", id, w.status)
	}
	return w, nil
}

// orderOpen refuses stock movements against an order that is not (or no
// longer) planned for production: not yet approved, rejected, closed or
// cancelled.
func orderOpen(field, number string, st domain.OrderStatus) error {
	switch st {
	case domain.StatusClosed, domain.StatusCancelled:
		return conflict(field, "order %s is %s; no stock moves against it", number, st)
	case domain.StatusDraft, domain.StatusUnderReview, domain.StatusRejected:
		return conflict(field, "order %s is %s; stock moves against an order once it is approved", number, st)
	}
	return nil
}

func (s *Store) book(ctx context.Context, q store.Q, m domain.MovementRequest, actor domain.Actor) (domain.Movement, error) {
	if m.ClientID != "" {
		// A retry of a committed movement finds it here; one racing the
		// first meets the unique index at the insert and is told to retry.
		prev, found, err := movementByClient(ctx, q, actor.Name, m.ClientID)
		if err != nil || found {
			return prev, sameRequest(prev, m, err)
		}
	}
	now := s.h.Now()
	at := store.Nanos(now)
	var wo workOrder
	if m.WorkOrder != "" {
		var err error
		if wo, err = loadWorkOrder(ctx, q, m.WorkOrder); err != nil {
			return domain.Movement{}, err
		}
	}
	var orderProduct string
	if m.Order != "" {
		var st string
		err := q.QueryRow(ctx, `SELECT status, product_code FROM orders WHERE number = ?`, m.Order).Scan(&st, &orderProduct)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Movement{}, domain.Invalid("order", "order %s does not exist", m.Order)
		}
		if err != nil {
			return domain.Movement{}, fmt.Errorf("store: order %s: %w", m.Order, err)
		}
		if err := orderOpen("order", m.Order, domain.OrderStatus(st)); err != nil {
			return domain.Movement{}, err
		}
	}

	// The locations: which balance goes down, which up.
	from, to := m.From, m.To
	qty := m.Quantity
	if m.Type == domain.MoveAdjustment {
		if qty > 0 {
			to = m.Location
		} else {
			from, qty = m.Location, -qty
		}
	}
	fromLoc, toLoc, err := loadLocations(ctx, q, m, from, to)
	if err != nil {
		return domain.Movement{}, err
	}

	lot, created, err := s.lockOrCreateLot(ctx, q, m, wo, toLoc, at, actor)
	if err != nil {
		return domain.Movement{}, err
	}
	switch {
	// A consumed lot has nothing left: the stock check below says so.
	case (m.Type == domain.MoveIssue || m.Type == domain.MoveShipment) && lot.Status != domain.LotReleased && lot.Status != domain.LotConsumed:
		return domain.Movement{}, conflict("lot", "lot %s is %s; only a released lot may be %s", lot.ID, lot.Status,
			map[domain.MovementType]string{domain.MoveIssue: "issued", domain.MoveShipment: "shipped"}[m.Type])
	case m.Type == domain.MoveShipment && lot.Material != orderProduct:
		return domain.Movement{}, domain.Invalid("lot", "lot %s is material %s; order %s is for %s", lot.ID, lot.Material, m.Order, orderProduct)
	}
	mat, err := loadMaterial(ctx, q, lot.Material, "lot")
	if err != nil {
		return domain.Movement{}, err
	}
	base, err := domain.Convert(mat.code, mat.unit, qty, m.Unit, mat.convs)
	if err != nil {
		return domain.Movement{}, err
	}
	if base <= 0 {
		return domain.Movement{}, domain.Invalid("quantity", "%s %s is less than a thousandth of %s", qty, m.Unit, mat.unit)
	}

	if m.Type == domain.MoveReturn {
		var issued int64
		err := q.QueryRow(ctx, `SELECT quantity FROM inv_wo_lots WHERE work_order_id = ? AND lot_id = ?`, wo.id, lot.ID).Scan(&issued)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return domain.Movement{}, err
		}
		if domain.Qty(issued) < base {
			return domain.Movement{}, conflict("quantity", "work order %s has %s %s of lot %s issued (net of returns); %s %s cannot come back",
				wo.id, domain.Qty(issued), mat.unit, lot.ID, base, mat.unit)
		}
	}

	negative := false
	if fromLoc != nil {
		if negative, err = take(ctx, q, lot.ID, *fromLoc, base, mat.unit, at); err != nil {
			return domain.Movement{}, err
		}
	}
	if toLoc != nil {
		if _, err := q.Exec(ctx, `INSERT INTO inv_balances (lot_id, location_id, material, quantity, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (lot_id, location_id) DO UPDATE SET quantity = inv_balances.quantity + excluded.quantity, updated_at = excluded.updated_at`,
			lot.ID, toLoc.ID, lot.Material, int64(base), at); err != nil {
			return domain.Movement{}, fmt.Errorf("store: balance of lot %s at %s: %w", lot.ID, toLoc.ID, err)
		}
	}
	if err := consume(ctx, q, m.Type, wo.id, lot, base, at); err != nil {
		return domain.Movement{}, err
	}
	if m.Type == domain.MoveIssue {
		// What is issued to the order's work orders is no longer reserved
		// for it in stock (a return does not reserve it again).
		if _, err := q.Exec(ctx, `UPDATE inv_allocations SET quantity = CASE WHEN quantity > ? THEN quantity - ? ELSE 0 END
			WHERE order_number = ? AND material = ?`, int64(base), int64(base), wo.order, lot.Material); err != nil {
			return domain.Movement{}, fmt.Errorf("store: allocation of %s: %w", wo.order, err)
		}
	}
	if err := settleLotStatus(ctx, q, lot, toLoc, created); err != nil {
		return domain.Movement{}, err
	}

	mv := domain.Movement{ID: store.NewID(now), Type: m.Type, Material: lot.Material, Lot: lot.ID, From: from, To: to,
		Quantity: base, Unit: mat.unit, EnteredQuantity: m.Quantity, EnteredUnit: m.Unit, WorkOrder: m.WorkOrder, Order: m.Order,
		Reason: m.Reason, Negative: negative, At: now, Actor: actor.Name, Role: actor.Role, ClientID: m.ClientID}
	if mv.EnteredUnit == "" {
		mv.EnteredUnit = mat.unit
	}
	if _, err := q.Exec(ctx, `INSERT INTO inv_movements (id, type, material, lot_id, from_location, to_location, quantity,
		entered_quantity, entered_unit, work_order_id, order_number, reason, negative, occurred_at, actor, role, client_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		mv.ID, string(mv.Type), mv.Material, mv.Lot, nullStr(from), nullStr(to), int64(mv.Quantity), int64(mv.EnteredQuantity),
		mv.EnteredUnit, nullStr(mv.WorkOrder), nullStr(mv.Order), mv.Reason, b2i(negative), at, actor.Name, string(actor.Role),
		nullStr(m.ClientID)); err != nil {
		if store.IsUnique(err) {
			return domain.Movement{}, conflict("client_id", "a movement with client_id %s is being booked by another request; send it again", m.ClientID)
		}
		return domain.Movement{}, fmt.Errorf("store: movement of lot %s: %w", lot.ID, err)
	}
	return mv, q.Audit(ctx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "movement", EntityID: mv.ID,
		Action: string(mv.Type), Reason: mv.Reason, After: mustJSON(mv)})
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// loadLocations reads the movement's source and destination; each must
// exist and be enabled. The field named in an error is the request's.
func loadLocations(ctx context.Context, q store.Q, m domain.MovementRequest, from, to string) (fromLoc, toLoc *domain.Location, err error) {
	field := func(dir string) string {
		if m.Type == domain.MoveAdjustment {
			return "location"
		}
		return dir
	}
	load := func(id, f string) (*domain.Location, error) {
		if id == "" {
			return nil, nil
		}
		l, err := getLocation(ctx, q, id)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, domain.Invalid(f, "location %s does not exist", id)
		}
		if err != nil {
			return nil, err
		}
		if l.Disabled {
			return nil, conflict(f, "location %s is disabled", id)
		}
		return &l, nil
	}
	if fromLoc, err = load(from, field("from")); err != nil {
		return nil, nil, err
	}
	toLoc, err = load(to, field("to"))
	return fromLoc, toLoc, err
}

// lockOrCreateLot locks the movement's lot, creating it for a receipt or
// finished-goods receipt that names a new one: a received lot starts in
// quarantine when it goes to a quarantine location, else released.
func (s *Store) lockOrCreateLot(ctx context.Context, q store.Q, m domain.MovementRequest, wo workOrder, toLoc *domain.Location,
	at int64, actor domain.Actor) (lot domain.Lot, created bool, err error) {
	ok, err := lockLot(ctx, q, m.Lot, at)
	if err != nil {
		return lot, false, err
	}
	receiving := m.Type == domain.MoveReceipt || m.Type == domain.MoveFGReceipt
	if !ok && !receiving {
		return lot, false, domain.Invalid("lot", "lot %s does not exist", m.Lot)
	}
	if !ok {
		material := m.Material
		if m.Type == domain.MoveFGReceipt {
			material = wo.product
		} else if material == "" {
			return lot, false, domain.Invalid("material", "is required to receive into a new lot (%s)", m.Lot)
		}
		if _, err := loadMaterial(ctx, q, material, "material"); err != nil {
			return lot, false, err
		}
		status := domain.LotReleased
		if toLoc != nil && toLoc.Kind == domain.LocQuarantine {
			status = domain.LotQuarantine
		}
		var received, produced, woID any
		if m.Type == domain.MoveReceipt {
			received = at
		} else {
			produced, woID = at, wo.id
		}
		if _, err := q.Exec(ctx, `INSERT INTO inv_lots (id, material, supplier_lot, work_order_id, quantity, status,
			received_at, produced_at, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)`,
			m.Lot, material, m.SupplierLot, woID, string(status), received, produced, store.NullNanos(m.ExpiresAt), at, at); err != nil {
			if store.IsUnique(err) {
				return lot, false, conflict("lot", "lot %s was created by another movement at the same moment; send it again", m.Lot)
			}
			return lot, false, fmt.Errorf("store: create lot %s: %w", m.Lot, err)
		}
		created = true
	}
	lot, err = getLot(ctx, q, m.Lot)
	if err != nil {
		return lot, false, err
	}
	if created {
		if err := q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "lot", EntityID: lot.ID,
			Action: "create", After: mustJSON(lot)}); err != nil {
			return lot, false, err
		}
		return lot, true, nil
	}
	switch {
	case m.Type == domain.MoveReceipt && lot.WorkOrderID != "":
		return lot, false, conflict("lot", "lot %s was produced by work order %s; receive into a new lot", lot.ID, lot.WorkOrderID)
	case m.Type == domain.MoveReceipt && m.Material != "" && m.Material != lot.Material:
		return lot, false, domain.Invalid("material", "lot %s is material %s, not %s", lot.ID, lot.Material, m.Material)
	case m.Type == domain.MoveFGReceipt && lot.WorkOrderID != wo.id:
		return lot, false, conflict("lot", "lot %s was not produced by work order %s; finished goods go into a new lot or one of its own", lot.ID, wo.id)
	case receiving && m.ExpiresAt != nil:
		return lot, false, domain.Invalid("expires_at", "lot %s exists; its expiry is set when it is created", lot.ID)
	}
	return lot, false, nil
}

// take lowers a balance by qty. Below zero only where the location allows
// it; negative reports that it went there.
func take(ctx context.Context, q store.Q, lot string, loc domain.Location, qty domain.Qty, unit string, at int64) (negative bool, err error) {
	var have int64
	err = q.QueryRow(ctx, `SELECT quantity FROM inv_balances WHERE lot_id = ? AND location_id = ?`, lot, loc.ID).Scan(&have)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: balance of lot %s at %s: %w", lot, loc.ID, err)
	}
	left := domain.Qty(have) - qty
	if left < 0 && !loc.AllowNegative {
		return false, &domain.InsufficientStockError{Lot: lot, Location: loc.ID, Unit: unit, OnHand: domain.Qty(have), Wanted: qty}
	}
	if _, err := q.Exec(ctx, `INSERT INTO inv_balances (lot_id, location_id, material, quantity, updated_at)
		SELECT id, ?, material, ?, ? FROM inv_lots WHERE id = ?
		ON CONFLICT (lot_id, location_id) DO UPDATE SET quantity = excluded.quantity, updated_at = excluded.updated_at`,
		loc.ID, int64(left), at, lot); err != nil {
		return false, fmt.Errorf("store: balance of lot %s at %s: %w", lot, loc.ID, err)
	}
	return left < 0, nil
}

// consume keeps the lot's received/produced quantity and the work order's
// net consumption of it (the genealogy's edges).
func consume(ctx context.Context, q store.Q, t domain.MovementType, wo string, lot domain.Lot, qty domain.Qty, at int64) error {
	switch t {
	case domain.MoveReceipt, domain.MoveFGReceipt:
		_, err := q.Exec(ctx, `UPDATE inv_lots SET quantity = quantity + ? WHERE id = ?`, int64(qty), lot.ID)
		return err
	case domain.MoveIssue, domain.MoveReturn:
		d := int64(qty)
		if t == domain.MoveReturn {
			d = -d
		}
		_, err := q.Exec(ctx, `INSERT INTO inv_wo_lots (work_order_id, lot_id, material, quantity, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (work_order_id, lot_id) DO UPDATE SET quantity = inv_wo_lots.quantity + excluded.quantity, last_at = excluded.last_at`,
			wo, lot.ID, lot.Material, d, at, at)
		return err
	}
	return nil
}

// settleLotStatus marks a lot with nothing left consumed, and brings a
// consumed lot back (released, or quarantine in a quarantine location)
// when stock returns to it.
func settleLotStatus(ctx context.Context, q store.Q, lot domain.Lot, toLoc *domain.Location, created bool) error {
	if created {
		return nil
	}
	var onHand int64
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM inv_balances WHERE lot_id = ?`, lot.ID).Scan(&onHand); err != nil {
		return err
	}
	next := lot.Status
	switch {
	case onHand <= 0 && lot.Status != domain.LotConsumed:
		next = domain.LotConsumed
	case onHand > 0 && lot.Status == domain.LotConsumed:
		next = domain.LotReleased
		if toLoc != nil && toLoc.Kind == domain.LocQuarantine {
			next = domain.LotQuarantine
		}
	}
	if next == lot.Status {
		return nil
	}
	_, err := q.Exec(ctx, `UPDATE inv_lots SET status = ? WHERE id = ?`, string(next), lot.ID)
	return err
}

// movementByClient finds actor's movement with clientID.
func movementByClient(ctx context.Context, q store.Q, actor, clientID string) (domain.Movement, bool, error) {
	ms, err := listMovements(ctx, q, []string{"m.actor = ?", "m.client_id = ?"}, []any{actor, clientID}, 1)
	if err != nil || len(ms) == 0 {
		return domain.Movement{}, false, err
	}
	ms[0].Replayed = true
	return ms[0], true, nil
}

// sameRequest refuses a client_id sent again with another movement.
func sameRequest(prev domain.Movement, m domain.MovementRequest, err error) error {
	if err != nil {
		return err
	}
	unit := m.Unit
	if unit == "" {
		unit = prev.Unit
	}
	from, to := m.From, m.To
	if m.Type == domain.MoveAdjustment {
		if m.Quantity > 0 {
			to = m.Location
		} else {
			from = m.Location
		}
	}
	if prev.Type != m.Type || prev.Lot != m.Lot || prev.EnteredQuantity != m.Quantity || prev.EnteredUnit != unit || prev.From != from ||
		prev.To != to || prev.WorkOrder != m.WorkOrder || prev.Order != m.Order {
		return conflict("client_id", "client_id %s was used for another movement (%s of %s %s of lot %s)", m.ClientID, prev.Type,
			prev.EnteredQuantity, prev.EnteredUnit, prev.Lot)
	}
	return nil
}

package purchasing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// InspectionPlan returns a material's plan (not required, empty, when it
// has none).
func (s *Store) InspectionPlan(ctx context.Context, material string) (domain.InspectionPlan, error) {
	q := s.h.Read()
	if ok, err := exists(ctx, q, `SELECT 1 FROM products WHERE code = ?`, material); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("material %s: %w", material, domain.ErrNotFound)
		}
		return domain.InspectionPlan{}, err
	}
	return inspectionPlan(ctx, q, material)
}

func inspectionPlan(ctx context.Context, q store.Q, material string) (domain.InspectionPlan, error) {
	p := domain.InspectionPlan{Material: material, Characteristics: []domain.Characteristic{}}
	var req int
	var chars string
	err := q.QueryRow(ctx, `SELECT required, sample_size, characteristics FROM inspection_plans WHERE material = ?`, material).Scan(&req, &p.SampleSize, &chars)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("store: inspection plan of %s: %w", material, err)
	}
	p.Required = req != 0
	if err := json.Unmarshal([]byte(chars), &p.Characteristics); err != nil {
		return p, fmt.Errorf("store: inspection plan of %s: %w", material, err)
	}
	return p, nil
}

// PutInspectionPlan replaces a material's inspection plan (audited).
func (s *Store) PutInspectionPlan(ctx context.Context, p domain.InspectionPlan, actor domain.Actor) (domain.InspectionPlan, error) {
	if p.Characteristics == nil {
		p.Characteristics = []domain.Characteristic{}
	}
	if err := domain.CheckInspectionPlan(p); err != nil {
		return p, err
	}
	err := s.h.InTx(ctx, func(q store.Q) error {
		if ok, err := exists(ctx, q, `SELECT 1 FROM products WHERE code = ?`, p.Material); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("material %s: %w", p.Material, domain.ErrNotFound)
			}
			return err
		}
		before, err := inspectionPlan(ctx, q, p.Material)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := q.Exec(ctx, `INSERT INTO inspection_plans (material, required, sample_size, characteristics, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (material) DO UPDATE SET required = excluded.required, sample_size = excluded.sample_size,
			characteristics = excluded.characteristics, updated_at = excluded.updated_at`,
			p.Material, b2i(p.Required), p.SampleSize, string(mustJSON(p.Characteristics)), store.Nanos(now)); err != nil {
			return fmt.Errorf("store: inspection plan of %s: %w", p.Material, err)
		}
		return audit(ctx, q, now, actor, "inspection_plan", p.Material, "replace", "", before, p)
	})
	return p, err
}

// ReceiptRequest is a goods receipt against one purchase order line.
type ReceiptRequest struct {
	Quantity    domain.Qty `json:"quantity"`
	Lot         string     `json:"lot"`          // the new lot's id; empty: <po>-<line>-<n>
	SupplierLot string     `json:"supplier_lot"` // the supplier's lot number
	ExpiresAt   *time.Time `json:"expires_at"`
	// Location: where it goes; empty: the first quarantine location when
	// the material's plan requires inspection, else the first warehouse one.
	Location string `json:"location"`
}

const receiptCols = `r.id, r.po_number, r.line, r.supplier, r.material, p.unit, r.lot_id, r.supplier_lot, r.quantity, r.location_id, r.movement_id,
	r.received_at, r.actor, r.on_time, r.promised_by, r.price, r.inspection, r.inspected_at`

func scanReceipt(sc interface{ Scan(...any) error }) (domain.Receipt, error) {
	var r domain.Receipt
	var qty, price, at int64
	var onTime int
	var insp sql.NullInt64
	err := sc.Scan(&r.ID, &r.PO, &r.Line, &r.Supplier, &r.Material, &r.Unit, &r.Lot, &r.SupplierLot, &qty, &r.Location, &r.Movement,
		&at, &r.Actor, &onTime, &r.PromisedBy, &price, &r.Inspection, &insp)
	r.Quantity, r.Price, r.At, r.OnTime, r.InspectedAt = domain.Qty(qty), domain.Money(price), store.FromNanos(at), onTime != 0, store.FromNull(insp)
	return r, err
}

// GetReceipt returns one receipt.
func (s *Store) GetReceipt(ctx context.Context, id string) (domain.Receipt, error) {
	return getReceipt(ctx, s.h.Read(), id)
}

func getReceipt(ctx context.Context, q store.Q, id string) (domain.Receipt, error) {
	r, err := scanReceipt(q.QueryRow(ctx, `SELECT `+receiptCols+` FROM po_receipts r JOIN products p ON p.code = r.material WHERE r.id = ?`, id))
	if err != nil {
		return r, store.NotFound("receipt "+id, err)
	}
	return r, nil
}

// ReceiptFilter selects receipts.
type ReceiptFilter struct {
	PO, Supplier, Inspection string
	From, To                 *time.Time
	Limit                    int
}

// ListReceipts lists receipts, newest first.
func (s *Store) ListReceipts(ctx context.Context, f ReceiptFilter) ([]domain.Receipt, error) {
	query, args := `SELECT `+receiptCols+` FROM po_receipts r JOIN products p ON p.code = r.material WHERE 1 = 1`, []any{}
	add := func(cond string, v any) { query += ` AND ` + cond; args = append(args, v) }
	if f.PO != "" {
		add(`r.po_number = ?`, f.PO)
	}
	if f.Supplier != "" {
		add(`r.supplier = ?`, f.Supplier)
	}
	if f.Inspection != "" {
		add(`r.inspection = ?`, f.Inspection)
	}
	if f.From != nil {
		add(`r.received_at >= ?`, store.Nanos(*f.From))
	}
	if f.To != nil {
		add(`r.received_at < ?`, store.Nanos(*f.To))
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	rows, err := s.h.Read().Query(ctx, query+` ORDER BY r.id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list receipts: %w", err)
	}
	defer rows.Close()
	out := []domain.Receipt{}
	for rows.Next() {
		r, err := scanReceipt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// firstLocation is the first enabled location of kind, or a conflict.
func firstLocation(ctx context.Context, q store.Q, kind domain.LocationKind, why string) (string, error) {
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM inv_locations WHERE kind = ? AND disabled = 0 ORDER BY id LIMIT 1`, string(kind)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", conflict("location", "there is no %s location for %s; create one (POST /api/v1/locations) or name one", kind, why)
	}
	return id, err
}

// Receive books a goods receipt against line of purchase order number: a
// new lot into quarantine (or straight to stock when the material needs no
// inspection) through the inventory ledger, the line's received quantity,
// the order's status and, when the plan requires it, a pending inspection.
// More than ordered plus the tolerance, a closed or cancelled line or
// order, and an order not yet approved are refused.
func (s *Store) Receive(ctx context.Context, number string, line int, r ReceiptRequest, actor domain.Actor) (domain.Receipt, error) {
	if r.Quantity <= 0 || r.Quantity > domain.MaxStock {
		return domain.Receipt{}, domain.Invalid("quantity", "must be above 0 and at most %d", int64(domain.MaxQuantity))
	}
	if r.Lot != "" {
		if err := domain.ValidNumber("lot", r.Lot); err != nil {
			return domain.Receipt{}, err
		}
	}
	if e := domain.CheckText("supplier_lot", r.SupplierLot, 80); e != nil {
		return domain.Receipt{}, e
	}
	var out domain.Receipt
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		po, err := lockPO(ctx, q, number, now)
		if err != nil {
			return err
		}
		switch po.Status {
		case domain.POApproved, domain.POSent, domain.POPartiallyReceived, domain.POReceived:
		default:
			return conflict("status", "purchase order %s is %s; goods are received against an approved or sent order", number, po.Status)
		}
		var l *domain.POLine
		for i := range po.Lines {
			if po.Lines[i].Line == line {
				l = &po.Lines[i]
			}
		}
		if l == nil {
			return fmt.Errorf("line %d of purchase order %s: %w", line, number, domain.ErrNotFound)
		}
		if l.Closed {
			return conflict("line", "line %d of purchase order %s is closed; nothing more is received on it", line, number)
		}
		limit := s.rules.ReceiveLimit(l.Quantity)
		if l.Received+r.Quantity > limit {
			return conflict("quantity", "line %d of purchase order %s ordered %s %s and has %s received; %s more is beyond the %g %% tolerance (at most %s more)",
				line, number, l.Quantity, l.Unit, l.Received, r.Quantity, s.rules.ReceiptTolerancePct, max(limit-l.Received, 0))
		}
		plan, err := inspectionPlan(ctx, q, l.Material)
		if err != nil {
			return err
		}
		loc := r.Location
		if loc == "" {
			if plan.Required {
				loc, err = firstLocation(ctx, q, domain.LocQuarantine, "material under incoming inspection")
			} else {
				loc, err = firstLocation(ctx, q, domain.LocWarehouse, "received material")
			}
			if err != nil {
				return err
			}
		} else if plan.Required {
			var kind string
			if err := q.QueryRow(ctx, `SELECT kind FROM inv_locations WHERE id = ?`, loc).Scan(&kind); err == nil && kind != string(domain.LocQuarantine) {
				return domain.Invalid("location", "material %s is inspected on receipt; receive it into a quarantine location, not %s (%s)", l.Material, loc, kind)
			}
		}
		var n int
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM po_receipts WHERE po_number = ? AND line = ?`, number, line).Scan(&n); err != nil {
			return err
		}
		lot := r.Lot
		if lot == "" {
			lot = number + "-" + strconv.Itoa(line) + "-" + strconv.Itoa(n+1)
			if domain.ValidNumber("lot", lot) != nil {
				return domain.Invalid("lot", "is required (the purchase order number is too long to name the lot after it)")
			}
		}
		if ok, err := exists(ctx, q, `SELECT 1 FROM inv_lots WHERE id = ?`, lot); err != nil {
			return err
		} else if ok {
			return conflict("lot", "lot %s exists; a receipt makes a new lot", lot)
		}
		mv, err := s.inv.BookIn(ctx, q, domain.MovementRequest{Type: domain.MoveReceipt, Lot: lot, Quantity: r.Quantity, To: loc,
			Material: l.Material, SupplierLot: r.SupplierLot, ExpiresAt: r.ExpiresAt,
			Reason: fmt.Sprintf("purchase order %s line %d from %s", number, line, po.Supplier)}, actor)
		if err != nil {
			return err
		}
		promised := l.ConfirmedDate
		if promised == "" {
			promised = l.DueDate
		}
		day := now.UTC().Format(time.DateOnly)
		insp := "none"
		if plan.Required {
			insp = "pending"
		}
		out = domain.Receipt{ID: store.NewID(now), PO: number, Line: line, Supplier: po.Supplier, Material: l.Material, Unit: l.Unit, Lot: lot,
			SupplierLot: r.SupplierLot, Quantity: r.Quantity, Location: loc, Movement: mv.ID, At: now, Actor: actor.Name,
			OnTime: day <= promised, PromisedBy: promised, Price: l.Price, Inspection: insp}
		if _, err := q.Exec(ctx, `INSERT INTO po_receipts (id, po_number, line, supplier, material, lot_id, supplier_lot, quantity, location_id,
			movement_id, received_at, actor, on_time, promised_by, price, inspection) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, number, line, po.Supplier, l.Material, lot, r.SupplierLot, int64(r.Quantity), loc, mv.ID, store.Nanos(now), actor.Name,
			b2i(out.OnTime), promised, int64(l.Price), insp); err != nil {
			return fmt.Errorf("store: receipt of %s line %d: %w", number, line, err)
		}
		if _, err := q.Exec(ctx, `UPDATE po_lines SET received = received + ? WHERE po_number = ? AND line = ?`, int64(r.Quantity), number, line); err != nil {
			return err
		}
		if err := settlePOStatus(ctx, q, number); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "purchase_order", number, "receive", "", nil, out)
	})
	return out, err
}

// settlePOStatus makes an order received when every line is received in
// full (or closed), else partially received once anything came.
func settlePOStatus(ctx context.Context, q store.Q, number string) error {
	var open, got int
	if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN closed = 0 AND received < quantity THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN received > 0 THEN 1 ELSE 0 END), 0) FROM po_lines WHERE po_number = ?`, number).Scan(&open, &got); err != nil {
		return err
	}
	next := ""
	switch {
	case open == 0:
		next = string(domain.POReceived)
	case got > 0:
		next = string(domain.POPartiallyReceived)
	default:
		return nil
	}
	_, err := q.Exec(ctx, `UPDATE purchase_orders SET status = ? WHERE number = ? AND status IN ('approved', 'sent', 'partially_received', 'received')`,
		next, number)
	return err
}

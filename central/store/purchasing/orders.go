package purchasing

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

const poCols = `number, supplier, status, currency, notes, total, subcontract, created_by, approved_by, approved_at, sent_at, created_at, updated_at`

func scanPO(sc interface{ Scan(...any) error }) (domain.PurchaseOrder, error) {
	var po domain.PurchaseOrder
	var status string
	var total int64
	var sub int
	var approved, sent sql.NullInt64
	var created, updated int64
	if err := sc.Scan(&po.Number, &po.Supplier, &status, &po.Currency, &po.Notes, &total, &sub, &po.CreatedBy, &po.ApprovedBy,
		&approved, &sent, &created, &updated); err != nil {
		return po, err
	}
	po.Status, po.Total, po.Subcontract = domain.POStatus(status), domain.Money(total), sub != 0
	po.ApprovedAt, po.SentAt = store.FromNull(approved), store.FromNull(sent)
	po.CreatedAt, po.UpdatedAt = store.FromNanos(created), store.FromNanos(updated)
	return po, nil
}

const lineCols = `l.po_number, l.line, l.material, p.unit, l.quantity, l.price, l.amount, l.due_date, l.confirmed_date, l.received, l.closed, l.requisition`

func scanLine(sc interface{ Scan(...any) error }) (string, domain.POLine, error) {
	var l domain.POLine
	var po string
	var qty, price, amount, received int64
	var closed int
	err := sc.Scan(&po, &l.Line, &l.Material, &l.Unit, &qty, &price, &amount, &l.DueDate, &l.ConfirmedDate, &received, &closed, &l.Requisition)
	l.Quantity, l.Price, l.Amount, l.Received, l.Closed = domain.Qty(qty), domain.Money(price), domain.Money(amount), domain.Qty(received), closed != 0
	return po, l, err
}

func poLines(ctx context.Context, q store.Q, number string) ([]domain.POLine, error) {
	rows, err := q.Query(ctx, `SELECT `+lineCols+` FROM po_lines l JOIN products p ON p.code = l.material WHERE l.po_number = ? ORDER BY l.line`, number)
	if err != nil {
		return nil, fmt.Errorf("store: lines of purchase order %s: %w", number, err)
	}
	defer rows.Close()
	out := []domain.POLine{}
	for rows.Next() {
		_, l, err := scanLine(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// GetPO returns a purchase order with its lines.
func (s *Store) GetPO(ctx context.Context, number string) (domain.PurchaseOrder, error) {
	return getPO(ctx, s.h.Read(), number)
}

func getPO(ctx context.Context, q store.Q, number string) (domain.PurchaseOrder, error) {
	po, err := scanPO(q.QueryRow(ctx, `SELECT `+poCols+` FROM purchase_orders WHERE number = ?`, number))
	if err != nil {
		return po, store.NotFound("purchase order "+number, err)
	}
	po.Lines, err = poLines(ctx, q, number)
	return po, err
}

// POFilter selects purchase orders.
type POFilter struct {
	Supplier string
	Status   []domain.POStatus
	Material string // has a line of it
	Limit    int
}

// ListPOs lists purchase orders (with lines), newest number last.
func (s *Store) ListPOs(ctx context.Context, f POFilter) ([]domain.PurchaseOrder, error) {
	query, args := `SELECT `+poCols+` FROM purchase_orders WHERE 1 = 1`, []any{}
	if f.Supplier != "" {
		query += ` AND supplier = ?`
		args = append(args, f.Supplier)
	}
	if len(f.Status) > 0 {
		query += ` AND status IN (?` + repeat(",?", len(f.Status)-1) + `)`
		for _, st := range f.Status {
			args = append(args, string(st))
		}
	}
	if f.Material != "" {
		query += ` AND number IN (SELECT po_number FROM po_lines WHERE material = ?)`
		args = append(args, f.Material)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 1000
	}
	query += ` ORDER BY number LIMIT ?`
	args = append(args, f.Limit)
	q := s.h.Read()
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list purchase orders: %w", err)
	}
	out := []domain.PurchaseOrder{}
	for rows.Next() {
		po, err := scanPO(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, po)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Lines, err = poLines(ctx, q, out[i].Number); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// priceLines fills each line from the supplier's terms (refusing a
// supplier not approved for a material, a quantity below the minimum or
// off the multiple, another currency) and totals the order.
func (s *Store) priceLines(ctx context.Context, q store.Q, po *domain.PurchaseOrder) error {
	day := s.now().UTC().Format(time.DateOnly)
	po.Total = 0
	for i := range po.Lines {
		l := &po.Lines[i]
		f := fmt.Sprintf("lines[%d]", i)
		l.Line = i + 1
		_, it, err := supplierTerms(ctx, q, po.Supplier, l.Material, f+".material")
		if err != nil {
			return err
		}
		if po.Currency == "" {
			po.Currency = it.Currency
		}
		if it.MOQ > 0 && l.Quantity < it.MOQ {
			return domain.Invalid(f+".quantity", "%s %s is below supplier %s's minimum order quantity of %s %s for %s",
				l.Quantity, it.Unit, po.Supplier, it.MOQ, it.Unit, l.Material)
		}
		if it.Multiple > 0 && l.Quantity%it.Multiple != 0 {
			return domain.Invalid(f+".quantity", "%s %s is not a multiple of %s %s, supplier %s's order multiple for %s (next: %s)",
				l.Quantity, it.Unit, it.Multiple, it.Unit, po.Supplier, l.Material, it.RoundOrder(l.Quantity))
		}
		if l.Price == 0 {
			if !it.ValidOn(day) {
				return conflict(f+".price", "supplier %s's price for %s is valid %s to %s, not today (%s); give a price or renew the terms",
					po.Supplier, l.Material, orOpen(it.ValidFrom), orOpen(it.ValidTo), day)
			}
			if it.Currency != po.Currency {
				return conflict(f+".material", "supplier %s prices %s in %s; this purchase order is in %s", po.Supplier, l.Material, it.Currency, po.Currency)
			}
			l.Price = it.Price
		}
		l.Unit = it.Unit
		l.Amount = domain.LineAmount(l.Price, l.Quantity)
		po.Total += l.Amount
		if po.Total > domain.MaxMoney {
			return domain.Invalid("lines", "the total is too large")
		}
	}
	return nil
}

func orOpen(d string) string {
	if d == "" {
		return "open"
	}
	return d
}

// CreatePO writes a draft purchase order (audited). Lines without a price
// take the supplier's valid price; the currency is the supplier's.
func (s *Store) CreatePO(ctx context.Context, po domain.PurchaseOrder, actor domain.Actor) (domain.PurchaseOrder, error) {
	if err := domain.CheckPurchaseOrder(po); err != nil {
		return po, err
	}
	var out domain.PurchaseOrder
	err := s.h.InTx(ctx, func(q store.Q) error {
		var err error
		out, err = s.createPO(ctx, q, po, actor)
		return err
	})
	return out, err
}

func (s *Store) createPO(ctx context.Context, q store.Q, po domain.PurchaseOrder, actor domain.Actor) (domain.PurchaseOrder, error) {
	if err := s.priceLines(ctx, q, &po); err != nil {
		return po, err
	}
	now := s.now()
	po.Status, po.CreatedBy, po.CreatedAt, po.UpdatedAt = domain.PODraft, actor.Name, now, now
	po.ApprovedBy, po.ApprovedAt, po.SentAt = "", nil, nil
	if _, err := q.Exec(ctx, `INSERT INTO purchase_orders (number, supplier, status, currency, notes, total, subcontract, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, po.Number, po.Supplier, string(po.Status), po.Currency, po.Notes, int64(po.Total),
		b2i(po.Subcontract), po.CreatedBy, store.Nanos(now), store.Nanos(now)); err != nil {
		if store.IsUnique(err) {
			return po, conflict("number", "purchase order %s already exists", po.Number)
		}
		return po, fmt.Errorf("store: create purchase order %s: %w", po.Number, err)
	}
	if err := insertLines(ctx, q, po); err != nil {
		return po, err
	}
	return po, audit(ctx, q, now, actor, "purchase_order", po.Number, "create", "", nil, po)
}

func insertLines(ctx context.Context, q store.Q, po domain.PurchaseOrder) error {
	for _, l := range po.Lines {
		if _, err := q.Exec(ctx, `INSERT INTO po_lines (po_number, line, material, quantity, price, amount, due_date, confirmed_date, received, closed, requisition)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)`, po.Number, l.Line, l.Material, int64(l.Quantity), int64(l.Price), int64(l.Amount),
			l.DueDate, l.ConfirmedDate, l.Requisition); err != nil {
			return fmt.Errorf("store: line %d of purchase order %s: %w", l.Line, po.Number, err)
		}
	}
	return nil
}

// UpdatePO replaces a draft's lines and notes (audited); once approved a
// purchase order's content is fixed (cancel and write a new one).
func (s *Store) UpdatePO(ctx context.Context, po domain.PurchaseOrder, actor domain.Actor) (domain.PurchaseOrder, error) {
	if err := domain.CheckPurchaseOrder(po); err != nil {
		return po, err
	}
	var out domain.PurchaseOrder
	err := s.h.InTx(ctx, func(q store.Q) error {
		before, err := lockPO(ctx, q, po.Number, s.now())
		if err != nil {
			return err
		}
		if before.Status != domain.PODraft {
			return conflict("status", "purchase order %s is %s; only a draft may be changed", po.Number, before.Status)
		}
		if po.Supplier != before.Supplier {
			return conflict("supplier", "purchase order %s is to %s; its supplier cannot change", po.Number, before.Supplier)
		}
		if po.Currency == "" {
			po.Currency = before.Currency
		}
		if err := s.priceLines(ctx, q, &po); err != nil {
			return err
		}
		now := s.now()
		if _, err := q.Exec(ctx, `DELETE FROM po_lines WHERE po_number = ?`, po.Number); err != nil {
			return err
		}
		if err := insertLines(ctx, q, po); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE purchase_orders SET currency = ?, notes = ?, total = ?, updated_at = ? WHERE number = ?`,
			po.Currency, po.Notes, int64(po.Total), store.Nanos(now), po.Number); err != nil {
			return err
		}
		if out, err = getPO(ctx, q, po.Number); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "purchase_order", po.Number, "update", "", before, out)
	})
	return out, err
}

// lockPO takes the purchase order's row lock and reads it.
func lockPO(ctx context.Context, q store.Q, number string, now time.Time) (domain.PurchaseOrder, error) {
	res, err := q.Exec(ctx, `UPDATE purchase_orders SET updated_at = ? WHERE number = ?`, store.Nanos(now), number)
	if err != nil {
		return domain.PurchaseOrder{}, fmt.Errorf("store: lock purchase order %s: %w", number, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.PurchaseOrder{}, fmt.Errorf("purchase order %s: %w", number, domain.ErrNotFound)
	}
	return getPO(ctx, q, number)
}

// ActPO takes action on a purchase order (audited with the reason):
// approval within the approver's limit, sending, closing (open lines are
// closed short) and cancelling.
func (s *Store) ActPO(ctx context.Context, number string, a domain.POAction, reason string, actor domain.Actor) (domain.PurchaseOrder, error) {
	if e := domain.CheckText("reason", reason, 500); e != nil {
		return domain.PurchaseOrder{}, e
	}
	var out domain.PurchaseOrder
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		po, err := lockPO(ctx, q, number, now)
		if err != nil {
			return err
		}
		next, err := domain.NextPOStatus(number, po.Status, a)
		if err != nil {
			return err
		}
		if a == domain.POActCancel && anyReceived(po) {
			return conflict("status", "purchase order %s has receipts; close it instead of cancelling", number)
		}
		set, args := `status = ?`, []any{string(next)}
		switch a {
		case domain.POActApprove:
			if err := s.rules.CheckApproval(actor.Role, po); err != nil {
				return err
			}
			set += `, approved_by = ?, approved_at = ?`
			args = append(args, actor.Name, store.Nanos(now))
		case domain.POActSend:
			set += `, sent_at = ?`
			args = append(args, store.Nanos(now))
		case domain.POActClose, domain.POActCancel:
			if _, err := q.Exec(ctx, `UPDATE po_lines SET closed = 1 WHERE po_number = ?`, number); err != nil {
				return err
			}
		}
		if _, err := q.Exec(ctx, `UPDATE purchase_orders SET `+set+` WHERE number = ?`, append(args, number)...); err != nil {
			return fmt.Errorf("store: %s purchase order %s: %w", a, number, err)
		}
		if out, err = getPO(ctx, q, number); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "purchase_order", number, string(a), reason,
			map[string]any{"status": po.Status, "total": po.Total}, map[string]any{"status": next, "total": po.Total})
	})
	return out, err
}

func anyReceived(po domain.PurchaseOrder) bool {
	for _, l := range po.Lines {
		if l.Received > 0 {
			return true
		}
	}
	return false
}

// LineDate is a supplier's confirmed date for one line.
type LineDate struct {
	Line          int    `json:"line"`
	ConfirmedDate string `json:"confirmed_date"`
}

// ConfirmDates records the supplier's confirmed delivery dates (audited);
// lateness and incoming stock count from them.
func (s *Store) ConfirmDates(ctx context.Context, number string, ds []LineDate, actor domain.Actor) (domain.PurchaseOrder, error) {
	if len(ds) == 0 {
		return domain.PurchaseOrder{}, domain.Invalid("lines", "must list at least one line's confirmed_date")
	}
	for i, d := range ds {
		if _, err := time.Parse(time.DateOnly, d.ConfirmedDate); err != nil {
			return domain.PurchaseOrder{}, domain.Invalid(fmt.Sprintf("[%d].confirmed_date", i), "must be a date like 2026-03-02")
		}
	}
	var out domain.PurchaseOrder
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		po, err := lockPO(ctx, q, number, now)
		if err != nil {
			return err
		}
		switch po.Status {
		case domain.POClosed, domain.POCancelled:
			return conflict("status", "purchase order %s is %s", number, po.Status)
		}
		for i, d := range ds {
			res, err := q.Exec(ctx, `UPDATE po_lines SET confirmed_date = ? WHERE po_number = ? AND line = ?`, d.ConfirmedDate, number, d.Line)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return domain.Invalid(fmt.Sprintf("[%d].line", i), "purchase order %s has no line %d", number, d.Line)
			}
		}
		if out, err = getPO(ctx, q, number); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "purchase_order", number, "confirm_dates", "", nil, ds)
	})
	return out, err
}

// OpenLine is an open purchase order line: what is still to come.
type OpenLine struct {
	PO, Supplier string
	domain.POLine
	Open domain.Qty // ordered − received, never below zero
}

// OpenLines lists lines still expected (approved, sent or partly received
// orders, the line not closed), optionally of one material.
func OpenLines(ctx context.Context, q store.Q, material string) ([]OpenLine, error) {
	query := `SELECT ` + lineCols + `, o.supplier FROM po_lines l JOIN products p ON p.code = l.material
		JOIN purchase_orders o ON o.number = l.po_number
		WHERE l.closed = 0 AND o.status IN ('approved', 'sent', 'partially_received')`
	var args []any
	if material != "" {
		query += ` AND l.material = ?`
		args = append(args, material)
	}
	rows, err := q.Query(ctx, query+` ORDER BY l.po_number, l.line`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: open purchase order lines: %w", err)
	}
	defer rows.Close()
	var out []OpenLine
	for rows.Next() {
		var ol OpenLine
		var qty, price, amount, received int64
		var closed int
		if err := rows.Scan(&ol.PO, &ol.Line, &ol.Material, &ol.Unit, &qty, &price, &amount, &ol.DueDate, &ol.ConfirmedDate, &received,
			&closed, &ol.Requisition, &ol.Supplier); err != nil {
			return nil, err
		}
		ol.Quantity, ol.Price, ol.Amount, ol.Received = domain.Qty(qty), domain.Money(price), domain.Money(amount), domain.Qty(received)
		ol.Open = max(ol.Quantity-ol.Received, 0)
		out = append(out, ol)
	}
	return out, rows.Err()
}

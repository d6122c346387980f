package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
)

// fullOrderColumns reads an order with the lifecycle columns of migration 2.
// An order's good is its last operation's (the parts that left the routing),
// not the sum over operations; its reject is every operation's scrap.
const fullOrderColumns = `o.number, o.product_code, p.name, o.quantity, o.due_at, o.priority, o.status,
	COALESCE((SELECT w.good FROM work_orders w WHERE w.order_number = o.number AND w.status <> 'cancelled' ORDER BY w.operation_seq DESC, w.id DESC LIMIT 1), 0),
	COALESCE((SELECT SUM(w.reject) FROM work_orders w WHERE w.order_number = o.number), 0),
	o.unit, o.customer_ref, o.order_type, o.site, o.review_round, o.created_at, o.updated_at,
	COALESCE(o.customer_code, ''), COALESCE(cu.name, ''), COALESCE(cu.grade, ''), o.price, o.price_currency
	FROM orders o JOIN products p ON p.code = o.product_code LEFT JOIN customers cu ON cu.code = o.customer_code`

func scanFullOrder(sc interface{ Scan(...any) error }) (domain.Order, error) {
	var o domain.Order
	var due sql.NullInt64
	var status string
	var created, updated int64
	var price sql.NullInt64
	err := sc.Scan(&o.Number, &o.ProductCode, &o.ProductName, &o.Quantity, &due, &o.Priority, &status, &o.Good, &o.Reject,
		&o.Unit, &o.CustomerRef, &o.OrderType, &o.Site, &o.ReviewRound, &created, &updated,
		&o.Customer, &o.CustomerName, &o.CustomerGrade, &price, &o.Currency)
	o.Due, o.Status = fromNull(due), domain.OrderStatus(status)
	if price.Valid {
		p := money.Amount(price.Int64)
		o.Price = &p
	}
	if created != 0 {
		t := fromNanos(created)
		o.CreatedAt = &t
	}
	if updated != 0 {
		t := fromNanos(updated)
		o.UpdatedAt = &t
	}
	return o, err
}

// nextSequence hands out the next value of a named counter inside tx,
// starting at start for a new counter.
func (s *Store) nextSequence(ctx context.Context, tx *sql.Tx, name string, start int64) (int64, error) {
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sequences (name, next_value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), name, start); err != nil {
		return 0, fmt.Errorf("store: sequence %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE sequences SET next_value = next_value + 1 WHERE name = ?`), name); err != nil {
		return 0, fmt.Errorf("store: sequence %s: %w", name, err)
	}
	var next int64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT next_value FROM sequences WHERE name = ?`), name).Scan(&next); err != nil {
		return 0, fmt.Errorf("store: sequence %s: %w", name, err)
	}
	return next - 1, nil
}

func (s *Store) exists(ctx context.Context, q dbtx, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, s.q(query), args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// CreateDraftOrder stores a new order as a draft and audits it. Without a
// number it gets the next free PO-nnnn. The number is the order's key (work
// orders, sign-offs and the audit trail refer to it), so it is assigned here
// rather than at release. An unknown product is a *domain.FieldError.
func (s *Store) CreateDraftOrder(ctx context.Context, o domain.Order, actor domain.Actor) (domain.Order, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return o, fmt.Errorf("store: create order: %w", err)
	}
	defer tx.Rollback()
	created, err := s.createDraftOrder(ctx, tx, o, actor)
	if err != nil {
		return o, err
	}
	if err := tx.Commit(); err != nil {
		return o, fmt.Errorf("store: create order %s: %w", created.Number, err)
	}
	return created, nil
}

// CreateDraftOrders creates orders as CreateDraftOrder does, all in one
// transaction: all of them or none. On an error failed is the index of the
// order that failed (-1 when none did, e.g. the commit).
func (s *Store) CreateDraftOrders(ctx context.Context, orders []domain.Order, actor domain.Actor) (created []domain.Order, failed int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, -1, fmt.Errorf("store: create orders: %w", err)
	}
	defer tx.Rollback()
	for i, o := range orders {
		c, err := s.createDraftOrder(ctx, tx, o, actor)
		if err != nil {
			return nil, i, err
		}
		created = append(created, c)
	}
	if err := tx.Commit(); err != nil {
		return nil, -1, fmt.Errorf("store: create orders: %w", err)
	}
	return created, -1, nil
}

func (s *Store) createDraftOrder(ctx context.Context, tx *sql.Tx, o domain.Order, actor domain.Actor) (domain.Order, error) {
	var unit string
	err := tx.QueryRowContext(ctx, s.q(`SELECT unit FROM products WHERE code = ?`), o.ProductCode).Scan(&unit)
	if errors.Is(err, sql.ErrNoRows) {
		return o, domain.Invalid("product", "product %q does not exist", o.ProductCode)
	}
	if err != nil {
		return o, fmt.Errorf("store: create order: %w", err)
	}
	if o.Unit == "" {
		o.Unit = unit
	}
	if o.Customer != "" {
		ok, err := s.exists(ctx, tx, `SELECT 1 FROM customers WHERE code = ?`, o.Customer)
		if err != nil {
			return o, fmt.Errorf("store: create order: %w", err)
		}
		if !ok {
			return o, domain.Invalid("customer", "customer %q does not exist", o.Customer)
		}
	}
	if o.OrderType == "" {
		o.OrderType = domain.OrderTypeStandard
	}
	if o.Number == "" {
		for range 1000 {
			n, err := s.nextSequence(ctx, tx, "order_number", 1001)
			if err != nil {
				return o, err
			}
			candidate := fmt.Sprintf("PO-%d", n)
			taken, err := s.exists(ctx, tx, `SELECT 1 FROM orders WHERE number = ?`, candidate)
			if err != nil {
				return o, fmt.Errorf("store: create order: %w", err)
			}
			if !taken {
				o.Number = candidate
				break
			}
		}
		if o.Number == "" {
			return o, fmt.Errorf("store: create order: no free order number: %w", domain.ErrConflict)
		}
	}
	now := s.now()
	o.Status = domain.StatusDraft
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO orders (number, product_code, quantity, due_at, priority, status, created_at,
			unit, customer_ref, order_type, site, review_round, updated_at, customer_code, price, price_currency)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`),
		o.Number, o.ProductCode, o.Quantity, nullNanos(o.Due), o.Priority, string(o.Status), nanos(now),
		o.Unit, o.CustomerRef, o.OrderType, o.Site, nanos(now), nullString(o.Customer), nullPrice(o.Price), o.Currency)
	if isUnique(err) {
		return o, &domain.FieldError{Field: "number", Rule: fmt.Sprintf("%s already exists", o.Number), Conflict: true}
	}
	if err != nil {
		return o, fmt.Errorf("store: create order %s: %w", o.Number, err)
	}
	rec, err := s.loadOrderRecord(ctx, tx, o.Number)
	if err != nil {
		return o, err
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "order",
		EntityID: o.Number, Action: "create", After: snapshot(rec)}); err != nil {
		return o, err
	}
	return rec.Order, nil
}

// loadOrderRecord reads an order with its work orders, sign-offs and
// routing; on PostgreSQL it locks the order row until tx ends.
func (s *Store) loadOrderRecord(ctx context.Context, q dbtx, number string) (domain.OrderRecord, error) {
	var rec domain.OrderRecord
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE OF o"
	}
	o, err := scanFullOrder(q.QueryRowContext(ctx, s.q(`SELECT `+fullOrderColumns+` WHERE o.number = ?`+lock), number))
	if err != nil {
		return rec, notFound("store: order "+number, err)
	}
	rec.Order = o
	rec.WorkOrders = []domain.WorkOrder{}
	rec.Signoffs = []domain.Signoff{}
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+workOrderColumns+` WHERE order_number = ? ORDER BY operation_seq, id`), number)
	if err != nil {
		return rec, fmt.Errorf("store: work orders of order %s: %w", number, err)
	}
	for rows.Next() {
		w, err := scanWorkOrder(rows)
		if err != nil {
			rows.Close()
			return rec, fmt.Errorf("store: work orders of order %s: %w", number, err)
		}
		rec.WorkOrders = append(rec.WorkOrders, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rec, err
	}
	rows, err = q.QueryContext(ctx, s.q(`SELECT kind, review_round, signed_by, role, signed_at, comment
		FROM order_signoffs WHERE order_number = ? ORDER BY review_round, signed_at, kind`), number)
	if err != nil {
		return rec, fmt.Errorf("store: sign-offs of order %s: %w", number, err)
	}
	for rows.Next() {
		var so domain.Signoff
		var kind, role string
		var at int64
		if err := rows.Scan(&kind, &so.Round, &so.By, &role, &at, &so.Comment); err != nil {
			rows.Close()
			return rec, fmt.Errorf("store: sign-offs of order %s: %w", number, err)
		}
		so.Kind, so.Role, so.At = domain.SignoffKind(kind), domain.Role(role), fromNanos(at)
		rec.Signoffs = append(rec.Signoffs, so)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rec, err
	}
	rec.Routing, err = s.routing(ctx, q, o.ProductCode)
	return rec, err
}

// GetOrderRecord returns an order with its work orders, sign-offs and routing.
func (s *Store) GetOrderRecord(ctx context.Context, number string) (domain.OrderRecord, error) {
	return s.loadOrderRecord(ctx, s.db, number)
}

// ChangeOrder reads the order in a transaction, lets fn change it (the
// rules live in fn, not here), writes back what changed — order fields,
// new and changed work orders, new sign-offs — and appends audit entries
// with before and after, all in that one transaction. An error from fn
// rolls everything back and is returned as is.
//
// Work-order good and reject counts are never written here: ingest owns
// them and moves them by increment.
func (s *Store) ChangeOrder(ctx context.Context, number string, actor domain.Actor,
	fn func(rec *domain.OrderRecord) (domain.OrderChange, error)) (domain.OrderRecord, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.OrderRecord{}, fmt.Errorf("store: change order %s: %w", number, err)
	}
	defer tx.Rollback()
	before, result, err := s.changeOrderTx(ctx, tx, number, actor, fn)
	if err != nil {
		return before, err
	}
	if err := tx.Commit(); err != nil {
		return before, fmt.Errorf("store: change order %s: %w", number, err)
	}
	return result, nil
}

// changeOrderTx is ChangeOrder inside tx; it returns the order before and after.
func (s *Store) changeOrderTx(ctx context.Context, tx *sql.Tx, number string, actor domain.Actor,
	fn func(rec *domain.OrderRecord) (domain.OrderChange, error)) (before, result domain.OrderRecord, err error) {
	before, err = s.loadOrderRecord(ctx, tx, number)
	if err != nil {
		return before, result, err
	}
	after := cloneRecord(before)
	change, err := fn(&after)
	if err != nil {
		return before, result, err
	}
	now := s.now()
	o := after.Order
	res, err := tx.ExecContext(ctx, s.q(`UPDATE orders SET quantity = ?, due_at = ?, priority = ?, status = ?, unit = ?,
			customer_ref = ?, order_type = ?, site = ?, review_round = ?, updated_at = ?, price = ?, price_currency = ?
		WHERE number = ? AND status = ?`),
		o.Quantity, nullNanos(o.Due), o.Priority, string(o.Status), o.Unit, o.CustomerRef, o.OrderType, o.Site,
		o.ReviewRound, nanos(now), nullPrice(o.Price), o.Currency, number, string(before.Status))
	if err != nil {
		return before, result, fmt.Errorf("store: change order %s: %w", number, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return before, result, fmt.Errorf("store: order %s changed meanwhile, try again: %w", number, domain.ErrConflict)
	}
	old := map[string]domain.WorkOrder{}
	for _, w := range before.WorkOrders {
		old[w.ID] = w
	}
	var audits []domain.AuditEntry
	for _, w := range after.WorkOrders {
		prev, had := old[w.ID]
		switch {
		case !had:
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO work_orders
				(id, order_number, operation_seq, line_id, barcode, quantity, planned_start, planned_end, status)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				w.ID, number, w.OperationSeq, w.LineID, w.Barcode, w.Quantity,
				nullNanos(w.PlannedStart), nullNanos(w.PlannedEnd), string(w.Status))
			if isUnique(err) {
				return before, result, fmt.Errorf("store: work order %s already exists: %w", w.ID, domain.ErrConflict)
			}
			audits = append(audits, domain.AuditEntry{Entity: "work_order", EntityID: w.ID, Action: "create", After: snapshot(w)})
		case prev.Status != w.Status || !sameTime(prev.ActualEnd, w.ActualEnd) || prev.Quantity != w.Quantity:
			_, err = tx.ExecContext(ctx, s.q(`UPDATE work_orders SET status = ?, actual_end = ?, quantity = ? WHERE id = ?`),
				string(w.Status), nullNanos(w.ActualEnd), w.Quantity, w.ID)
			audits = append(audits, domain.AuditEntry{Entity: "work_order", EntityID: w.ID, Action: change.Action,
				Before: snapshot(prev), After: snapshot(w)})
		}
		if err != nil {
			return before, result, fmt.Errorf("store: change work order %s: %w", w.ID, err)
		}
	}
	for _, so := range after.Signoffs[len(before.Signoffs):] {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO order_signoffs (order_number, review_round, kind, signed_by, role, signed_at, comment)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), number, so.Round, string(so.Kind), so.By, string(so.Role), nanos(so.At), so.Comment)
		if isUnique(err) {
			return before, result, fmt.Errorf("store: %s is already signed off on order %s: %w", so.Kind, number, domain.ErrConflict)
		}
		if err != nil {
			return before, result, fmt.Errorf("store: sign off order %s: %w", number, err)
		}
	}
	if o.Status == domain.StatusClosed && before.Status != domain.StatusClosed {
		if err := s.freezeSettlement(ctx, tx, number, now.UTC()); err != nil {
			return before, result, err
		}
	}
	if o.Status != before.Status {
		if err := s.runOrderHooks(ctx, tx, number, before.Status, o.Status, actor); err != nil {
			return before, result, err
		}
	}
	result, err = s.loadOrderRecord(ctx, tx, number)
	if err != nil {
		return before, result, err
	}
	for _, w := range result.WorkOrders {
		if prev, had := old[w.ID]; had && prev.Status != domain.StatusCompleted && w.Status == domain.StatusCompleted {
			if err := s.runWorkOrderDoneHooks(ctx, tx, w, actor); err != nil {
				return before, result, err
			}
		}
	}
	audits = append([]domain.AuditEntry{{Entity: "order", EntityID: number, Action: change.Action,
		Before: snapshot(before), After: snapshot(result)}}, audits...)
	for _, a := range audits {
		a.At, a.Actor, a.Role, a.Reason = now, actor.Name, actor.Role, change.Reason
		if err := s.writeAudit(ctx, tx, a); err != nil {
			return before, result, err
		}
	}
	return before, result, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func cloneRecord(r domain.OrderRecord) domain.OrderRecord {
	c := r
	c.WorkOrders = slices.Clone(r.WorkOrders)
	c.Signoffs = slices.Clone(r.Signoffs)
	c.Routing = slices.Clone(r.Routing)
	return c
}

// DeleteOrder deletes an order after check approves it (the rule — only
// drafts — is the caller's), with its sign-offs, and audits it.
func (s *Store) DeleteOrder(ctx context.Context, number string, actor domain.Actor, check func(domain.OrderRecord) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: delete order %s: %w", number, err)
	}
	defer tx.Rollback()
	rec, err := s.loadOrderRecord(ctx, tx, number)
	if err != nil {
		return err
	}
	if err := check(rec); err != nil {
		return err
	}
	if len(rec.WorkOrders) > 0 {
		return fmt.Errorf("store: order %s has work orders: %w", number, domain.ErrConflict)
	}
	for _, q := range []string{`DELETE FROM order_signoffs WHERE order_number = ?`, `DELETE FROM orders WHERE number = ?`} {
		if _, err := tx.ExecContext(ctx, s.q(q), number); err != nil {
			return fmt.Errorf("store: delete order %s: %w", number, err)
		}
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "order",
		EntityID: number, Action: "delete", Before: snapshot(rec)}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: delete order %s: %w", number, err)
	}
	return nil
}

// likeEscape makes user text match literally inside LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// searchSep separates the columns of orders.search_text (PostgreSQL,
// migration 0210), so a pattern cannot match across two of them.
const searchSep = '\x1f'

// textMatch is the case-insensitive substring match of SearchOrders' text
// query. Product codes and names are matched once, in the small products
// table, not per order. The orders' own columns cost a full scan, so each
// row must be cheap: on SQLite, LIKE already ignores ASCII case (as LOWER
// only folds ASCII), so no column is lowered; on PostgreSQL, ILIKE and
// LOWER per row cost several times a plain LIKE, so the number and
// customer reference are matched in search_text, a generated lowercase
// copy of both (migration 0210).
func (s *Store) textMatch(query string) (string, []any) {
	l := likeEscape(query) // lowercased
	like := "LIKE"
	if s.postgres {
		like = "ILIKE"
	}
	products := `o.product_code IN (SELECT pq.code FROM products pq WHERE pq.code ` + like + ` ? ESCAPE '\' OR pq.name ` + like + ` ? ESCAPE '\')`
	customers := `o.customer_code IN (SELECT cq.code FROM customers cq WHERE cq.code ` + like + ` ? ESCAPE '\' OR cq.name ` + like + ` ? ESCAPE '\')`
	if s.postgres && !strings.ContainsRune(query, searchSep) {
		return `(` + products + ` OR ` + customers + ` OR o.search_text LIKE ? ESCAPE '\')`, []any{l, l, l, l, l}
	}
	return `(` + products + ` OR ` + customers + ` OR o.number ` + like + ` ? ESCAPE '\' OR o.customer_ref ` + like + ` ? ESCAPE '\')`, []any{l, l, l, l, l, l}
}

// SearchOrders lists orders matching f by number. With f.After it continues
// after that number (keyset paging); f.Offset skips rows; f.Limit caps them.
func (s *Store) SearchOrders(ctx context.Context, f domain.OrderFilter) ([]domain.Order, error) {
	var where []string
	var args []any
	if len(f.Status) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.Status)), ", ")
		where = append(where, "o.status IN ("+marks+")")
		for _, st := range f.Status {
			args = append(args, string(st))
		}
	}
	if f.Product != "" {
		where = append(where, "o.product_code = ?")
		args = append(args, f.Product)
	}
	if f.Customer != "" {
		where = append(where, "o.customer_code = ?")
		args = append(args, f.Customer)
	}
	if f.Line != "" {
		where = append(where, `(EXISTS (SELECT 1 FROM work_orders lw WHERE lw.order_number = o.number AND lw.line_id = ?)
			OR EXISTS (SELECT 1 FROM routings lr WHERE lr.product_code = o.product_code AND lr.line_id = ?))`)
		args = append(args, f.Line, f.Line)
	}
	if f.DueFrom != nil {
		where = append(where, "o.due_at >= ?")
		args = append(args, nanos(*f.DueFrom))
	}
	if f.DueTo != nil {
		where = append(where, "o.due_at < ?")
		args = append(args, nanos(*f.DueTo))
	}
	if f.Query != "" {
		w, a := s.textMatch(f.Query)
		where = append(where, w)
		args = append(args, a...)
	}
	if f.After != "" {
		where = append(where, "o.number > ?")
		args = append(args, f.After)
	}
	// The page's numbers are chosen first, from orders alone (indexes,
	// no join, no per-row sums), and only those rows are then read in
	// full: otherwise PostgreSQL computes the work-order sums of every
	// matching row before sorting, and both databases do it for every row
	// an OFFSET skips.
	page := `SELECT o.number FROM orders o`
	if len(where) > 0 {
		page += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1 << 30
	}
	page += " ORDER BY o.number LIMIT ? OFFSET ?"
	args = append(args, limit, f.Offset)
	query := `SELECT ` + fullOrderColumns + ` WHERE o.number IN (` + page + `) ORDER BY o.number`
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: search orders: %w", err)
	}
	defer rows.Close()
	out := []domain.Order{}
	for rows.Next() {
		o, err := scanFullOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("store: search orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// nullPrice stores an unpriced order's price as NULL.
func nullPrice(p *money.Amount) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

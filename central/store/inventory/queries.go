package inventory

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// MaxPage is the most rows one page of movements or stock holds.
const MaxPage = 1000

// ListMovements returns ledger entries matching f, newest first.
func (s *Store) ListMovements(ctx context.Context, f domain.MovementFilter) ([]domain.Movement, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	if f.Type != "" {
		add("m.type = ?", string(f.Type))
	}
	if f.Material != "" {
		add("m.material = ?", f.Material)
	}
	if f.Lot != "" {
		add("m.lot_id = ?", f.Lot)
	}
	if f.Location != "" {
		add("(m.from_location = ? OR m.to_location = ?)", f.Location, f.Location)
	}
	if f.WorkOrder != "" {
		add("m.work_order_id = ?", f.WorkOrder)
	}
	if f.Order != "" {
		add("m.order_number = ?", f.Order)
	}
	if f.From != nil {
		add("m.occurred_at >= ?", store.Nanos(*f.From))
	}
	if f.To != nil {
		add("m.occurred_at < ?", store.Nanos(*f.To))
	}
	if f.After != "" {
		add("m.id < ?", f.After)
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = MaxPage
	}
	return listMovements(ctx, s.h.Read(), where, args, f.Limit)
}

func listMovements(ctx context.Context, q store.Q, where []string, args []any, limit int) ([]domain.Movement, error) {
	query := `SELECT m.id, m.type, m.material, m.lot_id, COALESCE(m.from_location, ''), COALESCE(m.to_location, ''), m.quantity, p.unit,
		m.entered_quantity, m.entered_unit, COALESCE(m.work_order_id, ''), COALESCE(m.order_number, ''), m.reason, m.negative,
		m.occurred_at, m.actor, m.role, COALESCE(m.client_id, '')
		FROM inv_movements m JOIN products p ON p.code = m.material`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY m.id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list movements: %w", err)
	}
	defer rows.Close()
	out := []domain.Movement{}
	for rows.Next() {
		var m domain.Movement
		var typ, role string
		var qty, entered, at int64
		var neg int
		if err := rows.Scan(&m.ID, &typ, &m.Material, &m.Lot, &m.From, &m.To, &qty, &m.Unit, &entered, &m.EnteredUnit,
			&m.WorkOrder, &m.Order, &m.Reason, &neg, &at, &m.Actor, &role, &m.ClientID); err != nil {
			return nil, fmt.Errorf("store: list movements: %w", err)
		}
		m.Type, m.Quantity, m.EnteredQuantity, m.Negative = domain.MovementType(typ), domain.Qty(qty), domain.Qty(entered), neg != 0
		m.At, m.Role = store.FromNanos(at), domain.Role(role)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Stock returns balances matching f by lot and location, read as kept
// (never summed from the ledger). A negative balance is listed as it is.
func (s *Store) Stock(ctx context.Context, f domain.StockFilter) ([]domain.Balance, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	if f.Material != "" {
		add("b.material = ?", f.Material)
	}
	if f.Lot != "" {
		add("b.lot_id = ?", f.Lot)
	}
	if f.Location != "" {
		add("b.location_id = ?", f.Location)
	}
	if !f.WithZero {
		add("b.quantity <> 0")
	}
	if f.After != "" {
		lot, loc, _ := strings.Cut(f.After, "/")
		add("(b.lot_id > ? OR (b.lot_id = ? AND b.location_id > ?))", lot, lot, loc)
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = MaxPage
	}
	query := `SELECT b.material, b.lot_id, b.location_id, b.quantity, p.unit, l.status, l.expires_at, b.updated_at
		FROM inv_balances b JOIN inv_lots l ON l.id = b.lot_id JOIN products p ON p.code = b.material`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY b.lot_id, b.location_id LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.h.Read().Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: stock: %w", err)
	}
	defer rows.Close()
	out := []domain.Balance{}
	for rows.Next() {
		var b domain.Balance
		var qty, updated int64
		var status string
		var exp sql.NullInt64
		if err := rows.Scan(&b.Material, &b.Lot, &b.Location, &qty, &b.Unit, &status, &exp, &updated); err != nil {
			return nil, fmt.Errorf("store: stock: %w", err)
		}
		b.Quantity, b.LotStatus, b.ExpiresAt, b.UpdatedAt = domain.Qty(qty), domain.LotStatus(status), store.FromNull(exp), store.FromNanos(updated)
		out = append(out, b)
	}
	return out, rows.Err()
}

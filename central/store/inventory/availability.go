package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// maxBOMDepth bounds the explosion; master data refuses BOM cycles, this
// only keeps a damaged table from looping.
const maxBOMDepth = 20

// allocLockKey serialises allocations on PostgreSQL (second half of the
// advisory key: a hash of this name), so two releases at once cannot
// both count on the same stock. SQLite has one writer anyway.
const allocLockKey = 0x4c57

// Availability is the material check of an order (domain.Availability).
func (s *Store) Availability(ctx context.Context, order string) (domain.Availability, error) {
	return availability(ctx, s.h.Read(), order, s.h.Now())
}

type matStock struct {
	unit                        string
	convs                       []domain.UnitConversion
	onHand, allocated, reserved domain.Qty
	incoming                    domain.Qty
	inHouse                     bool
}

type exploder struct {
	q      store.Q
	order  string
	mats   map[string]*matStock
	used   map[string]domain.Qty
	usedIn map[string]domain.Qty // incoming counted on by earlier lines
	// before: incoming counts when confirmed for a date before this
	// ("2006-01-02", the planned start's UTC day); "": none counts.
	before string
	out    *domain.Availability
}

func availability(ctx context.Context, q store.Q, number string, now time.Time) (domain.Availability, error) {
	a := domain.Availability{Order: number, Lines: []domain.AvailabilityLine{}, At: now}
	if err := q.QueryRow(ctx, `SELECT product_code, quantity FROM orders WHERE number = ?`, number).Scan(&a.Product, &a.Quantity); err != nil {
		return a, store.NotFound("order "+number, err)
	}
	var start sql.NullInt64
	if err := q.QueryRow(ctx, `SELECT MIN(planned_start) FROM work_orders WHERE order_number = ?`, number).Scan(&start); err != nil {
		return a, fmt.Errorf("store: planned start of %s: %w", number, err)
	}
	x := &exploder{q: q, order: number, mats: map[string]*matStock{}, used: map[string]domain.Qty{}, usedIn: map[string]domain.Qty{}, out: &a}
	if start.Valid {
		a.PlannedStart = store.FromNull(start)
		x.before = a.PlannedStart.UTC().Format(time.DateOnly)
	}
	if err := x.explode(ctx, a.Product, domain.Qty(a.Quantity*domain.QtyScale), 1, []string{a.Product}); err != nil {
		return a, err
	}
	for _, l := range a.Lines {
		a.Short = a.Short || l.Shortfall > 0
	}
	return a, nil
}

func (x *exploder) stock(ctx context.Context, m string) (*matStock, error) {
	if st, ok := x.mats[m]; ok {
		return st, nil
	}
	st := &matStock{}
	mat, err := loadMaterial(ctx, x.q, m, "bom")
	if err != nil {
		return nil, err
	}
	st.unit, st.convs = mat.unit, mat.convs
	var onHand, allocated, reserved int64
	if err := x.q.QueryRow(ctx, `SELECT COALESCE(SUM(b.quantity), 0) FROM inv_balances b
		JOIN inv_lots l ON l.id = b.lot_id JOIN inv_locations loc ON loc.id = b.location_id
		WHERE b.material = ? AND l.status = 'released' AND loc.kind NOT IN ('quarantine', 'subcontractor') AND loc.disabled = 0`, m).Scan(&onHand); err != nil {
		return nil, fmt.Errorf("store: stock of %s: %w", m, err)
	}
	if err := x.q.QueryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM inv_allocations WHERE material = ? AND order_number <> ?`,
		m, x.order).Scan(&allocated); err != nil {
		return nil, fmt.Errorf("store: allocations of %s: %w", m, err)
	}
	err = x.q.QueryRow(ctx, `SELECT quantity FROM inv_allocations WHERE material = ? AND order_number = ?`, m, x.order).Scan(&reserved)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: allocation of %s: %w", m, err)
	}
	st.onHand, st.allocated, st.reserved = domain.Qty(onHand), domain.Qty(allocated), domain.Qty(reserved)
	if x.before != "" {
		var incoming int64
		if err := x.q.QueryRow(ctx, `SELECT COALESCE(SUM(l.quantity - l.received), 0) FROM po_lines l
			JOIN purchase_orders o ON o.number = l.po_number
			WHERE l.material = ? AND l.closed = 0 AND l.quantity > l.received AND l.confirmed_date <> '' AND l.confirmed_date < ?
			AND o.status IN ('approved', 'sent', 'partially_received') AND o.subcontract = 0`, m, x.before).Scan(&incoming); err != nil {
			return nil, fmt.Errorf("store: incoming %s: %w", m, err)
		}
		st.incoming = domain.Qty(incoming)
	}
	if st.inHouse, err = exists(ctx, x.q, `SELECT 1 FROM bom_items WHERE product_code = ? LIMIT 1`, m); err != nil {
		return nil, err
	}
	x.mats[m] = st
	return st, nil
}

type bomLine struct {
	component, unit string
	per             float64
}

func (x *exploder) explode(ctx context.Context, product string, qty domain.Qty, level int, path []string) error {
	if level > maxBOMDepth {
		return conflict("bom", "the bill of materials of %s is more than %d levels deep", path[0], maxBOMDepth)
	}
	rows, err := x.q.Query(ctx, `SELECT component_code, quantity, unit FROM bom_items WHERE product_code = ? ORDER BY component_code`, product)
	if err != nil {
		return fmt.Errorf("store: bom of %s: %w", product, err)
	}
	var bom []bomLine
	for rows.Next() {
		var b bomLine
		if err := rows.Scan(&b.component, &b.per, &b.unit); err != nil {
			rows.Close()
			return err
		}
		bom = append(bom, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	comps := make([]string, len(bom))
	for i, b := range bom {
		comps[i] = b.component
	}
	if err := x.prefetch(ctx, comps); err != nil { // availability_fetch.go
		return err
	}
	for _, b := range bom {
		if slices.Contains(path, b.component) {
			return conflict("bom", "the bill of materials has a cycle: %v → %s", path, b.component)
		}
		st, err := x.stock(ctx, b.component)
		if err != nil {
			return err
		}
		// qty is in the parent's thousandths; per is per one parent unit.
		raw := domain.Qty(math.Round(float64(qty) * b.per))
		req, err := domain.Convert(b.component, st.unit, raw, b.unit, st.convs)
		if err != nil {
			return fmt.Errorf("bom of %s: %w", product, err)
		}
		l := domain.AvailabilityLine{Level: level, Parent: product, Material: b.component, Unit: st.unit, Required: req,
			OnHand: st.onHand, Allocated: st.allocated, Reserved: st.reserved}
		l.Available = max(st.onHand-st.allocated-x.used[b.component], 0)
		l.FromStock = min(l.Required, l.Available)
		x.used[b.component] += l.FromStock
		l.Incoming = max(st.incoming-x.usedIn[b.component], 0)
		l.FromIncoming = min(l.Required-l.FromStock, l.Incoming)
		x.usedIn[b.component] += l.FromIncoming
		rest := l.Required - l.FromStock - l.FromIncoming
		if rest > 0 && st.inHouse {
			l.ToMake = rest
		} else {
			l.Shortfall = rest
		}
		x.out.Lines = append(x.out.Lines, l)
		if l.ToMake > 0 {
			if err := x.explode(ctx, b.component, l.ToMake, level+1, append(slices.Clone(path), b.component)); err != nil {
				return err
			}
		}
	}
	return nil
}

// allocate reserves for order what stock covers of its requirements (a
// shortfall stays unreserved, and shows in the availability), replacing
// any earlier reservation; audited on the order.
func (s *Store) allocate(ctx context.Context, q store.Q, order string, actor domain.Actor) error {
	if s.h.Postgres() {
		if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(?, hashtext('inv_allocations'))`, allocLockKey); err != nil {
			return fmt.Errorf("store: allocation lock: %w", err)
		}
	}
	now := s.h.Now()
	a, err := availability(ctx, q, order, now)
	if err != nil {
		return err
	}
	reserve := map[string]domain.Qty{}
	var mats []string
	for _, l := range a.Lines {
		if l.FromStock > 0 {
			if _, ok := reserve[l.Material]; !ok {
				mats = append(mats, l.Material)
			}
			reserve[l.Material] += l.FromStock
		}
	}
	if _, err := q.Exec(ctx, `DELETE FROM inv_allocations WHERE order_number = ?`, order); err != nil {
		return fmt.Errorf("store: allocate %s: %w", order, err)
	}
	after := map[string]domain.Qty{}
	for _, m := range mats {
		if _, err := q.Exec(ctx, `INSERT INTO inv_allocations (order_number, material, quantity, allocated_at) VALUES (?, ?, ?, ?)`,
			order, m, int64(reserve[m]), store.Nanos(now)); err != nil {
			return fmt.Errorf("store: allocate %s to %s: %w", m, order, err)
		}
		after[m] = reserve[m]
	}
	return q.Audit(ctx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "order", EntityID: order,
		Action: "allocate", After: mustJSON(map[string]any{"allocated": after, "short": a.Short})})
}

// unallocate frees what is left of order's reservation (audited if any).
func (s *Store) unallocate(ctx context.Context, q store.Q, order string, actor domain.Actor) error {
	res, err := q.Exec(ctx, `DELETE FROM inv_allocations WHERE order_number = ?`, order)
	if err != nil {
		return fmt.Errorf("store: free allocation of %s: %w", order, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "order", EntityID: order, Action: "unallocate"})
}

// onOrderStatus allocates at release and frees at close and cancel, in
// the transaction of the order's change.
func (s *Store) onOrderStatus(ctx context.Context, q store.Q, order string, from, to domain.OrderStatus, actor domain.Actor) error {
	switch to {
	case domain.StatusReleased:
		if from == domain.StatusPaused || from == domain.StatusInProgress {
			return nil
		}
		return s.allocate(ctx, q, order, actor)
	case domain.StatusClosed, domain.StatusCancelled:
		return s.unallocate(ctx, q, order, actor)
	}
	return nil
}

// Allocations lists what order has reserved, per material.
func (s *Store) Allocations(ctx context.Context, order string) (map[string]domain.Qty, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT material, quantity FROM inv_allocations WHERE order_number = ?`, order)
	if err != nil {
		return nil, fmt.Errorf("store: allocations of %s: %w", order, err)
	}
	defer rows.Close()
	out := map[string]domain.Qty{}
	for rows.Next() {
		var m string
		var q int64
		if err := rows.Scan(&m, &q); err != nil {
			return nil, err
		}
		out[m] = domain.Qty(q)
	}
	return out, rows.Err()
}

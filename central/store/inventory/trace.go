package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// tracer walks the genealogy: lots ← inv_wo_lots (what a work order
// consumed, net of returns) ← inv_lots.work_order_id (what it made). Both
// are kept with the ledger, so a trace reads edges and never sums movements.
type tracer struct {
	q   store.Q
	wos map[string][2]string // work order → order, line
}

// Backward returns the tree of lots that went into lot, to any depth.
func (s *Store) Backward(ctx context.Context, lot string) (domain.TraceNode, error) {
	t := &tracer{q: s.h.Read(), wos: map[string][2]string{}}
	root, err := t.node(ctx, lot)
	if err != nil {
		return root, err
	}
	return root, t.backward(ctx, &root, map[string]bool{lot: true}, 1)
}

// Forward returns the tree of lots lot went into, to any depth, with the
// shipments of each: which customer orders hold it.
func (s *Store) Forward(ctx context.Context, lot string) (domain.TraceNode, error) {
	t := &tracer{q: s.h.Read(), wos: map[string][2]string{}}
	root, err := t.node(ctx, lot)
	if err != nil {
		return root, err
	}
	return root, t.forward(ctx, &root, map[string]bool{lot: true}, 1)
}

func (t *tracer) node(ctx context.Context, lot string) (domain.TraceNode, error) {
	l, err := getLot(ctx, t.q, lot)
	if err != nil {
		return domain.TraceNode{}, err
	}
	n := domain.TraceNode{Lot: l.ID, Material: l.Material, Unit: l.Unit, Status: l.Status, SupplierLot: l.SupplierLot,
		Quantity: l.Quantity, WorkOrder: l.WorkOrderID, ReceivedAt: l.ReceivedAt, ProducedAt: l.ProducedAt, Children: []domain.TraceNode{}}
	if n.WorkOrder != "" {
		if err := t.placeWO(ctx, &n); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (t *tracer) placeWO(ctx context.Context, n *domain.TraceNode) error {
	w, ok := t.wos[n.WorkOrder]
	if !ok {
		err := t.q.QueryRow(ctx, `SELECT order_number, line_id FROM work_orders WHERE id = ?`, n.WorkOrder).Scan(&w[0], &w[1])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: trace: work order %s: %w", n.WorkOrder, err)
		}
		t.wos[n.WorkOrder] = w
	}
	n.Order, n.Line = w[0], w[1]
	return nil
}

type edge struct {
	other       string // the lot (backward) or work order (forward) at the far end
	qty         int64
	first, last int64
}

func (t *tracer) edges(ctx context.Context, query, key string) ([]edge, error) {
	rows, err := t.q.Query(ctx, query, key)
	if err != nil {
		return nil, fmt.Errorf("store: trace %s: %w", key, err)
	}
	defer rows.Close()
	var out []edge
	for rows.Next() {
		var e edge
		if err := rows.Scan(&e.other, &e.qty, &e.first, &e.last); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func times(n *domain.TraceNode, e edge) {
	f, l := store.FromNanos(e.first), store.FromNanos(e.last)
	n.FirstAt, n.LastAt = &f, &l
}

func (t *tracer) backward(ctx context.Context, n *domain.TraceNode, path map[string]bool, depth int) error {
	if n.WorkOrder == "" || depth > domain.MaxTraceDepth {
		return nil
	}
	// What any operation of the lot's order consumed (backflush takes it at
	// the first; the last one's completion books the lot).
	es, err := t.edges(ctx, `SELECT lot_id, SUM(quantity), MIN(first_at), MAX(last_at) FROM inv_wo_lots
		WHERE work_order_id IN (SELECT x.id FROM work_orders x JOIN work_orders w ON w.order_number = x.order_number WHERE w.id = ?)
		GROUP BY lot_id HAVING SUM(quantity) > 0 ORDER BY lot_id`, n.WorkOrder)
	if err != nil {
		return err
	}
	for _, e := range es {
		c, err := t.node(ctx, e.other)
		if err != nil {
			return err
		}
		c.Quantity = domain.Qty(e.qty)
		times(&c, e)
		if path[c.Lot] {
			c.Cycle = true
		} else {
			path[c.Lot] = true
			if err := t.backward(ctx, &c, path, depth+1); err != nil {
				return err
			}
			delete(path, c.Lot)
		}
		n.Children = append(n.Children, c)
	}
	return nil
}

func (t *tracer) forward(ctx context.Context, n *domain.TraceNode, path map[string]bool, depth int) error {
	if err := t.shipments(ctx, n); err != nil || depth > domain.MaxTraceDepth {
		return err
	}
	es, err := t.edges(ctx, `SELECT work_order_id, quantity, first_at, last_at FROM inv_wo_lots
		WHERE lot_id = ? AND quantity > 0 ORDER BY work_order_id`, n.Lot)
	if err != nil {
		return err
	}
	for _, e := range es {
		rows, err := t.q.Query(ctx, `SELECT l.id FROM inv_lots l JOIN work_orders x ON x.id = l.work_order_id
			JOIN work_orders w ON w.order_number = x.order_number WHERE w.id = ? ORDER BY l.id`, e.other)
		if err != nil {
			return fmt.Errorf("store: trace: lots of %s: %w", e.other, err)
		}
		var made []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			made = append(made, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(made) == 0 {
			c := domain.TraceNode{WorkOrder: e.other, Material: n.Material, Unit: n.Unit, Quantity: domain.Qty(e.qty), Children: []domain.TraceNode{}}
			times(&c, e)
			if err := t.placeWO(ctx, &c); err != nil {
				return err
			}
			n.Children = append(n.Children, c)
			continue
		}
		for _, id := range made {
			c, err := t.node(ctx, id)
			if err != nil {
				return err
			}
			// The edge's quantity is of n's material: how much of n went in.
			c.Quantity = domain.Qty(e.qty)
			times(&c, e)
			if path[c.Lot] {
				c.Cycle = true
			} else {
				path[c.Lot] = true
				if err := t.forward(ctx, &c, path, depth+1); err != nil {
					return err
				}
				delete(path, c.Lot)
			}
			n.Children = append(n.Children, c)
		}
	}
	return nil
}

func (t *tracer) shipments(ctx context.Context, n *domain.TraceNode) error {
	rows, err := t.q.Query(ctx, `SELECT m.order_number, o.customer_ref, m.quantity, m.occurred_at
		FROM inv_movements m JOIN orders o ON o.number = m.order_number
		WHERE m.lot_id = ? AND m.type = 'shipment' ORDER BY m.id`, n.Lot)
	if err != nil {
		return fmt.Errorf("store: trace: shipments of %s: %w", n.Lot, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sh domain.Shipment
		var qty, at int64
		if err := rows.Scan(&sh.Order, &sh.CustomerRef, &qty, &at); err != nil {
			return err
		}
		sh.Quantity, sh.At = domain.Qty(qty), store.FromNanos(at)
		n.Shipments = append(n.Shipments, sh)
	}
	return rows.Err()
}

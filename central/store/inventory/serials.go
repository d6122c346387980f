package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// SerialConfig is whether product is serial-tracked, with its prefix.
func (s *Store) SerialConfig(ctx context.Context, product string) (domain.SerialConfig, error) {
	c := domain.SerialConfig{Product: product}
	if _, err := loadMaterial(ctx, s.h.Read(), product, "code"); err != nil {
		return c, err
	}
	err := s.h.Read().QueryRow(ctx, `SELECT prefix, next_seq FROM inv_serial_products WHERE product = ?`, product).Scan(&c.Prefix, &c.Next)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("store: serials of %s: %w", product, err)
	}
	c.Tracked = true
	return c, nil
}

// SetSerialConfig makes product serial-tracked with a prefix, or not
// (its serials so far stay); audited.
func (s *Store) SetSerialConfig(ctx context.Context, c domain.SerialConfig, actor domain.Actor) (domain.SerialConfig, error) {
	if err := domain.CheckSerialConfig(c); err != nil {
		return c, err
	}
	err := s.h.InTx(ctx, func(q store.Q) error {
		if _, err := loadMaterial(ctx, q, c.Product, "code"); err != nil {
			return err
		}
		now := store.Nanos(s.h.Now())
		if !c.Tracked {
			c.Prefix, c.Next = "", 0
			if _, err := q.Exec(ctx, `DELETE FROM inv_serial_products WHERE product = ?`, c.Product); err != nil {
				return fmt.Errorf("store: serials of %s: %w", c.Product, err)
			}
		} else {
			if _, err := q.Exec(ctx, `INSERT INTO inv_serial_products (product, prefix, next_seq, updated_at) VALUES (?, ?, 1, ?)
				ON CONFLICT (product) DO UPDATE SET prefix = excluded.prefix, updated_at = excluded.updated_at`, c.Product, c.Prefix, now); err != nil {
				return fmt.Errorf("store: serials of %s: %w", c.Product, err)
			}
			if err := q.QueryRow(ctx, `SELECT next_seq FROM inv_serial_products WHERE product = ?`, c.Product).Scan(&c.Next); err != nil {
				return err
			}
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "product", EntityID: c.Product,
			Action: "serials", After: mustJSON(map[string]any{"tracked": c.Tracked, "prefix": c.Prefix})})
	})
	return c, err
}

// RegisterSerials gives parts of a work order their serials: the scanned
// ones (each must carry the product's prefix and be new) or Generate new
// ones from the product's sequence. All or nothing; audited on the work
// order.
func (s *Store) RegisterSerials(ctx context.Context, workOrder string, r domain.SerialRequest, actor domain.Actor) ([]domain.Serial, error) {
	if err := domain.CheckSerialRequest(r); err != nil {
		return nil, err
	}
	var out []domain.Serial
	err := s.h.InTx(ctx, func(q store.Q) error {
		var err error
		out, err = s.registerSerials(ctx, q, workOrder, r, actor)
		return err
	})
	if err != nil {
		return nil, err
	}
	lot, err := orderLot(ctx, s.h.Read(), out[0].Order)
	for i := range out {
		out[i].Lot = lot
	}
	return out, err
}

// registerSerials is RegisterSerials in the caller's transaction, r
// checked.
func (s *Store) registerSerials(ctx context.Context, q store.Q, workOrder string, r domain.SerialRequest, actor domain.Actor) ([]domain.Serial, error) {
	var out []domain.Serial
	err := func() error {
		w, err := loadWorkOrder(ctx, q, workOrder)
		if err != nil {
			return err
		}
		// Lock the product's row: generations take turns.
		res, err := q.Exec(ctx, `UPDATE inv_serial_products SET updated_at = updated_at WHERE product = ?`, w.product)
		if err != nil {
			return fmt.Errorf("store: serials of %s: %w", w.product, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("work_order", "product %s of work order %s is not serial-tracked (PUT /api/v1/materials/%s/serials)", w.product, workOrder, w.product)
		}
		var prefix string
		var next int64
		if err := q.QueryRow(ctx, `SELECT prefix, next_seq FROM inv_serial_products WHERE product = ?`, w.product).Scan(&prefix, &next); err != nil {
			return err
		}
		now := s.h.Now()
		add := func(serial, source string) error {
			_, err := q.Exec(ctx, `INSERT INTO inv_serials (serial, product, work_order_id, source, station, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				serial, w.product, workOrder, source, r.Station, actor.Name, store.Nanos(now))
			if err != nil {
				return fmt.Errorf("store: serial %s: %w", serial, err)
			}
			out = append(out, domain.Serial{Serial: serial, Product: w.product, WorkOrder: workOrder, Order: w.order, Line: w.line,
				Source: source, Station: r.Station, Actor: actor.Name, At: now})
			return nil
		}
		owner := func(serial string) (string, error) {
			var wo string
			err := q.QueryRow(ctx, `SELECT work_order_id FROM inv_serials WHERE serial = ?`, serial).Scan(&wo)
			if errors.Is(err, sql.ErrNoRows) {
				return "", nil
			}
			return wo, err
		}
		for i, sn := range r.Serials {
			field := fmt.Sprintf("serials[%d]", i)
			if !strings.HasPrefix(sn, prefix) {
				return domain.Invalid(field, "serial %s does not start with %s, the prefix of %s's serials", sn, prefix, w.product)
			}
			if wo, err := owner(sn); err != nil {
				return err
			} else if wo != "" {
				return conflict(field, "serial %s already belongs to work order %s", sn, wo)
			}
			if err := add(sn, domain.SerialScanned); err != nil {
				return err
			}
		}
		for made := 0; made < r.Generate; next++ {
			sn := fmt.Sprintf("%s%06d", prefix, next)
			if wo, err := owner(sn); err != nil {
				return err
			} else if wo != "" {
				continue // scanned earlier under the same pattern
			}
			if err := add(sn, domain.SerialGenerated); err != nil {
				return err
			}
			made++
		}
		if r.Generate > 0 {
			if _, err := q.Exec(ctx, `UPDATE inv_serial_products SET next_seq = ? WHERE product = ?`, next, w.product); err != nil {
				return fmt.Errorf("store: serials of %s: %w", w.product, err)
			}
		}
		list := make([]string, len(out))
		for i, x := range out {
			list[i] = x.Serial
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "work_order", EntityID: workOrder,
			Action: "serials", After: mustJSON(map[string]any{"serials": list, "station": r.Station})})
	}()
	return out, err
}

const serialCols = `s.serial, s.product, s.work_order_id, w.order_number, w.line_id, s.source, s.station, s.actor, s.created_at`

func scanSerial(sc interface{ Scan(...any) error }) (domain.Serial, error) {
	var x domain.Serial
	var at int64
	err := sc.Scan(&x.Serial, &x.Product, &x.WorkOrder, &x.Order, &x.Line, &x.Source, &x.Station, &x.Actor, &at)
	x.At = store.FromNanos(at)
	return x, err
}

// orderLot is the lot the order's finished goods went into ("" before).
func orderLot(ctx context.Context, q store.Q, order string) (string, error) {
	var lot string
	err := q.QueryRow(ctx, `SELECT l.id FROM inv_lots l JOIN work_orders x ON x.id = l.work_order_id
		WHERE x.order_number = ? ORDER BY x.operation_seq DESC, l.id LIMIT 1`, order).Scan(&lot)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: lot of order %s: %w", order, err)
	}
	return lot, nil
}

// GetSerial returns a serial with its work order, order, line and lot.
func (s *Store) GetSerial(ctx context.Context, serial string) (domain.Serial, error) {
	q := s.h.Read()
	x, err := scanSerial(q.QueryRow(ctx, `SELECT `+serialCols+` FROM inv_serials s JOIN work_orders w ON w.id = s.work_order_id WHERE s.serial = ?`, serial))
	if err != nil {
		return x, store.NotFound("serial "+serial, err)
	}
	x.Lot, err = orderLot(ctx, q, x.Order)
	return x, err
}

// ListSerials lists a work order's serials in order (after: the last
// serial of the previous page).
func (s *Store) ListSerials(ctx context.Context, workOrder, after string, limit int) ([]domain.Serial, error) {
	q := s.h.Read()
	rows, err := q.Query(ctx, `SELECT `+serialCols+` FROM inv_serials s JOIN work_orders w ON w.id = s.work_order_id
		WHERE s.work_order_id = ? AND s.serial > ? ORDER BY s.serial LIMIT ?`, workOrder, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: serials of %s: %w", workOrder, err)
	}
	out := []domain.Serial{}
	for rows.Next() {
		x, err := scanSerial(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	lot, err := orderLot(ctx, q, out[0].Order)
	for i := range out {
		out[i].Lot = lot
	}
	return out, err
}

// BackwardSerial is what went into a serial's part: the backward trace of
// its lot, or — before its order booked one — of its work order's order.
func (s *Store) BackwardSerial(ctx context.Context, serial string) (domain.TraceNode, error) {
	x, err := s.GetSerial(ctx, serial)
	if err != nil {
		return domain.TraceNode{}, err
	}
	if x.Lot != "" {
		n, err := s.Backward(ctx, x.Lot)
		n.Serial = serial
		return n, err
	}
	t := &tracer{q: s.h.Read(), wos: map[string][2]string{}}
	mat, err := loadMaterial(ctx, t.q, x.Product, "serial")
	if err != nil {
		return domain.TraceNode{}, err
	}
	n := domain.TraceNode{Serial: serial, Material: x.Product, Unit: mat.unit, Quantity: domain.QtyScale, WorkOrder: x.WorkOrder, Children: []domain.TraceNode{}}
	if err := t.placeWO(ctx, &n); err != nil {
		return n, err
	}
	return n, t.backward(ctx, &n, map[string]bool{}, 1)
}

// LotSerials lists the serials of the parts in a finished lot: those of
// the order whose work order made it (after: the previous page's last).
func (s *Store) LotSerials(ctx context.Context, lot, after string, limit int) ([]domain.Serial, error) {
	q := s.h.Read()
	if _, err := getLot(ctx, q, lot); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+serialCols+` FROM inv_serials s JOIN work_orders w ON w.id = s.work_order_id
		WHERE w.order_number = (SELECT x.order_number FROM inv_lots l JOIN work_orders x ON x.id = l.work_order_id WHERE l.id = ?)
		AND s.serial > ? ORDER BY s.serial LIMIT ?`, lot, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: serials of lot %s: %w", lot, err)
	}
	defer rows.Close()
	out := []domain.Serial{}
	for rows.Next() {
		x, err := scanSerial(rows)
		if err != nil {
			return nil, err
		}
		x.Lot = lot
		out = append(out, x)
	}
	return out, rows.Err()
}

package costing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
	"github.com/linewise/linewise/central/store"
)

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// snapshot is the row as JSON for an audit entry's before (nil: none).
func snapshot(ctx context.Context, q store.Q, query string, key string) (json.RawMessage, error) {
	rows, err := q.Query(ctx, query, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := map[string]any{}
	for i, c := range cols {
		if b, ok := vals[i].([]byte); ok {
			vals[i] = string(b)
		}
		m[c] = vals[i]
	}
	return mustJSON(m), nil
}

// OrderCost is the order's cost sheet: frozen once the order closed, else
// computed now.
func (s *Store) OrderCost(ctx context.Context, number string) (domain.CostSheet, error) {
	var cs domain.CostSheet
	var body string
	err := s.h.Read().QueryRow(ctx, `SELECT sheet FROM cost_settlements WHERE order_number = ?`, number).Scan(&body)
	switch {
	case err == nil:
		if err := json.Unmarshal([]byte(body), &cs); err != nil {
			return cs, fail("cost of order "+number, err)
		}
		return cs, nil
	case !errors.Is(err, sql.ErrNoRows):
		return cs, fail("cost of order "+number, err)
	}
	now := s.h.Now().UTC()
	in, err := s.input(ctx, s.h.Read(), number, now)
	if err != nil {
		return cs, err
	}
	return domain.CostOf(in, now), nil
}

// onStatus freezes the cost sheet in the transaction that closes the order.
func (s *Store) onStatus(ctx context.Context, q store.Q, order string, _, to domain.OrderStatus, _ domain.Actor) error {
	if to != domain.StatusClosed {
		return nil
	}
	now := s.h.Now().UTC()
	in, err := s.input(ctx, q, order, now)
	if err != nil {
		return err
	}
	cs := domain.CostOf(in, now)
	cs.Frozen, cs.ClosedAt = true, &now
	if _, err := q.Exec(ctx, `INSERT INTO cost_settlements (order_number, closed_at, sheet) VALUES (?, ?, ?) ON CONFLICT (order_number) DO NOTHING`,
		order, now.UnixNano(), string(mustJSON(cs))); err != nil {
		return fail("freeze cost of order "+order, err)
	}
	return nil
}

type routingOp struct {
	line           string
	cycleMS, setup int64
}

// input gathers what CostOf needs, in q (the closing transaction, or reads).
func (s *Store) input(ctx context.Context, q store.Q, number string, now time.Time) (domain.CostInput, error) {
	in := domain.CostInput{Order: number, Currency: s.currency}
	var price sql.NullInt64
	if err := q.QueryRow(ctx, `SELECT product_code, price, price_currency FROM orders WHERE number = ?`, number).Scan(&in.Product, &price, &in.PriceCurrency); err != nil {
		return in, store.NotFound("order "+number, err)
	}
	if price.Valid {
		p := money.Amount(price.Int64)
		in.Price = &p
	}
	missing := map[string]bool{}
	miss := func(format string, args ...any) { missing[fmt.Sprintf(format, args...)] = true }

	// Rates (small tables, read whole); a rate in another currency than
	// the plant's counts as not set.
	lineRates := map[string]domain.LineRate{}
	grades := map[string]money.Amount{}
	matCost := map[string]money.Amount{}
	if err := each(ctx, q, `SELECT line_id, machine_hour, labour_grade, currency FROM cost_line_rates`, func(r *sql.Rows) error {
		var lr domain.LineRate
		if err := r.Scan(&lr.Line, &lr.MachineHour, &lr.LabourGrade, &lr.Currency); err != nil {
			return err
		}
		if lr.Currency == s.currency {
			lineRates[lr.Line] = lr
		}
		return nil
	}); err != nil {
		return in, err
	}
	if err := each(ctx, q, `SELECT grade, labour_hour, currency FROM cost_labour_grades`, func(r *sql.Rows) error {
		var g, cur string
		var a money.Amount
		if err := r.Scan(&g, &a, &cur); err != nil {
			return err
		}
		if cur == s.currency {
			grades[g] = a
		}
		return nil
	}); err != nil {
		return in, err
	}
	if err := each(ctx, q, `SELECT material, standard_cost, currency FROM cost_materials`, func(r *sql.Rows) error {
		var m, cur string
		var a money.Amount
		if err := r.Scan(&m, &a, &cur); err != nil {
			return err
		}
		if cur == s.currency {
			matCost[m] = a
		}
		return nil
	}); err != nil {
		return in, err
	}

	// Routing and the work orders with their machine time.
	routing := map[int]routingOp{}
	if err := each(ctx, q, `SELECT seq, line_id, ideal_cycle_ns, setup_ns FROM routings WHERE product_code = ?`, func(r *sql.Rows) error {
		var seq int
		var op routingOp
		var cyc, setup int64
		if err := r.Scan(&seq, &op.line, &cyc, &setup); err != nil {
			return err
		}
		op.cycleMS, op.setup = cyc/int64(time.Millisecond), setup/int64(time.Millisecond)
		routing[seq] = op
		return nil
	}, in.Product); err != nil {
		return in, err
	}
	st, err := q.Settlement(ctx, number, now)
	if err != nil {
		return in, err
	}
	machine := map[string]int64{}
	for _, w := range st.WorkOrders {
		machine[w.WorkOrder] = int64(math.Round(w.MachineSeconds * 1000))
	}
	labour := map[string]map[string]int64{} // work order → operator → ms
	if err := each(ctx, q, `SELECT r.work_order_id, r.started_at, r.ended_at, r.started_by FROM wo_runs r
		JOIN work_orders w ON w.id = r.work_order_id WHERE w.order_number = ?`, func(r *sql.Rows) error {
		var wo, op string
		var start int64
		var end sql.NullInt64
		if err := r.Scan(&wo, &start, &end, &op); err != nil {
			return err
		}
		e := now.UnixNano()
		if end.Valid {
			e = end.Int64
		}
		if e > start {
			if labour[wo] == nil {
				labour[wo] = map[string]int64{}
			}
			labour[wo][op] += (e - start) / int64(time.Millisecond)
		}
		return nil
	}, number); err != nil {
		return in, err
	}
	userGrade := map[string]string{}
	if err := each(ctx, q, `SELECT username, labour_grade FROM users`, func(r *sql.Rows) error {
		var u, g string
		if err := r.Scan(&u, &g); err != nil {
			return err
		}
		userGrade[u] = g
		return nil
	}); err != nil {
		return in, err
	}
	if err := each(ctx, q, `SELECT id, operation_seq, line_id, good, reject, status FROM work_orders WHERE order_number = ? ORDER BY operation_seq, id`,
		func(r *sql.Rows) error {
			var op domain.CostOpIn
			var status string
			if err := r.Scan(&op.WorkOrder, &op.Seq, &op.Line, &op.Good, &op.Scrap, &status); err != nil {
				return err
			}
			if status == string(domain.StatusCancelled) {
				return nil
			}
			ro, ok := routing[op.Seq]
			if !ok {
				ro = routingOp{line: op.Line}
				miss("routing operation %d of %s (costed without a standard time)", op.Seq, in.Product)
			}
			op.StdLine, op.CycleMS, op.SetupMS, op.MachineMS = ro.line, ro.cycleMS, ro.setup, machine[op.WorkOrder]
			if lr, ok := lineRates[op.Line]; ok {
				op.MachineRate = lr.MachineHour
			} else {
				miss("machine rate of line %s", op.Line)
			}
			if lr, ok := lineRates[op.StdLine]; ok {
				op.StdMachineRate = lr.MachineHour
				if rate, ok := grades[lr.LabourGrade]; ok {
					op.StdLabourRate = rate
				} else {
					miss("standard labour grade of line %s", op.StdLine)
				}
			} else {
				miss("machine rate of line %s", op.StdLine)
				miss("standard labour grade of line %s", op.StdLine)
			}
			ops := make([]string, 0, len(labour[op.WorkOrder]))
			for o := range labour[op.WorkOrder] {
				ops = append(ops, o)
			}
			sort.Strings(ops)
			for _, o := range ops {
				g := userGrade[o]
				rate, ok := grades[g]
				switch {
				case g == "":
					miss("labour grade of operator %s", o)
				case !ok:
					miss("rate of labour grade %s", g)
				}
				op.Labour = append(op.Labour, domain.CostLabourIn{Operator: o, Grade: g, MS: labour[op.WorkOrder][o], Rate: rate})
			}
			in.Ops = append(in.Ops, op)
			return nil
		}, number); err != nil {
		return in, err
	}
	if n := len(in.Ops); n > 0 {
		in.Good = in.Ops[n-1].Good
	}

	// Materials: the BOM per unit in base-unit thousandths; what the
	// order's work orders consumed from the ledger (and what backflush
	// could not book for want of stock at the line side).
	// Each consumed lot is costed at its purchase receipt's price (the
	// first receipt of the lot in the plant's currency) where purchasing
	// received it, else at standard; what backflush could not book, at
	// standard.
	consumed := map[string]domain.Qty{}
	purchased := map[string]money.Amount{} // material → the purchased lots' cost
	atStd := map[string]domain.Qty{}       // material → quantity without a purchase price
	if err := each(ctx, q, `SELECT l.material, l.quantity, (SELECT r.price FROM po_receipts r JOIN purchase_orders p ON p.number = r.po_number
			WHERE r.lot_id = l.lot_id AND p.currency = ? ORDER BY r.received_at, r.id LIMIT 1)
		FROM inv_wo_lots l JOIN work_orders w ON w.id = l.work_order_id WHERE w.order_number = ?`, func(r *sql.Rows) error {
		var m string
		var n int64
		var price sql.NullInt64
		if err := r.Scan(&m, &n, &price); err != nil {
			return err
		}
		consumed[m] += domain.Qty(n)
		if price.Valid {
			purchased[m] += money.MulDiv(money.Amount(price.Int64), n, domain.QtyScale)
		} else {
			atStd[m] += domain.Qty(n)
		}
		return nil
	}, s.currency, number); err != nil {
		return in, err
	}
	if err := each(ctx, q, `SELECT b.material, SUM(b.quantity) FROM inv_backflush_short b JOIN work_orders w ON w.id = b.work_order_id
		WHERE w.order_number = ? GROUP BY b.material`, func(r *sql.Rows) error {
		var m string
		var n int64
		if err := r.Scan(&m, &n); err != nil {
			return err
		}
		consumed[m] += domain.Qty(n)
		atStd[m] += domain.Qty(n)
		return nil
	}, number); err != nil {
		return in, err
	}
	type bomLine struct {
		comp, unit, base string
		qty              float64
	}
	var bom []bomLine
	if err := each(ctx, q, `SELECT b.component_code, b.quantity, b.unit, p.unit FROM bom_items b JOIN products p ON p.code = b.component_code
		WHERE b.product_code = ? ORDER BY b.component_code`, func(r *sql.Rows) error {
		var l bomLine
		if err := r.Scan(&l.comp, &l.qty, &l.unit, &l.base); err != nil {
			return err
		}
		bom = append(bom, l)
		return nil
	}, in.Product); err != nil {
		return in, err
	}
	for _, l := range bom {
		factor := 1.0
		if l.unit != "" && l.unit != l.base {
			if err := q.QueryRow(ctx, `SELECT factor FROM inv_unit_conversions WHERE material = ? AND unit = ?`, l.comp, l.unit).Scan(&factor); err != nil {
				if !errors.Is(err, sql.ErrNoRows) {
					return in, fail("unit of "+l.comp, err)
				}
				miss("conversion of %s from %s to %s (taken as 1)", l.comp, l.unit, l.base)
				factor = 1
			}
		}
		m := domain.CostMaterialIn{Material: l.comp, Unit: l.base, PerUnit: domain.Qty(math.Round(l.qty * factor * domain.QtyScale))}
		if c, ok := matCost[l.comp]; ok {
			m.StdCost = &c
		} else {
			miss("standard cost of material %s", l.comp)
		}
		if c, ok := consumed[l.comp]; ok {
			m.Consumed = &c
			if p, ok := purchased[l.comp]; ok {
				var std money.Amount
				if m.StdCost != nil {
					std = money.MulDiv(*m.StdCost, int64(atStd[l.comp]), domain.QtyScale)
				}
				total := p + std
				m.ConsumedCost = &total
			}
		}
		in.Materials = append(in.Materials, m)
	}
	if s.Outsourcing != nil {
		o, err := s.Outsourcing(ctx, q, number)
		if err != nil {
			return in, err
		}
		in.Outsourcing = o
	}
	for m := range missing {
		in.Missing = append(in.Missing, m)
	}
	sort.Strings(in.Missing)
	return in, nil
}

func each(ctx context.Context, q store.Q, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return fail("cost", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fail("cost", err)
		}
	}
	return rows.Err()
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// PlannedQty is the quantity of a product planned on a line in a period:
// each work order's quantity pro rata to the part of its planned window
// (planned_start..planned_end) inside the period, whole pieces.
type PlannedQty struct {
	Line     string `json:"line"`
	Product  string `json:"product"`
	Quantity int64  `json:"quantity"`
}

// ScrapQty is scrap recorded with a reason on a line in a period: by hand
// (scrap records, station output with a reason).
type ScrapQty struct {
	Line     string `json:"line"`
	Reason   string `json:"reason"`
	Quantity int64  `json:"quantity"`
}

// LabourHours is the time work orders ran on a line in a period, each run
// opened by an operator (wo_runs.started_by): the attended hours.
type LabourHours struct {
	Line  string  `json:"line"`
	Hours float64 `json:"hours"`
}

// OrderLine is an order in the daily report: completed in the period, or
// open and due before the period's end plus a day.
type OrderLine struct {
	Number    string     `json:"number"`
	Product   string     `json:"product"`
	Customer  string     `json:"customer,omitempty"`
	Status    string     `json:"status"`
	Quantity  int64      `json:"quantity"`
	Good      int64      `json:"good"` // of its last operation
	Remaining int64      `json:"remaining"`
	DueAt     *time.Time `json:"due_at,omitempty"`
	Completed *time.Time `json:"completed_at,omitempty"`
	Late      bool       `json:"late"` // completed after, or still open at, its due time
}

// DayProduction is what the daily report adds to the OEE for [from, to).
type DayProduction struct {
	Planned   []PlannedQty  `json:"planned"`
	Scrap     []ScrapQty    `json:"scrap"`
	Labour    []LabourHours `json:"labour"`
	Completed []OrderLine   `json:"orders_completed"`
	AtRisk    []OrderLine   `json:"orders_at_risk"`
}

// DayProduction reads the planned quantities, scrap by reason, attended
// hours and the orders completed and at risk of the period [from, to).
func (s *Store) DayProduction(ctx context.Context, from, to time.Time) (DayProduction, error) {
	out := DayProduction{Planned: []PlannedQty{}, Scrap: []ScrapQty{}, Labour: []LabourHours{}, Completed: []OrderLine{}, AtRisk: []OrderLine{}}
	lo, hi := nanos(from), nanos(to)
	fail := func(what string, err error) (DayProduction, error) {
		return DayProduction{}, fmt.Errorf("store: day production: %s: %w", what, err)
	}
	planned := map[[2]string]float64{}
	var keys [][2]string
	if err := s.each(ctx, `SELECT w.line_id, o.product_code, w.quantity, w.planned_start, w.planned_end FROM work_orders w
		JOIN orders o ON o.number = w.order_number
		WHERE w.planned_start IS NOT NULL AND w.planned_end IS NOT NULL AND w.planned_start < ? AND w.planned_end > ?
			AND o.status <> 'cancelled'
		ORDER BY w.line_id, o.product_code`, []any{hi, lo}, func(r *sql.Rows) error {
		var k [2]string
		var qty, ps, pe int64
		if err := r.Scan(&k[0], &k[1], &qty, &ps, &pe); err != nil {
			return err
		}
		if _, ok := planned[k]; !ok {
			keys = append(keys, k)
		}
		if pe > ps {
			planned[k] += float64(qty) * float64(min(pe, hi)-max(ps, lo)) / float64(pe-ps)
		}
		return nil
	}); err != nil {
		return fail("planned", err)
	}
	for _, k := range keys {
		out.Planned = append(out.Planned, PlannedQty{Line: k[0], Product: k[1], Quantity: int64(planned[k] + 0.5)})
	}
	if err := s.each(ctx, `SELECT line_id, reason, SUM(q) FROM (
			SELECT w.line_id AS line_id, r.reason AS reason, r.quantity AS q FROM scrap_records r JOIN work_orders w ON w.id = r.work_order_id
			WHERE r.recorded_at >= ? AND r.recorded_at < ?
			UNION ALL
			SELECT line_id, reason, reject FROM station_reports WHERE reject > 0 AND reason <> '' AND created_at >= ? AND created_at < ?
		) x GROUP BY line_id, reason ORDER BY SUM(q) DESC, line_id, reason`, []any{lo, hi, lo, hi}, func(r *sql.Rows) error {
		var q ScrapQty
		if err := r.Scan(&q.Line, &q.Reason, &q.Quantity); err != nil {
			return err
		}
		out.Scrap = append(out.Scrap, q)
		return nil
	}); err != nil {
		return fail("scrap", err)
	}
	labour := map[string]int64{}
	var lines []string
	if err := s.each(ctx, `SELECT line_id, started_at, ended_at FROM wo_runs
		WHERE started_by <> '' AND started_at < ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY line_id`, []any{hi, lo}, func(r *sql.Rows) error {
		var line string
		var st int64
		var en sql.NullInt64
		if err := r.Scan(&line, &st, &en); err != nil {
			return err
		}
		end := hi
		if en.Valid {
			end = min(en.Int64, hi)
		}
		if now := nanos(s.now()); end > now {
			end = now
		}
		if _, ok := labour[line]; !ok {
			lines = append(lines, line)
		}
		labour[line] += max(end-max(st, lo), 0)
		return nil
	}); err != nil {
		return fail("labour", err)
	}
	for _, l := range lines {
		out.Labour = append(out.Labour, LabourHours{Line: l, Hours: float64(labour[l]) / float64(time.Hour)})
	}
	orders := `SELECT o.number, o.product_code, o.customer_ref, o.status, o.quantity, o.due_at,
			COALESCE((SELECT w.good FROM work_orders w WHERE w.order_number = o.number ORDER BY w.operation_seq DESC LIMIT 1), 0),
			(SELECT MAX(w.actual_end) FROM work_orders w WHERE w.order_number = o.number)
		FROM orders o WHERE `
	scan := func(dst *[]OrderLine, at int64) func(r *sql.Rows) error {
		return func(r *sql.Rows) error {
			var o OrderLine
			var due, done sql.NullInt64
			if err := r.Scan(&o.Number, &o.Product, &o.Customer, &o.Status, &o.Quantity, &due, &o.Good, &done); err != nil {
				return err
			}
			o.Remaining = max(o.Quantity-o.Good, 0)
			if due.Valid {
				d := fromNanos(due.Int64)
				o.DueAt = &d
			}
			if done.Valid && (o.Status == "completed" || o.Status == "closed") {
				c := fromNanos(done.Int64)
				o.Completed = &c
				o.Late = due.Valid && done.Int64 > due.Int64
			} else {
				o.Late = due.Valid && due.Int64 < at
			}
			*dst = append(*dst, o)
			return nil
		}
	}
	if err := s.each(ctx, orders+`o.status IN ('completed', 'closed') AND
			(SELECT MAX(w.actual_end) FROM work_orders w WHERE w.order_number = o.number) >= ? AND
			(SELECT MAX(w.actual_end) FROM work_orders w WHERE w.order_number = o.number) < ? ORDER BY o.number`,
		[]any{lo, hi}, scan(&out.Completed, hi)); err != nil {
		return fail("orders completed", err)
	}
	if err := s.each(ctx, orders+`o.status IN ('approved', 'scheduled', 'released', 'in_progress', 'paused')
			AND o.due_at IS NOT NULL AND o.due_at < ? ORDER BY o.due_at, o.number`,
		[]any{hi + int64(24*time.Hour)}, scan(&out.AtRisk, hi)); err != nil {
		return fail("orders at risk", err)
	}
	return out, nil
}

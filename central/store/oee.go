package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/linewise/linewise/central/oee"
)

var _ oee.Source = (*Store)(nil)

// jsonField is the SQL reading a text field of an event's payload, e.g.
// jsonField("state", "reason") for $.state.reason.
func (s *Store) jsonField(obj, key string) string {
	if s.postgres {
		return `((e.payload::json)->'` + obj + `'->>'` + key + `')`
	}
	return `json_extract(e.payload, '$.` + obj + `.` + key + `')`
}

// OEEFacts reads what the OEE of line over [from, to) needs from the stored
// events by source time: the state changes in the range with the last one
// before it and the first after it, the count events with their work order
// and product, the work-order runs overlapping the range, and the ideal
// cycle of each product named, on this line: its routing operation on the
// line (the shortest, if it has several there), else the product's own.
func (s *Store) OEEFacts(ctx context.Context, line string, from, to time.Time) (oee.Facts, error) {
	f := oee.Facts{IdealCycle: map[string]time.Duration{}}
	fail := func(what string, err error) (oee.Facts, error) {
		return oee.Facts{}, fmt.Errorf("store: oee of line %s: %s: %w", line, what, err)
	}
	states, err := s.oeeStates(ctx, line, from, to)
	if err != nil {
		return fail("states", err)
	}
	f.States = states
	products := map[string]bool{}
	counts, err := s.rawCounts(ctx, line, from, to)
	if err != nil {
		return fail("counts", err)
	}
	f.Counts = counts
	return s.oeeRest(ctx, line, from, to, f, products)
}

// oeeRest reads the runs and ideal cycles into f, given its states and
// counts.
func (s *Store) oeeRest(ctx context.Context, line string, from, to time.Time, f oee.Facts, products map[string]bool) (oee.Facts, error) {
	fail := func(what string, err error) (oee.Facts, error) {
		return oee.Facts{}, fmt.Errorf("store: oee of line %s: %s: %w", line, what, err)
	}
	for _, c := range f.Counts {
		products[c.Product] = true
	}
	if err := s.each(ctx, `SELECT r.work_order_id, w.order_number, o.product_code, r.started_at, r.ended_at
		FROM wo_runs r
		JOIN work_orders w ON w.id = r.work_order_id
		JOIN orders o ON o.number = w.order_number
		WHERE r.line_id = ? AND r.started_at < ? AND (r.ended_at IS NULL OR r.ended_at > ?)
		ORDER BY r.started_at`, []any{line, nanos(to), nanos(from)}, func(r *sql.Rows) error {
		var run oee.Run
		var start int64
		var end sql.NullInt64
		if err := r.Scan(&run.WorkOrder, &run.Order, &run.Product, &start, &end); err != nil {
			return err
		}
		run.Start = fromNanos(start)
		if end.Valid {
			run.End = fromNanos(end.Int64)
		}
		f.Runs = append(f.Runs, run)
		products[run.Product] = true
		return nil
	}); err != nil {
		return fail("runs", err)
	}

	delete(products, "")
	if len(products) == 0 {
		return f, nil
	}
	args := []any{line}
	for p := range products {
		args = append(args, p)
	}
	if err := s.each(ctx, `SELECT p.code, COALESCE((SELECT MIN(r.ideal_cycle_ns) FROM routings r
			WHERE r.product_code = p.code AND r.line_id = ? AND r.ideal_cycle_ns > 0), p.ideal_cycle_ns)
		FROM products p WHERE p.code IN (?`+strings.Repeat(", ?", len(products)-1)+`)`, args, func(r *sql.Rows) error {
		var code string
		var ns int64
		if err := r.Scan(&code, &ns); err != nil {
			return err
		}
		if ns > 0 {
			f.IdealCycle[code] = time.Duration(ns)
		}
		return nil
	}); err != nil {
		return fail("ideal cycles", err)
	}
	return f, nil
}

// each runs query and calls fn on every row, closing the rows before it
// returns (SQLite has one connection).
func (s *Store) each(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rawCounts reads line's count events with a source time in [from, to).
func (s *Store) rawCounts(ctx context.Context, line string, from, to time.Time) ([]oee.Count, error) {
	var out []oee.Count
	good, reject := `CAST(`+s.jsonField("count", "good")+` AS BIGINT)`, `CAST(`+s.jsonField("count", "reject")+` AS BIGINT)`
	if err := s.each(ctx, `SELECT e.source_time, COALESCE(`+good+`, 0), COALESCE(`+reject+`, 0),
			COALESCE(e.work_order_id, ''), COALESCE(w.order_number, ''), COALESCE(o.product_code, '')
		FROM events e
		LEFT JOIN work_orders w ON w.id = e.work_order_id
		LEFT JOIN orders o ON o.number = w.order_number
		WHERE e.line_id = ? AND e.type = 'count' AND e.source_time >= ? AND e.source_time < ?
		ORDER BY e.source_time, e.edge_id, e.seq`, []any{line, nanos(from), nanos(to)}, func(r *sql.Rows) error {
		var at int64
		var c oee.Count
		if err := r.Scan(&at, &c.Good, &c.Reject, &c.WorkOrder, &c.Order, &c.Product); err != nil {
			return err
		}
		c.At = fromNanos(at)
		out = append(out, c)
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil

}

// oeeStates reads line's state changes in [from, to) with the last one
// before and the first one at or after to.
func (s *Store) oeeStates(ctx context.Context, line string, from, to time.Time) ([]oee.StateChange, error) {
	var out []oee.StateChange
	state := `SELECT e.source_time, COALESCE(` + s.jsonField("state", "state") + `, ''), COALESCE(` + s.jsonField("state", "reason") + `, '')
		FROM events e WHERE e.line_id = ? AND e.type = 'state' AND `
	queries := []struct {
		sql  string
		args []any
	}{
		{`SELECT * FROM (` + state + `e.source_time < ? ORDER BY e.source_time DESC, e.edge_id DESC, e.seq DESC LIMIT 1) b`, []any{line, nanos(from)}},
		{state + `e.source_time >= ? AND e.source_time < ? ORDER BY e.source_time, e.edge_id, e.seq`, []any{line, nanos(from), nanos(to)}},
		{`SELECT * FROM (` + state + `e.source_time >= ? ORDER BY e.source_time, e.edge_id, e.seq LIMIT 1) a`, []any{line, nanos(to)}},
	}
	for _, q := range queries {
		if err := s.each(ctx, q.sql, q.args, func(r *sql.Rows) error {
			var at int64
			var c oee.StateChange
			if err := r.Scan(&at, &c.State, &c.Reason); err != nil {
				return err
			}
			c.At = fromNanos(at)
			out = append(out, c)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

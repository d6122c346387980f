package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// settle computes an order's settlement from what is stored now (see
// domain.Settle): its work orders' counts, their runs, and the state events
// of their lines from the last one at or before each line's first run.
func (s *Store) settle(ctx context.Context, q dbtx, number string, now time.Time) (domain.Settlement, error) {
	fail := func(err error) (domain.Settlement, error) {
		return domain.Settlement{}, fmt.Errorf("store: settlement of order %s: %w", number, err)
	}
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+workOrderColumns+` WHERE order_number = ? ORDER BY operation_seq, id`), number)
	if err != nil {
		return fail(err)
	}
	var wos []domain.WorkOrder
	for rows.Next() {
		w, err := scanWorkOrder(rows)
		if err != nil {
			rows.Close()
			return fail(err)
		}
		wos = append(wos, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	rows, err = q.QueryContext(ctx, s.q(`SELECT r.work_order_id, r.line_id, r.started_at, r.ended_at, r.started_by
		FROM wo_runs r JOIN work_orders w ON w.id = r.work_order_id
		WHERE w.order_number = ? ORDER BY r.started_at`), number)
	if err != nil {
		return fail(err)
	}
	var runs []domain.Run
	span := map[string][2]int64{} // line → first start, last end
	for rows.Next() {
		var r domain.Run
		var start int64
		var end sql.NullInt64
		if err := rows.Scan(&r.WorkOrder, &r.Line, &start, &end, &r.Operator); err != nil {
			rows.Close()
			return fail(err)
		}
		r.Start, r.End = fromNanos(start), fromNull(end)
		last := nanos(now)
		if end.Valid {
			last = end.Int64
		}
		sp, ok := span[r.Line]
		if !ok || start < sp[0] {
			sp[0] = start
		}
		if last > sp[1] {
			sp[1] = last
		}
		span[r.Line] = sp
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	states := map[string][]domain.StateChange{}
	for line, sp := range span {
		var first []domain.StateChange
		var payload string
		var at int64
		err := q.QueryRowContext(ctx, s.q(`SELECT source_time, payload FROM events
			WHERE line_id = ? AND type = ? AND source_time <= ? ORDER BY source_time DESC, seq DESC LIMIT 1`),
			line, wire.TypeState, sp[0]).Scan(&at, &payload)
		switch {
		case err == nil:
			if c, ok := stateChange(at, payload); ok {
				first = append(first, c)
			}
		case !errors.Is(err, sql.ErrNoRows):
			return fail(err)
		}
		rows, err := q.QueryContext(ctx, s.q(`SELECT source_time, payload FROM events
			WHERE line_id = ? AND type = ? AND source_time > ? AND source_time < ? ORDER BY source_time, seq`),
			line, wire.TypeState, sp[0], sp[1])
		if err != nil {
			return fail(err)
		}
		for rows.Next() {
			if err := rows.Scan(&at, &payload); err != nil {
				rows.Close()
				return fail(err)
			}
			if c, ok := stateChange(at, payload); ok {
				first = append(first, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fail(err)
		}
		states[line] = first
	}
	return domain.Settle(number, wos, runs, states, wire.StateRunning, now), nil
}

func stateChange(at int64, payload string) (domain.StateChange, bool) {
	var ev wire.Event
	if json.Unmarshal([]byte(payload), &ev) != nil || ev.State == nil {
		return domain.StateChange{}, false
	}
	return domain.StateChange{At: fromNanos(at), State: ev.State.State}, true
}

// freezeSettlement stores the order's settlement as it is at closing, in
// the closing transaction. A settlement already frozen stays.
func (s *Store) freezeSettlement(ctx context.Context, tx *sql.Tx, number string, at time.Time) error {
	st, err := s.settle(ctx, tx, number, at)
	if err != nil {
		return err
	}
	st.Frozen, st.ClosedAt = true, &at
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: freeze settlement of %s: %w", number, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO order_settlements (order_number, closed_at, settlement) VALUES (?, ?, ?)
		ON CONFLICT (order_number) DO NOTHING`), number, nanos(at), string(b)); err != nil {
		return fmt.Errorf("store: freeze settlement of %s: %w", number, err)
	}
	return nil
}

// OrderSettlement returns an order's settlement: the frozen one once the
// order is closed, else computed now from its work orders, runs and events.
func (s *Store) OrderSettlement(ctx context.Context, number string) (domain.Settlement, error) {
	var body string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT settlement FROM order_settlements WHERE order_number = ?`), number).Scan(&body)
	switch {
	case err == nil:
		var st domain.Settlement
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			return st, fmt.Errorf("store: settlement of order %s: %w", number, err)
		}
		return st, nil
	case !errors.Is(err, sql.ErrNoRows):
		return domain.Settlement{}, fmt.Errorf("store: settlement of order %s: %w", number, err)
	}
	if _, err := s.orderStatus(ctx, s.db, number); err != nil {
		return domain.Settlement{}, err
	}
	return s.settle(ctx, s.db, number, s.now().UTC())
}

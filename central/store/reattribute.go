package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/linewise/linewise/edge/wire"
)

// runLockKey is the first half of the advisory lock that serialises the
// changes to one line's runs across replicas (the second is the line).
const runLockKey = 0x5255 // "RU"

// lockLineRuns makes tx the only transaction changing line's runs (and so
// re-attributing its events) until it ends. On SQLite the single
// connection already is.
//
// Ingest does not take this lock yet, so on PostgreSQL a batch whose
// transaction read wo_runs before a run change committed and stores its
// events after the change read them keeps those events where it put them.
// Ingest taking pg_advisory_xact_lock_shared(runLockKey, hashtext(line))
// per line before it reads wo_runs would close that gap.
func (s *Store) lockLineRuns(ctx context.Context, tx *sql.Tx, line string) error {
	if !s.postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, runLockKey, line); err != nil {
		return fmt.Errorf("store: lock runs of line %s: %w", line, err)
	}
	return nil
}

// reattribute re-applies ingest's attribution rule to line's events with a
// source time at or after from, after a run of the line began or ended at
// from: each event belongs to the run that covers its source time (the one
// that started last at or before it and had not ended), else to no work
// order. Events stored before the run change (a scan applied after the
// counts that follow it arrived, or a late pause) thus move to where they
// would have gone had the run existed when they were stored, and the
// counters with them: a count's good and reject leave the work order (or
// the line's unattributed counts) it was in and join the new one, so the
// line's total never changes. It moves only what differs, so a second
// call moves nothing. Events stay append-only in what the edge sent: only
// work_order_id, which is derived, changes.
//
// Only the events it read are updated, each on condition that it is still
// where it was read: on PostgreSQL events another transaction stores
// meanwhile were attributed by that transaction and are counted where it
// put them. Row locks follow ingest's order (work orders, then the line's
// unattributed counts; line status is not touched), so the two do not
// deadlock: the callers have already locked the work order they start or
// stop, and hold nothing else ingest locks.
func (s *Store) reattribute(ctx context.Context, tx *sql.Tx, line string, from int64) error {
	fail := func(err error) error {
		return fmt.Errorf("store: re-attribute events of line %s: %w", line, err)
	}
	type run struct {
		wo         string
		start, end int64 // end 0: still running
	}
	var runs []run // latest start first
	rows, err := tx.QueryContext(ctx, s.q(`SELECT work_order_id, started_at, ended_at FROM wo_runs
		WHERE line_id = ? AND (ended_at IS NULL OR ended_at > ?) ORDER BY started_at DESC`), line, from)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var r run
		var end sql.NullInt64
		if err := rows.Scan(&r.wo, &r.start, &end); err != nil {
			rows.Close()
			return fail(err)
		}
		r.end = end.Int64
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	covering := func(ts int64) sql.NullString {
		for _, r := range runs {
			if r.start <= ts && (r.end == 0 || ts < r.end) {
				return sql.NullString{String: r.wo, Valid: true}
			}
		}
		return sql.NullString{}
	}

	type move struct {
		edge     string
		seq      int64
		from, to sql.NullString
	}
	var moves []move
	type delta struct{ good, reject int64 }
	byWO := map[string]*delta{}
	var line0 delta // the line's unattributed counts
	add := func(wo sql.NullString, sign int64, c *wire.Count) {
		d := &line0
		if wo.Valid {
			if d = byWO[wo.String]; d == nil {
				d = &delta{}
				byWO[wo.String] = d
			}
		}
		d.good += sign * c.Good
		d.reject += sign * c.Reject
	}
	// The count rollups move with the counts (same bucket, other work order).
	rolled := map[countKey]*countDelta{}
	roll := func(wo sql.NullString, ts, sign int64, c *wire.Count) {
		k := countKey{line: line, wo: wo.String, bucket: bucketOf(ts)}
		d := rolled[k]
		if d == nil {
			d = &countDelta{}
			rolled[k] = d
		}
		d.good += sign * c.Good
		d.reject += sign * c.Reject
		d.count += sign
	}
	rows, err = tx.QueryContext(ctx, s.q(`SELECT edge_id, seq, type, source_time, payload, work_order_id FROM events
		WHERE line_id = ? AND source_time >= ? ORDER BY source_time, edge_id, seq`), line, from)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var m move
		var typ, payload string
		var ts int64
		if err := rows.Scan(&m.edge, &m.seq, &typ, &ts, &payload, &m.from); err != nil {
			rows.Close()
			return fail(err)
		}
		m.to = covering(ts)
		if m.to == m.from {
			continue
		}
		moves = append(moves, m)
		if typ != wire.TypeCount {
			continue
		}
		// Counters moved at ingest only for a count with its payload;
		// the same rule decides what moves now.
		var ev struct {
			Count *wire.Count `json:"count"`
		}
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			rows.Close()
			return fail(fmt.Errorf("event %s/%d: payload: %w", m.edge, m.seq, err))
		}
		if ev.Count != nil {
			add(m.from, -1, ev.Count)
			add(m.to, +1, ev.Count)
			roll(m.from, ts, -1, ev.Count)
			roll(m.to, ts, +1, ev.Count)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if len(moves) == 0 {
		return nil
	}

	// By key and on condition: a row no longer where it was read means
	// another transaction moved it, and this one must start over (a plain
	// error: the scan is retried, not rejected).
	fromWO, err := tx.PrepareContext(ctx, s.q(`UPDATE events SET work_order_id = ? WHERE edge_id = ? AND seq = ? AND work_order_id = ?`))
	if err != nil {
		return fail(err)
	}
	defer fromWO.Close()
	fromLine, err := tx.PrepareContext(ctx, s.q(`UPDATE events SET work_order_id = ? WHERE edge_id = ? AND seq = ? AND work_order_id IS NULL`))
	if err != nil {
		return fail(err)
	}
	defer fromLine.Close()
	for _, m := range moves {
		var res sql.Result
		if m.from.Valid {
			res, err = fromWO.ExecContext(ctx, m.to, m.edge, m.seq, m.from.String)
		} else {
			res, err = fromLine.ExecContext(ctx, m.to, m.edge, m.seq)
		}
		if err != nil {
			return fail(fmt.Errorf("event %s/%d: %w", m.edge, m.seq, err))
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fail(fmt.Errorf("event %s/%d was re-attributed meanwhile (%d rows, %v)", m.edge, m.seq, n, err))
		}
	}
	wos := make([]string, 0, len(byWO))
	for id, d := range byWO {
		if *d != (delta{}) {
			wos = append(wos, id)
		}
	}
	slices.Sort(wos)
	for _, id := range wos {
		d := byWO[id]
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE work_orders SET good = good + ?, reject = reject + ? WHERE id = ?`),
			d.good, d.reject, id); err != nil {
			return fail(fmt.Errorf("work order %s: %w", id, err))
		}
	}
	// Backflushed material follows the counts: what left a work order comes
	// back first, then the work orders that gained counts consume.
	var counts []WorkOrderCount
	for _, neg := range []bool{true, false} {
		for _, id := range wos {
			if d := byWO[id]; (d.good+d.reject < 0) == neg {
				counts = append(counts, WorkOrderCount{WorkOrder: id, Good: d.good, Reject: d.reject, At: s.now()})
			}
		}
	}
	if err := s.runCountHooks(ctx, tx, counts); err != nil {
		return fail(err)
	}
	ids := map[string]bool{}
	for k := range rolled {
		if k.wo != "" {
			ids[k.wo] = true
		}
	}
	products, err := s.productsOf(ctx, tx, ids)
	if err != nil {
		return fail(err)
	}
	for k, d := range rolled {
		d.product = products[k.wo]
	}
	if line0 != (delta{}) {
		// Two statements: the delta may be negative (counts moving to a work
		// order), and a proposed row of negative counts is refused by the
		// schema even when ON CONFLICT would have turned it into an update.
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO unattributed_counts (line_id, good, reject) VALUES (?, 0, 0)
			ON CONFLICT (line_id) DO NOTHING`), line); err != nil {
			return fail(fmt.Errorf("unattributed counts: %w", err))
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE unattributed_counts SET good = good + ?, reject = reject + ? WHERE line_id = ?`),
			line0.good, line0.reject, line); err != nil {
			return fail(fmt.Errorf("unattributed counts: %w", err))
		}
	}
	if err := s.addCountRollups(ctx, tx, rolled); err != nil {
		return fail(err)
	}
	return nil
}

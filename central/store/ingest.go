package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/linewise/linewise/edge/wire"
)

// ApplyBatch stores a batch's events and derives counts and line states from
// them, all in one transaction: on error nothing is kept and the edge, having
// no ack, resends. An event already stored (same edge id and seq) is skipped
// entirely, so a resent batch changes nothing. applied is how many events
// were new.
//
// A count goes to the work order whose run on the event's line covers the
// event's source time (not the arrival time), else to the line's
// unattributed counters. A state replaces the line's state only if it began
// later than the stored one, so late or reordered events cannot roll it back.
//
// On PostgreSQL several central replicas may apply the same batch at once
// (shared subscriptions, or an HTTPS resend racing an MQTT one). READ
// COMMITTED is enough: the insert on the (edge_id, seq) key waits for the
// other transaction's row and then does nothing, only the rows the insert
// returns (stored by this transaction) move counters, and counters move by
// increment (good = good + ?), never read-modify-write. Every transaction
// takes its row locks in one order (work orders, unattributed counts, line
// status), so two batches do not deadlock on each other; a deadlock or
// serialization failure between replicas is still retried a few times
// before it is returned.
func (s *Store) ApplyBatch(ctx context.Context, b wire.Batch) (applied int, err error) {
	for attempt := 1; ; attempt++ {
		applied, err = s.applyBatchOnce(ctx, b)
		if err == nil || !s.retryable(err) || attempt == 3 || ctx.Err() != nil {
			return applied, err
		}
	}
}

// insertChunk is how many events one multi-row INSERT carries: 8
// parameters each stays far below SQLite's and PostgreSQL's limits.
const insertChunk = 256

// applyBatchOnce does per batch what a loop over the events would do per
// event, in a handful of statements: one read of the wo_runs that can cover
// the batch's time span per line, a multi-row INSERT ... ON CONFLICT DO
// NOTHING RETURNING (so only rows stored now move counters), one increment
// per work order (or line, unattributed) touched, the rare state changes
// one by one in batch order, and one last_event_at per line. At hundreds
// of events a batch, per-event round trips were the whole cost (issue #4).
func (s *Store) applyBatchOnce(ctx context.Context, b wire.Batch) (applied int, err error) {
	var opts *sql.TxOptions
	if s.postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return 0, fmt.Errorf("store: apply batch from edge %s: %w", b.EdgeID, err)
	}
	defer tx.Rollback()
	received := nanos(s.now())
	if s.postgres {
		// A line the batch reports a state of is locked alone: its state
		// rollups (rollups.go) read the states around the new ones, and
		// another replica's must be committed, not in flight.
		seen := map[string]bool{}
		var ls []string
		for i := range b.Events {
			l := b.Events[i].Line
			if _, ok := seen[l]; !ok {
				ls = append(ls, l)
			}
			seen[l] = seen[l] || (b.Events[i].Type == wire.TypeState && !s.noRollups)
		}
		slices.Sort(ls)
		for _, l := range ls {
			lock := `SELECT pg_advisory_xact_lock_shared($1, hashtext($2))`
			if seen[l] {
				lock = `SELECT pg_advisory_xact_lock($1, hashtext($2))`
			}
			if _, err := tx.ExecContext(ctx, lock, runLockKey, l); err != nil {
				return 0, err
			}
		}
	}
	wos, err := s.attribute(ctx, tx, b.Events)
	if err != nil {
		return 0, fmt.Errorf("store: apply batch from edge %s: attribute: %w", b.EdgeID, err)
	}
	// A scan's badge is stored as its hash (credentials.go), never as the code.
	evs, err := s.hashScanBadges(ctx, tx, b.Events)
	if err != nil {
		return 0, fmt.Errorf("store: apply batch from edge %s: %w", b.EdgeID, err)
	}
	// stored[i]: event i was new. A seq twice in one batch is stored once.
	stored := make([]bool, len(b.Events))
	chunk := insertChunk
	if s.postgres {
		chunk = len(b.Events) // arrays: no parameter limit to respect
	}
	for from := 0; from < len(b.Events); from += chunk {
		to := min(from+chunk, len(b.Events))
		if err := s.insertEvents(ctx, tx, evs[from:to], wos[from:to], received, stored[from:to]); err != nil {
			return 0, fmt.Errorf("store: apply batch from edge %s, events from %d: %w", b.EdgeID, b.Events[from].Seq, err)
		}
	}
	type delta struct{ good, reject int64 }
	var woOrder, lineOrder []string
	byWO, byLine := map[string]*delta{}, map[string]*delta{}
	lastAt := map[string]int64{}
	var lines []string
	var states []*wire.Event
	for i := range b.Events {
		if !stored[i] {
			continue
		}
		applied++
		ev := &b.Events[i]
		ts := nanos(ev.SourceTime)
		if _, ok := lastAt[ev.Line]; !ok {
			lines = append(lines, ev.Line)
		}
		lastAt[ev.Line] = max(lastAt[ev.Line], ts)
		switch {
		case ev.Type == wire.TypeCount && ev.Count != nil:
			key, m, order := ev.Line, byLine, &lineOrder
			if wos[i].Valid {
				key, m, order = wos[i].String, byWO, &woOrder
			}
			d := m[key]
			if d == nil {
				d = &delta{}
				m[key] = d
				*order = append(*order, key)
			}
			d.good += ev.Count.Good
			d.reject += ev.Count.Reject
		case ev.Type == wire.TypeState && ev.State != nil:
			states = append(states, ev)
		}
	}
	counts := make([]WorkOrderCount, 0, len(woOrder))
	for _, id := range woOrder {
		d := byWO[id]
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE work_orders SET good = good + ?, reject = reject + ? WHERE id = ?`),
			d.good, d.reject, id); err != nil {
			return 0, fmt.Errorf("store: apply batch from edge %s: count for work order %s: %w", b.EdgeID, id, err)
		}
		counts = append(counts, WorkOrderCount{WorkOrder: id, Good: d.good, Reject: d.reject, At: s.now()})
	}
	// Backflush (materials) in this transaction: only stored events count.
	if err := s.runCountHooks(ctx, tx, counts); err != nil {
		return 0, fmt.Errorf("store: apply batch from edge %s: %w", b.EdgeID, err)
	}
	for _, line := range lineOrder {
		d := byLine[line]
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO unattributed_counts (line_id, good, reject) VALUES (?, ?, ?)
			ON CONFLICT (line_id) DO UPDATE SET good = unattributed_counts.good + excluded.good,
				reject = unattributed_counts.reject + excluded.reject`),
			line, d.good, d.reject); err != nil {
			return 0, fmt.Errorf("store: apply batch from edge %s: unattributed count on line %s: %w", b.EdgeID, line, err)
		}
	}
	// Rollups (rollups.go) after the counters, by the same stored events.
	if !s.noRollups {
		if err := s.rollCounts(ctx, tx, b.Events, wos, stored); err != nil {
			return 0, fmt.Errorf("store: apply batch from edge %s: %w", b.EdgeID, err)
		}
		if err := s.rollBatchStates(ctx, tx, states); err != nil {
			return 0, fmt.Errorf("store: apply batch from edge %s: %w", b.EdgeID, err)
		}
	}
	for _, ev := range states {
		// In batch order: a state replaces the stored one only if it began
		// later, so the order of these statements is the rule.
		ts := nanos(ev.SourceTime)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO line_status (line_id, state, reason, since, last_event_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (line_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, since = excluded.since
			WHERE excluded.since > line_status.since`),
			ev.Line, ev.State.State, ev.State.Reason, ts, ts); err != nil {
			return 0, fmt.Errorf("store: apply event %s/%d on line %s: state: %w", ev.EdgeID, ev.Seq, ev.Line, err)
		}
	}
	// After the states, so a line whose status row the batch created also
	// gets the batch's latest event time.
	for _, line := range lines {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE line_status SET last_event_at = ? WHERE line_id = ? AND last_event_at < ?`),
			lastAt[line], line, lastAt[line]); err != nil {
			return 0, fmt.Errorf("store: apply batch from edge %s: last event on line %s: %w", b.EdgeID, line, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit batch from edge %s: %w", b.EdgeID, err)
	}
	return applied, nil
}

// attribute finds, for every event, the work order whose run on the
// event's line covers its source time: the run that started last at or
// before it and had not ended. One query per line reads every run that
// overlaps the batch's time span on it.
func (s *Store) attribute(ctx context.Context, tx *sql.Tx, evs []wire.Event) ([]sql.NullString, error) {
	type span struct{ from, to int64 }
	spans := map[string]*span{}
	var lines []string
	for i := range evs {
		ts := nanos(evs[i].SourceTime)
		sp := spans[evs[i].Line]
		if sp == nil {
			spans[evs[i].Line] = &span{ts, ts}
			lines = append(lines, evs[i].Line)
			continue
		}
		sp.from, sp.to = min(sp.from, ts), max(sp.to, ts)
	}
	type run struct {
		wo         string
		start, end int64 // end 0: still running
	}
	runs := map[string][]run{} // per line, latest start first
	for _, line := range lines {
		sp := spans[line]
		rows, err := tx.QueryContext(ctx, s.q(`SELECT work_order_id, started_at, ended_at FROM wo_runs
			WHERE line_id = ? AND started_at <= ? AND (ended_at IS NULL OR ? < ended_at)
			ORDER BY started_at DESC`), line, sp.to, sp.from)
		if err != nil {
			return nil, fmt.Errorf("line %s: %w", line, err)
		}
		for rows.Next() {
			var r run
			var end sql.NullInt64
			if err := rows.Scan(&r.wo, &r.start, &end); err != nil {
				rows.Close()
				return nil, fmt.Errorf("line %s: %w", line, err)
			}
			r.end = end.Int64
			runs[line] = append(runs[line], r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("line %s: %w", line, err)
		}
	}
	out := make([]sql.NullString, len(evs))
	for i := range evs {
		ts := nanos(evs[i].SourceTime)
		for _, r := range runs[evs[i].Line] {
			if r.start <= ts && (r.end == 0 || ts < r.end) {
				out[i] = sql.NullString{String: r.wo, Valid: true}
				break
			}
		}
	}
	return out, nil
}

// insertEvents stores evs with one multi-row INSERT and marks in stored
// those that were new; a duplicate of (edge_id, seq) stores nothing.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, evs []wire.Event, wos []sql.NullString, received int64, stored []bool) error {
	if s.postgres {
		return s.insertEventsPG(ctx, tx, evs, wos, received, stored)
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO events (edge_id, seq, line_id, type, source_time, received_at, payload, work_order_id) VALUES `)
	args := make([]any, 0, 8*len(evs))
	index := make(map[eventKey]int, len(evs)) // first position of each (edge, seq)
	var buf []byte
	for i := range evs {
		ev := &evs[i]
		payload, err := ev.AppendJSON(buf[:0]) // as json.Marshal(ev) writes it
		if err != nil {
			return err
		}
		buf = payload
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, ev.EdgeID, int64(ev.Seq), ev.Line, ev.Type, nanos(ev.SourceTime), received, string(payload), wos[i])
		if _, ok := index[eventKey{ev.EdgeID, int64(ev.Seq)}]; !ok {
			index[eventKey{ev.EdgeID, int64(ev.Seq)}] = i
		}
	}
	q.WriteString(` ON CONFLICT (edge_id, seq) DO NOTHING RETURNING edge_id, seq`)
	rows, err := tx.QueryContext(ctx, s.q(q.String()), args...)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return markStored(rows, index, stored)
}

// eventKey identifies a stored event. Seq is stored as BIGINT: a uint64
// above 2^63 wraps negative but stays unique, which is all deduplication
// needs.
type eventKey struct {
	edge string
	seq  int64
}

// markStored reads the (edge_id, seq) rows an INSERT ... RETURNING gave
// back and marks those events stored.
func markStored(rows *sql.Rows, index map[eventKey]int, stored []bool) error {
	defer rows.Close()
	for rows.Next() {
		var k eventKey
		if err := rows.Scan(&k.edge, &k.seq); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if i, ok := index[k]; ok {
			stored[i] = true
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}

// retryable reports a PostgreSQL deadlock or serialization failure: the
// transaction was rolled back whole and may simply run again.
func (s *Store) retryable(err error) bool {
	var pe *pgconn.PgError
	return s.postgres && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// insertEventsPG is insertEvents with one array per column: PostgreSQL then
// parses and plans eight parameters, not eight per event, which at hundreds
// of events a statement cost more than storing them.
func (s *Store) insertEventsPG(ctx context.Context, tx *sql.Tx, evs []wire.Event, wos []sql.NullString, received int64, stored []bool) error {
	n := len(evs)
	edges, lines, types, payloads := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seqs, times, recv := make([]int64, n), make([]int64, n), make([]int64, n)
	wo := make([]*string, n)
	index := make(map[eventKey]int, n) // first position of each (edge, seq)
	repeated := false
	var buf []byte
	for i := range evs {
		ev := &evs[i]
		payload, err := ev.AppendJSON(buf[:0]) // as json.Marshal(ev) writes it
		if err != nil {
			return err
		}
		buf = payload
		edges[i], seqs[i], lines[i], types[i] = ev.EdgeID, int64(ev.Seq), ev.Line, ev.Type
		times[i], recv[i], payloads[i] = nanos(ev.SourceTime), received, string(payload)
		if wos[i].Valid {
			wo[i] = &wos[i].String
		}
		if _, ok := index[eventKey{ev.EdgeID, int64(ev.Seq)}]; !ok {
			index[eventKey{ev.EdgeID, int64(ev.Seq)}] = i
		} else {
			repeated = true
		}
	}
	if !repeated {
		// Nearly every batch is all new, and a plain INSERT costs
		// PostgreSQL less per row than ON CONFLICT ... RETURNING. Under a
		// savepoint: a duplicate (a resend, or another replica's row,
		// which the insert waits for) undoes only this attempt, and the
		// statement below sorts new from stored.
		all, err := s.insertAllNewPG(ctx, tx, edges, seqs, lines, types, times, recv, payloads, wo)
		if err != nil {
			return err
		}
		if all {
			for i := range stored {
				stored[i] = true
			}
			return nil
		}
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO events
		(edge_id, seq, line_id, type, source_time, received_at, payload, work_order_id)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[])
		ON CONFLICT (edge_id, seq) DO NOTHING RETURNING edge_id, seq`,
		edges, seqs, lines, types, times, recv, payloads, wo)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return markStored(rows, index, stored)
}

// insertAllNewPG inserts every row, or nothing and reports false if one of
// them is already stored (a unique violation on (edge_id, seq)).
func (s *Store) insertAllNewPG(ctx context.Context, tx *sql.Tx, cols ...any) (bool, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT insert_new`); err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO events
		(edge_id, seq, line_id, type, source_time, received_at, payload, work_order_id)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[])`,
		cols...)
	var pe *pgconn.PgError
	switch {
	case err == nil:
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT insert_new`); err != nil {
			return false, fmt.Errorf("insert: %w", err)
		}
		return true, nil
	case errors.As(err, &pe) && pe.Code == "23505": // unique_violation: (edge_id, seq) is the only key
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT insert_new`); err != nil {
			return false, fmt.Errorf("insert: %w", err)
		}
		return false, nil
	default:
		return false, fmt.Errorf("insert: %w", err)
	}
}

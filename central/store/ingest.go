package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

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
// other transaction's row and then does nothing, only an insert that stored
// a row (RowsAffected 1) moves counters, and counters move by increment
// (good = good + ?), never read-modify-write. A deadlock or serialization
// failure between replicas is retried a few times before it is returned.
func (s *Store) ApplyBatch(ctx context.Context, b wire.Batch) (applied int, err error) {
	for attempt := 1; ; attempt++ {
		applied, err = s.applyBatchOnce(ctx, b)
		if err == nil || !s.retryable(err) || attempt == 3 || ctx.Err() != nil {
			return applied, err
		}
	}
}

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
	for i := range b.Events {
		ev := &b.Events[i]
		ok, err := s.applyEvent(ctx, tx, ev, received)
		if err != nil {
			return 0, fmt.Errorf("store: apply event %s/%d on line %s: %w", ev.EdgeID, ev.Seq, ev.Line, err)
		}
		if ok {
			applied++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit batch from edge %s: %w", b.EdgeID, err)
	}
	return applied, nil
}

// retryable reports a PostgreSQL deadlock or serialization failure: the
// transaction was rolled back whole and may simply run again.
func (s *Store) retryable(err error) bool {
	var pe *pgconn.PgError
	return s.postgres && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

func (s *Store) applyEvent(ctx context.Context, tx *sql.Tx, ev *wire.Event, received int64) (bool, error) {
	ts := nanos(ev.SourceTime)
	var wo sql.NullString
	err := tx.QueryRowContext(ctx, s.q(`SELECT work_order_id FROM wo_runs
		WHERE line_id = ? AND started_at <= ? AND (ended_at IS NULL OR ? < ended_at)
		ORDER BY started_at DESC LIMIT 1`), ev.Line, ts, ts).Scan(&wo)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("attribute: %w", err)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return false, err
	}
	// Seq is stored as BIGINT: a uint64 above 2^63 wraps negative but stays
	// unique, which is all deduplication needs.
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO events
		(edge_id, seq, line_id, type, source_time, received_at, payload, work_order_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (edge_id, seq) DO NOTHING`),
		ev.EdgeID, int64(ev.Seq), ev.Line, ev.Type, ts, received, string(payload), wo)
	if err != nil {
		return false, fmt.Errorf("insert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, nil // duplicate: already applied when first stored
	}
	switch {
	case ev.Type == wire.TypeCount && ev.Count != nil:
		if wo.Valid {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE work_orders SET good = good + ?, reject = reject + ? WHERE id = ?`),
				ev.Count.Good, ev.Count.Reject, wo.String)
		} else {
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO unattributed_counts (line_id, good, reject) VALUES (?, ?, ?)
				ON CONFLICT (line_id) DO UPDATE SET good = unattributed_counts.good + excluded.good,
					reject = unattributed_counts.reject + excluded.reject`),
				ev.Line, ev.Count.Good, ev.Count.Reject)
		}
		if err != nil {
			return false, fmt.Errorf("count: %w", err)
		}
	case ev.Type == wire.TypeState && ev.State != nil:
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO line_status (line_id, state, reason, since, last_event_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (line_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, since = excluded.since
			WHERE excluded.since > line_status.since`),
			ev.Line, ev.State.State, ev.State.Reason, ts, ts)
		if err != nil {
			return false, fmt.Errorf("state: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE line_status SET last_event_at = ? WHERE line_id = ? AND last_event_at < ?`),
		ts, ev.Line, ts); err != nil {
		return false, fmt.Errorf("last event: %w", err)
	}
	return true, nil
}

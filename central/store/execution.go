package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Execution rules the store keeps while it changes runs (an operation
// starts after its predecessor; runs never overlap) and the record of
// station actions that makes a repeated action one action.

// stationActionLockKey is the first half of the advisory lock that makes
// claiming a station's action one at a time across replicas.
const stationActionLockKey = 0x5341 // "SA"

// stationActionsKept is how long a station action's answer is kept for
// repeats of its client id.
const stationActionsKept = 24 * time.Hour

// SetExecutionRules sets the rules starting work orders follows (the
// predecessor's overlap); call it before serving.
func (s *Store) SetExecutionRules(r domain.ExecutionRules) { s.rules = r }

// ExecutionRules returns the rules in force.
func (s *Store) ExecutionRules() domain.ExecutionRules { return s.rules }

func nullInt(v *int64) sql.NullInt64 {
	if v == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *v, Valid: true}
}

// checkStart is what starting work order id of order on line at ts (unix
// nanos) needs beyond a free line, checked under the line's run lock: no
// run of the work order or of its line may cover ts or begin after it
// (runs never overlap, so labour and counts are never booked twice), and
// the operation before it must have started (or made its overlap).
func (s *Store) checkStart(ctx context.Context, tx *sql.Tx, id, order, line string, ts int64) error {
	var other string
	var started int64
	var ended sql.NullInt64
	err := tx.QueryRowContext(ctx, s.q(`SELECT work_order_id, started_at, ended_at FROM wo_runs
		WHERE (work_order_id = ? AND (started_at >= ? OR ended_at > ?)) OR (line_id = ? AND (started_at > ? OR ended_at > ?))
		ORDER BY started_at DESC LIMIT 1`), id, ts, ts, line, ts, ts).Scan(&other, &started, &ended)
	switch {
	case err == nil:
		end := "still open"
		if ended.Valid {
			end = "until " + fromNanos(ended.Int64).UTC().Format(time.RFC3339)
		}
		return fmt.Errorf("store: start work order %s at %s: it would overlap the run of %s from %s (%s): %w", id,
			fromNanos(ts).UTC().Format(time.RFC3339), other, fromNanos(started).UTC().Format(time.RFC3339), end, domain.ErrConflict)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	rec := domain.OrderRecord{}
	rec.Number = order
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+workOrderColumns+` WHERE order_number = ? ORDER BY operation_seq, id`), order)
	if err != nil {
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	for rows.Next() {
		w, err := scanWorkOrder(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("store: start work order %s: %w", id, err)
		}
		rec.WorkOrders = append(rec.WorkOrders, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	overlap := s.rules.OverlapQuantity
	var own sql.NullInt64
	err = tx.QueryRowContext(ctx, s.q(`SELECT r.overlap_qty FROM work_orders w
		JOIN orders o ON o.number = w.order_number
		JOIN routings r ON r.product_code = o.product_code AND r.seq = w.operation_seq
		WHERE w.id = ?`), id).Scan(&own)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	if own.Valid {
		overlap = own.Int64
	}
	if err := domain.CheckPredecessor(rec, id, overlap); err != nil {
		return fmt.Errorf("store: start work order %s: %w", id, err)
	}
	return nil
}

// markPausedByOrder records that an order-level pause stopped work order
// id, so the order's resume starts it again.
func (s *Store) markPausedByOrder(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE work_orders SET paused_by_order = 1 WHERE id = ?`), id); err != nil {
		return fmt.Errorf("store: pause work order %s with its order: %w", id, err)
	}
	return nil
}

// ClaimStationAction records that a station is about to carry out a, or
// finds the action it repeats: the same client id at the station, or
// (window > 0, a scan) the same code scanned at the station within
// window that was carried out (a refused scan is not repeated by a
// bounce: scanning again after fixing what was wrong must work). claimed is true when a is new and the caller must carry it out
// and then Finish (or Release) it; otherwise prev is the earlier action,
// whose Status is 0 while it is still being carried out. The check and
// the insert are one transaction under a per-station lock (PostgreSQL;
// SQLite has one writer), and the key (station, client id) is the
// primary key, so two requests at once cannot both claim.
func (s *Store) ClaimStationAction(ctx context.Context, a domain.StationAction, window time.Duration) (prev domain.StationAction, claimed bool, err error) {
	fail := func(err error) (domain.StationAction, bool, error) {
		return prev, false, fmt.Errorf("store: station %s action %s: %w", a.Station, a.ClientID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, stationActionLockKey, a.Station); err != nil {
			return fail(err)
		}
	}
	now := s.now()
	if a.At.IsZero() {
		a.At = now
	}
	const cols = `station_id, client_id, kind, code, status, response, created_at FROM station_actions`
	scan := func(r *sql.Row) (domain.StationAction, error) {
		var x domain.StationAction
		var body string
		var at int64
		err := r.Scan(&x.Station, &x.ClientID, &x.Kind, &x.Code, &x.Status, &body, &at)
		x.Response, x.At = []byte(body), fromNanos(at)
		return x, err
	}
	prev, err = scan(tx.QueryRowContext(ctx, s.q(`SELECT `+cols+` WHERE station_id = ? AND client_id = ?`), a.Station, a.ClientID))
	if err == nil {
		return prev, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fail(err)
	}
	if window > 0 && a.Code != "" {
		prev, err = scan(tx.QueryRowContext(ctx, s.q(`SELECT `+cols+` WHERE station_id = ? AND kind = ? AND code = ? AND created_at >= ?
			AND (status = 0 OR (status >= 200 AND status < 300))
			ORDER BY created_at DESC LIMIT 1`), a.Station, a.Kind, a.Code, nanos(a.At.Add(-window))))
		if err == nil {
			return prev, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fail(err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM station_actions WHERE station_id = ? AND created_at < ?`),
		a.Station, nanos(now.Add(-stationActionsKept))); err != nil {
		return fail(err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO station_actions (station_id, client_id, kind, code, status, response, created_at)
		VALUES (?, ?, ?, ?, 0, '', ?)`), a.Station, a.ClientID, a.Kind, a.Code, nanos(a.At)); err != nil {
		if isUnique(err) {
			return fail(fmt.Errorf("claimed meanwhile: %w", domain.ErrConflict))
		}
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return domain.StationAction{}, true, nil
}

// FinishStationAction stores the answer of a claimed action, for its repeats.
func (s *Store) FinishStationAction(ctx context.Context, station, clientID string, status int, body []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE station_actions SET status = ?, response = ? WHERE station_id = ? AND client_id = ?`),
		status, string(body), station, clientID)
	if err != nil {
		return fmt.Errorf("store: station %s action %s: %w", station, clientID, err)
	}
	return nil
}

// ReleaseStationAction forgets a claimed action that failed for a reason
// that is not its own (the database), so a repeat carries it out afresh.
func (s *Store) ReleaseStationAction(ctx context.Context, station, clientID string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM station_actions WHERE station_id = ? AND client_id = ? AND status = 0`), station, clientID)
	if err != nil {
		return fmt.Errorf("store: station %s action %s: %w", station, clientID, err)
	}
	return nil
}

// GetStationAction reads one station action; domain.ErrNotFound if absent.
func (s *Store) GetStationAction(ctx context.Context, station, clientID string) (domain.StationAction, error) {
	var x domain.StationAction
	var body string
	var at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT station_id, client_id, kind, code, status, response, created_at
		FROM station_actions WHERE station_id = ? AND client_id = ?`), station, clientID).
		Scan(&x.Station, &x.ClientID, &x.Kind, &x.Code, &x.Status, &body, &at)
	if err != nil {
		return x, notFound("store: station "+station+" action "+clientID, err)
	}
	x.Response, x.At = []byte(body), fromNanos(at)
	return x, nil
}

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

// scanLockKey is the first half of the advisory lock that serialises the
// applying of one line's scans across replicas (the second is the line).
const scanLockKey = 0x5343 // "SC"

// PendingScanLines lists the lines that have stored scans not yet applied
// (migration 0240's scan_inbox, filled by a trigger as events are stored).
func (s *Store) PendingScanLines(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT line_id FROM scan_inbox ORDER BY line_id`)
	if err != nil {
		return nil, fmt.Errorf("store: pending scans: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, fmt.Errorf("store: pending scans: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ApplyNextScan takes line's oldest pending scan (by source time, then edge
// and seq) and, in one transaction, lets fn apply it through tx and records
// the ScanRecord fn returns: the scan leaves the inbox, its result is stored
// and whatever fn changed commits, all or nothing. ok is false when the line
// has nothing pending. An error from fn rolls everything back and is
// returned with the scan, which stays pending (the caller may record it
// with RecordScan). On PostgreSQL an advisory lock per line keeps replicas
// applying one line's scans one at a time, in order.
func (s *Store) ApplyNextScan(ctx context.Context, line string,
	fn func(tx domain.ScanTx, sc domain.PendingScan) (domain.ScanRecord, error)) (sc domain.PendingScan, rec domain.ScanRecord, ok bool, err error) {
	for attempt := 1; ; attempt++ {
		sc, rec, ok, err = s.applyNextScanOnce(ctx, line, fn)
		if err == nil || !s.retryable(err) || attempt == 3 || ctx.Err() != nil {
			return sc, rec, ok, err
		}
	}
}

func (s *Store) applyNextScanOnce(ctx context.Context, line string,
	fn func(tx domain.ScanTx, sc domain.PendingScan) (domain.ScanRecord, error)) (sc domain.PendingScan, rec domain.ScanRecord, ok bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return sc, rec, false, fmt.Errorf("store: apply scan on line %s: %w", line, err)
	}
	defer tx.Rollback()
	if err := s.lockScanLine(ctx, tx, line); err != nil {
		return sc, rec, false, err
	}
	var payload string
	var seq, ts int64
	err = tx.QueryRowContext(ctx, s.q(`SELECT i.edge_id, i.seq, i.source_time, e.payload
		FROM scan_inbox i JOIN events e ON e.edge_id = i.edge_id AND e.seq = i.seq
		WHERE i.line_id = ? ORDER BY i.source_time, i.edge_id, i.seq LIMIT 1`), line).Scan(&sc.EdgeID, &seq, &ts, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return sc, rec, false, nil
	}
	if err != nil {
		return sc, rec, false, fmt.Errorf("store: apply scan on line %s: %w", line, err)
	}
	sc.Seq, sc.Line, sc.SourceTime = uint64(seq), line, fromNanos(ts)
	var ev wire.Event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		return sc, rec, true, fmt.Errorf("store: scan %s/%d: payload: %w", sc.EdgeID, sc.Seq, err)
	}
	if ev.Scan != nil {
		sc.Station, sc.Operator, sc.Code, sc.Action = ev.Scan.Station, ev.Scan.Operator, ev.Scan.Code, ev.Scan.Action
	}
	taken, err := s.takeScan(ctx, tx, sc)
	if err != nil || !taken {
		return sc, rec, taken, err
	}
	rec, err = fn(&scanTx{s: s, ctx: ctx, tx: tx}, sc)
	if err != nil {
		return sc, rec, true, err
	}
	if rec, err = s.insertScanResult(ctx, tx, sc, rec); err != nil {
		return sc, rec, true, err
	}
	if err := tx.Commit(); err != nil {
		return sc, rec, true, fmt.Errorf("store: scan %s/%d: %w", sc.EdgeID, sc.Seq, err)
	}
	return sc, rec, true, nil
}

// RecordScan records what became of a pending scan that changed nothing
// (rejected, or given up as failed), taking it out of the inbox. If it is
// no longer pending (another replica got to it) nothing is written and
// recorded is false.
func (s *Store) RecordScan(ctx context.Context, sc domain.PendingScan, rec domain.ScanRecord) (out domain.ScanRecord, recorded bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return rec, false, fmt.Errorf("store: record scan %s/%d: %w", sc.EdgeID, sc.Seq, err)
	}
	defer tx.Rollback()
	if err := s.lockScanLine(ctx, tx, sc.Line); err != nil {
		return rec, false, err
	}
	taken, err := s.takeScan(ctx, tx, sc)
	if err != nil || !taken {
		return rec, false, err
	}
	if rec, err = s.insertScanResult(ctx, tx, sc, rec); err != nil {
		return rec, false, err
	}
	if err := tx.Commit(); err != nil {
		return rec, false, fmt.Errorf("store: record scan %s/%d: %w", sc.EdgeID, sc.Seq, err)
	}
	return rec, true, nil
}

func (s *Store) lockScanLine(ctx context.Context, tx *sql.Tx, line string) error {
	if !s.postgres {
		return nil // one writer
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, scanLockKey, line); err != nil {
		return fmt.Errorf("store: lock scans of line %s: %w", line, err)
	}
	return nil
}

// takeScan deletes the scan's inbox row: false if it was already gone.
// The delete is what makes applying exactly once: on PostgreSQL a second
// transaction deleting the same row waits for the first and then finds
// nothing.
func (s *Store) takeScan(ctx context.Context, tx *sql.Tx, sc domain.PendingScan) (bool, error) {
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM scan_inbox WHERE edge_id = ? AND seq = ?`), sc.EdgeID, int64(sc.Seq))
	if err != nil {
		return false, fmt.Errorf("store: scan %s/%d: %w", sc.EdgeID, sc.Seq, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) insertScanResult(ctx context.Context, tx *sql.Tx, sc domain.PendingScan, rec domain.ScanRecord) (domain.ScanRecord, error) {
	rec.EdgeID, rec.Seq, rec.Line, rec.Station, rec.Code = sc.EdgeID, sc.Seq, sc.Line, sc.Station, sc.Code
	rec.Operator, rec.Requested, rec.At, rec.AppliedAt = sc.Operator, sc.Action, sc.SourceTime.UTC(), s.now().UTC()
	// A badge is a credential: the result names its owner, never its code.
	var err error
	if rec.Code, rec.Operator, err = s.newBadgeNames(ctx, tx).redactScanned(rec.Code, rec.Operator); err != nil {
		return rec, err
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO scan_results (edge_id, seq, line_id, station_id, code, operator, requested,
			source_time, result, action, work_order_id, actor, message, applied_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		rec.EdgeID, int64(rec.Seq), rec.Line, rec.Station, rec.Code, rec.Operator, rec.Requested,
		nanos(rec.At), string(rec.Result), rec.Action, rec.WorkOrder, rec.Actor, rec.Message, nanos(rec.AppliedAt))
	if err != nil {
		return rec, fmt.Errorf("store: scan %s/%d: record result: %w", sc.EdgeID, sc.Seq, err)
	}
	return rec, nil
}

// StationScans lists the scans recorded at a station, newest (by source
// time) first, at most limit (default 50).
func (s *Store) StationScans(ctx context.Context, station string, limit int) ([]domain.ScanRecord, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT edge_id, seq, line_id, station_id, code, operator, requested, source_time,
			result, action, work_order_id, actor, message, applied_at
		FROM scan_results WHERE station_id = ? ORDER BY source_time DESC, edge_id DESC, seq DESC LIMIT ?`), station, limit)
	if err != nil {
		return nil, fmt.Errorf("store: scans at station %s: %w", station, err)
	}
	defer rows.Close()
	out := []domain.ScanRecord{}
	for rows.Next() {
		var r domain.ScanRecord
		var seq, at, applied int64
		var result string
		if err := rows.Scan(&r.EdgeID, &seq, &r.Line, &r.Station, &r.Code, &r.Operator, &r.Requested, &at,
			&result, &r.Action, &r.WorkOrder, &r.Actor, &r.Message, &applied); err != nil {
			return nil, fmt.Errorf("store: scans at station %s: %w", station, err)
		}
		r.Seq, r.At, r.AppliedAt, r.Result = uint64(seq), fromNanos(at), fromNanos(applied), domain.ScanOutcome(result)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: scans at station %s: %w", station, err)
	}
	rows.Close() // SQLite has one connection: free it for the lookups
	// Results stored before migration 0290 may hold badge codes.
	names := s.newBadgeNames(ctx, s.db)
	for i := range out {
		if out[i].Code, out[i].Operator, err = names.redactScanned(out[i].Code, out[i].Operator); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanTx is the store inside a scan's transaction (domain.ScanTx).
type scanTx struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
}

var _ domain.ScanTx = (*scanTx)(nil)

func (t *scanTx) Station(id string) (domain.Station, error) {
	var st domain.Station
	err := t.tx.QueryRowContext(t.ctx, t.s.q(`SELECT id, line_id, name FROM stations WHERE id = ?`), id).Scan(&st.ID, &st.LineID, &st.Name)
	if err != nil {
		return st, notFound("store: station "+id, err)
	}
	return st, nil
}

func (t *scanTx) UserByBadge(badge string) (domain.User, error) {
	u, err := scanUser(t.tx.QueryRowContext(t.ctx, t.s.q(`SELECT `+userColumns+` WHERE badge = ?`), t.s.badgeHash(badge)))
	if err != nil {
		return u, notFound("store: badge", err)
	}
	return u, nil
}

func (t *scanTx) User(username string) (domain.User, error) {
	u, err := scanUser(t.tx.QueryRowContext(t.ctx, t.s.q(`SELECT `+userColumns+` WHERE username = ?`), username))
	if err != nil {
		return u, notFound("store: user "+username, err)
	}
	return u, nil
}

// StationOperator is the latest of a badge scanned at a fixed scanner of
// the station (station_sign_ins) and a badge sign-in on the station's page
// (a session at the station), among those valid at time at.
func (t *scanTx) StationOperator(station string, at time.Time) (string, error) {
	var best string
	var bestAt int64
	for _, q := range []string{
		`SELECT username, signed_in_at FROM station_sign_ins WHERE station_id = ? AND signed_in_at <= ? AND expires_at > ?`,
		`SELECT username, created_at FROM sessions WHERE station_id = ? AND created_at <= ? AND expires_at > ?
			ORDER BY created_at DESC LIMIT 1`,
	} {
		var name string
		var since int64
		err := t.tx.QueryRowContext(t.ctx, t.s.q(q), station, nanos(at), nanos(at)).Scan(&name, &since)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("store: operator at station %s: %w", station, err)
		}
		if best == "" || since > bestAt {
			best, bestAt = name, since
		}
	}
	if best == "" {
		return "", fmt.Errorf("store: nobody is signed in at station %s: %w", station, domain.ErrNotFound)
	}
	return best, nil
}

// SignInAtStation records username as signed in at station from at until
// until; a sign-in that arrives late does not replace a later one.
func (t *scanTx) SignInAtStation(station, username string, at, until time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, t.s.q(`INSERT INTO station_sign_ins (station_id, username, signed_in_at, expires_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (station_id) DO UPDATE SET username = excluded.username, signed_in_at = excluded.signed_in_at,
			expires_at = excluded.expires_at
		WHERE excluded.signed_in_at >= station_sign_ins.signed_in_at`), station, username, nanos(at), nanos(until))
	if err != nil {
		return fmt.Errorf("store: sign %s in at station %s: %w", username, station, err)
	}
	return nil
}

func (t *scanTx) WorkOrder(id string) (domain.WorkOrder, error) {
	return t.s.getWorkOrderTx(t.ctx, t.tx, id)
}

func (t *scanTx) OrderRecord(number string) (domain.OrderRecord, error) {
	return t.s.loadOrderRecord(t.ctx, t.tx, number)
}

func (t *scanTx) LastAppliedScan(station, code, requested string, from, to time.Time) (domain.ScanRecord, bool, error) {
	var r domain.ScanRecord
	var seq, at int64
	err := t.tx.QueryRowContext(t.ctx, t.s.q(`SELECT edge_id, seq, action, work_order_id, message, source_time FROM scan_results
		WHERE station_id = ? AND code = ? AND requested = ? AND result = ? AND source_time >= ? AND source_time <= ?
		ORDER BY source_time DESC, edge_id DESC, seq DESC LIMIT 1`), station, code, requested, string(domain.ScanApplied), nanos(from), nanos(to)).
		Scan(&r.EdgeID, &seq, &r.Action, &r.WorkOrder, &r.Message, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("store: scans at station %s: %w", station, err)
	}
	r.Seq, r.At = uint64(seq), fromNanos(at)
	return r, true, nil
}

func (t *scanTx) LastRunBoundary(line string) (time.Time, error) {
	var started, ended int64
	err := t.tx.QueryRowContext(t.ctx, t.s.q(`SELECT COALESCE(MAX(started_at), 0), COALESCE(MAX(ended_at), 0) FROM wo_runs WHERE line_id = ?`),
		line).Scan(&started, &ended)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: runs of line %s: %w", line, err)
	}
	if b := max(started, ended); b > 0 {
		return fromNanos(b), nil
	}
	return time.Time{}, nil
}

func (t *scanTx) StartWorkOrder(id string, at time.Time, actor domain.Actor, action, reason string) (domain.WorkOrder, error) {
	return t.s.startWorkOrderAsTx(t.ctx, t.tx, id, at, actor, action, reason)
}

func (t *scanTx) StopWorkOrder(id string, at time.Time, actor domain.Actor, action, reason string) (domain.WorkOrder, error) {
	return t.s.stopWorkOrderAsTx(t.ctx, t.tx, id, at, actor, action, reason)
}

func (t *scanTx) ChangeOrder(number string, actor domain.Actor, fn func(rec *domain.OrderRecord) (domain.OrderChange, error)) (domain.OrderRecord, error) {
	_, after, err := t.s.changeOrderTx(t.ctx, t.tx, number, actor, fn)
	return after, err
}

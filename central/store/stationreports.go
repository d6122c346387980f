package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

// ClaimStationReport gives a manual report its event sequence number and
// records it with its audit entry, in one transaction. A report whose
// (edge, client id) was recorded before comes back as it was (fresh
// false), so a retry reuses the first's sequence number and ingest's
// dedupe on (edge, seq) makes both one event, even when the first attempt
// died before its event was applied. The next number is the edge's highest
// plus one; two reports racing for it collide on the unique key and the
// loser tries again.
func (s *Store) ClaimStationReport(ctx context.Context, r domain.StationReport, actor domain.Actor) (out domain.StationReport, fresh bool, err error) {
	for attempt := 0; ; attempt++ {
		out, fresh, err = s.claimStationReportOnce(ctx, r, actor)
		if err == nil || !isUnique(err) || attempt == 4 {
			return out, fresh, err
		}
	}
}

func (s *Store) claimStationReportOnce(ctx context.Context, r domain.StationReport, actor domain.Actor) (domain.StationReport, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return r, false, fmt.Errorf("store: station report at %s: %w", r.Station, err)
	}
	defer tx.Rollback()
	prev, err := s.stationReport(ctx, tx, r.EdgeID, r.ClientID)
	if err == nil {
		return prev, false, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return r, false, err
	}
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(seq) FROM station_reports WHERE edge_id = ?`), r.EdgeID).Scan(&last); err != nil {
		return r, false, fmt.Errorf("store: station report at %s: %w", r.Station, err)
	}
	r.Seq = uint64(last.Int64) + 1
	if r.At.IsZero() {
		r.At = s.now()
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO station_reports
		(edge_id, seq, client_id, station_id, line_id, work_order_id, kind, good, reject, state, reason, actor, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.EdgeID, int64(r.Seq), r.ClientID, r.Station, r.Line, r.WorkOrder, r.Kind, r.Good, r.Reject, r.State, r.Reason, r.Actor, nanos(r.At)); err != nil {
		return r, false, fmt.Errorf("store: station report at %s: %w", r.Station, err)
	}
	// A qc event's inspection is audited itself (RecordInspection).
	if r.Kind == "qc" {
		return r, true, tx.Commit()
	}
	entity, id := "line", r.Line
	if r.WorkOrder != "" {
		entity, id = "work_order", r.WorkOrder
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: r.At, Actor: actor.Name, Role: actor.Role, Entity: entity, EntityID: id,
		Action: "report_" + r.Kind, Reason: r.Reason, After: snapshot(r)}); err != nil {
		return r, false, err
	}
	if err := tx.Commit(); err != nil {
		return r, false, fmt.Errorf("store: station report at %s: %w", r.Station, err)
	}
	return r, true, nil
}

func (s *Store) stationReport(ctx context.Context, q dbtx, edge, clientID string) (domain.StationReport, error) {
	var r domain.StationReport
	var seq, at int64
	err := q.QueryRowContext(ctx, s.q(`SELECT edge_id, seq, client_id, station_id, line_id, work_order_id, kind, good, reject, state, reason, actor, created_at
		FROM station_reports WHERE edge_id = ? AND client_id = ?`), edge, clientID).
		Scan(&r.EdgeID, &seq, &r.ClientID, &r.Station, &r.Line, &r.WorkOrder, &r.Kind, &r.Good, &r.Reject, &r.State, &r.Reason, &r.Actor, &at)
	if err != nil {
		return r, notFound("store: station report "+clientID, err)
	}
	r.Seq, r.At = uint64(seq), fromNanos(at)
	return r, nil
}

// StationReports lists a work order's manual reports, oldest first.
func (s *Store) StationReports(ctx context.Context, workOrder string) ([]domain.StationReport, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT edge_id, seq, client_id, station_id, line_id, work_order_id, kind, good, reject, state, reason, actor, created_at
		FROM station_reports WHERE work_order_id = ? ORDER BY created_at, seq`), workOrder)
	if err != nil {
		return nil, fmt.Errorf("store: station reports of %s: %w", workOrder, err)
	}
	defer rows.Close()
	out := []domain.StationReport{}
	for rows.Next() {
		var r domain.StationReport
		var seq, at int64
		if err := rows.Scan(&r.EdgeID, &seq, &r.ClientID, &r.Station, &r.Line, &r.WorkOrder, &r.Kind, &r.Good, &r.Reject, &r.State, &r.Reason, &r.Actor, &at); err != nil {
			return nil, fmt.Errorf("store: station reports of %s: %w", workOrder, err)
		}
		r.Seq, r.At = uint64(seq), fromNanos(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

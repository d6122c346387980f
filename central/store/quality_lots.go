package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Holds on lots. A lot's hold blocks the lot in inv_lots in the hold's
// transaction (the station refuses to load or issue a blocked lot), and
// releasing the hold releases the lot, both audited like quality's own
// decisions on a lot (POST /api/v1/lots/{id}/status).

func (s *Store) insertLotHold(ctx context.Context, tx *sql.Tx, h domain.Hold, actor domain.Actor) error {
	var status string
	err := tx.QueryRowContext(ctx, s.q(`SELECT status FROM inv_lots WHERE id = ?`), h.Lot).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("lot %s does not exist: %w", h.Lot, domain.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: lot %s: %w", h.Lot, err)
	}
	if domain.LotStatus(status) == domain.LotConsumed {
		return fmt.Errorf("lot %s is consumed: nothing is left to hold: %w", h.Lot, domain.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO quality_holds (id, work_order_id, lot_id, line_id, reason, inspection_id, opened_by, opened_at)
		VALUES (?, '', ?, ?, ?, ?, ?, ?)`), h.ID, h.Lot, h.Line, h.Reason, h.Inspection, h.OpenedBy, nanos(h.OpenedAt)); err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: lot %s is already on hold: %w", h.Lot, errLotHeld)
		}
		return fmt.Errorf("store: hold on lot %s: %w", h.Lot, err)
	}
	if err := s.setHeldLot(ctx, tx, h.Lot, domain.LotStatus(status), domain.LotBlocked, "quality hold "+h.ID+": "+h.Reason, actor, h.OpenedAt); err != nil {
		return err
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{At: h.OpenedAt, Actor: actor.Name, Role: actor.Role, Entity: "lot",
		EntityID: h.Lot, Action: "hold", Reason: h.Reason, After: snapshot(h)})
}

// setHeldLot moves lot from status from to status to (nothing when it is
// no longer in from: quality may have decided on it meanwhile), audited.
func (s *Store) setHeldLot(ctx context.Context, tx *sql.Tx, lot string, from, to domain.LotStatus, reason string, actor domain.Actor, at time.Time) error {
	if from == to {
		return nil
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE inv_lots SET status = ?, updated_at = ? WHERE id = ? AND status = ?`), string(to), nanos(at), lot, string(from))
	if err != nil {
		return fmt.Errorf("store: lot %s status: %w", lot, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return s.writeAudit(ctx, tx, domain.AuditEntry{At: at, Actor: actor.Name, Role: actor.Role, Entity: "lot", EntityID: lot,
		Action: "status_" + string(to), Reason: reason, Before: snapshot(map[string]any{"status": from}), After: snapshot(map[string]any{"status": to})})
}

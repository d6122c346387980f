package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
)

func (s *Store) routing(ctx context.Context, q dbtx, product string) ([]domain.RoutingOp, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT product_code, seq, name, line_id, ideal_cycle_ns, setup_ns, overlap_qty
		FROM routings WHERE product_code = ? ORDER BY seq`), product)
	if err != nil {
		return nil, fmt.Errorf("store: routing of product %s: %w", product, err)
	}
	defer rows.Close()
	out := []domain.RoutingOp{}
	for rows.Next() {
		var op domain.RoutingOp
		var cycle, setup int64
		var overlap sql.NullInt64
		if err := rows.Scan(&op.ProductCode, &op.Seq, &op.Name, &op.LineID, &cycle, &setup, &overlap); err != nil {
			return nil, fmt.Errorf("store: routing of product %s: %w", product, err)
		}
		if overlap.Valid {
			op.OverlapQty = &overlap.Int64
		}
		op.IdealCycle, op.Setup = time.Duration(cycle), time.Duration(setup)
		out = append(out, op)
	}
	return out, rows.Err()
}

// Routing returns a product's operations by sequence.
func (s *Store) Routing(ctx context.Context, product string) ([]domain.RoutingOp, error) {
	return s.routing(ctx, s.db, product)
}

// SetRouting replaces a product's routing.
func (s *Store) SetRouting(ctx context.Context, product string, ops []domain.RoutingOp) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: set routing of %s: %w", product, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM routings WHERE product_code = ?`), product); err != nil {
		return fmt.Errorf("store: set routing of %s: %w", product, err)
	}
	for _, op := range ops {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO routings (product_code, seq, name, line_id, ideal_cycle_ns, setup_ns, overlap_qty)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), product, op.Seq, op.Name, op.LineID, int64(op.IdealCycle), int64(op.Setup), nullInt(op.OverlapQty))
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("store: routing of %s has operation %d twice: %w", product, op.Seq, domain.ErrConflict)
			}
			return fmt.Errorf("store: set routing of %s: %w", product, err)
		}
	}
	return tx.Commit()
}

// CreateStation adds a station on a line.
func (s *Store) CreateStation(ctx context.Context, st domain.Station) error {
	return s.insert(ctx, "station "+st.ID, `INSERT INTO stations (id, line_id, name) VALUES (?, ?, ?)`, st.ID, st.LineID, st.Name)
}

// GetStation returns a station; domain.ErrNotFound if absent.
func (s *Store) GetStation(ctx context.Context, id string) (domain.Station, error) {
	var st domain.Station
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, line_id, name FROM stations WHERE id = ?`), id).Scan(&st.ID, &st.LineID, &st.Name)
	if err != nil {
		return st, notFound("store: station "+id, err)
	}
	return st, nil
}

// RecordScrap adds parts an operator scrapped to a work order's rejects, with
// the reason, and audits it, in one transaction. The count moves by
// increment so it cannot lose a concurrent ingest update.
func (s *Store) RecordScrap(ctx context.Context, workOrder string, qty int64, reason string, actor domain.Actor) (domain.WorkOrder, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.WorkOrder{}, fmt.Errorf("store: scrap on %s: %w", workOrder, err)
	}
	defer tx.Rollback()
	before, err := s.getWorkOrderTx(ctx, tx, workOrder)
	if err != nil {
		return before, err
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE work_orders SET reject = reject + ? WHERE id = ?`), qty, workOrder); err != nil {
		return before, fmt.Errorf("store: scrap on %s: %w", workOrder, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO scrap_records (id, work_order_id, quantity, reason, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?)`), fmt.Sprintf("%019d-%s", now.UnixNano(), randomSuffix()), workOrder, qty, reason, actor.Name, nanos(now)); err != nil {
		return before, fmt.Errorf("store: scrap on %s: %w", workOrder, err)
	}
	// Scrapped parts consumed their components (backflush).
	if err := s.runCountHooks(ctx, tx, []WorkOrderCount{{WorkOrder: workOrder, Reject: qty, At: now}}); err != nil {
		return before, err
	}
	after, err := s.getWorkOrderTx(ctx, tx, workOrder)
	if err != nil {
		return before, err
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "work_order",
		EntityID: workOrder, Action: "scrap", Reason: reason, Before: snapshot(before), After: snapshot(after)}); err != nil {
		return before, err
	}
	if err := tx.Commit(); err != nil {
		return before, fmt.Errorf("store: scrap on %s: %w", workOrder, err)
	}
	return after, nil
}

// orderStatus reads an order's status.
func (s *Store) orderStatus(ctx context.Context, q dbtx, number string) (domain.OrderStatus, error) {
	var st string
	err := q.QueryRowContext(ctx, s.q(`SELECT status FROM orders WHERE number = ?`), number).Scan(&st)
	if err != nil {
		return "", notFound("store: order "+number, err)
	}
	return domain.OrderStatus(st), nil
}

// StartWorkOrderAs starts a work order (StartWorkOrder) and audits the work
// order's and, if it moved, its order's status change, in one transaction.
func (s *Store) StartWorkOrderAs(ctx context.Context, id string, at time.Time, actor domain.Actor, action string) (domain.WorkOrder, error) {
	return s.inTx(ctx, "start work order "+id, func(tx *sql.Tx) (domain.WorkOrder, error) {
		return s.startWorkOrderAsTx(ctx, tx, id, at, actor, action, "")
	})
}

// StopWorkOrderAs stops a work order (StopWorkOrder) and audits it, in one
// transaction.
func (s *Store) StopWorkOrderAs(ctx context.Context, id string, at time.Time, actor domain.Actor, action string) (domain.WorkOrder, error) {
	return s.inTx(ctx, "stop work order "+id, func(tx *sql.Tx) (domain.WorkOrder, error) {
		return s.stopWorkOrderAsTx(ctx, tx, id, at, actor, action, "")
	})
}

// inTx runs fn in a transaction and commits what it did unless it failed.
func (s *Store) inTx(ctx context.Context, what string, fn func(tx *sql.Tx) (domain.WorkOrder, error)) (domain.WorkOrder, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.WorkOrder{}, fmt.Errorf("store: %s: %w", what, err)
	}
	defer tx.Rollback()
	w, err := fn(tx)
	if err != nil {
		return w, err
	}
	if err := tx.Commit(); err != nil {
		return w, fmt.Errorf("store: %s: %w", what, err)
	}
	return w, nil
}

func (s *Store) startWorkOrderAsTx(ctx context.Context, tx *sql.Tx, id string, at time.Time, actor domain.Actor, action, reason string) (domain.WorkOrder, error) {
	return s.runAudited(ctx, tx, id, actor, action, reason, func() error {
		if err := s.startWorkOrderTx(ctx, tx, id, at); err != nil {
			return err
		}
		// Who started the run, for labour time per operator (settlement).
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE wo_runs SET started_by = ? WHERE work_order_id = ? AND started_at = ?`),
			operatorName(actor), id, nanos(at)); err != nil {
			return fmt.Errorf("store: start work order %s: record operator: %w", id, err)
		}
		return nil
	})
}

func (s *Store) stopWorkOrderAsTx(ctx context.Context, tx *sql.Tx, id string, at time.Time, actor domain.Actor, action, reason string) (domain.WorkOrder, error) {
	return s.runAudited(ctx, tx, id, actor, action, reason, func() error {
		if err := s.stopWorkOrderTx(ctx, tx, id, at); err != nil {
			return err
		}
		if action == domain.ActionPauseOrder {
			return s.markPausedByOrder(ctx, tx, id)
		}
		return nil
	})
}

func (s *Store) runAudited(ctx context.Context, tx *sql.Tx, id string, actor domain.Actor, action, reason string, do func() error) (domain.WorkOrder, error) {
	before, err := s.getWorkOrderTx(ctx, tx, id)
	if err != nil {
		return before, err
	}
	orderBefore, err := s.orderStatus(ctx, tx, before.OrderNumber)
	if err != nil {
		return before, err
	}
	if err := do(); err != nil {
		return before, err
	}
	after, err := s.getWorkOrderTx(ctx, tx, id)
	if err != nil {
		return before, err
	}
	now := s.now()
	entries := []domain.AuditEntry{{At: now, Actor: actor.Name, Role: actor.Role, Entity: "work_order", EntityID: id,
		Action: action, Reason: reason, Before: snapshot(before), After: snapshot(after)}}
	orderAfter, err := s.orderStatus(ctx, tx, before.OrderNumber)
	if err != nil {
		return before, err
	}
	if orderAfter != orderBefore {
		entries = append(entries, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "order",
			EntityID: before.OrderNumber, Action: action, Reason: reason,
			Before: snapshot(map[string]any{"status": orderBefore}), After: snapshot(map[string]any{"status": orderAfter})})
	}
	for _, e := range entries {
		if err := s.writeAudit(ctx, tx, e); err != nil {
			return before, err
		}
	}
	return after, nil
}

// operatorName is who labour is booked to: a scan through a fixed
// scanner's token acts as "op1 via token:scanner-l1", and the labour is op1's.
func operatorName(a domain.Actor) string {
	name, _, _ := strings.Cut(a.Name, " via ")
	return name
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Planning: the input rows the planner reads, schedule proposals, and the
// approved plan. Approving writes the plan's work-order times, the proposal's
// status, the new current plan and an audit entry in one transaction.

// PlanningWork returns every work order that is not completed, closed or
// cancelled, of an order that is scheduled, released, in progress or paused,
// and, for a scheduled order without work orders yet, one tentative entry
// per routing operation (see tentativeWork), by order number and operation.
func (s *Store) PlanningWork(ctx context.Context) ([]domain.PlanWork, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT w.id, w.order_number, w.operation_seq, w.line_id, w.quantity, w.good,
			w.status, w.planned_start, w.planned_end, w.actual_start,
			o.status, o.due_at, o.priority, o.product_code, p.name,
			CASE WHEN COALESCE(r.ideal_cycle_ns, 0) > 0 THEN r.ideal_cycle_ns ELSE p.ideal_cycle_ns END,
			COALESCE(r.setup_ns, 0), CASE WHEN p.family <> '' THEN p.family ELSE p.code END
		FROM work_orders w
		JOIN orders o ON o.number = w.order_number
		JOIN products p ON p.code = o.product_code
		LEFT JOIN routings r ON r.product_code = o.product_code AND r.seq = w.operation_seq
		WHERE o.status IN (?, ?, ?, ?) AND w.status NOT IN (?, ?, ?)
		ORDER BY w.order_number, w.operation_seq, w.id`),
		string(domain.StatusScheduled), string(domain.StatusReleased), string(domain.StatusInProgress), string(domain.StatusPaused),
		string(domain.StatusCompleted), string(domain.StatusClosed), string(domain.StatusCancelled))
	if err != nil {
		return nil, fmt.Errorf("store: planning work: %w", err)
	}
	defer rows.Close()
	var out []domain.PlanWork
	for rows.Next() {
		var w domain.PlanWork
		var status, ostatus string
		var ps, pe, as, due sql.NullInt64
		var cycle, setup int64
		if err := rows.Scan(&w.WorkOrderID, &w.OrderNumber, &w.OperationSeq, &w.LineID, &w.Quantity, &w.Good,
			&status, &ps, &pe, &as, &ostatus, &due, &w.Priority, &w.ProductCode, &w.ProductName, &cycle, &setup, &w.Family); err != nil {
			return nil, fmt.Errorf("store: planning work: %w", err)
		}
		w.Status, w.OrderStatus = domain.OrderStatus(status), domain.OrderStatus(ostatus)
		w.PlannedStart, w.PlannedEnd, w.ActualStart, w.Due = fromNull(ps), fromNull(pe), fromNull(as), fromNull(due)
		w.IdealCycle, w.Setup = time.Duration(cycle), time.Duration(setup)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: planning work: %w", err)
	}
	rows.Close()
	tent, err := s.tentativeWork(ctx)
	if err != nil || len(tent) == 0 {
		return out, err
	}
	out = append(out, tent...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].OrderNumber != out[j].OrderNumber {
			return out[i].OrderNumber < out[j].OrderNumber
		}
		return out[i].OperationSeq < out[j].OperationSeq
	})
	return out, nil
}

// CurrentPlan returns the approved plan; ok is false before the first approval.
func (s *Store) CurrentPlan(ctx context.Context) (p domain.CurrentPlan, ok bool, err error) {
	var at int64
	var doc string
	err = s.db.QueryRowContext(ctx, `SELECT version, proposal_id, applied_at, plan_json FROM plan_current WHERE id = 1`).
		Scan(&p.Version, &p.ProposalID, &at, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("store: current plan: %w", err)
	}
	p.AppliedAt, p.Plan = fromNanos(at), json.RawMessage(doc)
	return p, true, nil
}

// CreateProposal stores a pending proposal; ID and CreatedAt are filled if empty.
func (s *Store) CreateProposal(ctx context.Context, p domain.PlanProposal) (domain.PlanProposal, error) {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	if p.ID == "" {
		p.ID = fmt.Sprintf("P%019d-%s", p.CreatedAt.UnixNano(), randomSuffix()[:6])
	}
	p.Status = domain.ProposalPending
	var prio sql.NullInt64
	if p.RushPriority != nil {
		prio = sql.NullInt64{Int64: int64(*p.RushPriority), Valid: true}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return p, fmt.Errorf("store: proposal %s: %w", p.ID, err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO plan_proposals
		(id, kind, reason, line_id, rush_order, rush_priority, rush_due, base_version, status, created_at, plan_json, diff_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		p.ID, p.Kind, p.Reason, p.LineID, p.RushOrder, prio, nullNanos(p.RushDue), p.BaseVersion, p.Status,
		nanos(p.CreatedAt), string(p.Plan), string(p.Diff))
	if isUnique(err) {
		return p, fmt.Errorf("store: proposal %s already exists: %w", p.ID, domain.ErrConflict)
	}
	if err != nil {
		return p, fmt.Errorf("store: proposal %s: %w", p.ID, err)
	}
	// A newer proposal about a line (a breakdown, behind plan) supersedes
	// the pending ones about the same line: a stale one never blocks the
	// plan a breakdown needs. Proposals about no line (asked for by a
	// planner, an order change, a rush) stand side by side until decided
	// or expired.
	if p.LineID != "" {
		if err := s.closePending(ctx, tx, `line_id = ? AND id <> ?`, []any{p.LineID, p.ID}, domain.ProposalSuperseded, p.ID, p.CreatedAt,
			"superseded by "+p.ID); err != nil {
			return p, err
		}
	}
	if err := tx.Commit(); err != nil {
		return p, fmt.Errorf("store: proposal %s: %w", p.ID, err)
	}
	return p, nil
}

// ExpireProposals marks every proposal still pending that was created
// before before as expired, audited; it returns how many.
func (s *Store) ExpireProposals(ctx context.Context, before, at time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: expire proposals: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM plan_proposals WHERE status = ? AND created_at < ?`),
		domain.ProposalPending, nanos(before)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: expire proposals: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := s.closePending(ctx, tx, `created_at < ?`, []any{nanos(before)}, domain.ProposalExpired, "", at,
		"pending since before "+before.UTC().Format(time.RFC3339)); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// closePending moves the pending proposals matching where to status, each
// audited against the system with why.
func (s *Store) closePending(ctx context.Context, tx *sql.Tx, where string, args []any, status, by string, at time.Time, why string) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM plan_proposals WHERE status = ? AND `+where), append([]any{domain.ProposalPending}, args...)...)
	if err != nil {
		return fmt.Errorf("store: close pending proposals: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("store: close pending proposals: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: close pending proposals: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE plan_proposals SET status = ?, superseded_by = ?, decided_at = ?, decided_by = ?
			WHERE id = ? AND status = ?`), status, by, nanos(at), domain.SystemActor, id, domain.ProposalPending); err != nil {
			return fmt.Errorf("store: close proposal %s: %w", id, err)
		}
		action := "supersede"
		if status == domain.ProposalExpired {
			action = "expire"
		}
		after, _ := json.Marshal(map[string]any{"status": status, "superseded_by": by})
		before, _ := json.Marshal(map[string]any{"status": domain.ProposalPending})
		if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: at, Actor: domain.SystemActor, Entity: "plan_proposal",
			EntityID: id, Action: action, Reason: why, Before: before, After: after}); err != nil {
			return err
		}
	}
	return nil
}

const proposalColumns = `id, kind, reason, line_id, rush_order, rush_priority, rush_due, base_version, status,
	created_at, decided_at, decided_by, superseded_by, plan_json, diff_json FROM plan_proposals`

func scanProposal(sc interface{ Scan(...any) error }) (domain.PlanProposal, error) {
	var p domain.PlanProposal
	var prio, due, decided sql.NullInt64
	var created int64
	var plan, diff string
	err := sc.Scan(&p.ID, &p.Kind, &p.Reason, &p.LineID, &p.RushOrder, &prio, &due, &p.BaseVersion, &p.Status,
		&created, &decided, &p.DecidedBy, &p.SupersededBy, &plan, &diff)
	if prio.Valid {
		v := int(prio.Int64)
		p.RushPriority = &v
	}
	p.RushDue, p.DecidedAt, p.CreatedAt = fromNull(due), fromNull(decided), fromNanos(created)
	p.Plan, p.Diff = json.RawMessage(plan), json.RawMessage(diff)
	return p, err
}

// GetProposal returns one proposal; domain.ErrNotFound if absent.
func (s *Store) GetProposal(ctx context.Context, id string) (domain.PlanProposal, error) {
	p, err := scanProposal(s.db.QueryRowContext(ctx, s.q(`SELECT `+proposalColumns+` WHERE id = ?`), id))
	if err != nil {
		return p, notFound("store: proposal "+id, err)
	}
	return p, nil
}

// ListProposals returns proposals with the status ("" for all), newest first,
// at most limit (default 50).
func (s *Store) ListProposals(ctx context.Context, status string, limit int) ([]domain.PlanProposal, error) {
	if limit <= 0 {
		limit = 50
	}
	query, args := `SELECT `+proposalColumns, []any{}
	if status != "" {
		query += ` WHERE status = ?`
		args = append(args, status)
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list proposals: %w", err)
	}
	defer rows.Close()
	out := []domain.PlanProposal{}
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list proposals: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// HasPendingProposal reports whether a pending proposal of one of kinds
// exists for the line.
func (s *Store) HasPendingProposal(ctx context.Context, line string, kinds ...string) (bool, error) {
	for _, k := range kinds {
		var n int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM plan_proposals WHERE line_id = ? AND kind = ? AND status = ?`),
			line, k, domain.ProposalPending).Scan(&n); err != nil {
			return false, fmt.Errorf("store: pending proposals of line %s: %w", line, err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// ApproveProposal makes a pending proposal the current plan: it moves the
// version on by one (only if it still is the proposal's base version, else
// domain.ErrConflict: the proposal is stale), writes the work orders' planned
// line, start and end, applies a rush proposal's priority and due date to its
// order, marks the proposal approved and records the audit entry — all in one
// transaction. It returns the new version.
func (s *Store) ApproveProposal(ctx context.Context, a domain.PlanApproval) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: approve proposal %s: %w", a.ProposalID, err)
	}
	defer tx.Rollback()
	fail := func(err error) (int64, error) {
		return 0, fmt.Errorf("store: approve proposal %s: %w", a.ProposalID, err)
	}
	p, err := scanProposal(tx.QueryRowContext(ctx, s.q(`SELECT `+proposalColumns+` WHERE id = ?`), a.ProposalID))
	if err != nil {
		return 0, notFound("store: proposal "+a.ProposalID, err)
	}
	if p.Status != domain.ProposalPending {
		return fail(fmt.Errorf("it is %s: %w", p.Status, domain.ErrConflict))
	}
	at := a.At
	if at.IsZero() {
		at = s.now()
	}
	next := p.BaseVersion + 1
	if p.BaseVersion == 0 {
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO plan_current (id, version, proposal_id, applied_at, plan_json) VALUES (1, ?, ?, ?, ?)`),
			next, p.ID, nanos(at), string(p.Plan))
		if isUnique(err) {
			return fail(fmt.Errorf("another plan was approved after it was computed: %w", domain.ErrConflict))
		}
		if err != nil {
			return fail(err)
		}
	} else {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE plan_current SET version = ?, proposal_id = ?, applied_at = ?, plan_json = ?
			WHERE id = 1 AND version = ?`), next, p.ID, nanos(at), string(p.Plan), p.BaseVersion)
		if err != nil {
			return fail(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fail(err)
		} else if n == 0 {
			return fail(fmt.Errorf("another plan was approved after it was computed: %w", domain.ErrConflict))
		}
	}
	for _, w := range a.WorkOrders {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE work_orders SET line_id = ?, planned_start = ?, planned_end = ? WHERE id = ?`),
			w.LineID, nanos(w.Start), nanos(w.End), w.WorkOrderID)
		if err != nil {
			return fail(fmt.Errorf("work order %s: %w", w.WorkOrderID, err))
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 && !w.Tentative {
			return fail(fmt.Errorf("work order %s no longer exists: %w", w.WorkOrderID, domain.ErrConflict))
		}
	}
	if p.RushOrder != "" {
		// Audits the priority and due date it changes, before changing them.
		a.At = at
		if err := s.approveRushTx(ctx, tx, p, a); err != nil { // rush.go
			return 0, err
		}
		var prio any
		if p.RushPriority != nil {
			prio = *p.RushPriority
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE orders SET priority = COALESCE(?, priority), due_at = COALESCE(?, due_at) WHERE number = ?`),
			prio, nullNanos(p.RushDue), p.RushOrder)
		if err != nil {
			return fail(fmt.Errorf("rush order %s: %w", p.RushOrder, err))
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fail(fmt.Errorf("rush order %s no longer exists: %w", p.RushOrder, domain.ErrConflict))
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE plan_proposals SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = ?`),
		domain.ProposalApproved, nanos(at), a.By.Name, p.ID, domain.ProposalPending)
	if err != nil {
		return fail(err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fail(fmt.Errorf("it was decided meanwhile: %w", domain.ErrConflict))
	}
	before, _ := json.Marshal(map[string]any{"version": p.BaseVersion})
	after, _ := json.Marshal(map[string]any{"version": next, "work_orders": len(a.WorkOrders), "rush_order": p.RushOrder})
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: at, Actor: a.By.Name, Role: a.By.Role, Entity: "plan_proposal",
		EntityID: p.ID, Action: "approve", Reason: p.Reason, Before: before, After: after}); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return next, nil
}

// RejectProposal marks a pending proposal rejected and records who did it;
// nothing else changes. domain.ErrConflict if it is not pending.
func (s *Store) RejectProposal(ctx context.Context, id string, by domain.Actor, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: reject proposal %s: %w", id, err)
	}
	defer tx.Rollback()
	if at.IsZero() {
		at = s.now()
	}
	var status, reason string
	err = tx.QueryRowContext(ctx, s.q(`SELECT status, reason FROM plan_proposals WHERE id = ?`), id).Scan(&status, &reason)
	if err != nil {
		return notFound("store: proposal "+id, err)
	}
	if status != domain.ProposalPending {
		return fmt.Errorf("store: reject proposal %s: it is %s: %w", id, status, domain.ErrConflict)
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE plan_proposals SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = ?`),
		domain.ProposalRejected, nanos(at), by.Name, id, domain.ProposalPending)
	if err != nil {
		return fmt.Errorf("store: reject proposal %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: reject proposal %s: it was decided meanwhile: %w", id, domain.ErrConflict)
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: at, Actor: by.Name, Role: by.Role, Entity: "plan_proposal",
		EntityID: id, Action: "reject", Reason: reason}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: reject proposal %s: %w", id, err)
	}
	return nil
}

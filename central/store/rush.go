package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/linewise/linewise/central/domain"
)

const rushColumns = `proposal_id, order_number, requested_by, requested_role, requested_at, reason, rush_line, status,
	decided_by, decided_role, decided_at, comment FROM rush_requests`

func scanRush(sc interface{ Scan(...any) error }) (domain.RushRequest, error) {
	var r domain.RushRequest
	var role, drole string
	var at int64
	var decided sql.NullInt64
	err := sc.Scan(&r.ProposalID, &r.Order, &r.RequestedBy, &role, &at, &r.Reason, &r.Line, &r.Status, &r.DecidedBy, &drole, &decided, &r.Comment)
	r.RequestedRole, r.DecidedRole, r.RequestedAt, r.DecidedAt = domain.Role(role), domain.Role(drole), fromNanos(at), fromNull(decided)
	return r, err
}

// CreateRushRequest records who asked for a rush proposal, audited.
func (s *Store) CreateRushRequest(ctx context.Context, r domain.RushRequest) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: rush request %s: %w", r.ProposalID, err)
	}
	defer tx.Rollback()
	r.Status = domain.RushPending
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO rush_requests (proposal_id, order_number, requested_by, requested_role, requested_at, reason, rush_line, status)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), r.ProposalID, r.Order, r.RequestedBy, string(r.RequestedRole), nanos(r.RequestedAt), r.Reason, r.Line, r.Status)
	if isUnique(err) {
		return fmt.Errorf("store: proposal %s has a rush request already: %w", r.ProposalID, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: rush request %s: %w", r.ProposalID, err)
	}
	after, _ := json.Marshal(r)
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{At: r.RequestedAt, Actor: r.RequestedBy, Role: r.RequestedRole, Entity: "order",
		EntityID: r.Order, Action: "rush_request", Reason: r.Reason, After: after}); err != nil {
		return err
	}
	return tx.Commit()
}

// GetRushRequest returns the request of a rush proposal.
func (s *Store) GetRushRequest(ctx context.Context, proposalID string) (domain.RushRequest, error) {
	r, err := scanRush(s.db.QueryRowContext(ctx, s.q(`SELECT `+rushColumns+` WHERE proposal_id = ?`), proposalID))
	if err != nil {
		return r, notFound("store: rush request "+proposalID, err)
	}
	return r, nil
}

// ListRushRequests lists requests with status ("" for all), newest first.
func (s *Store) ListRushRequests(ctx context.Context, status string, limit int) ([]domain.RushRequest, error) {
	q, args := `SELECT `+rushColumns, []any{}
	if status != "" {
		q += ` WHERE status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY requested_at DESC, proposal_id LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: rush requests: %w", err)
	}
	defer rows.Close()
	out := []domain.RushRequest{}
	for rows.Next() {
		r, err := scanRush(rows)
		if err != nil {
			return nil, fmt.Errorf("store: rush requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RejectRushRequest marks a pending request rejected by by with comment,
// audited on the order.
func (s *Store) RejectRushRequest(ctx context.Context, proposalID string, by domain.Actor, comment string) (domain.RushRequest, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return domain.RushRequest{}, err
	}
	defer tx.Rollback()
	r, err := s.decideRushTx(ctx, tx, proposalID, domain.RushRejected, by, comment)
	if err != nil {
		return r, err
	}
	return r, tx.Commit()
}

// decideRushTx sets a pending request's decision in tx and audits it on
// the order; domain.ErrConflict if it was decided already.
func (s *Store) decideRushTx(ctx context.Context, tx *sql.Tx, proposalID, status string, by domain.Actor, comment string) (domain.RushRequest, error) {
	at := s.now()
	res, err := tx.ExecContext(ctx, s.q(`UPDATE rush_requests SET status = ?, decided_by = ?, decided_role = ?, decided_at = ?, comment = ?
		WHERE proposal_id = ? AND status = ?`), status, by.Name, string(by.Role), nanos(at), comment, proposalID, domain.RushPending)
	if err != nil {
		return domain.RushRequest{}, fmt.Errorf("store: decide rush request %s: %w", proposalID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return domain.RushRequest{}, fmt.Errorf("store: rush request %s is not pending: %w", proposalID, domain.ErrConflict)
	}
	r, err := scanRush(tx.QueryRowContext(ctx, s.q(`SELECT `+rushColumns+` WHERE proposal_id = ?`), proposalID))
	if err != nil {
		return r, fmt.Errorf("store: rush request %s: %w", proposalID, err)
	}
	after, _ := json.Marshal(map[string]any{"status": status, "requested_by": r.RequestedBy, "proposal": proposalID})
	return r, s.writeAudit(ctx, tx, domain.AuditEntry{At: at, Actor: by.Name, Role: by.Role, Entity: "order", EntityID: r.Order,
		Action: "rush_" + status, Reason: comment, After: after})
}

// approveRushTx, inside a rush proposal's approval: the order's priority
// and due date before and after go into the order's audit trail, and the
// proposal's request (if any) is marked approved by the approver with
// the approval's comment.
func (s *Store) approveRushTx(ctx context.Context, tx *sql.Tx, p domain.PlanProposal, a domain.PlanApproval) error {
	var prio int
	var due sql.NullInt64
	if err := tx.QueryRowContext(ctx, s.q(`SELECT priority, due_at FROM orders WHERE number = ?`), p.RushOrder).Scan(&prio, &due); err != nil {
		return notFound("store: rush order "+p.RushOrder, err)
	}
	before := map[string]any{"priority": prio, "due": fromNull(due)}
	after := map[string]any{"priority": prio, "due": fromNull(due), "proposal": p.ID}
	if p.RushPriority != nil {
		after["priority"] = *p.RushPriority
	}
	if p.RushDue != nil {
		after["due"] = p.RushDue.UTC()
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM rush_requests WHERE proposal_id = ?`), p.ID).Scan(&n); err != nil {
		return err
	}
	reason := a.Comment
	if n > 0 {
		r, err := s.decideRushTx(ctx, tx, p.ID, domain.RushApproved, a.By, a.Comment)
		if err != nil {
			return err
		}
		after["requested_by"] = r.RequestedBy
		if r.Line != "" {
			after["rush_line"] = r.Line
		}
	}
	b, _ := json.Marshal(before)
	af, _ := json.Marshal(after)
	return s.writeAudit(ctx, tx, domain.AuditEntry{At: a.At, Actor: a.By.Name, Role: a.By.Role, Entity: "order", EntityID: p.RushOrder,
		Action: "rush", Reason: reason, Before: b, After: af})
}

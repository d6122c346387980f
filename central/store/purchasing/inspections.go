package purchasing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// InspectionRequest is quality's entry for a received lot.
type InspectionRequest struct {
	Results  []domain.InspectionResult `json:"results"`
	Decision domain.InspectionDecision `json:"decision"`
	Reason   string                    `json:"reason"`
	// To: where accepted stock goes; empty: the first warehouse location.
	To string `json:"to"`
}

// Inspect records the incoming inspection of a receipt's lot: the sample's
// measured values per characteristic of the material's plan (each within
// its physical bounds), and the decision. Accept (or accept with a
// deviation, with its reason) releases the lot and moves it from
// quarantine to stock; reject blocks it and opens a return to the
// supplier. Accepting values outside the limits needs the deviation.
func (s *Store) Inspect(ctx context.Context, receiptID string, r InspectionRequest, actor domain.Actor) (domain.Inspection, error) {
	switch r.Decision {
	case domain.InspectAccept, domain.InspectDeviation, domain.InspectReject:
	default:
		return domain.Inspection{}, domain.Invalid("decision", "must be one of accept, accept_with_deviation, reject")
	}
	if r.Decision != domain.InspectAccept && strings.TrimSpace(r.Reason) == "" {
		return domain.Inspection{}, domain.Invalid("reason", "is required to %s", r.Decision)
	}
	if e := domain.CheckText("reason", r.Reason, 500); e != nil {
		return domain.Inspection{}, e
	}
	var out domain.Inspection
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		if _, err := q.Exec(ctx, `UPDATE po_receipts SET inspection = inspection WHERE id = ?`, receiptID); err != nil {
			return err
		}
		rc, err := getReceipt(ctx, q, receiptID)
		if err != nil {
			return err
		}
		if rc.Inspection != "pending" {
			return conflict("receipt", "receipt %s has inspection %s; only a pending one is recorded", receiptID, rc.Inspection)
		}
		plan, err := inspectionPlan(ctx, q, rc.Material)
		if err != nil {
			return err
		}
		results, out1, err := checkResults(plan, r.Results)
		if err != nil {
			return err
		}
		if out1 > 0 && r.Decision == domain.InspectAccept {
			return conflict("decision", "%d measured values are outside their limits; reject the lot or accept_with_deviation with a reason", out1)
		}
		var onHand int64
		if err := q.QueryRow(ctx, `SELECT COALESCE(SUM(quantity), 0) FROM inv_balances WHERE lot_id = ? AND location_id = ?`,
			rc.Lot, rc.Location).Scan(&onHand); err != nil {
			return err
		}
		out = domain.Inspection{ID: store.NewID(now), Receipt: rc.ID, Lot: rc.Lot, Material: rc.Material, Supplier: rc.Supplier,
			SampleSize: plan.SampleSize, Results: results, Decision: r.Decision, Reason: r.Reason, Inspector: actor.Name, At: now}
		if r.Decision == domain.InspectReject {
			if err := setLotStatus(ctx, q, rc.Lot, domain.LotBlocked, "incoming inspection rejected: "+r.Reason, actor, now); err != nil {
				return err
			}
			out.Return = "RT-" + out.ID
			if _, err := q.Exec(ctx, `INSERT INTO supplier_returns (id, receipt_id, po_number, supplier, lot_id, material, quantity, reason, status, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)`, out.Return, rc.ID, rc.PO, rc.Supplier, rc.Lot, rc.Material, onHand, r.Reason,
				store.Nanos(now)); err != nil {
				return fmt.Errorf("store: return of lot %s: %w", rc.Lot, err)
			}
		} else {
			if err := setLotStatus(ctx, q, rc.Lot, domain.LotReleased, "incoming inspection: "+string(r.Decision)+" "+r.Reason, actor, now); err != nil {
				return err
			}
			to := r.To
			if to == "" {
				if to, err = firstLocation(ctx, q, domain.LocWarehouse, "accepted material"); err != nil {
					return err
				}
			}
			if onHand > 0 && to != rc.Location {
				if _, err := s.inv.BookIn(ctx, q, domain.MovementRequest{Type: domain.MoveTransfer, Lot: rc.Lot, Quantity: domain.Qty(onHand),
					From: rc.Location, To: to, Reason: "released by incoming inspection " + out.ID}, actor); err != nil {
					return err
				}
			}
		}
		if _, err := q.Exec(ctx, `INSERT INTO inspections (id, receipt_id, lot_id, material, supplier, sample_size, results, decision, reason, inspector, inspected_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, out.ID, rc.ID, rc.Lot, rc.Material, rc.Supplier, plan.SampleSize, string(mustJSON(results)),
			string(r.Decision), r.Reason, actor.Name, store.Nanos(now)); err != nil {
			return fmt.Errorf("store: inspection of %s: %w", rc.Lot, err)
		}
		if _, err := q.Exec(ctx, `UPDATE po_receipts SET inspection = ?, inspected_at = ? WHERE id = ?`, string(r.Decision), store.Nanos(now), rc.ID); err != nil {
			return err
		}
		return audit(ctx, q, now, actor, "inspection", out.ID, string(r.Decision), r.Reason, nil, out)
	})
	return out, err
}

// checkResults holds results against the plan: every characteristic once,
// the sample's number of values, each within physical bounds. It returns
// them in the plan's order with their count outside the limits.
func checkResults(plan domain.InspectionPlan, rs []domain.InspectionResult) ([]domain.InspectionResult, int, error) {
	by := map[string]int{}
	for i, r := range rs {
		if _, dup := by[r.Characteristic]; dup {
			return nil, 0, domain.Invalid(fmt.Sprintf("results[%d].characteristic", i), "%q is listed twice", r.Characteristic)
		}
		by[r.Characteristic] = i
	}
	names := make([]string, len(plan.Characteristics))
	for i, c := range plan.Characteristics {
		names[i] = c.Name
	}
	for i, r := range rs {
		found := false
		for _, n := range names {
			found = found || n == r.Characteristic
		}
		if !found {
			return nil, 0, domain.Invalid(fmt.Sprintf("results[%d].characteristic", i), "%q is not in the inspection plan of %s (%s)",
				r.Characteristic, plan.Material, strings.Join(names, ", "))
		}
	}
	out := []domain.InspectionResult{}
	total := 0
	for _, c := range plan.Characteristics {
		i, ok := by[c.Name]
		if !ok {
			return nil, 0, domain.Invalid("results", "characteristic %q of the inspection plan has no values", c.Name)
		}
		r := rs[i]
		f := fmt.Sprintf("results[%d].values", i)
		if len(r.Values) != plan.SampleSize {
			return nil, 0, domain.Invalid(f, "must hold the sample's %d values (has %d)", plan.SampleSize, len(r.Values))
		}
		r.Out = 0
		for j, v := range r.Values {
			if v < c.PhysicalMin || v > c.PhysicalMax {
				return nil, 0, domain.Invalid(fmt.Sprintf("%s[%d]", f, j), "%g %s is outside what %s can physically measure (%g to %g); check the entry or the gauge",
					v, c.Unit, c.Name, c.PhysicalMin, c.PhysicalMax)
			}
			if v < c.Lower || v > c.Upper {
				r.Out++
			}
		}
		total += r.Out
		out = append(out, r)
	}
	return out, total, nil
}

// setLotStatus is quality's decision on a lot inside the caller's
// transaction (the inventory's SetLotStatus runs its own): the lot's row
// lock, its status and the audit entry; balances are not touched.
func setLotStatus(ctx context.Context, q store.Q, lot string, st domain.LotStatus, reason string, actor domain.Actor, now time.Time) error {
	var before string
	if err := q.QueryRow(ctx, `SELECT status FROM inv_lots WHERE id = ?`, lot).Scan(&before); err != nil {
		return store.NotFound("lot "+lot, err)
	}
	if _, err := q.Exec(ctx, `UPDATE inv_lots SET status = ?, updated_at = ? WHERE id = ?`, string(st), store.Nanos(now), lot); err != nil {
		return fmt.Errorf("store: lot %s status: %w", lot, err)
	}
	return q.Audit(ctx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "lot", EntityID: lot,
		Action: "status_" + string(st), Reason: reason, Before: mustJSON(map[string]any{"status": before}), After: mustJSON(map[string]any{"status": st})})
}

// GetInspection returns the inspection of a receipt.
func (s *Store) GetInspection(ctx context.Context, receiptID string) (domain.Inspection, error) {
	var in domain.Inspection
	var results string
	var at int64
	err := s.h.Read().QueryRow(ctx, `SELECT i.id, i.receipt_id, i.lot_id, i.material, i.supplier, i.sample_size, i.results, i.decision, i.reason,
		i.inspector, i.inspected_at, COALESCE((SELECT id FROM supplier_returns WHERE receipt_id = i.receipt_id), '')
		FROM inspections i WHERE i.receipt_id = ?`, receiptID).Scan(&in.ID, &in.Receipt, &in.Lot, &in.Material, &in.Supplier,
		&in.SampleSize, &results, &in.Decision, &in.Reason, &in.Inspector, &at, &in.Return)
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("inspection of receipt %s: %w", receiptID, domain.ErrNotFound)
	}
	if err != nil {
		return in, err
	}
	in.At = store.FromNanos(at)
	err = json.Unmarshal([]byte(results), &in.Results)
	return in, err
}

// ListReturns lists returns to suppliers, newest first; supplier and
// status filter.
func (s *Store) ListReturns(ctx context.Context, supplier, status string) ([]domain.SupplierReturn, error) {
	query, args := `SELECT id, receipt_id, po_number, supplier, lot_id, material, quantity, reason, status, created_at FROM supplier_returns WHERE 1 = 1`, []any{}
	if supplier != "" {
		query += ` AND supplier = ?`
		args = append(args, supplier)
	}
	if status != "" {
		query += ` AND status = ?`
		args = append(args, status)
	}
	rows, err := s.h.Read().Query(ctx, query+` ORDER BY id DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list returns: %w", err)
	}
	defer rows.Close()
	out := []domain.SupplierReturn{}
	for rows.Next() {
		var r domain.SupplierReturn
		var qty, at int64
		if err := rows.Scan(&r.ID, &r.Receipt, &r.PO, &r.Supplier, &r.Lot, &r.Material, &qty, &r.Reason, &r.Status, &at); err != nil {
			return nil, err
		}
		r.Quantity, r.At = domain.Qty(qty), store.FromNanos(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

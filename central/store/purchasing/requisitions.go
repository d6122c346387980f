package purchasing

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// ListProposals lists MRP's proposals: kind (purchase, production) and
// status (open, converted, dismissed) filter; by need date.
func (s *Store) ListProposals(ctx context.Context, kind, status string) ([]domain.Proposal, error) {
	return listProposals(ctx, s.h.Read(), kind, status, nil)
}

func listProposals(ctx context.Context, q store.Q, kind, status string, ids []string) ([]domain.Proposal, error) {
	query, args := `SELECT m.id, m.run_at, m.kind, m.material, p.unit, m.quantity, m.need_date, m.order_by, m.supplier, m.price, m.currency,
		m.reason, m.orders, m.status, m.po_number, m.po_line FROM mrp_proposals m JOIN products p ON p.code = m.material WHERE 1 = 1`, []any{}
	if kind != "" {
		query += ` AND m.kind = ?`
		args = append(args, kind)
	}
	if status != "" {
		query += ` AND m.status = ?`
		args = append(args, status)
	}
	if len(ids) > 0 {
		query += ` AND m.id IN (?` + strings.Repeat(",?", len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	rows, err := q.Query(ctx, query+` ORDER BY m.need_date, m.material, m.id LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list proposals: %w", err)
	}
	defer rows.Close()
	out := []domain.Proposal{}
	for rows.Next() {
		var p domain.Proposal
		var run, qty, price int64
		var orders string
		if err := rows.Scan(&p.ID, &run, &p.Kind, &p.Material, &p.Unit, &qty, &p.NeedDate, &p.OrderBy, &p.Supplier, &price, &p.Currency,
			&p.Reason, &orders, &p.Status, &p.PO, &p.POLine); err != nil {
			return nil, err
		}
		p.RunAt, p.Quantity, p.Price = store.FromNanos(run), domain.Qty(qty), domain.Money(price)
		if json.Unmarshal([]byte(orders), &p.Orders) != nil || p.Orders == nil {
			p.Orders = []string{}
		}
		p.LateRisk = p.OrderBy <= p.RunAt.UTC().Format(time.DateOnly) && p.Status == "open"
		out = append(out, p)
	}
	return out, rows.Err()
}

// ConvertRequisitions turns open purchase requisitions into draft purchase
// orders, one per supplier (the requisition's, the preferred one when MRP
// ran), each line at the supplier's valid price, due on the need date;
// audited. A requisition without a supplier is refused with its material.
func (s *Store) ConvertRequisitions(ctx context.Context, ids []string, actor domain.Actor) ([]domain.PurchaseOrder, error) {
	if len(ids) == 0 {
		return nil, domain.Invalid("requisitions", "must list at least one requisition id")
	}
	if len(ids) > 500 {
		return nil, domain.Invalid("requisitions", "must list at most 500")
	}
	var out []domain.PurchaseOrder
	err := s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		ps, err := listProposals(ctx, q, "", "", ids)
		if err != nil {
			return err
		}
		found := map[string]domain.Proposal{}
		for _, p := range ps {
			found[p.ID] = p
		}
		bySupplier := map[string][]domain.Proposal{}
		for i, id := range ids {
			p, ok := found[id]
			f := fmt.Sprintf("requisitions[%d]", i)
			switch {
			case !ok:
				return domain.Invalid(f, "requisition %s does not exist", id)
			case p.Kind != "purchase":
				return domain.Invalid(f, "%s proposes making %s in house; only purchase requisitions become purchase orders", id, p.Material)
			case p.Status != "open":
				return conflict(f, "requisition %s is %s (purchase order %s)", id, p.Status, p.PO)
			case p.Supplier == "":
				return conflict(f, "requisition %s for %s has no supplier: no approved supplier supplies it (PUT /api/v1/suppliers/{code}/items)", id, p.Material)
			}
			bySupplier[p.Supplier] = append(bySupplier[p.Supplier], p)
		}
		suppliers := make([]string, 0, len(bySupplier))
		for sp := range bySupplier {
			suppliers = append(suppliers, sp)
		}
		slices.Sort(suppliers)
		day := now.UTC().Format("20060102")
		var n int
		if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM purchase_orders WHERE number LIKE ?`, "PO-"+day+"-%").Scan(&n); err != nil {
			return err
		}
		for _, sp := range suppliers {
			reqs := bySupplier[sp]
			n++
			po := domain.PurchaseOrder{Number: fmt.Sprintf("PO-%s-%03d", day, n), Supplier: sp,
				Notes: "from requirements planning"}
			for _, r := range reqs {
				po.Lines = append(po.Lines, domain.POLine{Material: r.Material, Quantity: r.Quantity, DueDate: r.NeedDate, Requisition: r.ID})
			}
			created, err := s.createPO(ctx, q, po, actor)
			if err != nil {
				return err
			}
			for i, r := range reqs {
				if _, err := q.Exec(ctx, `UPDATE mrp_proposals SET status = 'converted', po_number = ?, po_line = ? WHERE id = ?`,
					created.Number, i+1, r.ID); err != nil {
					return err
				}
			}
			out = append(out, created)
		}
		return nil
	})
	return out, err
}

// DismissProposal sets an open proposal aside (audited with the reason).
func (s *Store) DismissProposal(ctx context.Context, id, reason string, actor domain.Actor) error {
	if strings.TrimSpace(reason) == "" {
		return domain.Invalid("reason", "is required to dismiss a proposal")
	}
	return s.h.InTx(ctx, func(q store.Q) error {
		res, err := q.Exec(ctx, `UPDATE mrp_proposals SET status = 'dismissed' WHERE id = ? AND status = 'open'`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("open proposal %s: %w", id, domain.ErrNotFound)
		}
		return audit(ctx, q, s.now(), actor, "mrp_proposal", id, "dismiss", reason, nil, nil)
	})
}

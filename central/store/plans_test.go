package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

func TestPlansContract(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.SetRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, LineID: "L1", IdealCycle: 2 * time.Second, Setup: time.Minute}}))
		due := t0.Add(8 * time.Hour)
		must(s.CreateOrder(ctx, domain.Order{Number: "PO-2", ProductCode: "P", Quantity: 50, Due: &due, Priority: 2, Status: domain.StatusReleased}))
		must(s.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-2", OrderNumber: "PO-2", OperationSeq: 10, LineID: "L1",
			Barcode: "WO-2", Quantity: 50, Status: domain.StatusReleased}))
		must(s.CreateOrder(ctx, domain.Order{Number: "PO-3", ProductCode: "P", Quantity: 5, Status: domain.StatusDraft}))

		work, err := s.PlanningWork(ctx)
		must(err)
		if len(work) != 2 || work[0].WorkOrderID != "WO-1" || work[1].WorkOrderID != "WO-2" {
			t.Fatalf("planning work %+v", work)
		}
		w := work[1]
		if w.IdealCycle != 2*time.Second || w.Setup != time.Minute || w.Priority != 2 || w.Due == nil || !w.Due.Equal(due) ||
			w.OrderStatus != domain.StatusReleased || w.ProductCode != "P" {
			t.Fatalf("WO-2 row %+v", w)
		}
		if work[0].Status != domain.StatusInProgress || work[0].ActualStart == nil {
			t.Fatalf("WO-1 row %+v", work[0])
		}

		if _, ok, err := s.CurrentPlan(ctx); err != nil || ok {
			t.Fatalf("current plan before any approval: ok %v err %v", ok, err)
		}
		plan := json.RawMessage(`{"ops":[]}`)
		prio := 9
		rushDue := t0.Add(2 * time.Hour)
		a, err := s.CreateProposal(ctx, domain.PlanProposal{Kind: domain.ProposalRush, Reason: "rush PO-2", RushOrder: "PO-2",
			RushPriority: &prio, RushDue: &rushDue, CreatedAt: t0, Plan: plan, Diff: json.RawMessage(`{}`)})
		must(err)
		b, err := s.CreateProposal(ctx, domain.PlanProposal{Kind: domain.ProposalLineDown, Reason: "line L1 down", LineID: "L1",
			CreatedAt: t0.Add(time.Second), Plan: plan, Diff: json.RawMessage(`{}`)})
		must(err)
		got, err := s.GetProposal(ctx, a.ID)
		must(err)
		if got.Status != domain.ProposalPending || *got.RushPriority != 9 || !got.RushDue.Equal(rushDue) || got.RushOrder != "PO-2" {
			t.Fatalf("proposal %+v", got)
		}
		if _, err := s.GetProposal(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("missing proposal: %v", err)
		}
		list, err := s.ListProposals(ctx, domain.ProposalPending, 0)
		must(err)
		if len(list) != 2 || list[0].ID != b.ID {
			t.Fatalf("pending list %+v", list)
		}
		if has, err := s.HasPendingProposal(ctx, "L1", domain.ProposalLineDown, domain.ProposalBehindPlan); err != nil || !has {
			t.Fatalf("pending for L1: %v %v", has, err)
		}

		at := t0.Add(time.Minute)
		v, err := s.ApproveProposal(ctx, domain.PlanApproval{ProposalID: a.ID, By: domain.Actor{Name: "pat", Role: domain.RolePlanner}, At: at,
			WorkOrders: []domain.WorkOrderPlan{{WorkOrderID: "WO-2", LineID: "L1", Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}}})
		must(err)
		if v != 1 {
			t.Fatalf("version %d", v)
		}
		cp, ok, err := s.CurrentPlan(ctx)
		must(err)
		if !ok || cp.Version != 1 || cp.ProposalID != a.ID {
			t.Fatalf("current %+v", cp)
		}
		wo, err := s.GetWorkOrder(ctx, "WO-2")
		must(err)
		if !wo.PlannedStart.Equal(t0.Add(time.Hour)) || !wo.PlannedEnd.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("WO-2 %+v", wo)
		}
		o, err := s.GetOrder(ctx, "PO-2")
		must(err)
		if o.Priority != 9 || !o.Due.Equal(rushDue) {
			t.Fatalf("rushed order %+v", o.Order)
		}
		// b was computed against version 0: stale.
		if _, err := s.ApproveProposal(ctx, domain.PlanApproval{ProposalID: b.ID, At: at}); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("stale approval: %v", err)
		}
		if _, err := s.ApproveProposal(ctx, domain.PlanApproval{ProposalID: a.ID, At: at}); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("second approval: %v", err)
		}
		must(s.RejectProposal(ctx, b.ID, domain.Actor{Name: "pat", Role: domain.RolePlanner}, at.Add(time.Second)))
		if err := s.RejectProposal(ctx, b.ID, domain.Actor{Name: "pat"}, at); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("second rejection: %v", err)
		}
		if has, err := s.HasPendingProposal(ctx, "L1", domain.ProposalLineDown); err != nil || has {
			t.Fatalf("pending for L1 after rejection: %v %v", has, err)
		}
		audit, err := s.ListAudit(ctx, domain.AuditFilter{Entity: "plan_proposal"})
		must(err)
		if len(audit) != 2 || audit[0].Action != "reject" || audit[1].Action != "approve" || audit[1].Actor != "pat" {
			t.Fatalf("audit %+v", audit)
		}
		// A proposal computed on version 1 applies.
		c, err := s.CreateProposal(ctx, domain.PlanProposal{Kind: domain.ProposalManual, Reason: "manual", BaseVersion: 1,
			Plan: plan, Diff: json.RawMessage(`{}`)})
		must(err)
		if v, err := s.ApproveProposal(ctx, domain.PlanApproval{ProposalID: c.ID, By: domain.Actor{Name: "pat"}}); err != nil || v != 2 {
			t.Fatalf("approve on version 1: %d %v", v, err)
		}
	})
}

package planning_test

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
)

// A scheduled order has no work orders until release; it is planned all
// the same, tentatively: its routing's operations show on the Gantt under
// the work-order ids release will give them, marked tentative, approval
// does not trip over the missing work orders, and release firms the same
// bars.
func TestScheduledOrderIsPlannedTentatively(t *testing.T) {
	for _, d := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(d, func(t *testing.T) {
			e := newEnvOn(t, d, testConfig())
			shop(t, e)
			e.must(t, e.st.CreateProduct(e.ctx, domain.Product{Code: "C", Name: "C", Unit: "pcs", IdealCycle: time.Second}))
			e.must(t, e.st.SetRouting(e.ctx, "C", []domain.RoutingOp{{Seq: 10, LineID: "L2"}, {Seq: 20, LineID: "L1", IdealCycle: 2 * time.Second}}))
			due := t0.Add(20 * time.Hour)
			e.must(t, e.st.CreateOrder(e.ctx, domain.Order{Number: "PO-9", ProductCode: "C", Quantity: 1800, Due: &due, Status: domain.StatusScheduled}))
			wo10, wo20 := domain.WorkOrderID("PO-9", 10), domain.WorkOrderID("PO-9", 20)

			p, err := e.svc.Propose(e.ctx, planning.Request{Reason: "plan with PO-9"})
			e.must(t, err)
			ops := opsByWO(p.Schedule)
			a, b := ops[wo10], ops[wo20]
			if a.Line != "L2" || b.Line != "L1" || !a.Tentative || !b.Tentative || a.End.Sub(a.Start) != 30*time.Minute ||
				b.End.Sub(b.Start) != time.Hour || b.Start.Before(a.End) {
				t.Fatalf("PO-9 in the proposal: %+v %+v", a, b)
			}
			if op := ops[domain.WorkOrderID("PO-1", 10)]; op.Tentative {
				t.Fatalf("PO-1 has its work order and shows tentative: %+v", op)
			}
			_, err = e.svc.Approve(e.ctx, p.ID, domain.Actor{Name: "pat", Role: domain.RolePlanner})
			e.must(t, err)
			cur, err := e.svc.Current(e.ctx)
			e.must(t, err)
			if op := opsByWO(cur)[wo20]; !op.Tentative || !op.Start.Equal(b.Start) {
				t.Fatalf("PO-9 step 20 in the current plan: %+v (proposed %s)", op, b.Start)
			}

			// release cuts the work orders: the same bars, now firm
			_, err = e.st.ChangeOrder(e.ctx, "PO-9", domain.Actor{Name: "pat", Role: domain.RolePlanner}, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
				tr, err := domain.Authorize(domain.RolePlanner, domain.ActionRelease, rec.Status)
				if err != nil {
					return domain.OrderChange{}, err
				}
				return domain.OrderChange{Action: string(domain.ActionRelease)}, domain.ApplyTransition(rec, tr, e.clock.t)
			})
			e.must(t, err)
			cur, err = e.svc.Current(e.ctx)
			e.must(t, err)
			for _, id := range []string{wo10, wo20} {
				op, want := opsByWO(cur)[id], ops[id]
				if op.Tentative || !op.Start.Equal(want.Start) || op.Line != want.Line {
					t.Errorf("%s after release: %+v, planned %s on %s", id, op, want.Start, want.Line)
				}
			}
			// and a new plan keeps planning it, from its work orders
			p2, err := e.svc.Propose(e.ctx, planning.Request{Reason: "after release"})
			e.must(t, err)
			if op := opsByWO(p2.Schedule)[wo20]; op.Tentative || op.Line != "L1" {
				t.Errorf("%s in the next proposal: %+v", wo20, op)
			}
		})
	}
}

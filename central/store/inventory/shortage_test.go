package inventory

import (
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/exceptions"
	"github.com/linewise/linewise/edge/wire"
)

// TestMaterialShortOpensAndResolves: a released work order due within the
// horizon needs more strip than is in stock, so central opens
// material_short naming the material, quantity and work order; a receipt
// resolves it. A running work order whose counts consumed strip its line
// side did not hold opens it again until a transfer brings strip to the
// line side. A material_short a person raised stays theirs.
func TestMaterialShortOpensAndResolves(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		now := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		soon, later := now.Add(2*time.Hour), now.Add(20*time.Hour)
		for _, o := range []struct {
			number, wo string
			start      time.Time
		}{{"PO-2", "WO-2", soon}, {"PO-3", "WO-3", later}} {
			x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: o.number, ProductCode: "P", Quantity: 100, Status: domain.StatusReleased}))
			x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: o.wo, OrderNumber: o.number, OperationSeq: 10, LineID: "L1",
				Barcode: o.wo, Quantity: 100, Status: domain.StatusReleased, PlannedStart: &o.start}))
		}
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "R-1", Material: "M", Quantity: q(30), To: "WH-A"})
		// A person's own material_short on WO-1 (no planned start: not projected).
		_, _, err := x.st.RaiseException(x.ctx, domain.Exception{Line: "L1", WorkOrder: "WO-1", Kind: domain.ExceptionMaterialShort,
			OpenedAt: now, Detail: "bolts missing"}, "manual", admin)
		x.must(err)

		svc, err := exceptions.New(exceptions.Options{Config: exceptions.DefaultConfig(), Store: x.st, Materials: x.inv, Now: func() time.Time { return now }})
		x.must(err)
		short := func() map[string]domain.Exception {
			t.Helper()
			x.must(svc.Evaluate(x.ctx))
			list, err := x.st.ListExceptions(x.ctx, domain.ExceptionFilter{Kind: []domain.ExceptionKind{domain.ExceptionMaterialShort},
				Status: []domain.ExceptionStatus{domain.ExceptionOpen, domain.ExceptionAcknowledged}})
			x.must(err)
			out := map[string]domain.Exception{}
			for _, e := range list {
				out[e.WorkOrder] = e
			}
			return out
		}

		// WO-2 needs 100 × 0.5 = 50 m, stock is 30 m: 60 parts at 1 s from
		// its start at 08:00. WO-3 starts past the 8 h horizon.
		open := short()
		e, ok := open["WO-2"]
		if !ok || len(open) != 2 || e.RaisedBy != domain.SystemActor || e.Line != "L1" ||
			!strings.Contains(e.Detail, "M short 20 m (needs 50 m, 30 m projected, runs out about 2026-03-02 08:01Z)") || !strings.Contains(e.Detail, "order PO-2") {
			t.Fatalf("open material_short: %+v", open)
		}
		// A receipt covers it: resolved by the system; the person's stays.
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "R-2", Material: "M", Quantity: q(25), To: "WH-A"})
		open = short()
		if _, ok := open["WO-2"]; ok || len(open) != 1 || open["WO-1"].Detail != "bolts missing" {
			t.Fatalf("after the receipt: %+v", open)
		}
		got, err := x.st.ListExceptions(x.ctx, domain.ExceptionFilter{Kind: []domain.ExceptionKind{domain.ExceptionMaterialShort},
			Status: []domain.ExceptionStatus{domain.ExceptionResolved}})
		x.must(err)
		if len(got) != 1 || got[0].WorkOrder != "WO-2" || got[0].ResolvedBy != domain.SystemActor || !strings.Contains(got[0].Resolution, "stock covers") {
			t.Errorf("resolved: %+v", got)
		}

		// WO-2 runs; its line side is empty, so its counts consume nothing
		// and are kept short: material_short again, naming the line side.
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-2", now, domain.Actor{Name: "op", Role: domain.RoleOperator}, "start"); err != nil {
			t.Fatal(err)
		}
		if _, err := x.st.ApplyBatch(x.ctx, wire.Batch{EdgeID: "E1", Events: []wire.Event{{EdgeID: "E1", Seq: 1, Line: "L1", Type: wire.TypeCount,
			SourceTime: now.Add(time.Minute), Count: &wire.Count{Counter: "c", Good: 4}}}}); err != nil {
			t.Fatal(err)
		}
		open = short()
		if e := open["WO-2"]; !strings.Contains(e.Detail, "M: line side L1 holds none; 2 m consumed without stock") {
			t.Fatalf("backflush shortfall: %+v", open)
		}
		// Strip moved to the line side: resolved.
		x.book(domain.MovementRequest{Type: domain.MoveTransfer, Lot: "R-2", Quantity: q(10), From: "WH-A", To: "LS-L1"})
		if open = short(); len(open) != 1 || open["WO-1"].ID == "" {
			t.Errorf("after the transfer to the line side: %+v", open)
		}
	})
}

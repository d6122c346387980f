package inventory

import (
	"context"
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

		cfg := exceptions.DefaultConfig()
		cfg.MaterialShortEvery = 0 // each evaluation projects: the clock stands still here
		svc, err := exceptions.New(exceptions.Options{Config: cfg, Store: x.st, Materials: x.inv, Now: func() time.Time { return now }})
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

// projections counts how often the material_short rule projected stock.
type projections struct {
	inv *Store
	n   int
}

func (p *projections) MaterialShortages(ctx context.Context, now time.Time, horizon time.Duration) ([]domain.MaterialShortage, error) {
	p.n++
	return p.inv.MaterialShortages(ctx, now, horizon)
}

// TestMaterialShortThrottledOverABurst: WO-1 runs on L1 with 10 m of strip
// at the line side and 40 m in the warehouse (its whole need). The line
// reports 2 parts every half second for 12 s, each batch followed by an
// evaluation as ingest asks for one: the stock projection runs at most once
// per exceptions.material_short_every (5 s, the default) — at 0 s, 5 s and
// 10 s of 25 evaluations — and material_short opens once, when the line
// side has run dry (after 40 parts). Strip moved to the line side resolves
// it at the next projection, not before.
func TestMaterialShortThrottledOverABurst(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		t0 := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
		now := t0
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "R-1", Material: "M", Quantity: q(10), To: "LS-L1"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "R-2", Material: "M", Quantity: q(40), To: "WH-A"})
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-1", t0.Add(-time.Minute), domain.Actor{Name: "op", Role: domain.RoleOperator}, "start"); err != nil {
			t.Fatal(err)
		}
		cfg := exceptions.DefaultConfig()
		if cfg.MaterialShortEvery != 5*time.Second {
			t.Fatalf("default material_short_every %v", cfg.MaterialShortEvery)
		}
		proj := &projections{inv: x.inv}
		svc, err := exceptions.New(exceptions.Options{Config: cfg, Store: x.st, Materials: proj, Now: func() time.Time { return now }})
		x.must(err)
		all := func() []domain.Exception {
			t.Helper()
			x.must(svc.Evaluate(x.ctx))
			list, err := x.st.ListExceptions(x.ctx, domain.ExceptionFilter{Kind: []domain.ExceptionKind{domain.ExceptionMaterialShort}})
			x.must(err)
			return list
		}
		if xs := all(); len(xs) != 0 {
			t.Fatalf("material_short before the burst: %+v", xs)
		}
		var openedAt time.Time
		for i := 1; i <= 24; i++ {
			now = t0.Add(time.Duration(i) * 500 * time.Millisecond)
			if _, err := x.st.ApplyBatch(x.ctx, wire.Batch{EdgeID: "E1", Events: []wire.Event{{EdgeID: "E1", Seq: uint64(i), Line: "L1",
				Type: wire.TypeCount, SourceTime: now, Count: &wire.Count{Counter: "c", Good: 2}}}}); err != nil {
				t.Fatal(err)
			}
			xs := all()
			if len(xs) > 1 {
				t.Fatalf("after batch %d: %d material_short: %+v", i, len(xs), xs)
			}
			if len(xs) == 1 && openedAt.IsZero() {
				openedAt = xs[0].OpenedAt
			}
		}
		if proj.n != 3 {
			t.Errorf("the projection ran %d times over 25 evaluations in 12 s; want 3 (at 0 s, 5 s, 10 s)", proj.n)
		}
		xs := all()
		if len(xs) != 1 || xs[0].Status != domain.ExceptionOpen || xs[0].WorkOrder != "WO-1" || !openedAt.Equal(t0.Add(10*time.Second)) ||
			!strings.Contains(xs[0].Detail, "M: line side L1 holds none; 10 m consumed without stock") {
			t.Fatalf("material_short over the burst (opened %v): %+v", openedAt, xs)
		}

		// Strip arrives at the line side; the next projection (due at 15 s)
		// resolves it.
		now = t0.Add(12500 * time.Millisecond)
		x.book(domain.MovementRequest{Type: domain.MoveTransfer, Lot: "R-2", Quantity: q(10), From: "WH-A", To: "LS-L1"})
		now = t0.Add(13 * time.Second)
		if xs := all(); len(xs) != 1 || xs[0].Status != domain.ExceptionOpen {
			t.Fatalf("resolved before the projection was due: %+v", xs)
		}
		now = t0.Add(15 * time.Second)
		xs = all()
		if len(xs) != 1 || xs[0].Status != domain.ExceptionResolved || xs[0].ResolvedBy != domain.SystemActor ||
			!strings.Contains(xs[0].Resolution, "stock covers work order WO-1") {
			t.Fatalf("after the transfer, at 15 s: %+v", xs)
		}
		if proj.n != 4 {
			t.Errorf("projections: %d, want 4", proj.n)
		}
	})
}

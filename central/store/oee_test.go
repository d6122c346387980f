package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/edge/wire"
)

// TestOEEFacts, on SQLite and PostgreSQL: what the OEE of a line over a
// range reads from the stored events by source time — the state changes in
// the range with the last before and the first after it (and not another
// line's), the count events with work order, order and product, the runs
// overlapping the range, and each product's ideal cycle on this line (its
// routing operation here, else the product's own).
func TestOEEFacts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s) // WO-1 (product P, ideal cycle 1 s, no routing) runs on L1 from t0
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.CreateLine(ctx, domain.Line{ID: "L2", Name: "Line 2"}))
		must(s.CreateProduct(ctx, domain.Product{Code: "Q", Name: "Other", Unit: "pcs", IdealCycle: 5 * time.Second}))
		must(s.SetRouting(ctx, "Q", []domain.RoutingOp{{Seq: 10, Name: "press", LineID: "L1", IdealCycle: 2 * time.Second},
			{Seq: 20, Name: "pack", LineID: "L2", IdealCycle: 9 * time.Second}}))
		must(s.CreateOrder(ctx, domain.Order{Number: "PO-2", ProductCode: "Q", Quantity: 10, Status: domain.StatusScheduled}))
		must(s.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-3", OrderNumber: "PO-2", OperationSeq: 10, LineID: "L1",
			Barcode: "WO-3", Quantity: 10, Status: domain.StatusScheduled}))
		must(s.StopWorkOrder(ctx, "WO-1", t0.Add(30*time.Minute)))
		must(s.StartWorkOrder(ctx, "WO-3", t0.Add(30*time.Minute)))
		onL2 := state(9, t0.Add(10*time.Minute), wire.StateIdle)
		onL2.Line = "L2"
		_, err := s.ApplyBatch(ctx, batch(
			state(1, t0.Add(-2*time.Hour), wire.StateIdle),
			state(2, t0.Add(-time.Hour), wire.StateRunning),
			state(3, t0.Add(5*time.Minute), wire.StateDown),
			state(4, t0.Add(70*time.Minute), wire.StateRunning),
			state(5, t0.Add(80*time.Minute), wire.StateIdle),
			count(6, t0.Add(-time.Minute), 100, 0),
			count(7, t0.Add(20*time.Minute), 10, 1),
			count(8, t0.Add(40*time.Minute), 20, 2),
			onL2,
			count(10, t0.Add(time.Hour), 7, 0), // at to: outside
		))
		must(err)

		f, err := s.OEEFacts(ctx, "L1", t0, t0.Add(time.Hour))
		must(err)
		wantStates := []oee.StateChange{
			{At: t0.Add(-time.Hour), State: "running", Reason: "running-reason"},
			{At: t0.Add(5 * time.Minute), State: "down", Reason: "down-reason"},
			{At: t0.Add(70 * time.Minute), State: "running", Reason: "running-reason"},
		}
		if !reflect.DeepEqual(f.States, wantStates) {
			t.Errorf("states\n got %+v\nwant %+v", f.States, wantStates)
		}
		wantCounts := []oee.Count{
			{At: t0.Add(20 * time.Minute), Good: 10, Reject: 1, WorkOrder: "WO-1", Order: "PO-1", Product: "P"},
			{At: t0.Add(40 * time.Minute), Good: 20, Reject: 2, WorkOrder: "WO-3", Order: "PO-2", Product: "Q"},
		}
		if !reflect.DeepEqual(f.Counts, wantCounts) {
			t.Errorf("counts\n got %+v\nwant %+v", f.Counts, wantCounts)
		}
		wantRuns := []oee.Run{
			{WorkOrder: "WO-1", Order: "PO-1", Product: "P", Start: t0, End: t0.Add(30 * time.Minute)},
			{WorkOrder: "WO-3", Order: "PO-2", Product: "Q", Start: t0.Add(30 * time.Minute)},
		}
		if !reflect.DeepEqual(f.Runs, wantRuns) {
			t.Errorf("runs\n got %+v\nwant %+v", f.Runs, wantRuns)
		}
		if want := map[string]time.Duration{"P": time.Second, "Q": 2 * time.Second}; !reflect.DeepEqual(f.IdealCycle, want) {
			t.Errorf("ideal cycles %v, want %v", f.IdealCycle, want)
		}
	})
}

package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestLineTotals, on SQLite and PostgreSQL: a line's totals over a range are
// the count events' deltas by source time in [from, to), per attributed work
// order, unattributed apart; state events, other lines and events outside
// the range do not count, and an event's arrival time does not matter.
func TestLineTotals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s) // WO-1 runs on L1 from t0
		ctx := context.Background()
		ps := t0
		if err := s.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-2", OrderNumber: "PO-1", OperationSeq: 20, LineID: "L1",
			Barcode: "WO-2", Quantity: 100, PlannedStart: &ps, Status: domain.StatusScheduled}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateLine(ctx, domain.Line{ID: "L2", Name: "Line 2"}); err != nil {
			t.Fatal(err)
		}
		if err := s.StopWorkOrder(ctx, "WO-1", t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.StartWorkOrder(ctx, "WO-2", t0.Add(20*time.Minute)); err != nil {
			t.Fatal(err)
		}
		other := countEv("e2", 1, t0.Add(5*time.Minute), 1000, 1000)
		other.Line = "L2"
		for _, b := range []wire.Batch{
			batch(
				count(1, t0.Add(-time.Hour), 50, 5),        // before the range
				count(2, t0.Add(-time.Minute), 3, 0),       // unattributed, in range
				count(3, t0.Add(time.Minute), 10, 1),       // WO-1
				state(4, t0.Add(2*time.Minute), "running"), // not a count
				count(5, t0.Add(9*time.Minute), 5, 0),      // WO-1
				count(6, t0.Add(15*time.Minute), 4, 2),     // between runs: unattributed
				count(7, t0.Add(20*time.Minute), 7, 0),     // WO-2, runs are [start, end)
				count(8, t0.Add(time.Hour), 100, 100),      // at to: outside [from, to)
			),
			batch(other),
		} {
			if _, err := s.ApplyBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		from, to := t0.Add(-30*time.Minute), t0.Add(time.Hour)
		got, err := s.LineTotals(ctx, "L1", from, to)
		if err != nil {
			t.Fatal(err)
		}
		want := domain.LineTotals{Line: "L1", From: from, To: to, Good: 29, Reject: 3, UnattributedGood: 7, UnattributedReject: 2,
			CountEvents: 5, WorkOrders: []domain.WorkOrderTotals{
				{WorkOrderID: "WO-1", OrderNumber: "PO-1", Good: 15, Reject: 1},
				{WorkOrderID: "WO-2", OrderNumber: "PO-1", Good: 7, Reject: 0},
			}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("totals\n got %+v\nwant %+v", got, want)
		}
		// WO-2's own counter holds all its parts, also those at to and after.
		if w, _ := s.GetWorkOrder(ctx, "WO-2"); w.Good != 107 {
			t.Errorf("WO-2 good %d, want 107", w.Good)
		}
		// An empty range and a line without events: zeros and no work orders.
		for _, tc := range []struct {
			line     string
			from, to time.Time
		}{{"L1", t0.Add(2 * time.Hour), t0.Add(3 * time.Hour)}, {"L9", from, to}} {
			got, err := s.LineTotals(ctx, tc.line, tc.from, tc.to)
			if err != nil || got.Good != 0 || got.Reject != 0 || got.CountEvents != 0 || got.WorkOrders == nil || len(got.WorkOrders) != 0 {
				t.Errorf("%s %v..%v: %+v %v, want zeros and an empty list", tc.line, tc.from, tc.to, got, err)
			}
		}
	})
}

package store

import (
	"context"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestApplyBatchAttributesEachEvent applies one batch whose events fall
// before any run, in a first run and in a second run of another work order
// on the same line, with a seq repeated inside the batch and two state
// changes: ApplyBatch works per batch, but every event must end up where a
// per-event apply would put it.
func TestApplyBatchAttributesEachEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s) // WO-1 runs on L1 from t0
		ctx := context.Background()
		ps := t0
		if err := s.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-2", OrderNumber: "PO-1", OperationSeq: 20, LineID: "L1",
			Barcode: "WO-2", Quantity: 100, PlannedStart: &ps, Status: domain.StatusScheduled}); err != nil {
			t.Fatal(err)
		}
		if err := s.StopWorkOrder(ctx, "WO-1", t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.StartWorkOrder(ctx, "WO-2", t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		b := batch(
			count(1, t0.Add(-time.Minute), 3, 0), // before any run: unattributed
			state(2, t0.Add(time.Minute), "running"),
			count(3, t0.Add(5*time.Minute), 10, 1), // WO-1
			count(3, t0.Add(5*time.Minute), 10, 1), // the same seq again: stored once
			count(4, t0.Add(10*time.Minute), 7, 0), // WO-2: runs are [start, end)
			state(5, t0.Add(12*time.Minute), "down"),
			state(6, t0.Add(11*time.Minute), "idle"), // began earlier than "down": ignored
			count(7, t0.Add(15*time.Minute), 2, 2),   // WO-2, the batch's latest event
			count(8, t0.Add(14*time.Minute), 1, 0),   // WO-2
		)
		n, err := s.ApplyBatch(ctx, b)
		if err != nil || n != 8 {
			t.Fatalf("apply = %d, %v; want 8 new", n, err)
		}
		for id, want := range map[string][2]int64{"WO-1": {10, 1}, "WO-2": {10, 2}} {
			w, err := s.GetWorkOrder(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if w.Good != want[0] || w.Reject != want[1] {
				t.Errorf("%s good/reject = %d/%d, want %d/%d", id, w.Good, w.Reject, want[0], want[1])
			}
		}
		l := line(t, s, "L1")
		if l.UnattributedGood != 3 || l.UnattributedReject != 0 {
			t.Errorf("unattributed = %d/%d, want 3/0", l.UnattributedGood, l.UnattributedReject)
		}
		if l.State != "down" || l.StateSince == nil || !l.StateSince.Equal(t0.Add(12*time.Minute)) {
			t.Errorf("state = %q since %v, want down since %v", l.State, l.StateSince, t0.Add(12*time.Minute))
		}
		if l.LastEventAt == nil || !l.LastEventAt.Equal(t0.Add(15*time.Minute)) {
			t.Errorf("last event at %v, want %v", l.LastEventAt, t0.Add(15*time.Minute))
		}
		// The whole batch again, and a larger one than one INSERT carries:
		// only the new events count.
		var evs []wire.Event
		for seq := uint64(1); seq <= insertChunk+50; seq++ {
			evs = append(evs, count(seq, t0.Add(20*time.Minute), 1, 0))
		}
		if n, err := s.ApplyBatch(ctx, b); err != nil || n != 0 {
			t.Fatalf("second apply = %d, %v; want 0", n, err)
		}
		if n, err := s.ApplyBatch(ctx, batch(evs...)); err != nil || n != insertChunk+50-8 {
			t.Fatalf("large apply = %d, %v; want %d", n, err, insertChunk+50-8)
		}
		w, err := s.GetWorkOrder(ctx, "WO-2")
		if err != nil || w.Good != 10+insertChunk+50-8 {
			t.Errorf("WO-2 good = %d, %v; want %d", w.Good, err, 10+insertChunk+50-8)
		}
	})
}

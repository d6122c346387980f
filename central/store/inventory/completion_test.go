package inventory

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// complete stops and completes work order wo of order as the station does.
func (x *fixture) complete(order, wo string, at time.Time) {
	x.t.Helper()
	op := domain.Actor{Name: "op", Role: domain.RoleOperator}
	if _, err := x.st.StopWorkOrderAs(x.ctx, wo, at, op, "stop"); err != nil {
		x.t.Fatal(err)
	}
	_, err := x.st.ChangeOrder(x.ctx, order, op, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		_, err := domain.CompleteWorkOrder(rec, wo, op.Role, at)
		return domain.OrderChange{Action: "complete_work_order"}, err
	})
	x.must(err)
}

// TestCompletionBooksFinishedLot: completing an order's last operation
// books its good parts into lot FG-<work order>, produced by it, at its
// line side, and that lot's backward trace shows what the order's counts
// consumed — at its first operation too. An earlier operation's
// completion books nothing; a repeated completion books no more.
func TestCompletionBooksFinishedLot(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "A", Material: "M", Quantity: q(100), To: "LS-L1"})
		t0 := time.Now().UTC().Add(-time.Hour)
		op := domain.Actor{Name: "op", Role: domain.RoleOperator}
		count := func(seq uint64, at time.Time, good, reject int64) {
			t.Helper()
			if _, err := x.st.ApplyBatch(x.ctx, wire.Batch{EdgeID: "E1", Events: []wire.Event{{EdgeID: "E1", Seq: seq, Line: "L1",
				Type: wire.TypeCount, SourceTime: at, Count: &wire.Count{Counter: "c", Good: good, Reject: reject}}}}); err != nil {
				t.Fatal(err)
			}
		}
		// One operation: WO-1 makes 10 good and 2 rejects from 6 m of A.
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-1", t0, op, "start"); err != nil {
			t.Fatal(err)
		}
		count(1, t0.Add(time.Minute), 10, 2)
		x.complete("PO-1", "WO-1", t0.Add(2*time.Minute))
		fg := x.lot("FG-WO-1")
		if fg.Material != "P" || fg.WorkOrderID != "WO-1" || fg.Quantity != q(10) || fg.Status != domain.LotReleased || x.stock("FG-WO-1", "LS-L1") != q(10) {
			t.Errorf("finished lot: %+v at LS-L1 %s", fg, x.stock("FG-WO-1", "LS-L1"))
		}
		mvs, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{WorkOrder: "WO-1", Type: domain.MoveFGReceipt})
		x.must(err)
		if len(mvs) != 1 || mvs[0].Actor != "op" || mvs[0].Reason != "completed" {
			t.Errorf("fg_receipt movements: %+v", mvs)
		}
		tree, err := x.inv.Backward(x.ctx, "FG-WO-1")
		x.must(err)
		if len(tree.Children) != 1 || tree.Children[0].Lot != "A" || tree.Children[0].Quantity != q(6) || tree.Order != "PO-1" || tree.Line != "L1" {
			t.Errorf("FG-WO-1 backward: %+v", tree)
		}

		// Two operations: backflush at WO-2a (seq 10), the lot at WO-2b's (seq 20) completion.
		x.order("PO-2", "P", "WO-2a", domain.StatusReleased)
		x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: "WO-2b", OrderNumber: "PO-2", OperationSeq: 20, LineID: "L1",
			Barcode: "WO-2b", Quantity: 100, Status: domain.StatusReleased}))
		t1 := t0.Add(10 * time.Minute)
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-2a", t1, op, "start"); err != nil {
			t.Fatal(err)
		}
		count(2, t1.Add(time.Minute), 8, 0)
		x.complete("PO-2", "WO-2a", t1.Add(2*time.Minute))
		if _, err := x.inv.GetLot(x.ctx, "FG-WO-2a"); err == nil {
			t.Errorf("the first operation's completion booked a lot")
		}
		t2 := t1.Add(3 * time.Minute)
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-2b", t2, op, "start"); err != nil {
			t.Fatal(err)
		}
		count(3, t2.Add(time.Minute), 7, 1)
		x.complete("PO-2", "WO-2b", t2.Add(2*time.Minute))
		tree, err = x.inv.Backward(x.ctx, "FG-WO-2b")
		x.must(err)
		if tree.Quantity != q(7) || len(tree.Children) != 1 || tree.Children[0].Lot != "A" || tree.Children[0].Quantity != q(4) {
			t.Errorf("FG-WO-2b backward: %+v", tree)
		}
		fw, err := x.inv.Forward(x.ctx, "A")
		x.must(err)
		made := map[string]bool{}
		for _, c := range fw.Children {
			made[c.Lot] = true
		}
		if !made["FG-WO-1"] || !made["FG-WO-2b"] {
			t.Errorf("A forward: %+v", fw.Children)
		}
	})
}

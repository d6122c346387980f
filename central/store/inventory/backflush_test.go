package inventory

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestBackflushWithTheCount: each bracket P takes 0.5 m of strip M. Counts
// from the line consume it from the line side, earliest expiry first, in
// the count's transaction; a redelivered event consumes nothing more; what
// the line side lacks is the work order's backflush shortfall.
func TestBackflushWithTheCount(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		late, early := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "A", Material: "M", Quantity: q(10), To: "LS-L1", ExpiresAt: &late})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "B", Material: "M", Quantity: q(4), To: "LS-L1", ExpiresAt: &early})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "C", Material: "M", Quantity: q(50), To: "LS-L1"}) // no expiry: last
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "W", Material: "M", Quantity: q(50), To: "WH-A"})  // not at the line
		t0 := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-1", t0, domain.Actor{Name: "op", Role: domain.RoleOperator}, "start"); err != nil {
			t.Fatal(err)
		}
		batch := wire.Batch{EdgeID: "E1", Events: []wire.Event{
			{EdgeID: "E1", Seq: 1, Line: "L1", Type: wire.TypeCount, SourceTime: t0.Add(time.Minute), Count: &wire.Count{Counter: "c", Good: 10, Reject: 2}},
		}}
		if _, err := x.st.ApplyBatch(x.ctx, batch); err != nil {
			t.Fatal(err)
		}
		// 12 parts × 0.5 m = 6 m: all 4 of B (expires first), then 2 of A.
		if x.stock("B", "LS-L1") != 0 || x.stock("A", "LS-L1") != q(8) || x.stock("C", "LS-L1") != q(50) || x.lot("B").Status != domain.LotConsumed {
			t.Errorf("after 12 parts: B %s, A %s, C %s", x.stock("B", "LS-L1"), x.stock("A", "LS-L1"), x.stock("C", "LS-L1"))
		}
		mvs, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{WorkOrder: "WO-1", Type: domain.MoveIssue})
		x.must(err)
		if len(mvs) != 2 || mvs[0].Reason != "backflush" || mvs[0].Actor != "backflush" {
			t.Errorf("backflush movements: %+v", mvs)
		}
		// The same event again (an edge's redelivery) consumes nothing.
		if _, err := x.st.ApplyBatch(x.ctx, batch); err != nil {
			t.Fatal(err)
		}
		if x.stock("A", "LS-L1") != q(8) {
			t.Errorf("redelivery consumed: A %s", x.stock("A", "LS-L1"))
		}
		// More than the line side holds: it takes what is there, keeps the rest as short, and the count stands.
		batch.Events = []wire.Event{{EdgeID: "E1", Seq: 2, Line: "L1", Type: wire.TypeCount, SourceTime: t0.Add(2 * time.Minute),
			Count: &wire.Count{Counter: "c", Good: 120}}}
		if _, err := x.st.ApplyBatch(x.ctx, batch); err != nil {
			t.Fatal(err)
		}
		sh, err := x.inv.BackflushShort(x.ctx, "WO-1")
		x.must(err)
		if sh["M"] != q(2) || x.stock("A", "LS-L1") != 0 || x.stock("C", "LS-L1") != 0 || x.stock("W", "WH-A") != q(50) {
			t.Errorf("short %v, A %s, C %s, W %s", sh, x.stock("A", "LS-L1"), x.stock("C", "LS-L1"), x.stock("W", "WH-A"))
		}
		// The finished lot's genealogy shows what the counts consumed.
		x.book(domain.MovementRequest{Type: domain.MoveFGReceipt, Lot: "F-1", Quantity: q(130), To: "WH-A", WorkOrder: "WO-1"})
		tree, err := x.inv.Backward(x.ctx, "F-1")
		x.must(err)
		if len(tree.Children) != 3 || tree.Children[0].Lot != "A" || tree.Children[0].Quantity != q(10) || tree.Children[1].Quantity != q(4) ||
			tree.Children[2].Quantity != q(50) {
			t.Errorf("F-1 backward: %+v", tree.Children)
		}
	})
}

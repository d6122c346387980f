package inventory

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

func (x *fixture) count(seq uint64, at time.Time, good, reject int64) {
	x.t.Helper()
	if _, err := x.st.ApplyBatch(x.ctx, wire.Batch{EdgeID: "E1", Events: []wire.Event{{EdgeID: "E1", Seq: seq, Line: "L1",
		Type: wire.TypeCount, SourceTime: at, Count: &wire.Count{Counter: "c", Good: good, Reject: reject}}}}); err != nil {
		x.t.Fatal(err)
	}
}

func lineOf(c domain.WorkOrderConsumption, m string) domain.ConsumptionLine {
	for _, l := range c.Lines {
		if l.Material == m {
			return l
		}
	}
	return domain.ConsumptionLine{}
}

// TestManualIssueScrapAndVariance: bracket P takes 0.5 m of strip M
// (backflushed) and 2 clips K (manual issue). Counts backflush only M; a
// scanned clip lot is issued for what the work order still needs; a
// second scan is refused; station scrap consumes M too; the work order's
// consumption shows standard, actual and variance per component.
func TestManualIssueScrapAndVariance(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		op := domain.Actor{Name: "op", Role: domain.RoleOperator}
		x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: "K", Name: "Clip", Unit: "pcs"}))
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5},
			{Product: "P", Component: "K", Quantity: 2, Consumption: "manual"}}, admin))
		bom, err := x.st.BOM(x.ctx, "P")
		x.must(err)
		if len(bom) != 2 || bom[0].Component != "K" || bom[0].Consumption != "manual" || bom[1].Consumption != "" {
			t.Errorf("BOM read back: %+v", bom)
		}
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "A", Material: "M", Quantity: q(100), To: "LS-L1"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "K1", Material: "K", Quantity: q(1000), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "K2", Material: "K", Quantity: q(50), To: "LS-L1"})
		t0 := time.Now().UTC().Add(-time.Hour)
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-1", t0, op, "start"); err != nil {
			t.Fatal(err)
		}
		x.count(1, t0.Add(time.Minute), 10, 2)
		if x.stock("A", "LS-L1") != q(94) || x.stock("K2", "LS-L1") != q(50) {
			t.Errorf("after 12 parts: A %s, K2 %s (K is not backflushed)", x.stock("A", "LS-L1"), x.stock("K2", "LS-L1"))
		}
		// The scan issues what the work order still needs: 2 × 100.
		ld, err := x.inv.LoadLot(x.ctx, "L1", "WO-1", "K1", op)
		x.must(err)
		if ld.Issued != q(200) || ld.Moved != 0 || x.stock("K1", "WH-A") != q(800) {
			t.Errorf("scan of K1: %+v, K1 at WH-A %s", ld, x.stock("K1", "WH-A"))
		}
		_, err = x.inv.LoadLot(x.ctx, "L1", "WO-1", "K2", op)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != "code" || !strings.Contains(fe.Rule, "work order WO-1 has all its K issued (200 pcs)") {
			t.Errorf("second clip lot: %v", err)
		}
		// Scrap at the station consumes its components too.
		if _, err := x.st.RecordScrap(x.ctx, "WO-1", 3, "dropped", op); err != nil {
			t.Fatal(err)
		}
		if x.stock("A", "LS-L1") != q(92.5) {
			t.Errorf("after scrap of 3: A %s", x.stock("A", "LS-L1"))
		}
		c, err := x.inv.Consumption(x.ctx, "WO-1")
		x.must(err)
		m, k := lineOf(c, "M"), lineOf(c, "K")
		if c.Good != 10 || c.Reject != 5 || !c.Standard || m.Standard != q(7.5) || m.Actual != q(7.5) || m.Variance != 0 ||
			m.Consumption != "backflush" || k.Consumption != "manual" || k.Standard != q(30) || k.Actual != q(200) || k.Variance != q(170) ||
			len(k.Lots) != 1 || k.Lots[0].Lot != "K1" {
			t.Errorf("consumption: %+v", c)
		}
	})
}

// TestBackflushFollowsReattributedCounts: counts stored for WO-1 that a
// late stop moves out of it give back what they consumed; the work order
// started for them then consumes it.
func TestBackflushFollowsReattributedCounts(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		op := domain.Actor{Name: "op", Role: domain.RoleOperator}
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		x.order("PO-2", "P", "WO-2", domain.StatusReleased)
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "A", Material: "M", Quantity: q(100), To: "LS-L1"})
		t0 := time.Now().UTC().Add(-time.Hour)
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-1", t0, op, "start"); err != nil {
			t.Fatal(err)
		}
		x.count(1, t0.Add(2*time.Minute), 10, 0)
		if x.stock("A", "LS-L1") != q(95) {
			t.Fatalf("after 10 parts: A %s", x.stock("A", "LS-L1"))
		}
		if _, err := x.st.StopWorkOrderAs(x.ctx, "WO-1", t0.Add(time.Minute), op, "stop"); err != nil {
			t.Fatal(err)
		}
		c1, err := x.inv.Consumption(x.ctx, "WO-1")
		x.must(err)
		if x.stock("A", "LS-L1") != q(100) || c1.Good != 0 || lineOf(c1, "M").Actual != 0 {
			t.Errorf("after the counts left WO-1: A %s, WO-1 %+v", x.stock("A", "LS-L1"), c1)
		}
		if _, err := x.st.StartWorkOrderAs(x.ctx, "WO-2", t0.Add(time.Minute), op, "start"); err != nil {
			t.Fatal(err)
		}
		c2, err := x.inv.Consumption(x.ctx, "WO-2")
		x.must(err)
		if x.stock("A", "LS-L1") != q(95) || c2.Good != 10 || lineOf(c2, "M").Actual != q(5) || lineOf(c2, "M").Variance != 0 {
			t.Errorf("after the counts joined WO-2: A %s, WO-2 %+v", x.stock("A", "LS-L1"), c2)
		}
		rets, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{WorkOrder: "WO-1", Type: domain.MoveReturn})
		x.must(err)
		if len(rets) != 1 || rets[0].Quantity != q(5) || rets[0].To != "LS-L1" {
			t.Errorf("returns of WO-1: %+v", rets)
		}
	})
}

package purchasing

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// TestMRPThreeLevelsByHandOnBoth plans one released order over a
// three-level bill of materials and compares with the hand calculation.
//
// Bill of materials (per one parent):
//
//	A (the order's product) ── 2 B (in-house) ── 3 C (in-house) ── 4 D (bought)
//	                        └─ 1 E (bought)
//
// B and C take 1 s per piece: a run of up to 86,400 pieces is one day.
// Order O1: 100 A, released, its work order planned to start 2026-03-20.
// Order O2: 500 A, draft (not planned: ignored). Today is 2026-03-02.
// Stock: B 50, D 100, E 30 (released, in the warehouse); an open purchase
// order for 20 E. D keeps 200 safety stock (reorder point 200); E has a
// reorder point of 40. ACME supplies D (10 days, MOQ 1000, multiple 500,
// 2.00) and E (5 days, multiple 10, 0.50).
//
// By hand, level by level:
//
//	level 1, B: gross 100×2 = 200 on 03-20; on hand 50 → make 150, start
//	         03-20 − 1 day = 03-19.
//	level 1, E: gross 100×1 = 100 on 03-20; on hand 30 + incoming 20 = 50
//	         → short 50 (a multiple of 10) → buy 50, order by 03-20 − 5 =
//	         03-15. The plan leaves 0 < reorder point 40 → buy 40 more,
//	         needed today + 5 = 03-07, order by today 03-02.
//	level 2, C: gross 150×3 = 450 on 03-19 (B's start); none on hand →
//	         make 450, start 03-18.
//	level 3, D: gross 450×4 = 1800 on 03-18 (C's start); 100 on hand less
//	         200 safety = −100 → short 1900 → MOQ 1000, multiple 500 →
//	         buy 2000, order by 03-18 − 10 = 03-08. Ends at 300 ≥ 200.
func TestMRPThreeLevelsByHandOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		for _, p := range []domain.Product{
			{Code: "A", Name: "Assembly", Unit: "pcs", IdealCycle: time.Second},
			{Code: "B", Name: "Sub-assembly", Unit: "pcs", IdealCycle: time.Second},
			{Code: "C", Name: "Part", Unit: "pcs", IdealCycle: time.Second},
			{Code: "D", Name: "Blank", Unit: "pcs"},
			{Code: "E", Name: "Label", Unit: "pcs"},
		} {
			x.must(x.st.CreateProduct(x.ctx, p))
		}
		sys := domain.Actor{Name: "test", Role: domain.RoleAdmin}
		x.must(x.st.ReplaceBOM(x.ctx, "A", []domain.BOMItem{{Component: "B", Quantity: 2}, {Component: "E", Quantity: 1}}, sys))
		x.must(x.st.ReplaceBOM(x.ctx, "B", []domain.BOMItem{{Component: "C", Quantity: 3}}, sys))
		x.must(x.st.ReplaceBOM(x.ctx, "C", []domain.BOMItem{{Component: "D", Quantity: 4}}, sys))
		_, err := x.pur.ReplaceSupplierItems(x.ctx, "ACME", []domain.SupplierItem{
			{Material: "D", LeadTimeDays: 10, Price: 20000, Currency: "CNY", MOQ: 1000_000, Multiple: 500_000, Preferred: true},
			{Material: "E", LeadTimeDays: 5, Price: 5000, Currency: "CNY", Multiple: 10_000, Preferred: true},
		}, buyer)
		x.must(err)
		x.must(x.inv.ReplaceStockLevels(x.ctx, "D", []domain.StockLevel{{SafetyStock: 200_000, ReorderPoint: 200_000}}, sys))
		x.must(x.inv.ReplaceStockLevels(x.ctx, "E", []domain.StockLevel{{ReorderPoint: 40_000}}, sys))
		for _, s := range []struct {
			lot, mat string
			qty      domain.Qty
		}{{"L-B", "B", 50_000}, {"L-D", "D", 100_000}, {"L-E", "E", 30_000}} {
			_, err := x.inv.Book(x.ctx, domain.MovementRequest{Type: domain.MoveReceipt, Lot: s.lot, Material: s.mat, Quantity: s.qty, To: "WH-A"}, wh)
			x.must(err)
		}
		x.sentPO("PO-E", domain.POLine{Material: "E", Quantity: 20_000, DueDate: "2026-03-10"})
		start := time.Date(2026, 3, 20, 8, 0, 0, 0, time.UTC)
		x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: "O1", ProductCode: "A", Quantity: 100, Status: domain.StatusReleased}))
		x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: "O2", ProductCode: "A", Quantity: 500, Status: domain.StatusDraft}))
		x.must(x.st.CreateLine(x.ctx, domain.Line{ID: "L1", Name: "Line 1"}))
		x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: "O1-10", OrderNumber: "O1", OperationSeq: 10, LineID: "L1", Barcode: "O1-10",
			Quantity: 100, Status: domain.StatusReleased, PlannedStart: &start}))

		ps, err := x.pur.RunMRP(x.ctx, buyer)
		x.must(err)
		var got []string
		for _, p := range ps {
			got = append(got, fmt.Sprintf("%s %s %s need %s by %s %s [%s] %s", p.Kind, p.Material, p.Quantity, p.NeedDate, p.OrderBy,
				p.Supplier, strings.Join(p.Orders, ","), p.Reason))
		}
		want := []string{
			"production B 150 need 2026-03-20 by 2026-03-19  [O1] net requirement",
			"purchase E 50 need 2026-03-20 by 2026-03-15 ACME [O1] net requirement",
			"purchase E 40 need 2026-03-07 by 2026-03-02 ACME [] reorder point",
			"production C 450 need 2026-03-19 by 2026-03-18  [O1] net requirement",
			"purchase D 2000 need 2026-03-18 by 2026-03-08 ACME [O1] net requirement",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("proposals:\n%s\nwant (by hand):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// A second run replaces the open proposals, not adds to them.
		_, err = x.pur.RunMRP(x.ctx, buyer)
		x.must(err)
		open, err := x.pur.ListProposals(x.ctx, "purchase", "open")
		x.must(err)
		if len(open) != 3 {
			t.Fatalf("open requisitions after a second run: %d", len(open))
		}
		// The three requisitions become one draft purchase order for ACME.
		var ids []string
		for _, p := range open {
			ids = append(ids, p.ID)
		}
		pos, err := x.pur.ConvertRequisitions(x.ctx, ids, buyer)
		x.must(err)
		if len(pos) != 1 || pos[0].Supplier != "ACME" || pos[0].Number != "PO-20260302-001" || len(pos[0].Lines) != 3 ||
			pos[0].Total.String() != "4045.00" || pos[0].Status != domain.PODraft {
			t.Fatalf("converted %+v", pos)
		}
		_, err = x.pur.ConvertRequisitions(x.ctx, ids[:1], buyer)
		fieldErr(t, err, "requisitions[0]", "is converted (purchase order PO-20260302-001)")
		// With that order open, planning again proposes no more D or E.
		_, err = x.pur.ActPO(x.ctx, pos[0].Number, domain.POActApprove, "", buyer)
		x.must(err)
		ps, err = x.pur.RunMRP(x.ctx, buyer)
		x.must(err)
		for _, p := range ps {
			if p.Kind == "purchase" {
				t.Errorf("after converting: %+v", p)
			}
		}
	})
}

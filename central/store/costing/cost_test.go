package costing

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/central/store/purchasing"
	"github.com/linewise/linewise/edge/wire"
)

var (
	t0      = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	admin   = domain.Actor{Name: "admin", Role: domain.RoleAdmin}
	planner = domain.Actor{Name: "plan", Role: domain.RolePlanner}
)

func amt(s string) money.Amount {
	a, err := money.Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

func open(t *testing.T, driver string) *store.Store {
	t.Helper()
	dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
	if driver == store.DriverPostgres {
		dsn = pgtest.Schema(t)
	}
	st, err := store.Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestOrderCostHandComputed prices one order whose every figure is
// computed by hand in README "Cost settlement" (the worked example):
// product P (cycle 60 s, setup 10 min on L1), 0.5 kg of M (not tracked)
// and 2 pcs of N (180 issued from the ledger) per piece; 80 good and 5
// scrap; op1 (grade G2, 50.00/h; the line's standard grade G1 is 40.00/h)
// worked 2 h; L1 (120.00/h) ran 1.5 h of them; price 30.00 CNY a piece.
func TestOrderCostHandComputed(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) { testHandComputed(t, driver, false) })
	}
}

// TestOrderCostAtPurchasePrice: the same order, but the rivets' lot came
// in on a purchase order at 0.12 a piece (standard 0.10): N's actual is
// 180 × 0.12 = 21.60 and its price variance 180 × 0.02 = 3.60, the rest
// as in the worked example.
func TestOrderCostAtPurchasePrice(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) { testHandComputed(t, driver, true) })
	}
}

func testHandComputed(t *testing.T, driver string, purchased bool) {
	ctx := context.Background()
	st := open(t, driver)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cs := New(st.Handle(), "CNY")
	must(st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
	must(st.CreateProduct(ctx, domain.Product{Code: "P", Name: "Bracket", Unit: "pcs", IdealCycle: time.Minute}))
	must(st.CreateProduct(ctx, domain.Product{Code: "M", Name: "Steel", Unit: "kg"}))
	must(st.CreateProduct(ctx, domain.Product{Code: "N", Name: "Rivet", Unit: "pcs"}))
	must(st.ReplaceRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, Name: "press", LineID: "L1", IdealCycle: time.Minute, Setup: 10 * time.Minute}}, admin))
	must(st.ReplaceBOM(ctx, "P", []domain.BOMItem{{Component: "M", Quantity: 0.5, Unit: "kg"}, {Component: "N", Quantity: 2}}, admin))
	must(st.CreateUser(ctx, domain.User{Username: "op1", Role: domain.RoleOperator}, admin))

	// Rates, each audited; a grade must exist before it is used.
	if _, err := cs.PutLineRate(ctx, domain.LineRate{Line: "L1", MachineHour: amt("120"), LabourGrade: "G1"}, planner); err == nil {
		t.Fatal("a line rate naming an unknown grade was accepted")
	}
	_, err := cs.PutLabourGrade(ctx, domain.LabourGrade{Grade: "G1", Name: "operator", LabourHour: amt("40")}, planner)
	must(err)
	_, err = cs.PutLabourGrade(ctx, domain.LabourGrade{Grade: "G2", Name: "senior operator", LabourHour: amt("50")}, planner)
	must(err)
	_, err = cs.PutLineRate(ctx, domain.LineRate{Line: "L1", MachineHour: amt("120"), LabourGrade: "G1"}, planner)
	must(err)
	_, err = cs.PutMaterialCost(ctx, domain.MaterialCost{Material: "M", StandardCost: amt("2.5")}, planner)
	must(err)
	_, err = cs.PutMaterialCost(ctx, domain.MaterialCost{Material: "N", StandardCost: amt("0.1")}, planner)
	must(err)
	must(cs.SetUserGrade(ctx, "op1", "G2", planner))

	price := amt("30")
	o, err := st.CreateDraftOrder(ctx, domain.Order{Number: "PO-1", ProductCode: "P", Quantity: 100, Price: &price, Currency: "CNY"}, planner)
	must(err)
	if o.Price == nil || *o.Price != price || o.Currency != "CNY" {
		t.Fatalf("order price: %+v", o)
	}
	setStatus := func(to domain.OrderStatus, wo domain.OrderStatus) {
		t.Helper()
		_, err := st.ChangeOrder(ctx, "PO-1", admin, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			rec.Status = to
			for i := range rec.WorkOrders {
				rec.WorkOrders[i].Status = wo
			}
			return domain.OrderChange{Action: string(to)}, nil
		})
		must(err)
	}
	setStatus(domain.StatusReleased, domain.StatusReleased)
	must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1", OrderNumber: "PO-1", OperationSeq: 10, LineID: "L1", Barcode: "WO-1",
		Quantity: 100, Status: domain.StatusReleased}))
	op1 := domain.Actor{Name: "op1", Role: domain.RoleOperator}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	_, err = st.StartWorkOrderAs(ctx, "WO-1", at(0), op1, "start")
	must(err)
	ev := func(seq uint64, m int, e wire.Event) wire.Event {
		e.EdgeID, e.Seq, e.Line, e.SourceTime = "e1", seq, "L1", at(m)
		return e
	}
	_, err = st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
		ev(1, 0, wire.Event{Type: wire.TypeState, State: &wire.State{State: wire.StateRunning}}),
		ev(2, 60, wire.Event{Type: wire.TypeCount, Count: &wire.Count{Counter: "parts", Good: 80, Reject: 5}}),
		ev(3, 90, wire.Event{Type: wire.TypeState, State: &wire.State{State: wire.StateDown, Reason: "jam"}}),
	}})
	must(err)
	_, err = st.StopWorkOrderAs(ctx, "WO-1", at(120), op1, "stop")
	must(err)

	// N is tracked: a lot received and 180 pcs issued to WO-1.
	inv := inventory.New(st.Handle())
	wh := domain.Actor{Name: "wh", Role: domain.RoleWarehouse}
	_, err = inv.CreateLocation(ctx, domain.Location{ID: "WH-A", Name: "Rack A", Kind: domain.LocWarehouse, Warehouse: "WH1"}, wh)
	must(err)
	lot := "N-1"
	if purchased {
		buyer := domain.Actor{Name: "buyer", Role: domain.RoleBuyer}
		pur := purchasing.New(st.Handle(), inv, domain.DefaultPurchasingRules())
		_, _, err = pur.PutSupplier(ctx, domain.Supplier{Code: "ACME", Name: "Acme Rivets", Status: domain.SupplierApproved}, buyer)
		must(err)
		_, err = pur.ReplaceSupplierItems(ctx, "ACME", []domain.SupplierItem{{Material: "N", LeadTimeDays: 5, Price: 1200, Currency: "CNY"}}, buyer)
		must(err)
		_, err = pur.CreatePO(ctx, domain.PurchaseOrder{Number: "PUR-1", Supplier: "ACME",
			Lines: []domain.POLine{{Material: "N", Quantity: 500 * domain.QtyScale, DueDate: "2026-03-05"}}}, buyer)
		must(err)
		_, err = pur.ActPO(ctx, "PUR-1", domain.POActApprove, "", buyer)
		must(err)
		_, err = pur.ActPO(ctx, "PUR-1", domain.POActSend, "", buyer)
		must(err)
		rc, err := pur.Receive(ctx, "PUR-1", 1, purchasing.ReceiptRequest{Quantity: 500 * domain.QtyScale}, wh)
		must(err)
		lot = rc.Lot
		if rc.Location != "WH-A" {
			t.Fatalf("received at %s", rc.Location)
		}
	} else {
		_, err = inv.Book(ctx, domain.MovementRequest{Type: domain.MoveReceipt, Lot: lot, Material: "N", Quantity: 500 * domain.QtyScale, To: "WH-A"}, wh)
		must(err)
	}
	_, err = inv.Book(ctx, domain.MovementRequest{Type: domain.MoveIssue, Lot: lot, Quantity: 180 * domain.QtyScale, From: "WH-A", WorkOrder: "WO-1"}, wh)
	must(err)

	check := func(what string, c domain.CostSheet) {
		t.Helper()
		want := map[string]money.Amount{
			"actual.material": amt("124.25"), "actual.labour": amt("100"), "actual.machine": amt("180"), "actual.outsourcing": 0, "actual.total": amt("404.25"),
			"standard.material": amt("116"), "standard.labour": amt("60"), "standard.machine": amt("160"), "standard.total": amt("336"),
			"variance": amt("68.25"), "by.price": amt("20"), "by.scrap": amt("20.5833"), "by.quantity": amt("1"), "by.efficiency": amt("26.6667"),
			"standard_unit": amt("4.2"), "actual_unit": amt("5.0531"), "revenue": amt("2400"), "margin": amt("1995.75"), "standard_margin": amt("2064"),
			"M.actual": amt("106.25"), "M.scrap": amt("6.25"), "M.quantity": 0, "N.actual": amt("18"), "N.scrap": amt("1"), "N.quantity": amt("1"),
			"N.price": 0,
		}
		pct := "83.16"
		if purchased {
			// N at 0.12: +3.60 on the material, the total, the variance and its price part.
			for k, v := range map[string]string{"actual.material": "127.85", "actual.total": "407.85", "variance": "71.85", "by.price": "23.6",
				"actual_unit": "5.0981", "margin": "1992.15", "N.actual": "21.6", "N.price": "3.6"} {
				want[k] = amt(v)
			}
			pct = "83.01"
		}
		got := map[string]money.Amount{
			"actual.material": c.Actual.Material, "actual.labour": c.Actual.Labour, "actual.machine": c.Actual.Machine, "actual.outsourcing": c.Actual.Outsourcing,
			"actual.total": c.Actual.Total, "standard.material": c.Standard.Material, "standard.labour": c.Standard.Labour, "standard.machine": c.Standard.Machine,
			"standard.total": c.Standard.Total, "variance": c.Variance, "by.price": c.VarianceByCause["price"], "by.scrap": c.VarianceByCause["scrap"],
			"by.quantity": c.VarianceByCause["quantity"], "by.efficiency": c.VarianceByCause["efficiency"], "standard_unit": c.StandardUnit,
		}
		if c.ActualUnit != nil {
			got["actual_unit"] = *c.ActualUnit
		}
		if c.Revenue != nil && c.Margin != nil && c.StandardMargin != nil {
			got["revenue"], got["margin"], got["standard_margin"] = *c.Revenue, *c.Margin, *c.StandardMargin
		}
		for _, m := range c.Materials {
			got[m.Material+".actual"], got[m.Material+".scrap"], got[m.Material+".quantity"], got[m.Material+".price"] = m.Actual, m.Scrap, m.Quantity, m.Price
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s = %s; want %s", what, k, got[k], w)
			}
		}
		if c.MarginPct != pct || c.Good != 80 || c.Scrap != 5 || c.Currency != "CNY" || len(c.Missing) != 0 {
			t.Errorf("%s: margin %s%%, good %d, scrap %d, %s, missing %v", what, c.MarginPct, c.Good, c.Scrap, c.Currency, c.Missing)
		}
		if len(c.Materials) != 2 || c.Materials[0].Tracked || !c.Materials[1].Tracked || c.Materials[1].ActualQty != 180*domain.QtyScale {
			t.Errorf("%s: materials %+v", what, c.Materials)
		}
		if len(c.Operations) != 1 || c.Operations[0].LabourHours != "2.0000" || c.Operations[0].MachineHours != "1.5000" || c.Operations[0].StdLabourHours != "1.5000" {
			t.Errorf("%s: operations %+v", what, c.Operations)
		}
	}
	live, err := cs.OrderCost(ctx, "PO-1")
	must(err)
	if live.Frozen {
		t.Fatal("open order's cost is frozen")
	}
	check("live", live)

	setStatus(domain.StatusCompleted, domain.StatusCompleted)
	setStatus(domain.StatusClosed, domain.StatusCompleted)
	// After closing, a rate change and a late count change nothing.
	_, err = cs.PutLineRate(ctx, domain.LineRate{Line: "L1", MachineHour: amt("999"), LabourGrade: "G1"}, planner)
	must(err)
	_, err = st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
		ev(4, 30, wire.Event{Type: wire.TypeCount, Count: &wire.Count{Counter: "parts", Good: 7}})}})
	must(err)
	frozen, err := cs.OrderCost(ctx, "PO-1")
	must(err)
	if !frozen.Frozen || frozen.ClosedAt == nil {
		t.Fatalf("closed order's cost is not frozen: %+v", frozen)
	}
	check("frozen", frozen)

	audit, err := st.ListAudit(ctx, domain.AuditFilter{Entity: "line_rate"})
	if err != nil || len(audit) != 2 || audit[0].Actor != "plan" {
		t.Errorf("line rate audit: %+v %v", audit, err)
	}
}

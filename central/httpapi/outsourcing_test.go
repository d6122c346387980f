package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store/purchasing"
)

// TestOutsourcingThroughTheAPI: order PO-S makes 10 P in three operations,
// the second (plating, 20) outsourced to ACME, who is approved for P as a
// service at 12.50 a part with 10 days' lead time. The planner asks; the
// planner cannot approve and a manager cannot approve their own request;
// nothing is sent before approval; a manager approves, which writes the
// subcontract purchase order; the warehouse sends 20 kg of lot K-9 for
// the 10 parts to ACME's location; 11 parts cannot come back, 6 then 4
// do, each taking its share of K-9 at the supplier; quality accepts the
// first lot (to line 1's side, where operation 30 runs) and rejects the
// second. The returned lot traces back to K-9, and the scheduler starts
// operation 30 no earlier than the 10 days after shipment.
func TestOutsourcingThroughTheAPI(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		purchasingFixture(t, e)
		ctx := t.Context()
		if err := e.st.SetRouting(ctx, "P", []domain.RoutingOp{{Seq: 10, Name: "press", LineID: "L1", IdealCycle: time.Second},
			{Seq: 20, Name: "plating", LineID: "L2", IdealCycle: time.Second}, {Seq: 30, Name: "assemble", LineID: "L1", IdealCycle: time.Second}}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.CreateOrder(ctx, domain.Order{Number: "PO-S", ProductCode: "P", Quantity: 10, Status: domain.StatusReleased}); err != nil {
			t.Fatal(err)
		}
		for _, seq := range []int{10, 20, 30} {
			line := map[int]string{10: "L1", 20: "L2", 30: "L1"}[seq]
			id := "WO-S-" + map[int]string{10: "10", 20: "20", 30: "30"}[seq]
			if err := e.st.CreateWorkOrder(ctx, domain.WorkOrder{ID: id, OrderNumber: "PO-S", OperationSeq: seq, LineID: line, Barcode: id,
				Quantity: 10, Status: domain.StatusReleased}); err != nil {
				t.Fatal(err)
			}
		}
		pl, mg, wh, qa, ad := e.as[domain.RolePlanner], e.as[domain.RoleManager], e.as[domain.RoleWarehouse], e.as[domain.RoleQuality], e.as[domain.RoleAdmin]
		if res, out := e.do(wh, "POST", "/api/v1/movements/receipt", map[string]any{"lot": "K-9", "material": "Q", "quantity": 100, "to": "WH-A"}); res.StatusCode != 201 {
			t.Fatalf("component lot: %d %s", res.StatusCode, out)
		}
		sub := func(out []byte) domain.Subcontract {
			t.Helper()
			var sc domain.Subcontract
			if err := json.Unmarshal(out, &sc); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			return sc
		}

		// The routing operation is marked: always outsourced, to ACME by default.
		res, out := e.do(pl, "PUT", "/api/v1/subcontract-ops/P/20", map[string]any{"mode": "sometimes"})
		e.problem(res, out, 400, "mode")
		res, out = e.do(pl, "PUT", "/api/v1/subcontract-ops/P/20", map[string]any{"mode": "always", "supplier": "GONE"})
		e.problem(res, out, 409, "supplier")
		if res, out := e.do(pl, "PUT", "/api/v1/subcontract-ops/P/20", map[string]any{"mode": "always", "supplier": "ACME"}); res.StatusCode != 200 {
			t.Fatalf("mark: %d %s", res.StatusCode, out)
		}
		// A supplier not approved for the product is refused.
		res, out = e.do(pl, "POST", "/api/v1/subcontracts", map[string]any{"work_order": "WO-S-20", "supplier": "GONE"})
		e.problem(res, out, 409, "supplier")
		res, out = e.do(pl, "POST", "/api/v1/subcontracts", map[string]any{"work_order": "WO-S-20", "quantity": 11})
		e.problem(res, out, 409, "quantity")
		res, out = e.do(pl, "POST", "/api/v1/subcontracts", map[string]any{"work_order": "WO-S-20", "reason": "L2 saturated until Friday"})
		sc := sub(out)
		if res.StatusCode != 201 || sc.Supplier != "ACME" || sc.Quantity != 10 || sc.Status != domain.SubRequested || sc.LeadTimeDays != 10 {
			t.Fatalf("request: %d %s", res.StatusCode, out)
		}
		res, out = e.do(pl, "POST", "/api/v1/subcontracts", map[string]any{"work_order": "WO-S-20"})
		e.problem(res, out, 409, "work_order")

		// Outsourcing without approval: nothing goes out.
		ship := map[string]any{"quantity": 10, "lots": []map[string]any{{"lot": "K-9", "from": "WH-A", "quantity": 20}}}
		res, out = e.do(wh, "POST", "/api/v1/subcontracts/"+sc.ID+"/ship", ship)
		if p := e.problem(res, out, 409, "status"); !strings.Contains(p.Detail, "management must approve") {
			t.Errorf("ship before approval: %s", p.Detail)
		}
		res, out = e.do(pl, "POST", "/api/v1/subcontracts/"+sc.ID+"/approve", nil)
		e.problem(res, out, 403, "role")
		// A manager cannot approve their own request.
		res, out = e.do(mg, "POST", "/api/v1/subcontracts", map[string]any{"work_order": "WO-1", "supplier": "ACME", "reason": "test"})
		own := sub(out)
		if res.StatusCode != 201 {
			t.Fatalf("manager's request: %d %s", res.StatusCode, out)
		}
		res, out = e.do(mg, "POST", "/api/v1/subcontracts/"+own.ID+"/approve", nil)
		e.problem(res, out, 409, "approved_by")
		res, out = e.do(ad, "POST", "/api/v1/subcontracts/"+own.ID+"/reject", map[string]any{})
		e.problem(res, out, 400, "reason")
		if res, out := e.do(ad, "POST", "/api/v1/subcontracts/"+own.ID+"/reject", map[string]any{"reason": "we have the capacity"}); res.StatusCode != 200 ||
			sub(out).Status != domain.SubRejected {
			t.Fatalf("reject: %d %s", res.StatusCode, out)
		}

		res, out = e.do(mg, "POST", "/api/v1/subcontracts/"+sc.ID+"/approve", map[string]any{"reason": "signed for the board"})
		sc = sub(out)
		if res.StatusCode != 200 || sc.Status != domain.SubApproved || sc.ApprovedBy != "manager" || sc.PO == "" {
			t.Fatalf("approve: %d %s", res.StatusCode, out)
		}
		res, out = e.do(mg, "GET", "/api/v1/purchase-orders/"+sc.PO, nil)
		var po domain.PurchaseOrder
		if res.StatusCode != 200 || json.Unmarshal(out, &po) != nil || !po.Subcontract || po.Status != domain.POApproved || po.ApprovedBy != "manager" ||
			po.Supplier != "ACME" || len(po.Lines) != 1 || po.Lines[0].Material != "P" || po.Total.String() != "125.00" {
			t.Fatalf("subcontract purchase order: %d %s", res.StatusCode, out)
		}

		// Components to the supplier's location.
		res, out = e.do(wh, "POST", "/api/v1/subcontracts/"+sc.ID+"/ship", map[string]any{"quantity": 10,
			"lots": []map[string]any{{"lot": "K-9", "from": "WH-A", "quantity": 200}}})
		e.problem(res, out, 409, "lots[0].quantity")
		res, out = e.do(wh, "POST", "/api/v1/subcontracts/"+sc.ID+"/ship", ship)
		sc = sub(out)
		if res.StatusCode != 200 || sc.Status != domain.SubAtSupplier || sc.Sent != 10 || sc.AtSupplier != 10 || sc.Location != "SUB-ACME" {
			t.Fatalf("ship: %d %s", res.StatusCode, out)
		}
		res, out = e.do(wh, "GET", "/api/v1/stock?location=SUB-ACME", nil)
		if res.StatusCode != 200 || !strings.Contains(string(out), `"lot":"K-9"`) || !strings.Contains(string(out), `"quantity":20`) {
			t.Fatalf("stock at ACME: %d %s", res.StatusCode, out)
		}

		// Back: never more than was sent.
		res, out = e.do(wh, "POST", "/api/v1/subcontracts/"+sc.ID+"/receive", map[string]any{"quantity": 11})
		if p := e.problem(res, out, 409, "quantity"); !strings.Contains(p.Detail, "more than the 10 at the supplier") {
			t.Errorf("over-receipt: %s", p.Detail)
		}
		res, out = e.do(wh, "POST", "/api/v1/subcontracts/"+sc.ID+"/receive", map[string]any{"quantity": 6})
		sc = sub(out)
		if res.StatusCode != 200 || sc.Received != 6 || sc.AtSupplier != 4 || len(sc.Returned) != 1 || sc.Returned[0].Lot != "WO-S-20-R1" {
			t.Fatalf("receive 6: %d %s", res.StatusCode, out)
		}
		res, out = e.do(wh, "POST", "/api/v1/subcontracts/"+sc.ID+"/receive", map[string]any{"quantity": 4, "lot": "PLT-2"})
		sc = sub(out)
		if res.StatusCode != 200 || sc.Status != domain.SubReceived || sc.Received != 10 || sc.AtSupplier != 0 {
			t.Fatalf("receive 4: %d %s", res.StatusCode, out)
		}
		// 6 parts took 12 kg of K-9, 4 the other 8: none is left at ACME.
		res, out = e.do(wh, "GET", "/api/v1/stock?location=SUB-ACME", nil)
		if res.StatusCode != 200 || strings.Contains(string(out), `"lot":"K-9"`) {
			t.Errorf("stock at ACME after the receipts: %s", out)
		}
		res, out = e.do(wh, "GET", "/api/v1/movements?work_order=WO-S-20", nil)
		if !strings.Contains(string(out), `"quantity":12`) || !strings.Contains(string(out), `"quantity":8`) {
			t.Errorf("issues to WO-S-20: %s", out)
		}
		res, out = e.do(mg, "GET", "/api/v1/purchase-orders/"+sc.PO, nil)
		if !strings.Contains(string(out), `"status":"received"`) || !strings.Contains(string(out), `"received":10`) {
			t.Errorf("subcontract purchase order after receipt: %s", out)
		}

		// Inspection: accepted to operation 30's line side; rejected blocked.
		res, out = e.do(qa, "POST", "/api/v1/subcontracts/"+sc.ID+"/inspect", map[string]any{"lot": "NOPE", "decision": "accept"})
		e.problem(res, out, 400, "lot")
		if res, out := e.do(qa, "POST", "/api/v1/subcontracts/"+sc.ID+"/inspect", map[string]any{"lot": "WO-S-20-R1", "decision": "accept"}); res.StatusCode != 200 {
			t.Fatalf("accept: %d %s", res.StatusCode, out)
		}
		res, out = e.do(qa, "POST", "/api/v1/subcontracts/"+sc.ID+"/inspect", map[string]any{"lot": "WO-S-20-R1", "decision": "reject", "reason": "again"})
		e.problem(res, out, 409, "lot")
		res, out = e.do(qa, "POST", "/api/v1/subcontracts/"+sc.ID+"/inspect", map[string]any{"lot": "PLT-2", "decision": "reject", "reason": "plating peels"})
		sc = sub(out)
		if res.StatusCode != 200 || sc.Status != domain.SubClosed || sc.Inspected != 10 || sc.Accepted != 6 || sc.NextWork != "WO-S-30" {
			t.Fatalf("reject: %d %s", res.StatusCode, out)
		}
		for lot, want := range map[string]string{"WO-S-20-R1": "released", "PLT-2": "blocked"} {
			res, out := e.do(qa, "GET", "/api/v1/lots/"+lot, nil)
			if res.StatusCode != 200 || !strings.Contains(string(out), `"status":"`+want+`"`) || !strings.Contains(string(out), `"material":"P"`) {
				t.Errorf("lot %s: %d %s; want %s", lot, res.StatusCode, out, want)
			}
		}
		res, out = e.do(qa, "GET", "/api/v1/stock?lot=WO-S-20-R1", nil)
		if !strings.Contains(string(out), `"location":"LS-L1"`) || !strings.Contains(string(out), `"quantity":6`) {
			t.Errorf("accepted lot not at line 1's side: %s", out)
		}
		// Genealogy: the returned lot was made by WO-S-20 from K-9.
		res, out = e.do(qa, "GET", "/api/v1/trace/backward?lot=WO-S-20-R1", nil)
		if res.StatusCode != 200 || !strings.Contains(string(out), `"K-9"`) || !strings.Contains(string(out), "WO-S-20") {
			t.Errorf("trace: %d %s", res.StatusCode, out)
		}
		res, out = e.do(qa, "GET", "/api/v1/subcontracts?status=closed&supplier=ACME", nil)
		if res.StatusCode != 200 || !strings.Contains(string(out), sc.ID) {
			t.Errorf("list: %d %s", res.StatusCode, out)
		}
		res, out = e.do(qa, "GET", "/api/v1/exports/subcontracts.csv", nil)
		if res.StatusCode != 200 || !strings.Contains(string(out), sc.ID+",WO-S-20,PO-S,20,ACME,closed,10,10,0,10,10,6,") ||
			!strings.Contains(string(out), ",planner,manager") {
			t.Errorf("csv: %d %s", res.StatusCode, out)
		}
		res, out = e.do(qa, "GET", "/api/v1/subcontracts?status=nope", nil)
		e.problem(res, out, 400, "status")
		res, out = e.do(ad, "GET", "/api/v1/audit?entity=subcontract:"+sc.ID, nil)
		for _, a := range []string{"request", "approve", "ship", "receive", "inspect"} {
			if !strings.Contains(string(out), `"action":"`+a+`"`) {
				t.Errorf("audit lacks %s: %s", a, out)
			}
		}
	})
}

// TestOutsourcingLeadTimeForTheScheduler: while an operation is at the
// supplier, the next operation of its order is not planned before the
// parts are due back (the supplier's lead time from the shipment).
func TestOutsourcingLeadTimeForTheScheduler(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		purchasingFixture(t, e)
		ctx := t.Context()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(e.st.CreateOrder(ctx, domain.Order{Number: "PO-T", ProductCode: "P", Quantity: 5, Status: domain.StatusReleased}))
		for i, id := range []string{"WO-T-10", "WO-T-20", "WO-T-30"} {
			must(e.st.CreateWorkOrder(ctx, domain.WorkOrder{ID: id, OrderNumber: "PO-T", OperationSeq: 10 * (i + 1), LineID: "L1", Barcode: id,
				Quantity: 5, Status: domain.StatusReleased}))
		}
		pur := e.api.opts.Purchasing.(*purchasing.Store)
		work := []domain.PlanWork{{WorkOrderID: "WO-T-10", OrderNumber: "PO-T", OperationSeq: 10}, {WorkOrderID: "WO-T-30", OrderNumber: "PO-T", OperationSeq: 30},
			{WorkOrderID: "WO-T-20", OrderNumber: "PO-T", OperationSeq: 20}}
		got, err := pur.MaterialReady(ctx, work, time.Now())
		if err != nil || len(got) != 0 {
			t.Fatalf("nothing outsourced: %v %v", got, err)
		}
		sc, err := pur.RequestSubcontract(ctx, purchasing.SubcontractRequest{WorkOrder: "WO-T-20", Supplier: "ACME"}, domain.Actor{Name: "plan", Role: domain.RolePlanner})
		must(err)
		if got, _ := pur.MaterialReady(ctx, work, time.Now()); len(got) != 0 {
			t.Fatalf("a request not yet approved bounds nothing: %v", got)
		}
		sc, err = pur.DecideSubcontract(ctx, sc.ID, true, "", domain.Actor{Name: "boss", Role: domain.RoleManager})
		must(err)
		got, err = pur.MaterialReady(ctx, work, time.Now())
		if err != nil || len(got) != 1 || !got["WO-T-30"].Equal(*sc.ExpectedAt) || sc.ApprovedAt == nil ||
			!sc.ExpectedAt.Equal(sc.ApprovedAt.AddDate(0, 0, 10)) {
			t.Fatalf("approved: %v %v; want WO-T-30 not before %v (approval + 10 days)", got, err, sc.ExpectedAt)
		}
	})
}

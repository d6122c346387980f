package httpapi

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// purchasingRoute reports whether a route belongs to the purchasing API.
func purchasingRoute(r Route) bool {
	for _, prefix := range []string{"/api/v1/suppliers", "/api/v1/purchase-orders", "/api/v1/exports/purchase-orders.",
		"/api/v1/receipts", "/api/v1/inspections", "/api/v1/inspection-plans", "/api/v1/scorecards", "/api/v1/mrp", "/api/v1/requisitions",
		"/api/v1/exports/scorecards.", "/api/v1/subcontracts", "/api/v1/supplier-returns"} {
		if strings.HasPrefix(r.Path, prefix) {
			return true
		}
	}
	return false
}

// TestPurchasingWalkRoleMatrix calls every purchasing route as nobody and
// as every role: without a login 401, with a role the route does not list
// 403 (field role), with one it lists anything but 401 or 403.
func TestPurchasingWalkRoleMatrix(t *testing.T) {
	e := newEnv(t)
	fill := strings.NewReplacer(":code", "NOPE", ":number", "NOPE", ":id", "NOPE", ":material", "NOPE")
	n := 0
	for _, r := range e.api.Routes() {
		if !purchasingRoute(r) {
			continue
		}
		n++
		if r.Access != Authenticated || len(r.Roles) == 0 && isWrite(r.Method) {
			t.Errorf("%s %s: access %v roles %v", r.Method, r.Path, r.Access, r.Roles)
		}
		path := fill.Replace(r.Path)
		var body any
		if isWrite(r.Method) {
			body = map[string]any{}
			if strings.HasSuffix(r.Path, "/items") || strings.HasSuffix(r.Path, "/confirm") {
				body = []any{}
			}
		}
		res, out := e.do(nil, r.Method, path, body)
		e.problem(res, out, 401, "")
		for _, role := range domain.Roles() {
			res, out := e.do(e.as[role], r.Method, path, body)
			allowed := len(r.Roles) == 0 || slices.Contains(r.Roles, role)
			switch {
			case !allowed:
				if res.StatusCode != 403 || !strings.Contains(string(out), `"field":"role"`) {
					t.Errorf("%s %s as %s: %d %s; want 403 role", r.Method, r.Path, role, res.StatusCode, out)
				}
			case res.StatusCode == 401 || res.StatusCode == 403:
				t.Errorf("%s %s as %s: %d %s; the route admits %s", r.Method, r.Path, role, res.StatusCode, out, role)
			case res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json":
				t.Errorf("%s %s as %s: %d with content type %q", r.Method, r.Path, role, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
	}
	if n < 17 {
		t.Errorf("%d purchasing routes walked, want at least 17", n)
	}
	for _, c := range []struct {
		method, path string
		role         domain.Role
		ok           bool
	}{
		{"PUT", "/api/v1/suppliers/:code", domain.RoleBuyer, true},
		{"PUT", "/api/v1/suppliers/:code", domain.RoleWarehouse, false},
		{"POST", "/api/v1/purchase-orders", domain.RolePlanner, true},
		{"POST", "/api/v1/purchase-orders", domain.RoleOperator, false},
		{"POST", "/api/v1/purchase-orders/:number/approve", domain.RoleManager, true},
		{"POST", "/api/v1/purchase-orders/:number/approve", domain.RolePlanner, false},
	} {
		r, ok := e.api.routeIndex[c.method+" "+c.path]
		if !ok || slices.Contains(r.Roles, c.role) != c.ok {
			t.Errorf("%s %s as %s: allowed %v, want %v", c.method, c.path, c.role, slices.Contains(r.Roles, c.role), c.ok)
		}
	}
}

// purchasingFixture: supplier ACME approved for P (12.50 per pcs, 10 days)
// and a blocked supplier GONE.
func purchasingFixture(t *testing.T, e *env) {
	t.Helper()
	b := e.as[domain.RoleBuyer]
	for _, sp := range []map[string]any{
		{"name": "Acme Components", "status": "approved", "address": "1 Harbour Rd, Ningbo",
			"contacts": []map[string]any{{"name": "Li Wei", "role": "sales", "email": "li@acme.example"}}},
	} {
		if res, body := e.do(b, "PUT", "/api/v1/suppliers/ACME", sp); res.StatusCode != 201 {
			t.Fatalf("supplier: %d %s", res.StatusCode, body)
		}
	}
	if res, body := e.do(b, "PUT", "/api/v1/suppliers/GONE", map[string]any{"name": "Gone Ltd", "status": "blocked"}); res.StatusCode != 201 {
		t.Fatalf("supplier: %d %s", res.StatusCode, body)
	}
	if res, body := e.do(b, "PUT", "/api/v1/suppliers/ACME/items", []map[string]any{
		{"material": "P", "lead_time_days": 10, "price": "12.50", "currency": "CNY", "preferred": true},
	}); res.StatusCode != 200 || !strings.Contains(string(body), `"price":"12.50"`) {
		t.Fatalf("items: %d %s", res.StatusCode, body)
	}
}

func TestPurchaseOrderThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	purchasingFixture(t, e)
	b, m := e.as[domain.RoleBuyer], e.as[domain.RoleManager]
	// Bad input names the field.
	res, out := e.do(b, "POST", "/api/v1/purchase-orders", map[string]any{"number": "PO-X", "supplier": "GONE",
		"lines": []map[string]any{{"material": "P", "quantity": 10, "due_date": "2026-03-20"}}})
	e.problem(res, out, 409, "supplier")
	res, out = e.do(b, "POST", "/api/v1/purchase-orders", map[string]any{"number": "PO-X", "supplier": "ACME",
		"lines": []map[string]any{{"material": "Q", "quantity": 10, "due_date": "2026-03-20"}}})
	if p := e.problem(res, out, 409, "lines[0].material"); !strings.Contains(p.Detail, "not approved for material Q") {
		t.Fatalf("not approved: %s", out)
	}
	res, out = e.do(b, "POST", "/api/v1/purchase-orders", map[string]any{"number": "PO-X", "supplier": "ACME",
		"lines": []map[string]any{{"material": "P", "quantity": 10, "price": 1.5, "due_date": "2026-03-20"}}})
	if res.StatusCode != 201 {
		t.Fatalf("a numeric price: %d %s", res.StatusCode, out)
	}
	res, out = e.do(b, "POST", "/api/v1/purchase-orders", map[string]any{"number": "PO-Y", "supplier": "ACME",
		"lines": []map[string]any{{"material": "P", "quantity": 10, "price": "1.23456", "due_date": "2026-03-20"}}})
	e.problem(res, out, 400, "lines.price")

	// 4,001 pcs × 12.50 = 50,012.50: above the buyer's 50,000.
	res, out = e.do(b, "POST", "/api/v1/purchase-orders", map[string]any{"number": "PO-100", "supplier": "ACME", "notes": "Deliver to gate 2",
		"lines": []map[string]any{{"material": "P", "quantity": 4001, "due_date": "2026-03-20"}}})
	if res.StatusCode != 201 || !strings.Contains(string(out), `"total":"50012.50"`) || !strings.Contains(string(out), `"status":"draft"`) {
		t.Fatalf("create: %d %s", res.StatusCode, out)
	}
	res, out = e.do(b, "POST", "/api/v1/purchase-orders/PO-100/approve", nil)
	if p := e.problem(res, out, 403, "role"); !strings.Contains(p.Detail, "above role buyer's approval limit of 50000.00 CNY") ||
		!strings.Contains(p.Detail, "manager") {
		t.Fatalf("above limit: %s", out)
	}
	res, out = e.do(m, "POST", "/api/v1/purchase-orders/PO-100/approve", map[string]any{"reason": "quarterly volume"})
	if res.StatusCode != 200 || !strings.Contains(string(out), `"approved_by":"manager"`) {
		t.Fatalf("manager approves: %d %s", res.StatusCode, out)
	}
	res, out = e.do(b, "POST", "/api/v1/purchase-orders/PO-100/send", nil)
	if res.StatusCode != 200 || !strings.Contains(string(out), `"status":"sent"`) {
		t.Fatalf("send: %d %s", res.StatusCode, out)
	}
	res, out = e.do(b, "POST", "/api/v1/purchase-orders/PO-100/cancel", map[string]any{})
	e.problem(res, out, 400, "reason")

	// The document a supplier reads, in both languages.
	res, out = e.do(b, "GET", "/api/v1/purchase-orders/PO-100/document", nil)
	page := string(out)
	for _, want := range []string{"Purchase order 采购订单", "PO-100", "Acme Components", "li@acme.example", "1 Harbour Rd, Ningbo",
		"Part", "4001", "12.50", "50012.50", "Deliver to gate 2", "Approved by 批准人", "Supplier confirmation 供应商确认"} {
		if res.StatusCode != 200 || !strings.Contains(page, want) {
			t.Fatalf("document lacks %q: %d %s", want, res.StatusCode, page)
		}
	}
	res, out = e.do(b, "GET", "/api/v1/purchase-orders/PO-100/document.xlsx", nil)
	if res.StatusCode != 200 || !strings.Contains(xlsxText(t, out), "50012.50") || !strings.Contains(xlsxText(t, out), "Acme Components (ACME)") {
		t.Fatalf("xlsx: %d", res.StatusCode)
	}
	res, out = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/exports/purchase-orders.csv?status=sent", nil)
	if res.StatusCode != 200 || !strings.Contains(string(out), "PO-100,ACME,sent,1,P,4001,pcs,12.50,50012.50,CNY,2026-03-20") {
		t.Fatalf("csv: %d %s", res.StatusCode, out)
	}
	res, out = e.do(b, "GET", "/api/v1/purchase-orders?status=draft", nil)
	var pos []domain.PurchaseOrder
	if err := json.Unmarshal(out, &pos); err != nil || len(pos) != 1 || pos[0].Number != "PO-X" {
		t.Fatalf("drafts: %d %s", res.StatusCode, out)
	}
	res, out = e.do(b, "GET", "/api/v1/suppliers?material=P", nil)
	if res.StatusCode != 200 || !strings.Contains(string(out), `"supplier":"ACME"`) {
		t.Fatalf("suppliers of P: %s", out)
	}
	res, out = e.do(b, "GET", "/api/v1/suppliers?status=nope", nil)
	e.problem(res, out, 400, "status")
}

// xlsxText is the shared strings and sheets of an XLSX file, as text.
func xlsxText(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var s strings.Builder
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, "xl/") && strings.HasSuffix(f.Name, ".xml") {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			x, _ := io.ReadAll(r)
			r.Close()
			s.Write(x)
		}
	}
	return s.String()
}

// TestReceiptAndInspectionThroughTheAPI: the warehouse receives into
// quarantine, quality's physical-bounds typo is a 400 naming the value,
// then the accept releases the lot to the warehouse.
func TestReceiptAndInspectionThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	materialsFixture(t, e)
	purchasingFixture(t, e)
	b, wh, qa := e.as[domain.RoleBuyer], e.as[domain.RoleWarehouse], e.as[domain.RoleQuality]
	if res, out := e.do(qa, "PUT", "/api/v1/inspection-plans/P", map[string]any{"required": true, "sample_size": 2,
		"characteristics": []map[string]any{{"name": "length", "unit": "mm", "lower": 99.5, "upper": 100.5, "physical_min": 0, "physical_max": 1000}}}); res.StatusCode != 200 {
		t.Fatalf("plan: %d %s", res.StatusCode, out)
	}
	res, out := e.do(b, "POST", "/api/v1/purchase-orders", map[string]any{"number": "PO-7", "supplier": "ACME",
		"lines": []map[string]any{{"material": "P", "quantity": 100, "due_date": "2026-03-20"}}})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, out)
	}
	for _, step := range []string{"approve", "send"} {
		if res, out := e.do(b, "POST", "/api/v1/purchase-orders/PO-7/"+step, nil); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", step, res.StatusCode, out)
		}
	}
	res, out = e.do(wh, "POST", "/api/v1/purchase-orders/PO-7/lines/1/receipts", map[string]any{"quantity": 200})
	if p := e.problem(res, out, 409, "quantity"); !strings.Contains(p.Detail, "at most 105 more") {
		t.Fatalf("over: %s", out)
	}
	res, out = e.do(wh, "POST", "/api/v1/purchase-orders/PO-7/lines/1/receipts", map[string]any{"quantity": 100, "supplier_lot": "A-1"})
	var rc domain.Receipt
	if res.StatusCode != 201 || json.Unmarshal(out, &rc) != nil || rc.Location != "QA" || rc.Inspection != "pending" {
		t.Fatalf("receive: %d %s", res.StatusCode, out)
	}
	res, out = e.do(qa, "POST", "/api/v1/receipts/"+rc.ID+"/inspection", map[string]any{"decision": "accept",
		"results": []map[string]any{{"characteristic": "length", "values": []float64{100.1, 1000.1}}}})
	e.problem(res, out, 400, "results[0].values[1]")
	res, out = e.do(qa, "POST", "/api/v1/receipts/"+rc.ID+"/inspection", map[string]any{"decision": "accept",
		"results": []map[string]any{{"characteristic": "length", "values": []float64{100.1, 99.9}}}})
	if res.StatusCode != 201 {
		t.Fatalf("inspect: %d %s", res.StatusCode, out)
	}
	res, out = e.do(qa, "GET", "/api/v1/lots/"+rc.Lot, nil)
	if res.StatusCode != 200 || !strings.Contains(string(out), `"status":"released"`) {
		t.Fatalf("lot: %d %s", res.StatusCode, out)
	}
	res, out = e.do(b, "GET", "/api/v1/purchase-orders/PO-7", nil)
	if !strings.Contains(string(out), `"status":"received"`) {
		t.Fatalf("po: %s", out)
	}
}

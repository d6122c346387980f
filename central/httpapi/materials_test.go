package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// materialsRoute reports whether a route belongs to the materials API.
func materialsRoute(r Route) bool {
	for _, prefix := range []string{"/api/v1/locations", "/api/v1/materials/", "/api/v1/lots", "/api/v1/movements", "/api/v1/stock", "/api/v1/trace/",
		"/api/v1/exports/stock.", "/api/v1/exports/movements.", "/api/v1/exports/trace.", "/api/v1/exports/stock-alerts.", "/api/v1/exports/lots.", "/materials"} {
		if strings.HasPrefix(r.Path, prefix) {
			return true
		}
	}
	return r.Path == "/api/v1/orders/:number/availability"
}

// TestMaterialsWalkRoleMatrix calls every materials route as nobody and as
// every role: without a login 401, with a role the route does not list 403
// (field role), with one it lists anything but 401 or 403. Writes go to
// records that do not exist or bodies that do not validate.
func TestMaterialsWalkRoleMatrix(t *testing.T) {
	e := newEnv(t)
	fill := strings.NewReplacer(":id", "NOPE", ":code", "NOPE", ":number", "NOPE")
	n := 0
	for _, r := range e.api.Routes() {
		if !materialsRoute(r) {
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
			if strings.HasSuffix(r.Path, "/units") || strings.HasSuffix(r.Path, "/levels") {
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
	if n != 43 {
		t.Errorf("%d materials routes walked, want 43", n)
	}
	// The warehouse role books movements, quality decides on lots, and
	// only warehouse and admin count differences into stock.
	for _, c := range []struct {
		path string
		role domain.Role
		ok   bool
	}{
		{"/api/v1/movements/receipt", domain.RoleWarehouse, true},
		{"/api/v1/movements/receipt", domain.RoleSupervisor, false},
		{"/api/v1/movements/issue", domain.RoleSupervisor, true},
		{"/api/v1/movements/adjustment", domain.RoleSupervisor, false},
		{"/api/v1/movements/issue", domain.RoleOperator, false},
		{"/api/v1/lots/:id/status", domain.RoleQuality, true},
		{"/api/v1/lots/:id/status", domain.RoleWarehouse, false},
		{"/api/v1/locations/:id/count", domain.RoleWarehouse, true},
		{"/api/v1/locations/:id/count", domain.RoleSupervisor, false},
	} {
		r, ok := e.api.routeIndex["POST "+c.path]
		if !ok || slices.Contains(r.Roles, c.role) != c.ok {
			t.Errorf("POST %s as %s: allowed %v, want %v", c.path, c.role, slices.Contains(r.Roles, c.role), c.ok)
		}
	}
}

// materialsFixture: locations WH-A, LS-L1 (line side of L1), QA
// (quarantine); Q (kg) may also be counted in bags of 25 kg; order PO-1 for
// P released with work order WO-1 on L1; order PO-9 closed with WO-9.
func materialsFixture(t *testing.T, e *env) {
	t.Helper()
	wh := e.as[domain.RoleWarehouse]
	for _, l := range []map[string]any{
		{"id": "WH-A", "name": "Rack A", "kind": "warehouse", "warehouse": "WH1"},
		{"id": "LS-L1", "name": "Line 1 feeder", "kind": "line_side", "line": "L1"},
		{"id": "QA", "name": "Quarantine cage", "kind": "quarantine"},
	} {
		if res, body := e.do(wh, "POST", "/api/v1/locations", l); res.StatusCode != 201 {
			t.Fatalf("location %v: %d %s", l["id"], res.StatusCode, body)
		}
	}
	if res, body := e.do(wh, "PUT", "/api/v1/materials/Q/units", []map[string]any{{"unit": "bag", "factor": 25}}); res.StatusCode != 200 ||
		!strings.Contains(string(body), `"unit":"kg"`) {
		t.Fatalf("units: %d %s", res.StatusCode, body)
	}
	for _, o := range []struct {
		number, wo string
		status     domain.OrderStatus
	}{{"PO-1", "WO-1", domain.StatusReleased}, {"PO-9", "WO-9", domain.StatusClosed}} {
		if err := e.st.CreateOrder(t.Context(), domain.Order{Number: o.number, ProductCode: "P", Quantity: 10, Status: o.status}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.CreateWorkOrder(t.Context(), domain.WorkOrder{ID: o.wo, OrderNumber: o.number, OperationSeq: 10, LineID: "L1",
			Barcode: o.wo, Quantity: 10, Status: o.status}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMaterialsThroughTheAPI(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		wh, qa := e.as[domain.RoleWarehouse], e.as[domain.RoleQuality]
		post := func(c *http.Client, path string, body map[string]any, status int) []byte {
			t.Helper()
			res, out := e.do(c, "POST", path, body)
			if res.StatusCode != status {
				t.Fatalf("POST %s %v: %d %s; want %d", path, body, res.StatusCode, out, status)
			}
			return out
		}
		// Received in bags into quarantine: 4 bags are 100 kg, held.
		out := post(wh, "/api/v1/movements/receipt", map[string]any{"lot": "K-1", "material": "Q", "supplier_lot": "SUP-1",
			"quantity": 4, "unit": "bag", "to": "QA", "expires_at": "2027-01-31T00:00:00Z"}, 201)
		if !strings.Contains(string(out), `"quantity":100`) || !strings.Contains(string(out), `"entered_unit":"bag"`) {
			t.Errorf("receipt: %s", out)
		}
		res, body := e.do(wh, "POST", "/api/v1/movements/receipt", map[string]any{"lot": "K-2", "material": "Q", "quantity": 1, "unit": "pallet", "to": "WH-A"})
		if p := e.problem(res, body, 400, "unit"); !strings.Contains(p.Detail, `no conversion from "pallet" to its base unit "kg"`) {
			t.Errorf("missing conversion: %s", p.Detail)
		}
		res, body = e.do(wh, "POST", "/api/v1/movements/receipt", map[string]any{"lot": "K-2", "material": "Q", "quantity": 1.0005, "to": "WH-A"})
		e.problem(res, body, 400, "quantity")
		post(wh, "/api/v1/movements/transfer", map[string]any{"lot": "K-1", "quantity": 60, "from": "QA", "to": "LS-L1"}, 201)
		// Held: the issue names the lot's status.
		res, body = e.do(wh, "POST", "/api/v1/movements/issue", map[string]any{"lot": "K-1", "quantity": 10, "from": "LS-L1", "work_order": "WO-1"})
		if p := e.problem(res, body, 409, "lot"); !strings.Contains(p.Detail, "lot K-1 is quarantine") {
			t.Errorf("quarantined issue: %s", p.Detail)
		}
		res, body = e.do(qa, "POST", "/api/v1/lots/K-1/status", map[string]any{"status": "blocked"})
		e.problem(res, body, 400, "reason")
		post(qa, "/api/v1/lots/K-1/status", map[string]any{"status": "released", "reason": "certificate checked"}, 200)
		// More than on hand, and against a closed order.
		res, body = e.do(wh, "POST", "/api/v1/movements/issue", map[string]any{"lot": "K-1", "quantity": 60.5, "from": "LS-L1", "work_order": "WO-1"})
		if p := e.problem(res, body, 409, "quantity"); !strings.Contains(p.Detail, "lot K-1 has 60 kg at LS-L1; 60.5 kg wanted") {
			t.Errorf("too much: %s", p.Detail)
		}
		res, body = e.do(wh, "POST", "/api/v1/movements/issue", map[string]any{"lot": "K-1", "quantity": 1, "from": "LS-L1", "work_order": "WO-9"})
		if p := e.problem(res, body, 409, "work_order"); !strings.Contains(p.Detail, "order PO-9 is closed") {
			t.Errorf("closed order: %s", p.Detail)
		}
		res, body = e.do(wh, "POST", "/api/v1/movements/issue", map[string]any{"lot": "K-1", "quantity": 1, "to": "WH-A", "from": "LS-L1", "work_order": "WO-1"})
		e.problem(res, body, 400, "to")
		post(e.as[domain.RoleSupervisor], "/api/v1/movements/issue", map[string]any{"lot": "K-1", "quantity": 59.75, "from": "LS-L1", "work_order": "WO-1"}, 201)
		post(wh, "/api/v1/movements/fg_receipt", map[string]any{"lot": "F-1", "quantity": 10, "to": "WH-A", "work_order": "WO-1"}, 201)

		// Stock by material, location and lot; zero balances on request.
		var bs []domain.Balance
		e.getInto(wh, "/api/v1/stock?material=Q", &bs)
		if len(bs) != 2 || bs[0].Location != "LS-L1" || bs[0].Quantity != 250 || bs[1].Location != "QA" || bs[1].Quantity != 40000 || bs[1].Unit != "kg" {
			t.Errorf("stock of Q: %+v", bs)
		}
		e.getInto(wh, "/api/v1/stock?location=WH-A", &bs)
		if len(bs) != 1 || bs[0].Lot != "F-1" || bs[0].Quantity != 10000 || bs[0].LotStatus != domain.LotReleased {
			t.Errorf("stock at WH-A: %+v", bs)
		}
		var lot domain.Lot
		e.getInto(wh, "/api/v1/lots/K-1", &lot)
		if lot.OnHand != 40250 || lot.Status != domain.LotReleased || lot.SupplierLot != "SUP-1" || lot.ExpiresAt == nil {
			t.Errorf("lot K-1: %+v", lot)
		}
		// The ledger by lot, two at a time.
		var page []domain.Movement
		res = e.getInto(wh, "/api/v1/movements?lot=K-1&limit=2", &page)
		next := res.Header.Get("X-Next-Cursor")
		if len(page) != 2 || page[0].Type != domain.MoveIssue || next == "" {
			t.Fatalf("first page: %+v, next %q", page, next)
		}
		e.getInto(wh, "/api/v1/movements?lot=K-1&limit=2&cursor="+next, &page)
		if len(page) != 1 || page[0].Type != domain.MoveReceipt {
			t.Errorf("second page: %+v", page)
		}
		res, body = e.do(wh, "GET", "/api/v1/movements?type=teleport", nil)
		e.problem(res, body, 400, "type")
		// Genealogy.
		var tree domain.TraceNode
		e.getInto(wh, "/api/v1/trace/backward?lot=F-1", &tree)
		if tree.WorkOrder != "WO-1" || tree.Line != "L1" || len(tree.Children) != 1 || tree.Children[0].Lot != "K-1" || tree.Children[0].Quantity != 59750 {
			t.Errorf("backward F-1: %+v", tree)
		}
		e.getInto(wh, "/api/v1/trace/forward?lot=K-1", &tree)
		if len(tree.Children) != 1 || tree.Children[0].Lot != "F-1" {
			t.Errorf("forward K-1: %+v", tree)
		}
		res, body = e.do(wh, "GET", "/api/v1/trace/backward?lot=NOPE", nil)
		e.problem(res, body, 404, "")
		// Audited: the lot's release with its reason, every movement.
		var audit []domain.AuditEntry
		e.getInto(e.as[domain.RoleAdmin], "/api/v1/audit?entity=lot:K-1", &audit)
		if len(audit) != 2 || audit[0].Action != "status_released" || audit[0].Reason != "certificate checked" || audit[0].Actor != "quality" {
			t.Errorf("lot audit: %+v", audit)
		}
		e.getInto(e.as[domain.RoleAdmin], "/api/v1/audit?entity=movement", &audit)
		if len(audit) != 4 {
			t.Errorf("%d movement audit entries, want 4", len(audit))
		}
		// Availability: 2.5 kg of Q per P; of K-1 only the 0.25 kg at the
		// line side is usable (the rest sits in the quarantine cage).
		if err := e.st.ReplaceBOM(t.Context(), "P", []domain.BOMItem{{Product: "P", Component: "Q", Quantity: 2.5}},
			domain.Actor{Name: "admin", Role: domain.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		var av domain.Availability
		e.getInto(e.as[domain.RoleOperator], "/api/v1/orders/PO-1/availability", &av)
		if !av.Short || len(av.Lines) != 1 || av.Lines[0].Required != 25000 || av.Lines[0].Available != 250 || av.Lines[0].Shortfall != 24750 {
			t.Errorf("availability of PO-1: %+v", av)
		}
		res, body = e.do(wh, "GET", "/api/v1/orders/NOPE/availability", nil)
		e.problem(res, body, 404, "")
		// Stock levels and alerts: usable Q is the 0.25 kg at the line side.
		res, body = e.do(e.as[domain.RolePlanner], "PUT", "/api/v1/materials/Q/levels", []map[string]any{{"safety_stock": 1, "reorder_point": 5}})
		if res.StatusCode != 200 || !strings.Contains(string(body), `"reorder_point":5`) {
			t.Fatalf("levels: %d %s", res.StatusCode, body)
		}
		res, body = e.do(e.as[domain.RolePlanner], "PUT", "/api/v1/materials/Q/levels", []map[string]any{{"safety_stock": 6, "reorder_point": 5}})
		e.problem(res, body, 400, "[0].reorder_point")
		// Exports: the list with its filters.
		res, body = e.do(wh, "GET", "/api/v1/exports/stock.csv?material=Q", nil)
		if res.StatusCode != 200 || !strings.HasPrefix(string(body), "material,lot,location,quantity,unit,lot_status,expires_at,updated_at\n") ||
			!strings.Contains(string(body), "\nQ,K-1,LS-L1,0.25,kg,released,2027-01-31T00:00:00Z,") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), `filename="stock.csv"`) {
			t.Errorf("stock.csv: %d %q %s", res.StatusCode, res.Header.Get("Content-Disposition"), body)
		}
		res, body = e.do(wh, "GET", "/api/v1/exports/movements.xlsx?lot=K-1", nil)
		if res.StatusCode != 200 || !strings.HasPrefix(string(body), "PK") {
			t.Errorf("movements.xlsx: %d", res.StatusCode)
		}
		res, body = e.do(wh, "GET", "/api/v1/exports/movements.csv?type=issue", nil)
		if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); res.StatusCode != 200 || len(lines) != 2 || !strings.Contains(lines[1], ",issue,Q,K-1,LS-L1,,59.75,kg,59.75,kg,WO-1,,,,supervisor,supervisor") {
			t.Errorf("movements.csv: %d %s", res.StatusCode, body)
		}
		var alerts []domain.StockAlert
		e.getInto(e.as[domain.RoleOperator], "/api/v1/stock/alerts", &alerts)
		if len(alerts) != 1 || alerts[0].Material != "Q" || alerts[0].Kind != domain.AlertBelowSafety || alerts[0].Stock != 250 {
			t.Errorf("alerts: %+v", alerts)
		}
	})
}

// TestLastUnitOverHTTP: two people issue the last unit of a lot at the same
// moment; one gets 201, the other 409 naming the quantity.
func TestLastUnitOverHTTP(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		wh := e.as[domain.RoleWarehouse]
		if res, body := e.do(wh, "POST", "/api/v1/movements/receipt", map[string]any{"lot": "K-1", "material": "Q", "quantity": 1, "to": "LS-L1"}); res.StatusCode != 201 {
			t.Fatalf("receipt: %d %s", res.StatusCode, body)
		}
		clients := []*http.Client{wh, e.as[domain.RoleSupervisor]}
		codes := make([]int, len(clients))
		bodies := make([][]byte, len(clients))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, body := e.do(c, "POST", "/api/v1/movements/issue", map[string]any{"lot": "K-1", "quantity": 1, "from": "LS-L1", "work_order": "WO-1"})
				codes[i], bodies[i] = res.StatusCode, body
			}()
		}
		close(start)
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != 201 || codes[1] != 409 {
			t.Fatalf("codes %v: %s / %s", codes, bodies[0], bodies[1])
		}
		for _, b := range bodies {
			var p Problem
			if json.Unmarshal(b, &p) == nil && p.Status == 409 && (p.Field != "quantity" || !strings.Contains(p.Detail, "lot K-1 has 0 kg at LS-L1")) {
				t.Errorf("loser told: %s", b)
			}
		}
	})
}

// getInto GETs path as c, wants 200 and decodes the body into v.
func (e *env) getInto(c *http.Client, path string, v any) *http.Response {
	e.t.Helper()
	res, body := e.do(c, "GET", path, nil)
	if res.StatusCode != 200 {
		e.t.Fatalf("GET %s: %d %s", path, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		e.t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return res
}

func TestLocationsAPI(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		materialsFixture(t, e)
		wh := e.as[domain.RoleWarehouse]
		for _, c := range []struct {
			body   map[string]any
			status int
			field  string
		}{
			{map[string]any{"id": "X1", "name": "x", "kind": "shelf"}, 400, "kind"},
			{map[string]any{"id": "X1", "name": "x", "kind": "line_side"}, 400, "line"},
			{map[string]any{"id": "X1", "name": "x", "kind": "warehouse", "line": "L1"}, 400, "line"},
			{map[string]any{"id": "X1", "name": "x", "kind": "line_side", "line": "L9"}, 400, "line"},
			{map[string]any{"id": "x 1", "name": "x", "kind": "warehouse"}, 400, "id"},
			{map[string]any{"id": "WH-A", "name": "again", "kind": "warehouse"}, 409, "id"},
			{map[string]any{"id": "X1", "name": "x", "kind": "warehouse", "colour": "red"}, 400, "colour"},
		} {
			res, body := e.do(wh, "POST", "/api/v1/locations", c.body)
			e.problem(res, body, c.status, c.field)
		}
		res, body := e.do(wh, "PUT", "/api/v1/locations/WH-A", map[string]any{"name": "Rack A", "kind": "quarantine"})
		e.problem(res, body, 409, "kind")
		res, body = e.do(wh, "PUT", "/api/v1/locations/NOPE", map[string]any{"name": "x", "kind": "warehouse"})
		e.problem(res, body, 404, "")
		if res, body := e.do(wh, "POST", "/api/v1/movements/receipt", map[string]any{"lot": "K-1", "material": "Q", "quantity": 5, "to": "WH-A"}); res.StatusCode != 201 {
			t.Fatalf("receipt: %d %s", res.StatusCode, body)
		}
		res, body = e.do(wh, "DELETE", "/api/v1/locations/WH-A", nil)
		e.problem(res, body, 409, "id")
		res, body = e.do(wh, "PUT", "/api/v1/locations/WH-A", map[string]any{"name": "Rack A (closed)", "kind": "warehouse", "warehouse": "WH1", "disabled": true})
		if res.StatusCode != 200 || !strings.Contains(string(body), `"disabled":true`) {
			t.Fatalf("disable: %d %s", res.StatusCode, body)
		}
		res, body = e.do(wh, "POST", "/api/v1/movements/transfer", map[string]any{"lot": "K-1", "quantity": 1, "from": "WH-A", "to": "LS-L1"})
		if p := e.problem(res, body, 409, "from"); !strings.Contains(p.Detail, "location WH-A is disabled") {
			t.Errorf("disabled: %s", p.Detail)
		}
		res, body = e.do(wh, "POST", "/api/v1/locations/WH-A/count", map[string]any{"lines": []map[string]any{{"lot": "K-1", "counted": 4.5}}, "reason": "year end", "post": true})
		e.problem(res, body, 409, "location")
		if res, body := e.do(wh, "POST", "/api/v1/locations/WH-A/count", map[string]any{"lines": []map[string]any{{"lot": "K-1", "counted": 4.5}}}); res.StatusCode != 200 ||
			!strings.Contains(string(body), `"book":5,"counted":4.5,"difference":-0.5`) {
			t.Errorf("count preview: %d %s", res.StatusCode, body)
		}
		res, body = e.do(wh, "POST", "/api/v1/locations/WH-A/count", map[string]any{"lines": []map[string]any{{"lot": "K-1", "counted": -1}}})
		e.problem(res, body, 400, "lines[0].counted")
		res, _ = e.do(wh, "DELETE", "/api/v1/locations/QA", nil)
		if res.StatusCode != 204 {
			t.Errorf("delete unused location: %d", res.StatusCode)
		}
		var ls []domain.Location
		e.getInto(e.as[domain.RoleOperator], "/api/v1/locations", &ls)
		if len(ls) != 2 || ls[0].ID != "LS-L1" || ls[0].LineID != "L1" || ls[1].Name != "Rack A (closed)" {
			t.Errorf("locations: %+v", ls)
		}
		var audit []domain.AuditEntry
		e.getInto(e.as[domain.RoleAdmin], "/api/v1/audit?entity=location", &audit)
		if len(audit) != 5 || audit[0].Action != "delete" || audit[1].Action != "update" {
			t.Errorf("location audit: %d entries", len(audit))
		}
	})
}

func TestMovementRetryBooksOnce(t *testing.T) {
	e := newEnv(t)
	materialsFixture(t, e)
	wh := e.as[domain.RoleWarehouse]
	body := map[string]any{"lot": "K-1", "material": "Q", "quantity": 3, "to": "WH-A", "client_id": "hh-42-0007"}
	res, first := e.do(wh, "POST", "/api/v1/movements/receipt", body)
	if res.StatusCode != 201 {
		t.Fatalf("first: %d %s", res.StatusCode, first)
	}
	res, again := e.do(wh, "POST", "/api/v1/movements/receipt", body)
	if res.StatusCode != 200 || res.Header.Get("Idempotent-Replayed") != "true" || !strings.Contains(string(again), `"replayed":true`) {
		t.Errorf("retry: %d %s", res.StatusCode, again)
	}
	var lot domain.Lot
	e.getInto(wh, "/api/v1/lots/K-1", &lot)
	if lot.OnHand != 3000 {
		t.Errorf("on hand after a retried receipt: %s", lot.OnHand)
	}
	body["quantity"] = 4
	res, out := e.do(wh, "POST", "/api/v1/movements/receipt", body)
	e.problem(res, out, 409, "client_id")
}

// TestMaterialSignoffOverShortfall: the review's material sign-off over a
// shortfall needs a comment with the override reason.
func TestMaterialSignoffOverShortfall(t *testing.T) {
	e := newEnv(t)
	materialsFixture(t, e)
	planner := e.as[domain.RolePlanner]
	if res, body := e.do(planner, "PUT", "/api/v1/products/P/bom", []map[string]any{{"component": "Q", "quantity": 2}}); res.StatusCode != 200 {
		t.Fatalf("bom: %d %s", res.StatusCode, body)
	}
	n := e.draft("P")
	if res, body := e.do(planner, "POST", "/api/v1/orders/"+n+"/submit", nil); res.StatusCode != 200 {
		t.Fatalf("submit: %d %s", res.StatusCode, body)
	}
	res, body := e.do(planner, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "material"})
	if p := e.problem(res, body, 409, "comment"); !strings.Contains(p.Detail, "material is short for order "+n+": Q ") {
		t.Errorf("short: %s", p.Detail)
	}
	// Capacity is not about material.
	if res, body := e.do(planner, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "capacity"}); res.StatusCode != 200 {
		t.Errorf("capacity: %d %s", res.StatusCode, body)
	}
	res, body = e.do(planner, "POST", "/api/v1/orders/"+n+"/signoff", map[string]string{"kind": "material", "comment": "supplier delivers Monday, confirmed"})
	if res.StatusCode != 200 {
		t.Errorf("override: %d %s", res.StatusCode, body)
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	plansvc "github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/edge/wire"
)

// raw sends body as is with the content type.
func (e *env) raw(c *http.Client, method, path, contentType, body string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if isWrite(method) {
		req.Header.Set("Origin", e.srv.URL) // as the browser a session belongs to sends it
	}
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

// masterRoute reports whether a route belongs to the master data API.
func masterRoute(r Route) bool {
	p := r.Path
	for _, prefix := range []string{"/api/v1/sites", "/api/v1/lines/", "/api/v1/products", "/api/v1/calendars", "/api/v1/import/", "/api/v1/users/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return (p == "/api/v1/stations" || p == "/api/v1/stations/:id") && r.Access == Authenticated
}

// TestMasterDataWalksRoleMatrix calls every master data route as nobody and
// as every role, through the real router: without a login 401, with a role
// the route does not list 403 (field role), with one it lists anything but
// 401 or 403. Writes go to records that do not exist or bodies that do not
// validate, so nothing changes between calls.
func TestMasterDataWalksRoleMatrix(t *testing.T) {
	e := newEnv(t)
	fill := strings.NewReplacer(":id", "NOPE", ":sku", "NOPE", ":line", "NOPE", ":username", "nope", ":kind", "products")
	n := 0
	for _, r := range e.api.Routes() {
		if !masterRoute(r) {
			continue
		}
		n++
		if r.Access != Authenticated || len(r.Roles) == 0 && isWrite(r.Method) {
			t.Errorf("%s %s: access %v roles %v", r.Method, r.Path, r.Access, r.Roles)
		}
		path := fill.Replace(r.Path)
		call := func(c *http.Client) (*http.Response, []byte) {
			if r.Path == "/api/v1/import/:kind" {
				return e.raw(c, r.Method, path, "text/csv", "code,name,unit\n,,\n")
			}
			var body any
			if isWrite(r.Method) {
				body = map[string]any{}
			}
			return e.do(c, r.Method, path, body)
		}
		res, body := call(nil)
		e.problem(res, body, 401, "")
		for _, role := range domain.Roles() {
			res, body := call(e.as[role])
			allowed := len(r.Roles) == 0 || slices.Contains(r.Roles, role)
			switch {
			case !allowed:
				if res.StatusCode != 403 || !strings.Contains(string(body), `"field":"role"`) {
					t.Errorf("%s %s as %s: %d %s; want 403 role", r.Method, r.Path, role, res.StatusCode, body)
				}
			case res.StatusCode == 401 || res.StatusCode == 403:
				t.Errorf("%s %s as %s: %d %s; the route admits %s", r.Method, r.Path, role, res.StatusCode, body, role)
			case res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json":
				t.Errorf("%s %s as %s: %d with content type %q", r.Method, r.Path, role, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
	}
	if n < 25 {
		t.Errorf("only %d master data routes walked", n)
	}
	// The import route admits planners, but structure kinds are the admin's.
	res, body := e.raw(e.as[domain.RolePlanner], "POST", "/api/v1/import/lines", "text/csv", "id,name\nL9,Line 9\n")
	e.problem(res, body, 403, "role")
}

func TestMasterDataCRUD(t *testing.T) {
	e := newEnv(t)
	admin, planner := e.as[domain.RoleAdmin], e.as[domain.RolePlanner]
	ok := func(res *http.Response, body []byte, status int) {
		t.Helper()
		if res.StatusCode != status {
			t.Fatalf("%s %s: %d %s; want %d", res.Request.Method, res.Request.URL.Path, res.StatusCode, body, status)
		}
	}
	res, body := e.do(admin, "POST", "/api/v1/sites", map[string]any{"id": "S1", "name": "Plant 1", "timezone": "Europe/Berlin"})
	ok(res, body, 201)
	res, body = e.do(admin, "POST", "/api/v1/sites", map[string]any{"id": "S1", "name": "again"})
	e.problem(res, body, 409, "id")
	res, body = e.do(admin, "POST", "/api/v1/sites", map[string]any{"id": "S2", "name": "x", "timezone": "Mars/Base"})
	e.problem(res, body, 400, "timezone")
	res, body = e.do(admin, "PATCH", "/api/v1/lines/L1", map[string]any{"site": "S9"})
	e.problem(res, body, 400, "site")
	res, body = e.do(admin, "PATCH", "/api/v1/lines/L1", map[string]any{"site": "S1"})
	ok(res, body, 200)
	if !strings.Contains(string(body), `"name":"Line 1"`) || !strings.Contains(string(body), `"site":"S1"`) {
		t.Errorf("patch kept other fields: %s", body)
	}
	res, body = e.do(admin, "PUT", "/api/v1/lines/L1", map[string]any{"id": "L7", "name": "x"})
	e.problem(res, body, 400, "id")
	res, body = e.do(admin, "PUT", "/api/v1/lines/L3", map[string]any{"name": "x"})
	e.problem(res, body, 404, "id")
	res, body = e.do(admin, "POST", "/api/v1/stations", map[string]any{"id": "ST-9", "line": "L9"})
	e.problem(res, body, 400, "line")
	res, body = e.do(admin, "POST", "/api/v1/stations", map[string]any{"id": "ST-9", "line": "L2", "name": "Pack"})
	ok(res, body, 201)
	res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/lines", nil)
	if !strings.Contains(string(body), `"site":"S1"`) {
		t.Errorf("dashboard lines do not show the site: %s", body)
	}

	// Products, bill of materials, routing: the planner's.
	res, body = e.do(planner, "POST", "/api/v1/products", map[string]any{"code": "BOLT", "name": "Bolt", "unit": "pcs"})
	ok(res, body, 201)
	res, body = e.do(planner, "PATCH", "/api/v1/products/P", map[string]any{"ideal_cycle_s": 2.5})
	ok(res, body, 200)
	if !strings.Contains(string(body), `"ideal_cycle_s":2.5`) || !strings.Contains(string(body), `"unit":"pcs"`) {
		t.Errorf("product patch: %s", body)
	}
	res, body = e.do(planner, "PATCH", "/api/v1/products/P", map[string]any{"colour": "red"})
	e.problem(res, body, 400, "colour")
	res, body = e.do(planner, "PUT", "/api/v1/products/P/bom", []map[string]any{{"component": "BOLT", "quantity": 4}, {"component": "NUT", "quantity": 4}})
	e.problem(res, body, 400, "component")
	res, body = e.do(planner, "PUT", "/api/v1/products/P/bom", []map[string]any{{"component": "BOLT", "quantity": 0}})
	e.problem(res, body, 400, "[0].quantity")
	res, body = e.do(planner, "PUT", "/api/v1/products/P/bom", []map[string]any{{"component": "BOLT", "quantity": 4, "unit": "pcs"}})
	ok(res, body, 200)
	res, body = e.do(planner, "PUT", "/api/v1/products/P/routing", []map[string]any{
		{"seq": 10, "name": "press", "line": "L1", "ideal_cycle_s": 1, "setup_s": 600},
		{"seq": 20, "name": "pack", "line": "L2", "ideal_cycle_s": 0.5}})
	ok(res, body, 200)
	res, body = e.do(planner, "GET", "/api/v1/products/P/routing", nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"setup_s":600`) || !strings.Contains(string(body), `"seq":20`) {
		t.Errorf("routing: %d %s", res.StatusCode, body)
	}
	res, body = e.do(planner, "PUT", "/api/v1/products/NOPE/routing", []map[string]any{})
	e.problem(res, body, 404, "sku")

	// Calendars: the admin's; planning reads them.
	res, body = e.do(admin, "PUT", "/api/v1/calendars/L1", map[string]any{
		"shifts":        []map[string]any{{"name": "early", "start": "06:00", "end": "14:00"}, {"name": "late", "start": "14:00", "end": "25:00"}},
		"planned_stops": []map[string]any{}})
	e.problem(res, body, 400, "shifts[1].end")
	res, body = e.do(admin, "PUT", "/api/v1/calendars/L1", map[string]any{
		"shifts":        []map[string]any{{"name": "early", "start": "06:00", "end": "14:00"}},
		"planned_stops": []map[string]any{{"id": "PS-1", "start": "2026-03-07T00:00:00Z", "end": "2026-03-09T00:00:00Z", "reason": "weekend"}}})
	ok(res, body, 200)
	res, body = e.do(planner, "PUT", "/api/v1/calendars/L1", map[string]any{})
	e.problem(res, body, 403, "role")

	// Users: the admin's.
	res, body = e.do(admin, "PATCH", "/api/v1/users/planner", map[string]any{"badge": "B-1001"})
	e.problem(res, body, 409, "badge") // another user holds it
	res, body = e.do(admin, "PATCH", "/api/v1/users/planner", map[string]any{"display_name": "Pat", "role": "supervisor"})
	ok(res, body, 200)

	// Every write is in the audit trail with before and after.
	res, body = e.do(admin, "GET", "/api/v1/audit?limit=50", nil)
	var entries []domain.AuditEntry
	if res.StatusCode != 200 || json.Unmarshal(body, &entries) != nil {
		t.Fatalf("audit: %d %s", res.StatusCode, body)
	}
	seen := map[string]domain.AuditEntry{}
	for _, a := range entries {
		seen[a.Entity+":"+a.EntityID+":"+a.Action] = a
	}
	for _, k := range []string{"site:S1:create", "line:L1:update", "station:ST-9:create", "product:BOLT:create",
		"product:P:update", "bom:P:replace", "routing:P:replace", "calendar:L1:replace", "user:planner:update"} {
		a, found := seen[k]
		if !found || len(a.After) == 0 || a.Actor == "" {
			t.Errorf("no audit entry %s: %+v", k, a)
		}
		if strings.HasSuffix(k, "update") && len(a.Before) == 0 {
			t.Errorf("%s has no before", k)
		}
	}
}

func TestImportCSV(t *testing.T) {
	e := newEnv(t)
	admin := e.as[domain.RoleAdmin]
	imp := func(kind, query, csv string) (*http.Response, []byte) {
		return e.raw(admin, "POST", "/api/v1/import/"+kind+query, "text/csv; charset=utf-8", csv)
	}
	lines := "id,name,site\n" +
		"L3,Line 3,\n" + // row 2: fine
		"L4,,S9\n" + // row 3: no name, unknown site
		"bad id,Line 5,\n" + // row 4: bad id
		"L3,Line 3 again,\n" // row 5: repeats row 2
	res, body := imp("lines", "", lines)
	p := e.problem(res, body, 422, "name")
	var full struct {
		Errors []domain.RowError `json:"errors"`
	}
	if err := json.Unmarshal(body, &full); err != nil {
		t.Fatal(err)
	}
	want := []domain.RowError{{Row: 3, Field: "name"}, {Row: 3, Field: "site"}, {Row: 4, Field: "id"}, {Row: 5, Field: "id"}}
	if len(full.Errors) != len(want) {
		t.Fatalf("errors %+v, want rows/fields %+v (%s)", full.Errors, want, p.Detail)
	}
	for i, w := range want {
		if g := full.Errors[i]; g.Row != w.Row || g.Field != w.Field || g.Rule == "" {
			t.Errorf("error %d: %+v, want row %d field %s", i, g, w.Row, w.Field)
		}
	}
	if _, err := e.st.GetLine(context.Background(), "L3"); err == nil {
		t.Error("a rejected import wrote L3")
	}
	res, body = imp("lines", "?partial=true", lines)
	var rep domain.ImportReport
	if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Created != 1 || len(rep.Errors) != 4 || !rep.Partial {
		t.Fatalf("partial import: %d %s", res.StatusCode, body)
	}
	if l, err := e.st.GetLine(context.Background(), "L3"); err != nil || l.Name != "Line 3" {
		t.Errorf("partial import: %+v %v", l, err)
	}

	// Every kind, good files: all written, and a second run updates.
	for _, c := range []struct{ kind, csv string }{
		{"sites", "id,name,timezone\nS1,Plant,UTC\n"},
		{"lines", "id,name,site\nL5,Line 5,S1\n"},
		{"stations", "id,line,name\nST-L5,L5,Press\n"},
		{"shifts", "line,name,start,end\nL5,early,06:00,14:00\nL5,night,22:00,06:00\n"},
		{"planned_stops", "id,line,start,end,reason\nPS-1,L5,2026-03-07,2026-03-09,weekend\n"},
		{"products", "code,name,unit,ideal_cycle_s\nBOLT,Bolt,pcs,\nASSY,Assembly,pcs,12.5\n"},
		{"bom", "product,component,quantity,unit\nASSY,BOLT,4,pcs\n"},
		{"routing", "product,seq,name,line,ideal_cycle_s,setup_s\nASSY,10,assemble,L5,12.5,300\n"},
		{"users", "username,display_name,role,badge,disabled\nop9,Olga,operator,B-9,false\n"},
	} {
		for round, action := range []string{"created", "updated"} {
			res, body := imp(c.kind, "", c.csv)
			if res.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || len(rep.Errors) != 0 ||
				(round == 0 && rep.Created != rep.Rows) || (round == 1 && rep.Updated != rep.Rows) {
				t.Errorf("import %s (%s): %d %s", c.kind, action, res.StatusCode, body)
			}
		}
	}
	if r, err := e.st.Routing(context.Background(), "ASSY"); err != nil || len(r) != 1 || r[0].Setup != 5*time.Minute {
		t.Errorf("imported routing: %+v %v", r, err)
	}
	if u, err := e.st.UserByBadge(context.Background(), "B-9"); err != nil || u.Username != "op9" || u.PasswordHash != "" {
		t.Errorf("imported user: %+v %v", u, err)
	}

	// Row rules per kind.
	for _, c := range []struct{ kind, csv, field string }{
		{"routing", "product,seq,line,ideal_cycle_s\nASSY,ten,L5,1\n", "seq"},
		{"routing", "product,seq,line,ideal_cycle_s\nASSY,10,L9,1\n", "line"},
		{"routing", "product,seq,line,ideal_cycle_s\nASSY,10,L5,0\n", "ideal_cycle_s"},
		{"bom", "product,component,quantity\nASSY,ASSY,1\n", "component"},
		{"bom", "product,component,quantity\nASSY,BOLT,many\n", "quantity"},
		{"shifts", "line,name,start,end\nL5,x,6am,14:00\n", "start"},
		{"planned_stops", "id,line,start,end\nPS-2,L5,2026-03-09,2026-03-07\n", "end"},
		{"users", "username,role\nop10,boss\n", "role"},
		{"users", "username,role,badge\nop10,operator,B-1001\n", "badge"},
		{"stations", "id,line\nST-X,L1,extra\n", "row"},
	} {
		res, body := imp(c.kind, "", c.csv)
		e.problem(res, body, 422, c.field)
	}
	// The file's own problems.
	res, body = imp("lines", "", "id,name,colour\nL6,x,red\n")
	e.problem(res, body, 400, "header")
	res, body = imp("lines", "", "id\nL6\n")
	e.problem(res, body, 400, "header")
	res, body = imp("lines", "", "id,name\n")
	e.problem(res, body, 400, "body")
	res, body = imp("lines", "", "id,name\n\"L6,x\n")
	e.problem(res, body, 400, "body")
	res, body = imp("widgets", "", "id\nx\n")
	e.problem(res, body, 404, "kind")
	res, body = e.do(admin, "POST", "/api/v1/import/lines", map[string]any{"id": "L6"})
	e.problem(res, body, 415, "Content-Type")
	res, body = imp("lines", "?partial=maybe", "id,name\nL6,x\n")
	e.problem(res, body, 400, "partial")
}

// TestOrderSettlementOverAPI runs an order at a station (scan start,
// pause by another operator's resume, complete), closes it, then sends
// events from inside its runs: GET /api/v1/orders/:number shows the
// roll-up before closing and the same numbers, frozen, after.
func TestOrderSettlementOverAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n := e.draft("P")
	e.force(n, domain.StatusReleased)
	wo := domain.WorkOrderID(n, 10)
	station := e.client()
	scan := func(code string) {
		t.Helper()
		res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": code})
		if res.StatusCode != 200 {
			t.Fatalf("scan %s: %d %s", code, res.StatusCode, body)
		}
	}
	t0 := e.now
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ev := func(seq uint64, m int, typ string) wire.Event {
		x := wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: typ, SourceTime: at(m)}
		switch typ {
		case wire.TypeCount:
			x.Count = &wire.Count{Counter: "parts", Good: 10, Reject: 1}
		default:
			x.State = &wire.State{State: wire.StateRunning}
		}
		return x
	}
	scan("B-1001")
	scan(wo) // start at 0
	if _, err := e.st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
		ev(1, 0, wire.TypeState), ev(2, 5, wire.TypeCount), ev(3, 15, wire.TypeCount)}}); err != nil {
		t.Fatal(err)
	}
	e.now = at(20)
	res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/complete", map[string]string{"work_order": wo})
	if res.StatusCode != 200 {
		t.Fatalf("complete: %d %s", res.StatusCode, body)
	}
	get := func() (domain.OrderRecord, domain.Settlement) {
		t.Helper()
		res, body := e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/orders/"+n, nil)
		var got struct {
			domain.OrderRecord
			Settlement domain.Settlement `json:"settlement"`
		}
		if res.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("get: %d %s", res.StatusCode, body)
		}
		return got.OrderRecord, got.Settlement
	}
	rec, st := get()
	if rec.Status != domain.StatusCompleted || st.Frozen || st.Good != 20 || st.Scrap != 2 || st.LabourSeconds != 1200 ||
		st.MachineSeconds != 1200 || len(st.Labour) != 1 || st.Labour[0].Operator != "operator" {
		t.Fatalf("settlement of the completed order: %s %+v", rec.Status, st)
	}
	res, body = e.do(e.as[domain.RoleSupervisor], "POST", "/api/v1/orders/"+n+"/close", nil)
	if res.StatusCode != 200 {
		t.Fatalf("close: %d %s", res.StatusCode, body)
	}
	if _, err := e.st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{ev(4, 10, wire.TypeCount)}}); err != nil {
		t.Fatal(err)
	}
	rec, frozen := get()
	if rec.WorkOrders[0].Good != 30 {
		t.Fatalf("late count not attributed (good %d): the test proves nothing", rec.WorkOrders[0].Good)
	}
	if !frozen.Frozen || frozen.ClosedAt == nil || frozen.Good != 20 || frozen.Scrap != 2 || frozen.LabourSeconds != 1200 || frozen.MachineSeconds != 1200 {
		t.Errorf("closed order's settlement changed: %+v", frozen)
	}
}

// TestPatchOrderProposesReschedule: changing the due date of a released
// order through the API computes an order_changed proposal (named in the
// response's X-Reschedule-Proposal and Link headers); a draft's change
// does not, since a draft is not in the plan.
func TestPatchOrderProposesReschedule(t *testing.T) {
	e := newEnv(t)
	cfg := plansvc.DefaultConfig()
	cfg.Budget, cfg.MaxIterations, cfg.Seed, cfg.Auto = 200*time.Millisecond, 200, 1, true
	svc, err := plansvc.New(plansvc.Options{Config: cfg, Store: e.st, Now: func() time.Time { return e.now }, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.api.EnableSchedule(svc)
	planner := e.as[domain.RolePlanner]
	n := e.draft("P")
	res, body := e.do(planner, "PATCH", "/api/v1/orders/"+n, map[string]any{"due": "2026-03-04", "reason": "customer"})
	if res.StatusCode != 200 || res.Header.Get("X-Reschedule-Proposal") != "" {
		t.Fatalf("draft patch: %d %q %s", res.StatusCode, res.Header.Get("X-Reschedule-Proposal"), body)
	}
	e.force(n, domain.StatusReleased)
	res, body = e.do(planner, "PATCH", "/api/v1/orders/"+n, map[string]any{"due": "2026-03-03T10:00:00Z", "reason": "customer moved it"})
	id := res.Header.Get("X-Reschedule-Proposal")
	if res.StatusCode != 200 || id == "" || !strings.Contains(res.Header.Get("Link"), "/api/v1/schedule/proposals/"+id) {
		t.Fatalf("released patch: %d %q %q %s", res.StatusCode, id, res.Header.Get("Link"), body)
	}
	res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/schedule/proposals/"+id, nil)
	var p struct {
		Kind, Reason, Status string
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &p) != nil || p.Kind != domain.ProposalOrderChange || p.Status != domain.ProposalPending ||
		!strings.Contains(p.Reason, n) || !strings.Contains(p.Reason, "due") {
		t.Fatalf("proposal: %d %s", res.StatusCode, body)
	}
	// The same date again changes nothing and proposes nothing.
	res, _ = e.do(planner, "PATCH", "/api/v1/orders/"+n, map[string]any{"due": "2026-03-03T10:00:00Z", "reason": "again"})
	if res.StatusCode != 200 || res.Header.Get("X-Reschedule-Proposal") != "" {
		t.Errorf("unchanged patch: %d %q", res.StatusCode, res.Header.Get("X-Reschedule-Proposal"))
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

func scanResult(t *testing.T, body []byte) ScanResult {
	t.Helper()
	var r ScanResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r
}

func TestStationScan(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	station := e.client()
	scan := func(code string) (int, []byte) {
		res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": code})
		return res.StatusCode, body
	}

	// Before a badge, a work order scan is refused.
	released := e.draft("P")
	e.force(released, domain.StatusReleased)
	wo := domain.WorkOrderID(released, 10)
	res, body := e.do(station, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo})
	e.problem(res, body, 401, "code")

	// The badge signs the operator in at this station.
	code, body := scan("B-1001")
	if r := scanResult(t, body); code != 200 || r.Action != "login" || r.Operator != "operator" {
		t.Fatalf("badge: %d %s", code, body)
	}
	res, body = e.do(station, "GET", "/api/v1/me", nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"station":"ST-L1"`) {
		t.Fatalf("me: %d %s", res.StatusCode, body)
	}

	// A badge session works at stations only.
	res, body = e.do(station, "POST", "/api/v1/orders/"+released+"/start", nil)
	e.problem(res, body, 403, "role")

	// Scans that do not apply say why and change nothing.
	otherLine := e.draft("Q")
	e.force(otherLine, domain.StatusReleased)
	notReleased := e.draft("P")
	e.force(notReleased, domain.StatusScheduled)
	if _, err := e.st.ChangeOrder(ctx, notReleased, domain.Actor{Name: "t"}, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		wos, err := domain.CutWorkOrders(rec.Order, rec.Routing)
		for i := range wos {
			wos[i].Status = domain.StatusScheduled
		}
		rec.WorkOrders = wos
		return domain.OrderChange{Action: "t"}, err
	}); err != nil {
		t.Fatal(err)
	}
	closed := e.draft("P")
	e.force(closed, domain.StatusClosed)
	refusals := []struct {
		code, status, want string
	}{
		{domain.WorkOrderID(otherLine, 10), "released", "runs on line L2"},
		{domain.WorkOrderID(notReleased, 10), "scheduled", "not released"},
		{domain.WorkOrderID(closed, 10), "closed", "already closed"},
		{"WO-NOPE-10", "", "unknown code"},
	}
	for _, r := range refusals {
		code, body := scan(r.code)
		want := 409
		if r.status == "" {
			want = 404
		}
		var p Problem
		_ = json.Unmarshal(body, &p)
		if code != want || p.Field != "code" || !strings.Contains(p.Detail, r.want) {
			t.Errorf("scan %s: %d %s; want %d with %q", r.code, code, body, want, r.want)
		}
		if r.status != "" {
			if w, _ := e.st.GetWorkOrder(ctx, r.code); string(w.Status) != r.status {
				t.Errorf("scan %s changed status to %s", r.code, w.Status)
			}
		}
	}

	// Toggle: start, pause, resume. Start opens a run, so counts attribute to it.
	for i, want := range []string{"start", "pause", "resume"} {
		e.now = e.now.Add(time.Minute)
		code, body := scan(wo)
		if r := scanResult(t, body); code != 200 || r.Action != want || r.WorkOrder == nil || r.WorkOrder.ID != wo {
			t.Fatalf("scan %d: %d %s, want %s", i, code, body, want)
		}
	}
	if got := e.order(released).Status; got != domain.StatusInProgress {
		t.Errorf("order status %s after start", got)
	}
	if _, err := e.st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
		{EdgeID: "e1", Seq: 1, Line: "L1", Type: wire.TypeCount, SourceTime: e.now.Add(time.Second), Count: &wire.Count{Counter: "c", Good: 7}},
	}}); err != nil {
		t.Fatal(err)
	}
	if w, _ := e.st.GetWorkOrder(ctx, wo); w.Good != 7 || w.Status != domain.StatusInProgress {
		t.Errorf("work order after counts: %+v", w)
	}

	// A second work order on the same line cannot start while this one runs.
	second := e.draft("P")
	e.force(second, domain.StatusReleased)
	code, body = scan(domain.WorkOrderID(second, 10))
	if !strings.Contains(string(body), "already runs") || code != 409 {
		t.Errorf("second start: %d %s", code, body)
	}

	// Scrap with a reason, then complete: the order completes with its last work order.
	res, body = e.do(station, "POST", "/api/v1/stations/ST-L1/scrap", map[string]any{"work_order": wo, "quantity": 2})
	e.problem(res, body, 400, "reason")
	res, body = e.do(station, "POST", "/api/v1/stations/ST-L1/scrap", map[string]any{"work_order": wo, "quantity": 2, "reason": "burr"})
	if r := scanResult(t, body); res.StatusCode != 200 || r.WorkOrder.Reject != 2 {
		t.Fatalf("scrap: %d %s", res.StatusCode, body)
	}
	res, body = e.do(station, "POST", "/api/v1/stations/ST-L1/complete", map[string]any{"work_order": domain.WorkOrderID(otherLine, 10)})
	e.problem(res, body, 409, "work_order")
	e.now = e.now.Add(time.Minute)
	res, body = e.do(station, "POST", "/api/v1/stations/ST-L1/complete", map[string]any{"work_order": wo})
	if r := scanResult(t, body); res.StatusCode != 200 || r.WorkOrder.Status != domain.StatusCompleted || !strings.Contains(r.Message, "is complete") {
		t.Fatalf("complete: %d %s", res.StatusCode, body)
	}
	if got := e.order(released).Status; got != domain.StatusCompleted {
		t.Errorf("order %s, want completed", got)
	}
	code, body = scan(wo)
	if code != 409 || !strings.Contains(string(body), "already completed") {
		t.Errorf("scan completed: %d %s", code, body)
	}

	// Every step was audited against the operator.
	entries, err := e.st.ListAudit(ctx, domain.AuditFilter{Entity: "work_order", EntityID: wo})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		if a.Action == "create" {
			continue // cut by the test's setup
		}
		if a.Actor != "operator" {
			t.Errorf("entry %s by %s", a.Action, a.Actor)
		}
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, ","); got != "complete_work_order,stop,scrap,resume,pause,start" {
		t.Errorf("work order audit %s", got)
	}
}

func TestStationScanWithToken(t *testing.T) {
	e := newEnv(t)
	admin := e.as[domain.RoleAdmin]
	mk := func(line string) string {
		res, body := e.do(admin, "POST", "/api/v1/tokens", map[string]string{"name": "scanner-" + line, "role": "operator", "line": line})
		var tok struct {
			Token string `json:"token"`
		}
		if res.StatusCode != 201 || json.Unmarshal(body, &tok) != nil || tok.Token == "" {
			t.Fatalf("token: %d %s", res.StatusCode, body)
		}
		return tok.Token
	}
	l1, l2 := mk("L1"), mk("L2")
	n := e.draft("P")
	e.force(n, domain.StatusReleased)
	wo := domain.WorkOrderID(n, 10)
	res, body := e.do(nil, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo, "operator": "B-1001"}, "Authorization", "Bearer "+l1)
	if r := scanResult(t, body); res.StatusCode != 200 || r.Action != "start" || r.Operator != "operator via token:scanner-L1" {
		t.Fatalf("token scan: %d %s", res.StatusCode, body)
	}
	res, body = e.do(nil, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo}, "Authorization", "Bearer "+l2)
	e.problem(res, body, 403, "line")
	res, body = e.do(nil, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo, "operator": "nobody"}, "Authorization", "Bearer "+l1)
	e.problem(res, body, 400, "operator")
	// A line-scoped token may not act outside stations.
	res, body = e.do(nil, "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 1}, "Authorization", "Bearer "+l1)
	e.problem(res, body, 403, "role")
	res, body = e.do(nil, "POST", "/api/v1/orders/"+n+"/pause", nil, "Authorization", "Bearer "+l1)
	e.problem(res, body, 403, "line")
	// A wrong token is refused as such, not taken for nobody.
	res, body = e.do(nil, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo}, "Authorization", "Bearer wrong")
	e.problem(res, body, 401, "Authorization")
}

func TestStationPages(t *testing.T) {
	e := newEnv(t)
	res, body := e.do(nil, "GET", "/station/ST-L1", nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `data-station="ST-L1"`) || !strings.Contains(string(body), "autofocus") {
		t.Errorf("station page: %d", res.StatusCode)
	}
	res, body = e.do(nil, "GET", "/station/NOPE", nil)
	e.problem(res, body, 404, "id")
	res, body = e.do(nil, "POST", "/api/v1/stations/NOPE/scan", map[string]string{"code": "B-1001"})
	e.problem(res, body, 404, "id")
	res, body = e.do(nil, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": " "})
	e.problem(res, body, 400, "code")

	n := e.draft("P")
	e.force(n, domain.StatusReleased)
	res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/work-orders/"+domain.WorkOrderID(n, 10)+"/traveler", nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), "<svg") || !strings.Contains(string(body), "@media print") {
		t.Errorf("traveler: %d %s", res.StatusCode, body)
	}
	res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/work-orders/WO-NOPE/traveler", nil)
	e.problem(res, body, 404, "id")
}

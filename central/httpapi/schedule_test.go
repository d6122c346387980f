package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
)

// pt0 is a Monday 08:00 UTC, inside the default first shift; the demo's
// PO-1001 starts running on L1 at pt0.
var pt0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

type plannerEnv struct {
	srv    *httptest.Server
	st     *store.Store
	tokens map[domain.Role]string
}

func newPlannerEnv(t *testing.T) *plannerEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := app.SeedDemo(ctx, st, pt0); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return pt0.Add(5 * time.Minute) }
	cfg := planning.DefaultConfig()
	cfg.Budget, cfg.MaxIterations, cfg.Seed, cfg.Auto = 300*time.Millisecond, 500, 1, false
	log := slog.New(slog.DiscardHandler)
	svc, err := planning.New(planning.Options{Config: cfg, Store: st, Now: now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: log, Now: now})
	api.EnableSchedule(svc)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	e := &plannerEnv{srv: srv, st: st, tokens: map[domain.Role]string{}}
	for _, r := range []domain.Role{domain.RolePlanner, domain.RoleOperator, domain.RoleManager} {
		tok, hash, err := domain.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAPIToken(ctx, domain.APIToken{ID: "tok-" + string(r), Name: "test-" + string(r), Role: r, TokenHash: hash, CreatedAt: pt0},
			domain.Actor{Name: "test", Role: domain.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = tok
	}
	return e
}

// call does a request as role ("" for none) and decodes a JSON answer into out.
func (e *plannerEnv) call(t *testing.T, role domain.Role, method, path string, body any, out any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s: %d with content type %q", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res.StatusCode, string(raw)
}

func TestScheduleAPI(t *testing.T) {
	e := newPlannerEnv(t)
	var cur planning.ScheduleView
	if code, body := e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule", nil, &cur); code != 200 {
		t.Fatalf("GET schedule: %d %s", code, body)
	}
	if cur.Version != 0 || cur.Source != "work_orders" || len(cur.Lines) != 2 {
		t.Fatalf("schedule %+v", cur)
	}
	var frozen bool
	for _, op := range cur.Lines[0].Ops {
		if op.WorkOrder == "WO-1001-10" {
			frozen = op.Frozen
		}
	}
	if !frozen {
		t.Error("the running WO-1001-10 is not shown frozen")
	}

	// Writes need the planner (or admin) role.
	if code, _ := e.call(t, "", "POST", "/api/v1/schedule/proposals", map[string]string{"reason": "manual"}, nil); code != 401 {
		t.Fatalf("anonymous propose: %d", code)
	}
	if code, _ := e.call(t, domain.RoleOperator, "POST", "/api/v1/schedule/proposals", map[string]string{"reason": "manual"}, nil); code != 403 {
		t.Fatalf("operator propose: %d", code)
	}
	var manual planning.Proposal
	if code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/proposals", map[string]string{"reason": "manual"}, &manual); code != 201 {
		t.Fatalf("propose: %d %s", code, body)
	}
	if manual.Status != "pending" || manual.Schedule == nil || manual.Diff.Moved == nil {
		t.Fatalf("proposal %+v", manual)
	}

	due := pt0.Add(100 * time.Minute)
	var rush planning.Proposal
	if code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/orders/PO-1004/rush", map[string]any{"priority": 9, "due": due}, &rush); code != 201 {
		t.Fatalf("rush: %d %s", code, body)
	}
	if rush.Rush == nil || rush.Rush.Order != "PO-1004" || *rush.Rush.Priority != 9 || rush.Reason != "rush PO-1004" {
		t.Fatalf("rush proposal %+v", rush)
	}
	if len(rush.Diff.Slips) == 0 {
		t.Fatalf("rushing PO-1004 ahead on L1 slips nothing: %+v", rush.Diff)
	}
	if code, _ := e.call(t, domain.RolePlanner, "POST", "/api/v1/orders/PO-nope/rush", map[string]any{"priority": 9}, nil); code != 404 {
		t.Fatalf("rush of a missing order: %d", code)
	}
	if code, _ := e.call(t, domain.RolePlanner, "POST", "/api/v1/orders/PO-1004/rush", map[string]any{"priority": 12}, nil); code != 400 {
		t.Fatalf("rush priority 12: %d", code)
	}

	var list []planning.Proposal
	e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule/proposals?status=pending", nil, &list)
	if len(list) != 2 {
		t.Fatalf("pending proposals %d, want 2", len(list))
	}
	var got planning.Proposal
	if code, _ := e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule/proposals/"+rush.ID, nil, &got); code != 200 || got.ID != rush.ID {
		t.Fatalf("get proposal: %d", code)
	}
	if code, _ := e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule/proposals/P-none", nil, nil); code != 404 {
		t.Fatalf("get missing proposal: %d", code)
	}

	// A planner approving with a stale If-Match (the proposal changed since
	// they read it) is refused; the version read last passes.
	ifMatch := func(method, path, tag string) (*http.Response, string) {
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[domain.RolePlanner])
		req.Header.Set("If-Match", tag)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		return res, string(raw)
	}
	res, _ := ifMatch("GET", "/api/v1/schedule/proposals/"+rush.ID, "*")
	if res.Header.Get("ETag") == "" {
		t.Fatal("a proposal has no ETag")
	}
	if res, body := ifMatch("POST", "/api/v1/schedule/proposals/"+manual.ID+"/approve", `"0123456789abcdef01234567"`); res.StatusCode != 412 || !strings.Contains(body, `"field":"If-Match"`) {
		t.Fatalf("approve with a stale If-Match: %d %s", res.StatusCode, body)
	}

	// A rush is management's to approve (rush.go), not the planner's.
	if code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/proposals/"+rush.ID+"/approve", nil, nil); code != 403 || !strings.Contains(body, "/api/v1/rush/"+rush.ID+"/approve") {
		t.Fatalf("planner approving a rush: %d %s", code, body)
	}
	if code, body := e.call(t, domain.RoleManager, "POST", "/api/v1/rush/"+rush.ID+"/approve", map[string]string{}, nil); code != 200 {
		t.Fatalf("manager approves the rush: %d %s", code, body)
	}
	var approved planning.Proposal
	e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule/proposals/"+rush.ID, nil, &approved)
	if approved.Status != "approved" || approved.DecidedBy != "token:test-manager" {
		t.Fatalf("approved %+v", approved)
	}
	// The manual proposal was computed against version 0: stale now.
	code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/proposals/"+manual.ID+"/approve", nil, nil)
	if code != 409 || !strings.Contains(body, "plan changed") {
		t.Fatalf("approving a stale proposal: %d %s", code, body)
	}
	var rejected planning.Proposal
	if code, _ := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/proposals/"+manual.ID+"/reject", nil, &rejected); code != 200 || rejected.Status != "rejected" {
		t.Fatalf("reject: %d %+v", code, rejected)
	}
	e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule", nil, &cur)
	if cur.Version != 1 || cur.ProposalID != rush.ID {
		t.Fatalf("after approval: version %d proposal %s", cur.Version, cur.ProposalID)
	}
	o, err := e.st.GetOrder(context.Background(), "PO-1004")
	if err != nil {
		t.Fatal(err)
	}
	if o.Priority != 9 || o.Due == nil || !o.Due.Equal(due) {
		t.Fatalf("rushed order %+v", o.Order)
	}
}

func TestScheduleUnplannableIs422(t *testing.T) {
	e := newPlannerEnv(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// 20 hours in one operation; the shifts give 16-hour windows.
	must(e.st.CreateProduct(ctx, domain.Product{Code: "HUGE", Name: "Huge", Unit: "pcs", IdealCycle: 10 * time.Second}))
	due := pt0.Add(72 * time.Hour)
	must(e.st.CreateOrder(ctx, domain.Order{Number: "PO-7001", ProductCode: "HUGE", Quantity: 7200, Due: &due, Status: domain.StatusScheduled}))
	must(e.st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-7001-10", OrderNumber: "PO-7001", OperationSeq: 10, LineID: "L2",
		Barcode: "WO-7001-10", Quantity: 7200, Status: domain.StatusScheduled}))
	code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/proposals", map[string]string{"reason": "manual"}, nil)
	if code != 422 {
		t.Fatalf("status %d, want 422: %s", code, body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Detail, "order PO-7001 step 1") || !strings.Contains(p.Detail, "WO-7001-10") {
		t.Fatalf("detail %q does not name the order, step and work order", p.Detail)
	}
}

// TestPlannerPageInChromium drives /planner in headless Chromium: a rush
// proposal made through the API shows up with its slip table, Approve makes
// it the plan and the Gantt redraws.
func TestPlannerPageInChromium(t *testing.T) {
	e := newPlannerEnv(t)
	b := newBrowser(t, 1400, 1100)
	do, eval := b.do, b.eval
	shoot := func(path string) { t.Helper(); b.shoot(path, true) }
	ctx := b.ctx
	// The planner needs a sign-in (reads need a user): /login, then back.
	do("load planner", chromedp.Navigate(e.srv.URL+"/planner"))
	b.waitFor("login page", `location.pathname === "/login" && location.search === "?next=%2Fplanner"`)
	do("sign in", chromedp.SendKeys(chromedp.ID("user"), "plan"), chromedp.SendKeys(chromedp.ID("pass"), "plan-demo\r"))
	b.waitFor("back on the planner", `location.pathname === "/planner"`)
	b.waitFor("signed-in corner", `(document.querySelector("#session .who") || {}).textContent?.startsWith("signed in as ") === true`)
	do("planner redrawn", chromedp.WaitVisible(chromedp.CSS(`#gantt svg rect.bar[data-wo="WO-1001-10"]`)))

	var rush planning.Proposal
	due := pt0.Add(100 * time.Minute)
	if code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/orders/PO-1004/rush", map[string]any{"priority": 9, "due": due}, &rush); code != 201 {
		t.Fatalf("rush: %d %s", code, body)
	}
	item := chromedp.CSS(fmt.Sprintf(`#proposals li[data-id="%s"]`, rush.ID))
	eval(`refresh(), 1`)
	do("show the proposal", chromedp.WaitVisible(item), chromedp.Click(item),
		chromedp.WaitVisible(chromedp.CSS(`#slips tbody tr[data-order]`)))
	if n := eval(`document.querySelectorAll("#slips tbody tr[data-order]").length`); n != len(rush.Diff.Slips) {
		t.Fatalf("slip table has %d rows, the proposal %d slips", n, len(rush.Diff.Slips))
	}
	if n := eval(`document.querySelectorAll("#d-gantt rect.ghost").length`); n != len(rush.Diff.Moved) {
		t.Errorf("%d ghost bars for %d moved operations", n, len(rush.Diff.Moved))
	}
	shoot("/tmp/planner.png")

	var want string
	for _, l := range rush.Schedule.Lines {
		for _, op := range l.Ops {
			if op.WorkOrder == "WO-1004-10" {
				want = op.Start.Format(time.RFC3339Nano)
			}
		}
	}
	bar := chromedp.CSS(`#gantt[data-version="1"] svg rect.bar[data-wo="WO-1004-10"]`)
	// The planner may not approve a rush: the page says who does; a
	// manager approves it and the planner's Gantt shows the new plan.
	do("approve", chromedp.Click(chromedp.ID("approve")))
	b.waitFor("refusal shown", `document.getElementById("msg").textContent.includes("approved by management")`)
	if code, body := e.call(t, domain.RoleManager, "POST", "/api/v1/rush/"+rush.ID+"/approve", map[string]string{}, nil); code != 200 {
		t.Fatalf("manager approves the rush: %d %s", code, body)
	}
	eval(`refresh(), 1`)
	do("approved plan drawn", chromedp.WaitVisible(bar))
	start, err := chromedp.Run(ctx, chromedp.AttributeValue(bar, "data-start"))
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := time.Parse(time.RFC3339Nano, start.Value); err != nil || ts.Format(time.RFC3339Nano) != want {
		t.Fatalf("after approval WO-1004-10 starts at %q, the proposal said %q", start.Value, want)
	}
	shoot("/tmp/planner-approved.png")
}

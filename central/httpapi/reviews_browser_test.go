package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/httpapi"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/planning"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/costing"
	"github.com/linewise/linewise/central/store/inventory"
)

// newReviewEnv is the demo plant (its users sign in with <name>-demo, and
// a sales user sally/sally-demo) with the materials and cost APIs, the
// rush line L2 for up to 2000, a planner, a sales and a manager token, and
// the customer ACME (grade A).
func newReviewEnv(t *testing.T) *plannerEnv {
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
	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: log, Now: now, Inventory: inventory.New(st.Handle()),
		Cost: costing.New(st.Handle(), "CNY"), Rush: &domain.RushRules{Line: "L2", MaxQuantity: 2000, Approvers: []domain.Role{domain.RoleManager}}})
	api.EnableSchedule(svc)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	e := &plannerEnv{srv: srv, st: st, tokens: map[domain.Role]string{}}
	for _, r := range []domain.Role{domain.RolePlanner, domain.RoleSales, domain.RoleManager} {
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
	if code, body := e.call(t, domain.RolePlanner, http.MethodPost, "/api/v1/customers", map[string]string{"code": "ACME", "name": "Acme Brakes", "grade": "A"}, nil); code != http.StatusCreated {
		t.Fatalf("customer: %d %s", code, body)
	}
	h, err := domain.HashPassword("sally-demo", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateUser(ctx, domain.User{Username: "sally", DisplayName: "Sally Sales", Role: domain.RoleSales, PasswordHash: h},
		domain.Actor{Name: "test", Role: domain.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	return e
}

// signIn signs the browser in as a demo user and opens path.
func signIn(b *browser, base, user, path string) {
	b.t.Helper()
	b.do("forget the last session", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	b.do("sign in as "+user, chromedp.Navigate(base+"/login?next="+path), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), user), chromedp.SendKeys(chromedp.ID("pass"), user+"-demo\r"))
}

// TestReviewBoardInChromium: a special order for a grade-A customer waits
// on the review board. The planner sees it with its facts (cost estimate,
// L1's load); signing technical coordination without the checklist is
// refused with the server's reason; with drawings, BOM and routing ticked
// it is signed, which opens material and capacity; the planner signs
// material. In Chinese the supervisor signs capacity. Screenshots of both.
func TestReviewBoardInChromium(t *testing.T) {
	e := newReviewEnv(t)
	for _, c := range []struct {
		path string
		body map[string]any
	}{
		{"/api/v1/cost/labour-grades/G1", map[string]any{"name": "operator", "labour_hour": "40.00"}},
		{"/api/v1/cost/lines/L1", map[string]any{"machine_hour": "120", "labour_grade": "G1"}},
	} {
		if code, b := e.call(t, domain.RolePlanner, http.MethodPut, c.path, c.body, nil); code != 200 {
			t.Fatalf("PUT %s: %d %s", c.path, code, b)
		}
	}
	// Sales enters the special order at the order desk and submits it.
	b := newBrowser(t, 1400, 1000)
	signIn(b, e.srv.URL, "sales", "%2Forders")
	b.waitFor("order desk", `location.pathname === "/orders" && document.documentElement.dataset.ready === "1"`)
	setSelect(b, "f-customer", "ACME")
	setSelect(b, "f-product", "BRK-100")
	typeInto(b, "f-quantity", "300")
	typeInto(b, "f-due", "2030-06-30")
	typeInto(b, "f-number", "PO-3001")
	setSelect(b, "f-order_type", "special")
	typeInto(b, "f-price", "85")
	b.do("enter", chromedp.Click(chromedp.ID("create")))
	b.waitFor("entered", `document.getElementById("form-msg").textContent.includes("PO-3001")`)
	var entered domain.Order
	if code, body := e.call(t, domain.RoleSales, http.MethodGet, "/api/v1/orders/PO-3001", nil, &entered); code != 200 || entered.OrderType != "special" {
		t.Fatalf("entered order: %d %s", code, body)
	}
	if code, body := e.call(t, domain.RoleSales, http.MethodPost, "/api/v1/orders/PO-3001/submit", nil, nil); code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}

	signIn(b, e.srv.URL, "plan", "%2Freviews")
	b.waitFor("review board", `location.pathname === "/reviews" && document.documentElement.dataset.ready === "1"`)
	b.waitFor("nav link", `document.querySelector('#nav a[href="/reviews"][aria-current=page]') !== null`)
	card := `document.querySelector('.card[data-number="PO-3001"]')`
	b.waitFor("the order's card", card+` !== null`)
	if got := b.evalString(card + `.querySelector("h3").textContent`); got != "PO-3001300 pcs × Brake disc 280mmAcme BrakesA" {
		t.Errorf("card heading %q", got)
	}
	b.waitFor("cost estimate", card+`.querySelector(".fact.cost .total").textContent.includes("CNY")`)
	b.waitFor("L1's load", card+`.querySelector('.fact.capacity [data-line="L1"]').textContent.startsWith("L1: needs ")`)
	b.waitFor("material and capacity wait for coordination", card+`.querySelector('form[data-kind="material"] button.sign').disabled && `+
		card+`.querySelector('.chip[data-kind="capacity"]').textContent === "capacity: after technical coordination"`)

	b.do("sign technical without the checklist", chromedp.Click(`.card[data-number="PO-3001"] form[data-kind="technical"] button.sign`))
	b.waitFor("refused with the reason", `document.getElementById("msg").className === "err" && document.getElementById("msg").textContent === "Refused: technical coordination confirms drawings, bom and routing: drawings is not confirmed"`)
	for _, k := range []string{"drawings", "bom", "routing"} {
		b.do("tick "+k, chromedp.Click(`.card[data-number="PO-3001"] form[data-kind="technical"] input[name="`+k+`"]`))
	}
	b.do("comment", chromedp.SendKeys(`.card[data-number="PO-3001"] form[data-kind="technical"] input[name="comment"]`, "rev C drawings, BOM 3"))
	b.do("sign technical", chromedp.Click(`.card[data-number="PO-3001"] form[data-kind="technical"] button.sign`))
	b.waitFor("signed", `document.getElementById("msg").textContent === "Order PO-3001: technical signed off."`)
	b.waitFor("material open now", card+` !== null && !`+card+`.querySelector('form[data-kind="material"] button.sign').disabled && `+
		card+`.querySelector('form[data-kind="technical"]') === null && `+card+`.querySelector('.chip[data-kind="technical"]').textContent === "technical: signed by plan"`)
	b.do("sign material", chromedp.Click(`.card[data-number="PO-3001"] form[data-kind="material"] button.sign`))
	b.waitFor("material signed", `document.getElementById("msg").textContent === "Order PO-3001: material signed off."`)
	b.waitFor("capacity left", card+` !== null && `+card+`.querySelectorAll("form.sign").length === 1`)
	saveScreenshot(t, b.ctx, "reviews-en")

	// 中文: the supervisor signs capacity.
	signIn(b, e.srv.URL, "super", "%2Freviews%3Flang%3Dzh-CN")
	b.waitFor("zh-CN board", `document.documentElement.dataset.ready === "1" && document.documentElement.lang === "zh-CN"`)
	if h := b.text("#mine h2"); h != "待我审核" {
		t.Errorf("heading %q", h)
	}
	b.waitFor("card in Chinese", card+` !== null && `+card+`.querySelector('.chip[data-kind="technical"]').textContent === "技术：plan 已签"`)
	b.do("comment in Chinese", chromedp.SendKeys(`.card[data-number="PO-3001"] form[data-kind="capacity"] input[name="comment"]`, "L1 有余量"))
	saveScreenshot(t, b.ctx, "reviews-zh-CN")
	b.do("sign capacity", chromedp.Click(`.card[data-number="PO-3001"] form[data-kind="capacity"] button.sign`))
	b.waitFor("signed in Chinese", `document.getElementById("msg").textContent === "订单 PO-3001：产能审核已签署。"`)
	b.waitFor("nothing left for the supervisor", `document.querySelector('.card[data-number="PO-3001"]') === null && document.getElementById("queue").textContent === "没有等待您审核的订单。"`)

	var rec domain.OrderRecord
	if code, body := e.call(t, domain.RolePlanner, http.MethodGet, "/api/v1/orders/PO-3001", nil, &rec); code != 200 {
		t.Fatalf("order: %d %s", code, body)
	}
	got := map[domain.SignoffKind]string{}
	for _, s := range rec.Signoffs {
		got[s.Kind] = s.By + "/" + s.Comment
	}
	if got["technical"] != "plan/rev C drawings, BOM 3" || got["material"] != "plan/" || got["capacity"] != "super/L1 有余量" || len(got) != 3 {
		t.Fatalf("sign-offs %v", got)
	}
}

// TestRushApprovalInChromium: sales asks for PO-1004 as a rush; the
// manager opens the review board and sees the impact — the orders that
// slip, by how much, their customers and grades — and approves with a
// comment: the plan and PO-1004's priority and due date change (audited).
// Sales asks for PO-1003 on the page (the rush line refused for its
// grade-B customer); the manager reads and rejects it in Chinese.
func TestRushApprovalInChromium(t *testing.T) {
	e := newReviewEnv(t)
	ctx := context.Background()
	if code, body := e.call(t, domain.RolePlanner, http.MethodPost, "/api/v1/customers", map[string]string{"code": "BETA", "name": "华东制动", "grade": "B"}, nil); code != http.StatusCreated {
		t.Fatalf("customer: %d %s", code, body)
	}
	// The demo's orders have no customer of the master: give them one.
	if _, err := e.st.Handle().Read().Exec(ctx, `UPDATE orders SET customer_code = CASE WHEN number = 'PO-1004' THEN 'ACME' ELSE 'BETA' END`); err != nil {
		t.Fatal(err)
	}
	var first struct {
		ID string `json:"id"`
	}
	due := pt0.Add(100 * time.Minute)
	if code, body := e.call(t, domain.RoleSales, http.MethodPost, "/api/v1/orders/PO-1004/rush",
		map[string]any{"priority": 9, "due": due, "reason": "ACME's line stands still"}, &first); code != 201 {
		t.Fatalf("rush request: %d %s", code, body)
	}

	b := newBrowser(t, 1400, 1000)
	signIn(b, e.srv.URL, "mgr", "%2Freviews")
	b.waitFor("review board", `location.pathname === "/reviews" && document.documentElement.dataset.ready === "1"`)
	card := `document.querySelector('.card.rush[data-order="PO-1004"]')`
	b.waitFor("the rush with its impact", card+` !== null && `+card+`.querySelectorAll("table.impact tr[data-order]").length > 0`)
	if got := b.evalString(card + `.querySelector(".change").textContent`); !strings.HasPrefix(got, "Priority 0 → 9 · due") {
		t.Errorf("change line %q", got)
	}
	row := card + `.querySelector("table.impact tr[data-order]")`
	if got := b.evalString(row + `.textContent`); !strings.Contains(got, "华东制动") || !strings.Contains(got, " min") {
		t.Errorf("impact row %q: want the customer and the slip in minutes", got)
	}
	if got := b.evalString(row + `.querySelector(".grade").textContent`); got != "B" {
		t.Errorf("grade in the impact row %q", got)
	}
	if got := b.evalString(card + `.querySelector(":scope > div.meta").textContent`); !strings.Contains(got, "token:test-sales") || !strings.Contains(got, "ACME's line stands still") {
		t.Errorf("who asked and why: %q", got)
	}
	b.do("comment", chromedp.SendKeys(`.card.rush[data-order="PO-1004"] input[name="comment"]`, "approved; tell 华东制动"))
	saveScreenshot(t, b.ctx, "rush-en")
	b.do("approve", chromedp.Click(`.card.rush[data-order="PO-1004"] button.approve`))
	b.waitFor("approved", `document.getElementById("msg").textContent === "Rush insertion of order PO-1004 approved; the plan changed."`)
	b.waitFor("no longer waiting", `document.querySelector('.card.rush[data-order="PO-1004"]') === null && document.getElementById("rushes").textContent === "No rush insertion waits for approval."`)

	o, err := e.st.GetOrder(ctx, "PO-1004")
	if err != nil {
		t.Fatal(err)
	}
	if o.Priority != 9 || o.Due == nil || !o.Due.Equal(due) {
		t.Fatalf("PO-1004 after approval: priority %d due %v", o.Priority, o.Due)
	}
	var got struct {
		Status    string `json:"status"`
		DecidedBy string `json:"decided_by"`
		Comment   string `json:"comment"`
	}
	if code, body := e.call(t, domain.RoleManager, http.MethodGet, "/api/v1/rush/"+first.ID, nil, &got); code != 200 ||
		got.Status != "approved" || got.DecidedBy != "mgr" || got.Comment != "approved; tell 华东制动" {
		t.Fatalf("request after approval: %d %s", code, body)
	}

	// Sales asks for PO-1003 on the page: not on the rush line (a grade-B
	// customer's), then as an ordinary rush; the board says a manager decides.
	signIn(b, e.srv.URL, "sally", "%2Freviews")
	b.waitFor("sales' board", `document.documentElement.dataset.ready === "1" && document.getElementById("mine").hidden && !document.getElementById("ask").hidden`)
	setSelect(b, "r-order", "PO-1003")
	setSelect(b, "r-priority", "8")
	b.do("due", chromedp.SendKeys(chromedp.ID("r-due"), pt0.Format("2006-01-02")))
	b.do("reason", chromedp.SendKeys(chromedp.ID("r-reason"), "华东制动 催货"))
	b.do("rush line", chromedp.Click(chromedp.ID("r-line")))
	b.do("ask", chromedp.Click(`#ask-form button[type=submit]`))
	b.waitFor("rush line refused", `document.getElementById("msg").textContent.includes("only a grade-A customer's order may go on the rush line L2; order PO-1003 is for customer BETA of grade B")`)
	b.do("not on the rush line", chromedp.Click(chromedp.ID("r-line")))
	b.do("ask again", chromedp.Click(`#ask-form button[type=submit]`))
	b.waitFor("asked", `/^Rush of order PO-1003 asked for: \d+ other orders slip\. A manager decides\.$/.test(document.getElementById("msg").textContent)`)
	b.waitFor("waiting, not hers to decide", `(() => { const c = document.querySelector('.card.rush[data-order="PO-1003"]'); return !!c && c.textContent.includes("You asked for this rush: another manager decides it.") && c.querySelector("button.approve") === null; })()`)

	// 中文: the manager rejects it with a comment.
	signIn(b, e.srv.URL, "mgr", "%2Freviews%3Flang%3Dzh-CN")
	b.waitFor("zh-CN board", `document.documentElement.dataset.ready === "1" && document.documentElement.lang === "zh-CN"`)
	if h := b.text("#rush h2"); h != "待批准的紧急插单" {
		t.Errorf("rush heading %q", h)
	}
	card = `document.querySelector('.card.rush[data-order="PO-1003"]')`
	b.waitFor("the second rush in Chinese", card+` !== null && `+card+`.querySelector("table.impact th").textContent === "推迟的订单"`)
	saveScreenshot(t, b.ctx, "rush-zh-CN")
	b.do("reject without a comment", chromedp.Click(`.card.rush[data-order="PO-1003"] button.reject`))
	b.waitFor("comment asked for", `document.getElementById("msg").textContent === "驳回须填写意见。"`)
	b.do("comment", chromedp.SendKeys(`.card.rush[data-order="PO-1003"] input[name="comment"]`, "L2 已满，下周再排"))
	b.do("reject", chromedp.Click(`.card.rush[data-order="PO-1003"] button.reject`))
	b.waitFor("rejected in Chinese", `document.getElementById("msg").textContent === "订单 PO-1003 的紧急插单已驳回。"`)
}

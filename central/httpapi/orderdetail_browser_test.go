package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/domain"
)

// TestOrderDetailInChromium: a planner opens an order under review. The
// page shows its facts (customer with grade), the capacity sign-off, and a
// timeline of its creation, submission and sign-off. A change request
// without a reason is refused at the reason field and changes nothing;
// with one, quantity and priority change and the timeline shows
// "Quantity: 100 → 150" with the reason; the due date moves the same way.
// Printed (print media, A4) the forms and buttons are gone and the page
// is white. Cancelling needs a reason and ends in the timeline. The
// demo's running order shows a material shortage raised on its work
// order as an exception in its timeline. Then the page in Chinese.
func TestOrderDetailInChromium(t *testing.T) {
	e := newOrderDeskEnv(t)
	for _, c := range []struct {
		path string
		body any
	}{
		{"/api/v1/orders", map[string]any{"number": "PO-3001", "product": "BRK-100", "quantity": 100, "due": "2030-05-01T23:59:59Z", "customer": "ACME"}},
		{"/api/v1/orders/PO-3001/submit", map[string]any{}},
		{"/api/v1/orders/PO-3001/signoff", map[string]any{"kind": "capacity", "comment": "fits in week 18"}},
	} {
		if code, body := e.call(t, domain.RolePlanner, http.MethodPost, c.path, c.body, nil); code >= 300 {
			t.Fatalf("%s: %d %s", c.path, code, body)
		}
	}
	if code, body := e.call(t, domain.RoleOperator, http.MethodPost, "/api/v1/exceptions",
		map[string]any{"line": "L1", "work_order": "WO-1001-10", "detail": "rivets for BRK-100 run out"}, nil); code >= 300 {
		t.Fatalf("raise material short: %d %s", code, body)
	}
	order := func() domain.Order {
		t.Helper()
		var o domain.Order
		if code, body := e.call(t, domain.RolePlanner, http.MethodGet, "/api/v1/orders/PO-3001", nil, &o); code != 200 {
			t.Fatalf("order: %d %s", code, body)
		}
		return o
	}

	b := newBrowser(t, 1400, 1100)
	b.do("sign in", chromedp.Navigate(e.srv.URL+"/login?next=%2Forders%2FPO-3001"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "plan"), chromedp.SendKeys(chromedp.ID("pass"), "plan-demo\r"))
	b.waitFor("order page", `location.pathname === "/orders/PO-3001" && document.documentElement.dataset.ready === "1"`)
	b.waitFor("facts", `document.getElementById("status").textContent === "under review" && document.querySelector("#facts-list .grade.A") !== null && document.getElementById("facts-list").textContent.includes("2030-05-01")`)
	b.waitFor("sign-off", `document.getElementById("so-rows").textContent.includes("capacity") && document.getElementById("so-rows").textContent.includes("fits in week 18")`)
	b.waitFor("timeline", `[...document.querySelectorAll("#timeline li")].map(l => l.dataset.action).join(",") === "create,submit,signoff:capacity"`)
	b.waitFor("change form for a planner", `!document.getElementById("change-form").hidden && !document.getElementById("cancel-form").hidden`)

	typeInto(b, "c-quantity", "150")
	setSelect(b, "c-priority", "8")
	b.do("change without a reason", chromedp.Click(chromedp.ID("c-send")))
	b.waitFor("reason asked", `document.getElementById("ce-reason").textContent === "Give a reason." && document.getElementById("change-msg").textContent === "Please correct the marked fields."`)
	if o := order(); o.Quantity != 100 || o.Priority != 0 {
		t.Fatalf("a change without a reason changed the order: %+v", o)
	}
	typeInto(b, "c-reason", "customer asked for more")
	b.do("change", chromedp.Click(chromedp.ID("c-send")))
	b.waitFor("changed", `document.getElementById("change-msg").textContent.startsWith("Changed.")`)
	b.waitFor("change in the timeline", `(() => { const l = document.querySelector('#timeline li[data-action="edit"]'); return !!l && l.textContent.includes("Quantity: 100 → 150") && l.textContent.includes("Priority: 0 (normal) → 8 (urgent)") && l.textContent.includes("Reason: customer asked for more"); })()`)
	if o := order(); o.Quantity != 150 || o.Priority != 8 {
		t.Fatalf("after the change: %+v", o)
	}
	typeInto(b, "c-due", "2030-06-15")
	typeInto(b, "c-reason", "material arrives later")
	b.do("move the due date", chromedp.Click(chromedp.ID("c-send")))
	b.waitFor("due moved", `document.querySelectorAll('#timeline li[data-action="edit"]').length === 2 && document.getElementById("timeline").textContent.includes("Due: 2030-05-01 → 2030-06-15")`)
	if o := order(); o.Due == nil || o.Due.UTC().Format("2006-01-02") != "2030-06-15" {
		t.Fatalf("due after the change: %v", o.Due)
	}
	saveScreenshot(t, b.ctx, "order-detail-en")

	// Printed: A4, no forms or buttons, black on white.
	var pdf []byte
	b.do("print", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			return err
		}
		yes := true
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
		pdf = res.Data
		return err
	}))
	if got := b.evalString(`[document.getElementById("change").getClientRects().length ? "shown" : "none", getComputedStyle(document.getElementById("print")).display, getComputedStyle(document.body).backgroundColor, getComputedStyle(document.getElementById("timeline")).display].join(" ")`); got != "none none rgb(255, 255, 255) block" {
		t.Errorf("printed: change section, print button, background, timeline = %q", got)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("no PDF printed (%d bytes)", len(pdf))
	}
	// A4 is 595 × 842 points.
	if !regexp.MustCompile(`/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?\s*\]`).Match(pdf) {
		t.Errorf("the printed page is not A4: %q", regexp.MustCompile(`/MediaBox\s*\[[^\]]*\]`).Find(pdf))
	}
	if os.Getenv("LINEWISE_SCREENSHOTS") == "1" {
		_ = os.WriteFile(filepath.Join("testdata", "screenshots", "order-print-en.pdf"), pdf, 0o644)
	}
	b.do("screen again", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	}))

	b.do("cancel without a reason", chromedp.Click(chromedp.ID("x-send")))
	b.waitFor("reason asked", `document.getElementById("xe-reason").textContent === "Give a reason."`)
	if o := order(); o.Status != domain.StatusUnderReview {
		t.Fatalf("cancelled without a reason: %s", o.Status)
	}
	typeInto(b, "x-reason", "customer withdrew")
	b.do("cancel", chromedp.Click(chromedp.ID("x-send")))
	b.waitFor("cancelled", `document.getElementById("status").textContent === "cancelled" && document.getElementById("msg").textContent === "The order is cancelled."`)
	b.waitFor("cancel in the timeline", `(() => { const l = document.querySelector('#timeline li[data-action="cancel"]'); return !!l && l.textContent.includes("Reason: customer withdrew") && l.textContent.includes("Status: under review → cancelled") === false; })()`)
	b.waitFor("no more forms", `document.getElementById("change-form").hidden && document.getElementById("cancel-form").hidden`)
	if o := order(); o.Status != domain.StatusCancelled {
		t.Fatalf("after cancel: %s", o.Status)
	}

	// The running demo order: its work order's exception is in its timeline.
	b.do("PO-1001", chromedp.Navigate(e.srv.URL+"/orders/PO-1001"))
	b.waitFor("exception in the timeline", `document.documentElement.dataset.ready === "1" && [...document.querySelectorAll("#timeline li.exception")].some(l => l.textContent.includes("Exception: Material short on L1") && l.textContent.includes("rivets for BRK-100 run out"))`)
	b.waitFor("work orders", `document.querySelector('#wo-rows tr[data-wo="WO-1001-10"]') !== null`)

	// A draft: its enterer may delete it from its page.
	if code, body := e.call(t, domain.RolePlanner, http.MethodPost, "/api/v1/orders", map[string]any{"number": "PO-3002", "product": "BRK-200", "quantity": 10}, nil); code != 201 {
		t.Fatalf("draft: %d %s", code, body)
	}
	b.do("the draft", chromedp.Navigate(e.srv.URL+"/orders/PO-3002"))
	b.waitFor("delete offered", `document.documentElement.dataset.ready === "1" && !document.getElementById("delete").hidden && !document.getElementById("submit").hidden`)
	b.do("delete", chromedp.Click(chromedp.ID("delete")))
	b.waitFor("back at the desk", `location.pathname === "/orders" && document.getElementById("msg").textContent === "Order PO-3002 deleted." && document.querySelector('#rows tr[data-number="PO-3002"]') === null`)
	if code, _ := e.call(t, domain.RolePlanner, http.MethodGet, "/api/v1/orders/PO-3002", nil, nil); code != 404 {
		t.Fatalf("deleted draft: %d", code)
	}
	// The demo's PO-1001 was due on its first day: late, and the list says so.
	b.waitFor("late marked", `(() => { const r = document.querySelector('#rows tr[data-number="PO-1001"] td.late'); return !!r && r.textContent.includes("late"); })()`)

	b.do("zh-CN", chromedp.Navigate(e.srv.URL+"/orders/PO-3001?lang=zh-CN"))
	b.waitFor("zh-CN order page", `document.documentElement.dataset.ready === "1" && document.getElementById("status").textContent === "已取消"`)
	b.waitFor("timeline in Chinese", `document.getElementById("timeline").textContent.includes("数量：100 → 150") && document.getElementById("timeline").textContent.includes("原因：customer withdrew") && document.getElementById("timeline").textContent.includes("交期：2030/05/01 → 2030/06/15")`)
	saveScreenshot(t, b.ctx, "order-detail-zh-CN")
}

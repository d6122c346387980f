package httpapi_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store/purchasing"
)

// signInAs signs the browser in as user and lands on next.
func signInAs(b *browser, base, user, pass, next string) {
	b.t.Helper()
	b.do("sign in as "+user, chromedp.Navigate(base+"/login?next="+url.QueryEscape(next)), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), user), chromedp.SendKeys(chromedp.ID("pass"), pass+"\r"))
	path, _, _ := strings.Cut(next, "?")
	b.waitFor("on "+next+" as "+user, `location.pathname === `+strconv.Quote(path)+` && window.lwSession && lwSession.me() !== null && lwSession.me().username === `+strconv.Quote(user))
}

// TestPurchasingPageInChromium walks the demo plant's purchasing through
// the /purchasing page as the people who do it: the buyer runs MRP and
// converts the coating's requisition into a purchase order, the manager
// approves and sends it, the warehouse receives it into quarantine, and
// quality enters the viscosity and density of the sample and accepts it:
// the page then shows the lot released. The supplier tab shows the
// scorecards with the trend chart; the page reads the same in Chinese.
func TestPurchasingPageInChromium(t *testing.T) {
	a := startCentral(t, nil)
	base := "http://" + a.HTTPAddr()
	b := newBrowser(t, 1360, 900)
	// The plant keeps at least 800 l of coating on hand (it has about 400 l
	// released): MRP proposes to buy more.
	if err := a.Inventory().ReplaceStockLevels(context.Background(), "CT-ZN", []domain.StockLevel{{SafetyStock: 300_000, ReorderPoint: 800_000}},
		domain.Actor{Name: "wh", Role: domain.RoleWarehouse}); err != nil {
		t.Fatal(err)
	}

	signInAs(b, base, "buy", "buy-demo", "/purchasing")
	b.waitFor("nav entry", `document.querySelector('#nav a[href="/purchasing"]') !== null`)
	b.waitFor("requisitions tab", `document.getElementById("reqRows").textContent !== ""`)
	clickIn(b, "run MRP", "#runMRP")
	b.waitFor("MRP done", `document.getElementById("msg").className === "ok"`)
	const coat = `document.querySelector('#reqRows tr[data-material="CT-ZN"] input[type=checkbox]')`
	b.waitFor("a requisition for the coating", coat+` !== null && !`+coat+`.disabled`)
	req := b.evalString(`document.querySelector('#reqRows tr[data-material="CT-ZN"]').textContent`)
	if !strings.Contains(req, "CHM") || !strings.Contains(req, "42.00") {
		t.Fatalf("the coating's requisition shows %q, want supplier CHM at 42.00", req)
	}
	clickIn(b, "pick the coating", `#reqRows tr[data-material="CT-ZN"] input[type=checkbox]`)
	clickIn(b, "convert", "#convert")
	b.waitFor("the new purchase order shown", `!document.getElementById("poDetail").hidden && document.getElementById("poState").textContent === "draft"`)
	number := b.evalString(`document.getElementById("poDetail").dataset.number`)
	if got := b.text("#msg"); !strings.Contains(got, "Purchase orders created: "+number) {
		t.Errorf("message after convert: %q", got)
	}
	if !strings.Contains(b.text("#lineRows"), "CT-ZN") {
		t.Fatalf("purchase order %s lines: %q", number, b.text("#lineRows"))
	}
	saveScreenshot(t, b.ctx, "purchasing-en")

	// The manager approves and sends it.
	signInAs(b, base, "mgr", "mgr-demo", "/purchasing?tab=pos&po="+number)
	clickIn(b, "approve", `#poActions button[data-act="approve"]`)
	b.waitFor("approved", `document.getElementById("poState").textContent === "approved"`)
	clickIn(b, "send", `#poActions button[data-act="send"]`)
	b.waitFor("sent", `document.getElementById("poState").textContent === "sent"`)
	po, err := a.Purchasing().GetPO(context.Background(), number)
	if err != nil || po.ApprovedBy != "mgr" || po.Status != domain.POSent || len(po.Lines) != 1 {
		t.Fatalf("after the manager: %v %+v", err, po)
	}

	// The warehouse receives the whole line into quarantine.
	signInAs(b, base, "wh", "wh-demo", "/purchasing?tab=pos&po="+number)
	b.waitFor("receive offered", `document.querySelector('#lineRows tr[data-line="1"] button.rcv') !== null`)
	b.do("supplier lot", chromedp.SendKeys(chromedp.CSS(`#lineRows tr[data-line="1"] input.rsl`), "CHM-B77"))
	clickIn(b, "receive", `#lineRows tr[data-line="1"] button.rcv`)
	b.waitFor("received", `document.getElementById("poState").textContent === "received"`)
	if got := b.text("#msg"); !strings.Contains(got, "received into QA") {
		t.Fatalf("message after receipt: %q", got)
	}

	// Quality inspects the lot and accepts it: the lot is released.
	signInAs(b, base, "qa", "qa-demo", "/purchasing?tab=rcpts")
	row := `#rcRows tr[data-lot^="` + number + `"]`
	b.waitFor("the receipt pending inspection", `document.querySelector('`+row+` button.inspect') !== null`)
	if got := b.text(row + " td.lotstatus"); got != "quarantine" {
		t.Errorf("lot before inspection: %q", got)
	}
	clickIn(b, "inspect", row+" button.inspect")
	b.waitFor("inspection form", `document.querySelectorAll('#inChars input').length === 2`)
	// A typo outside the physical bounds is refused with the field named.
	b.do("values", chromedp.SendKeys(chromedp.CSS(`#inChars input[data-char="viscosity"]`), "20.5, 21, 2100"),
		chromedp.SendKeys(chromedp.CSS(`#inChars input[data-char="density"]`), "1.31 1.29 1.30"))
	clickIn(b, "record", `#inspect button[type="submit"]`)
	b.waitFor("refused", `document.getElementById("msg").className === "err" && document.getElementById("msg").textContent.includes("300")`)
	b.do("fix the typo", chromedp.SetValue(chromedp.CSS(`#inChars input[data-char="viscosity"]`), "20.5, 21, 21.4"))
	clickIn(b, "record", `#inspect button[type="submit"]`)
	b.waitFor("accepted and released", `document.querySelector('`+row+` td.lotstatus') !== null && document.querySelector('`+row+` td.lotstatus').textContent === "released"`)
	if got := b.text(row); !strings.Contains(got, "accepted") {
		t.Errorf("receipt row after inspection: %q", got)
	}
	lot := b.evalString(`document.querySelector('` + row + `').dataset.lot`)
	l, err := a.Inventory().GetLot(context.Background(), lot)
	if err != nil || l.Status != domain.LotReleased {
		t.Fatalf("lot %s: %v %+v", lot, err, l)
	}
	saveScreenshot(t, b.ctx, "purchasing-receipts-en")

	// Suppliers: the scorecards, the trend chart and the export link.
	clickIn(b, "suppliers tab", `#tabs button[data-tab="sups"]`)
	b.waitFor("scorecards", `document.querySelector('#scRows tr[data-supplier="CHM"]') !== null`)
	if got := b.text(`#scRows tr[data-supplier="CHM"]`); !strings.Contains(got, "\t1\t100.0 %\t1\t100.0 %") {
		t.Errorf("CHM's scorecard: %q, want 1 receipt on time and 1 lot accepted", got)
	}
	clickIn(b, "CHM's trend", `#scRows tr[data-supplier="CHM"]`)
	b.waitFor("trend chart", `document.querySelectorAll('#chart svg circle.quality_pct').length === 1`)
	if href := b.evalString(`document.getElementById("scXlsx").href`); !strings.HasSuffix(href, "/api/v1/exports/scorecards.xlsx") {
		t.Errorf("export link %q", href)
	}
	saveScreenshot(t, b.ctx, "purchasing-suppliers-en")

	// The same page in Chinese.
	b.do("zh-CN", chromedp.Navigate(base+"/purchasing?tab=rcpts&lang=zh-CN"))
	b.waitFor("Chinese receipts", `document.querySelector('`+row+` td.lotstatus') !== null && document.querySelector('`+row+` td.lotstatus').textContent === "已放行"`)
	if got := b.text(`#tabs`); !strings.Contains(got, "采购订单") || !strings.Contains(got, "供应商") {
		t.Errorf("tabs in Chinese: %q", got)
	}
	if got := b.text(`#nav`); !strings.Contains(got, "采购") {
		t.Errorf("nav in Chinese: %q", got)
	}
	saveScreenshot(t, b.ctx, "purchasing-receipts-zh-CN")
	b.do("zh-CN orders", chromedp.Navigate(base+"/purchasing?tab=pos&lang=zh-CN&po="+number))
	b.waitFor("Chinese order state", `document.getElementById("poState").textContent === "已收货"`)
	saveScreenshot(t, b.ctx, "purchasing-zh-CN")
	b.do("zh-CN suppliers", chromedp.Navigate(base+"/purchasing?tab=sups&lang=zh-CN"))
	b.waitFor("Chinese scorecards", `document.querySelector('#scRows tr[data-supplier="SLOW"]') !== null && document.querySelector('#scRows tr[data-supplier="SLOW"]').textContent.includes("考察期")`)
	clickIn(b, "CHM's trend", `#scRows tr[data-supplier="CHM"]`)
	b.waitFor("trend chart", `document.querySelectorAll('#chart svg circle.quality_pct').length === 1`)
	saveScreenshot(t, b.ctx, "purchasing-suppliers-zh-CN")
}

// TestOutsourcingBoardInChromium: the demo's outsourced operation (PO-1003's
// pressing, 1,200 blanks at PLT) and a new request from the planner for
// WO-1001-10 on the /purchasing page's outsourcing board. The manager
// approves the request (which writes its subcontract purchase order); the
// warehouse takes PO-1003's 1,200 parts back; quality accepts the lot, and
// the board shows the operation closed. The board reads the same in Chinese.
func TestOutsourcingBoardInChromium(t *testing.T) {
	// The exception rules' clock runs ten days ahead: PUR-2601 (promised
	// for day 7) and the blanks at PLT (due back on day 5) are late.
	var ahead atomic.Int64
	ahead.Store(int64(10 * 24 * time.Hour))
	a := startCentral(t, func(c *app.Config) {
		c.ExceptionsNow = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	base := "http://" + a.HTTPAddr()
	ctx := context.Background()
	evaluate := func() {
		t.Helper()
		ahead.Add(int64(time.Hour)) // past the rules' own spacing
		if err := a.Exceptions().Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	evaluate()
	if _, err := a.Purchasing().RequestSubcontract(ctx, purchasing.SubcontractRequest{WorkOrder: "WO-1001-10", Supplier: "PLT", Quantity: 100,
		Reason: "L1 saturated"}, domain.Actor{Name: "plan", Role: domain.RolePlanner}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1360, 900)
	row := func(wo string) string { return `#subRows tr[data-work-order="` + wo + `"]` }

	signInAs(b, base, "mgr", "mgr-demo", "/purchasing?tab=subs")
	b.waitFor("the request on the board", `document.querySelector('`+row("WO-1001-10")+` button.approve') !== null`)
	const lateSub = `#alertList li[data-kind="subcontract_late"][data-work-order="WO-1003-10"]`
	b.waitFor("the late outsourcing alert", `document.querySelector('`+lateSub+`') !== null && !document.getElementById("alerts").hidden`)
	if got := b.text(lateSub); !strings.Contains(got, "Outsourcing late") || !strings.Contains(got, "1200 parts not back") {
		t.Errorf("alert: %q", got)
	}
	if n := b.eval(`document.querySelectorAll('#alertList li[data-kind="late_purchase"]').length`); n == 0 {
		t.Error("no late_purchase alert for PUR-2601")
	}
	if got := b.text(row("WO-1003-10")); !strings.Contains(got, "at supplier") || !strings.Contains(got, "1,200") {
		t.Errorf("the demo's outsourced operation shows %q", got)
	}
	clickIn(b, "approve", row("WO-1001-10")+" button.approve")
	b.waitFor("approved", `document.querySelector('`+row("WO-1001-10")+` .st').textContent === "approved"`)
	scs, err := a.Purchasing().ListSubcontracts(ctx, purchasing.SubcontractFilter{WorkOrder: "WO-1001-10"})
	if err != nil || len(scs) != 1 || scs[0].ApprovedBy != "mgr" || scs[0].PO == "" {
		t.Fatalf("after approval: %v %+v", err, scs)
	}

	signInAs(b, base, "wh", "wh-demo", "/purchasing?tab=subs")
	b.waitFor("receive offered", `document.querySelector('`+row("WO-1003-10")+` button.back') !== null`)
	clickIn(b, "receive back", row("WO-1003-10")+" button.back")
	b.waitFor("received", `document.querySelector('`+row("WO-1003-10")+` .st').textContent === "received" &&
		document.querySelector('`+row("WO-1003-10")+` .lotline[data-lot="WO-1003-10-R1"]') !== null`)

	// Back from PLT: the alert resolves by itself.
	evaluate()
	signInAs(b, base, "qa", "qa-demo", "/purchasing?tab=subs")
	// PUR-2601 is still late: its alert shows the list is in.
	b.waitFor("alerts loaded", `document.querySelector('#alertList li[data-kind="late_purchase"]') !== null`)
	if n := b.eval(`document.querySelectorAll('` + lateSub + `').length`); n != 0 {
		t.Error("the late outsourcing alert is still shown after the parts came back")
	}
	clickIn(b, "accept", row("WO-1003-10")+` .lotline[data-lot="WO-1003-10-R1"] button.accept`)
	b.waitFor("closed", `document.querySelector('`+row("WO-1003-10")+` .st').textContent === "closed"`)
	if got := b.text(row("WO-1003-10")); !strings.Contains(got, "1,200 (1,200 ✓)") {
		t.Errorf("inspected parts: %q", got)
	}
	l, err := a.Inventory().GetLot(ctx, "WO-1003-10-R1")
	if err != nil || l.Status != domain.LotReleased || l.Material != "BRK-100" {
		t.Fatalf("returned lot: %v %+v", err, l)
	}
	saveScreenshot(t, b.ctx, "purchasing-outsourcing-en")
	b.do("zh-CN", chromedp.Navigate(base+"/purchasing?tab=subs&lang=zh-CN"))
	b.waitFor("Chinese alert", `document.querySelector('#alertList li[data-kind="late_purchase"] b') !== null &&
		document.querySelector('#alertList li[data-kind="late_purchase"] b').textContent === "采购延误"`)
	b.waitFor("Chinese board", `document.querySelector('`+row("WO-1003-10")+` .st') !== null && document.querySelector('`+row("WO-1003-10")+` .st').textContent === "已完成"`)
	if got := b.text(`#tabs`); !strings.Contains(got, "外协") {
		t.Errorf("tabs in Chinese: %q", got)
	}
	saveScreenshot(t, b.ctx, "purchasing-outsourcing-zh-CN")
}

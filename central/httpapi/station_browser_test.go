package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/domain"
)

// TestStationPageInChromium drives /station/ST-L1 the way a keyboard-wedge
// scanner does: keystrokes into whatever has focus, ended by Enter. A badge
// signs the operator in, a released work order of the line starts, and codes
// that do not apply say why on the page and change nothing.
func TestStationPageInChromium(t *testing.T) {
	e := newPlannerEnv(t)
	b := newBrowser(t, 1024, 768)
	ctx := context.Background()
	woStatus := func(id string) domain.OrderStatus {
		t.Helper()
		w, err := e.st.GetWorkOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return w.Status
	}
	// A closed order with a work order on L1, to scan by mistake.
	closed := pt0.Add(-24 * time.Hour)
	if err := e.st.CreateOrder(ctx, domain.Order{Number: "PO-9001", ProductCode: "BRK-100", Quantity: 10, Due: &closed, Status: domain.StatusClosed}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-9001-10", OrderNumber: "PO-9001", OperationSeq: 10, LineID: "L1",
		Barcode: "WO-9001-10", Quantity: 10, Status: domain.StatusClosed}); err != nil {
		t.Fatal(err)
	}
	scan := func(code string) { t.Helper(); b.do("scan "+code, chromedp.KeyEvent(code+"\r")) }
	msg := func() (text, class string) {
		return b.text("#msg"), b.evalString(`document.getElementById("msg").className`)
	}

	b.do("load station", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(e.srv.URL+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("input focused", `document.activeElement && document.activeElement.id === "scan"`)
	if who := b.text("#who"); !strings.Contains(who, "not signed in") {
		t.Errorf("before the badge the corner says %q", who)
	}

	scan("B-1001")
	b.waitFor("badge", `document.getElementById("who").textContent.includes("Olga Operator")`)
	if text, class := msg(); !strings.Contains(text, "Olga Operator") || class != "ok" {
		t.Errorf("after the badge: %q (%s)", text, class)
	}

	// The demo runs WO-1001-10 on L1: starting another is refused until it pauses.
	scan("WO-1004-10")
	b.waitFor("second work order", `document.getElementById("msg").textContent.includes("already runs WO-1001-10")`)
	if text, class := msg(); class != "err" {
		t.Errorf("second work order: %q (%s)", text, class)
	}
	if s := woStatus("WO-1004-10"); s != domain.StatusReleased {
		t.Errorf("a refused start left WO-1004-10 %s", s)
	}
	scan("WO-1001-10")
	b.waitFor("pause", `document.getElementById("msg").textContent.includes("paused WO-1001-10")`)
	b.waitFor("paused status", `document.getElementById("wo").textContent.includes("paused")`)

	scan("WO-1004-10")
	b.waitFor("start", `document.getElementById("msg").textContent.includes("started WO-1004-10")`)
	if text, class := msg(); class != "ok" {
		t.Errorf("start: %q (%s)", text, class)
	}
	b.waitFor("work order status", `document.getElementById("wo").textContent.includes("WO-1004-10") && document.getElementById("wo").textContent.includes("in progress")`)
	var rec domain.OrderRecord
	if code, body := e.call(t, domain.RolePlanner, "GET", "/api/v1/orders/PO-1004", nil, &rec); code != 200 {
		t.Fatalf("order: %d %s", code, body)
	}
	for _, w := range rec.WorkOrders {
		if w.ID == "WO-1004-10" && w.Status != domain.StatusInProgress {
			t.Errorf("through the API WO-1004-10 is %s", w.Status)
		}
	}
	b.waitFor("line card", `document.getElementById("active").textContent.includes("WO-1004-10")`)
	b.shoot("/tmp/station-started.png", false)

	// Codes that do not apply: a clear message, nothing changes. WO-1002-10
	// is on L1 but its order is only scheduled; WO-9001-10 is on L1 and closed.
	before := map[string]domain.OrderStatus{}
	for _, id := range []string{"WO-1002-10", "WO-1003-10", "WO-9001-10"} {
		before[id] = woStatus(id)
	}
	for _, c := range []struct{ code, want string }{
		{"WO-9999-10", "unknown code WO-9999-10"},
		{"WO-1003-10", "runs on line L2, not on this station's line L1"},
		{"WO-1002-10", "work order WO-1002-10 is not released (order PO-1002 is scheduled)"},
		{"WO-9001-10", "work order WO-9001-10 is already closed"},
	} {
		scan(c.code)
		b.waitFor(c.code, `document.getElementById("msg").textContent.includes(`+jsString(c.want)+`)`)
		if text, class := msg(); class != "err" {
			t.Errorf("%s: %q shown as %q, want err", c.code, text, class)
		}
		if got := b.evalString(`document.activeElement.id`); got != "scan" {
			t.Errorf("after %s focus is on %q, not the scan input", c.code, got)
		}
	}
	if s := woStatus("WO-1004-10"); s != domain.StatusInProgress {
		t.Errorf("wrong scans changed WO-1004-10 to %s", s)
	}
	for id, was := range before {
		if s := woStatus(id); s != was {
			t.Errorf("wrong scans changed %s from %s to %s", id, was, s)
		}
	}
	if got := b.text("#active"); !strings.Contains(got, "WO-1004-10") {
		t.Errorf("after wrong scans the line card shows %q", got)
	}
	b.shoot("/tmp/station.png", false)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

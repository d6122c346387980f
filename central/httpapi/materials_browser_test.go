package httpapi_test

import (
	"context"
	"log/slog"
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
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/edge/wire"
)

// TestMaterialsPagesTraceInChromium: on the demo, L1 makes 200 discs
// (backflush takes blanks and coating from its line side), the finished lot
// FG-WO-1001-10 is received and 50 discs of it shipped against the
// customer's order PO-7001 (ACME-4711). A supervisor opens Materials from
// the nav: the alert badge counts the coating below its safety stock and
// the stock lists the finished lot. On the lot's page the backward trace
// shows the coating lot CT-2609 with its supplier lot CHM-4410; one click
// on that supplier lot answers the recall question (PO-7001 shipped to
// ACME-4711, PO-1001 made from it); the trace downloads as XLSX; forward
// from CT-2609 reaches the shipment. The same pages in Chinese.
func TestMaterialsPagesTraceInChromium(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	start := time.Now().UTC().Add(-10 * time.Minute)
	if _, err := app.SeedDemo(ctx, st, start); err != nil {
		t.Fatal(err)
	}
	inv := inventory.New(st.Handle())
	admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(inv.ReplaceStockLevels(ctx, "CT-ZN", []domain.StockLevel{{SafetyStock: 500 * domain.QtyScale, ReorderPoint: 600 * domain.QtyScale}}, admin))
	_, err = st.ApplyBatch(ctx, wire.Batch{EdgeID: "edge-L1", Events: []wire.Event{{EdgeID: "edge-L1", Seq: 1, Line: "L1",
		Type: wire.TypeCount, SourceTime: start.Add(200 * time.Second), Count: &wire.Count{Counter: "parts", Good: 200}}}})
	must(err)
	_, err = inv.Book(ctx, domain.MovementRequest{Type: domain.MoveFGReceipt, Lot: "FG-WO-1001-10", Quantity: 200 * domain.QtyScale, To: "LS-L1",
		WorkOrder: "WO-1001-10"}, admin)
	must(err)
	must(st.CreateOrder(ctx, domain.Order{Number: "PO-7001", ProductCode: "BRK-100", Quantity: 50, Status: domain.StatusReleased}))
	must(st.Handle().InTx(ctx, func(q store.Q) error {
		_, err := q.Exec(ctx, `UPDATE orders SET customer_ref = ? WHERE number = ?`, "ACME-4711", "PO-7001")
		return err
	}))
	_, err = inv.Book(ctx, domain.MovementRequest{Type: domain.MoveShipment, Lot: "FG-WO-1001-10", Quantity: 50 * domain.QtyScale, From: "LS-L1",
		Order: "PO-7001"}, admin)
	must(err)

	// The discs are serial-tracked: two serials for WO-1001-10.
	_, err = inv.SetSerialConfig(ctx, domain.SerialConfig{Product: "BRK-100", Tracked: true, Prefix: "BRK-"}, admin)
	must(err)
	_, err = inv.RegisterSerials(ctx, "WO-1001-10", domain.SerialRequest{Generate: 2, Station: "ST-L1"}, admin)
	must(err)

	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: slog.New(slog.DiscardHandler), Inventory: inv})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })

	b := newBrowser(t, 1280, 900)
	b.do("sign in", chromedp.Navigate(srv.URL+"/login?next=%2F"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.waitFor("nav entry", `document.querySelector('#nav a[href="/materials"]') !== null`)
	b.do("to materials", chromedp.Click(chromedp.CSS(`#nav a[href="/materials"]`)))
	b.waitFor("alert badge", `location.pathname === "/materials" && document.getElementById("alert-count").textContent === "1" && document.getElementById("alert-count").classList.contains("on")`)
	if s := b.text("#alerts"); !hasAll(s, "CT-ZN", "all locations", "below safety stock", "400 l", "500 l", "600 l") {
		t.Errorf("alerts: %q", s)
	}
	b.waitFor("finished lot in stock", `document.querySelector('#stock a[data-lot="FG-WO-1001-10"]') !== null`)
	saveScreenshot(t, b.ctx, "materials-en")

	b.do("open the finished lot", chromedp.Click(chromedp.CSS(`#stock a[data-lot="FG-WO-1001-10"]`)))
	b.waitFor("backward trace", `location.pathname === "/materials/lots/FG-WO-1001-10" && document.getElementById("tree").dataset.direction === "backward" &&
		!!document.querySelector('#tree .node[data-lot="CT-2609"]')`)
	if s := b.text(`#tree .node[data-lot="CT-2609"]`); !hasAll(s, "CT-2609", "CT-ZN", "2.4 l", "supplier lot CHM-4410", "used from") {
		t.Errorf("CT-2609 in the trace: %q", s)
	}
	if s := b.text(`#tree .node.root`); !hasAll(s, "FG-WO-1001-10", "BRK-100", "200 pcs", "made by WO-1001-10 (order PO-1001, line L1)") {
		t.Errorf("root of the trace: %q", s)
	}
	if s := b.text(`#tree .node[data-lot="BLK280-2611"]`); !hasAll(s, "supplier lot FDY-88120", "200 pcs") {
		t.Errorf("blank lot in the trace: %q", s)
	}
	b.waitFor("ledger", `document.querySelector('#ledger tr[data-movement="shipment"]') !== null && document.querySelector('#ledger tr[data-movement="fg_receipt"]') !== null`)
	saveScreenshot(t, b.ctx, "lot-trace-en")

	// Recall, one click on the supplier lot in the tree.
	b.do("recall CHM-4410", chromedp.Click(chromedp.CSS(`#tree .node[data-lot="CT-2609"] button.recall-btn`)))
	b.waitFor("recall answer", `!!document.querySelector('#recall tr[data-order="PO-7001"]') && !!document.querySelector('#recall tr[data-order="PO-1001"]')`)
	if s := b.text(`#recall tr[data-order="PO-7001"]`); !hasAll(s, "shipped", "ACME-4711", "FG-WO-1001-10", "50 pcs") {
		t.Errorf("recall PO-7001: %q", s)
	}
	if s := b.text(`#recall tr[data-order="PO-1001"]`); !hasAll(s, "made from it", "FG-WO-1001-10") {
		t.Errorf("recall PO-1001: %q", s)
	}
	// The trace downloads as a workbook.
	b.waitFor("trace export", `(() => { if (!window.__x) { window.__x = "…"; fetch(document.getElementById("trace-xlsx").href, {credentials: "same-origin"})
		.then(r => r.arrayBuffer().then(a => { window.__x = r.status + " " + r.headers.get("content-type") + " " + (new Uint8Array(a)[0] === 0x50); })); }
		return window.__x === "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet true"; })()`)

	// Forward from the coating lot: into the finished lot and its shipment.
	b.do("coating lot forward", chromedp.Navigate(srv.URL+"/materials/lots/CT-2609?direction=forward"))
	b.waitFor("forward trace", `document.getElementById("tree").dataset.direction === "forward" && !!document.querySelector('#tree .node[data-lot="FG-WO-1001-10"]')`)
	if s := b.text(`#tree .node[data-lot="FG-WO-1001-10"]`); !hasAll(s, "shipped against PO-7001 (customer ACME-4711): 50 pcs") {
		t.Errorf("forward: %q", s)
	}

	// A serial leads to its finished lot, marked among the lot's serials.
	b.do("materials for a serial", chromedp.Navigate(srv.URL+"/materials"), chromedp.WaitVisible(chromedp.ID("serial")),
		chromedp.SendKeys(chromedp.ID("serial"), "BRK-000002\r"))
	b.waitFor("serial's lot", `location.pathname === "/materials/lots/FG-WO-1001-10" && !!document.querySelector('#serials tr.mark[data-serial="BRK-000002"]')`)
	if s := b.text("#serials"); !hasAll(s, "BRK-000001", "BRK-000002", "WO-1001-10", "generated", "ST-L1") {
		t.Errorf("serials of the lot: %q", s)
	}

	// 中文.
	b.do("lot page in Chinese", chromedp.Navigate(srv.URL+"/materials/lots/FG-WO-1001-10?lang=zh-CN"))
	b.waitFor("zh trace", `!!document.querySelector('#tree .node[data-lot="CT-2609"]') && document.querySelector('#tree .node[data-lot="CT-2609"]').textContent.includes("供应商批次 CHM-4410")`)
	if s := b.text("main h2"); !hasAll(s, "批次", "放行") {
		t.Errorf("zh heading: %q", s)
	}
	b.waitFor("zh ledger", `document.getElementById("ledger").textContent.includes("成品入库")`)
	saveScreenshot(t, b.ctx, "lot-trace-zh-CN")
	b.do("materials in Chinese", chromedp.Navigate(srv.URL+"/materials?lang=zh-CN&recall=CHM-4410"))
	b.waitFor("zh alerts", `document.getElementById("alerts").textContent.includes("低于安全库存") && !!document.querySelector('#recall-rows tr[data-order="PO-7001"]')`)
	saveScreenshot(t, b.ctx, "materials-zh-CN")
}

func hasAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

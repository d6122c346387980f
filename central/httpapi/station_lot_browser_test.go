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

// TestStationLotScanTraceInChromium: on the demo, an operator signs in at
// ST-L1 with a badge and scans the warehouse coating lot CT-2612 at the
// station page; the page shows it loaded at the line side. L1 then counts
// 200 discs (ingested as an edge would), the operator completes WO-1001-10
// on the page, which books the finished lot FG-WO-1001-10, and that lot's
// backward trace shows CT-2612 among the component lots backflush consumed.
func TestStationLotScanTraceInChromium(t *testing.T) {
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
	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: slog.New(slog.DiscardHandler), Inventory: inv})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })
	pushCtx, stopPush := context.WithCancel(ctx)
	t.Cleanup(stopPush)
	go api.RunPush(pushCtx)

	b := newBrowser(t, 1024, 768)
	scan := func(code string) { t.Helper(); b.do("scan "+code, chromedp.KeyEvent(code+"\r")) }
	b.do("load station", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(srv.URL+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("input focused", `document.activeElement && document.activeElement.id === "scan"`)
	scan("B-1001")
	b.waitFor("badge", `document.getElementById("who").textContent.includes("Olga Operator")`)
	// Signed in: the line side as seeded (blanks and a little coating).
	b.waitFor("loaded at sign-in", `document.querySelector('#loaded [data-lot="CT-2609"]') !== null`)

	scan("CT-2612")
	b.waitFor("lot loaded", `document.getElementById("msg").textContent.includes("loaded lot CT-2612 (CT-ZN) for WO-1001-10: 400 l to LS-L1")`)
	if cls := b.evalString(`document.getElementById("msg").className`); cls != "ok" {
		t.Errorf("lot scan shown as %q", cls)
	}
	b.waitFor("loaded list", `(document.querySelector('#loaded [data-lot="CT-2612"]') || {textContent: ""}).textContent.includes("400 l at LS-L1")`)
	// A lot of a material not in BRK-100's bill: refused on the page.
	scan("BLK320-2611")
	b.waitFor("wrong material", `document.getElementById("msg").textContent.includes("lot BLK320-2611 is material BLK-320, not a component of BRK-100")`)

	// The line runs: 200 discs take 200 blanks and 4 l of coating (2.4 l
	// of CT-2609, received first, then 1.6 l of CT-2612).
	if _, err := st.ApplyBatch(ctx, wire.Batch{EdgeID: "edge-L1", Events: []wire.Event{{EdgeID: "edge-L1", Seq: 1, Line: "L1",
		Type: wire.TypeCount, SourceTime: start.Add(200 * time.Second), Count: &wire.Count{Counter: "parts", Good: 200}}}}); err != nil {
		t.Fatal(err)
	}
	api.Notify() // what ingest does after a commit
	b.waitFor("counts shown", `document.getElementById("counts").textContent.includes("good 200")`)
	b.do("complete", chromedp.Click(chromedp.ID("complete")))
	b.waitFor("completed", `document.getElementById("msg").textContent.includes("completed WO-1001-10")`)

	// The completion booked the finished lot: 200 discs made by WO-1001-10 at L1's line side.
	fg, err := inv.GetLot(ctx, "FG-WO-1001-10")
	if err != nil {
		t.Fatal(err)
	}
	if fg.WorkOrderID != "WO-1001-10" || fg.Quantity != 200*domain.QtyScale || fg.Material != "BRK-100" {
		t.Errorf("finished lot: %+v", fg)
	}
	tree, err := inv.Backward(ctx, "FG-WO-1001-10")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]domain.Qty{}
	for _, c := range tree.Children {
		got[c.Lot] = c.Quantity
	}
	if got["CT-2612"] != 1600 || got["CT-2609"] != 2400 || got["BLK280-2611"] != 200*domain.QtyScale || tree.WorkOrder != "WO-1001-10" {
		t.Errorf("FG-WO-1001-10 backward: %+v", tree.Children)
	}
	// The page's line side follows the consumption: CT-2609 used up.
	b.waitFor("loaded after the run", `document.getElementById("loaded").textContent.includes("CT-2612 · 398.4 l") && document.querySelector('#loaded [data-lot="CT-2609"]') === null`)
	if s := b.text("#loaded"); !strings.Contains(s, "BLK280-2611 · 5800 pcs") {
		t.Errorf("loaded list after the run: %q", s)
	}
	b.shoot("/tmp/station-lot.png", false)
}

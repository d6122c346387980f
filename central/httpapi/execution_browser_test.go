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
	"github.com/linewise/linewise/edge/wire"
)

// TestStationBounceAndOverrunInChromium: at /station/ST-L1 a bouncing
// scanner types the traveler's code twice with Enter: the work order
// starts once (not start then pause). Then the line makes more good parts
// than the order's quantity plus 5 %: the page shows the overrun warning
// without a reload.
func TestStationBounceAndOverrunInChromium(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := app.SeedDemo(ctx, st, pt0); err != nil {
		t.Fatal(err)
	}
	now := pt0.Add(5 * time.Minute)
	api := httpapi.New(httpapi.Options{Store: st, Hub: live.New(8), Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })
	go api.RunPush(ctx)

	// The demo runs WO-1001-10 on L1; it is paused, and PO-7001 (20
	// pieces, one operation on L1) is released.
	if err := st.StopWorkOrder(ctx, "WO-1001-10", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateOrder(ctx, domain.Order{Number: "PO-7001", ProductCode: "BRK-100", Quantity: 20, Status: domain.StatusReleased}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-7001-10", OrderNumber: "PO-7001", OperationSeq: 10, LineID: "L1",
		Barcode: "WO-7001-10", Quantity: 20, Status: domain.StatusReleased}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, 1024, 768)
	b.do("load station", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(srv.URL+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("input focused", `document.activeElement && document.activeElement.id === "scan"`)
	// Count the scan answers the page received, to know both bounces are in.
	b.eval(`(() => { window.__scans = 0; const f = window.fetch; window.fetch = async (...a) => { const r = await f(...a);
		if (String(a[0]).endsWith('/scan')) window.__scans++; return r; }; return 1; })()`)
	b.do("badge", chromedp.KeyEvent("B-1001\r"))
	b.waitFor("signed in", `document.getElementById("who").textContent.includes("Olga Operator")`)

	b.do("bouncing scan", chromedp.KeyEvent("WO-7001-10\rWO-7001-10\r"))
	b.waitFor("both answers", `window.__scans === 3`)
	if msg := b.text("#msg"); !strings.Contains(msg, "started WO-7001-10") {
		t.Errorf("after the bounce the page says %q", msg)
	}
	w, err := st.GetWorkOrder(ctx, "WO-7001-10")
	if err != nil || w.Status != domain.StatusInProgress {
		t.Fatalf("after a bounced scan WO-7001-10 is %s (%v)", w.Status, err)
	}
	entries, err := st.ListAudit(ctx, domain.AuditFilter{Entity: "work_order", EntityID: "WO-7001-10"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "start" {
		t.Errorf("audit of WO-7001-10: %+v, want one start", entries)
	}
	if b.eval(`document.getElementById("overrun").hidden ? 1 : 0`) != 1 {
		t.Error("overrun warning shown before any part was made")
	}

	// 21 good is quantity + 5 %: no warning; 22 is past it.
	count := func(seq uint64, good int64) {
		t.Helper()
		if _, err := st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{{EdgeID: "e1", Seq: seq, Line: "L1",
			Type: wire.TypeCount, SourceTime: now, Count: &wire.Count{Good: good}}}}); err != nil {
			t.Fatal(err)
		}
		api.Notify()
	}
	count(1, 21)
	b.waitFor("21 good", `document.getElementById("counts").textContent.includes("good 21")`)
	if b.eval(`document.getElementById("overrun").hidden ? 1 : 0`) != 1 {
		t.Error("overrun warning at quantity + tolerance")
	}
	count(2, 1)
	b.waitFor("overrun warning", `!document.getElementById("overrun").hidden`)
	if text := b.text("#overrun"); !strings.Contains(text, "WO-7001-10") || !strings.Contains(text, "22 good") || !strings.Contains(text, "past 21") {
		t.Errorf("overrun warning reads %q", text)
	}
	b.shoot("/tmp/station-overrun.png", false)
}

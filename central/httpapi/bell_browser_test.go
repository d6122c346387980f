package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/edge/wire"
)

// TestNotificationBellInChromium: a supervisor has the dashboard open;
// the bell in the header shows no count. A down event opens machine_down
// on L1: the bell's count shows 1 without a reload, its panel lists the
// exception, and clicking it marks it read (the count goes, the API says
// 0 unread).
func TestNotificationBellInChromium(t *testing.T) {
	a := startCentral(t, func(c *app.Config) { c.Exceptions.DownGrace = 0 })
	base := "http://" + a.HTTPAddr()
	b := newBrowser(t, 1280, 900)

	b.do("sign in", chromedp.Navigate(base+"/login?next=%2F"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.do("dashboard", chromedp.WaitVisible(chromedp.CSS(`section.tile[data-line="L1"]`)))
	b.waitFor("bell in the header", `(() => { const e = document.getElementById("lw-bell"); return !!e && getComputedStyle(e).display !== "none" && !!e.closest("header"); })()`)
	if b.eval(`getComputedStyle(document.querySelector("#lw-bell .count")).display === "none" ? 0 : 1`) != 0 {
		t.Fatalf("the bell shows a count before anything happened: %q", b.text("#lw-bell"))
	}
	b.eval(`(window.__sameDocument = 1)`)

	batch, _ := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: "edge-L1", Events: []wire.Event{{EdgeID: "edge-L1", Seq: 1, Line: "L1",
		Type: wire.TypeState, SourceTime: time.Now(), State: &wire.State{State: wire.StateDown, Reason: "E42 jam at infeed"}}}})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/ingest", bytes.NewReader(batch))
	req.Header.Set("Authorization", "Bearer "+excEdgeToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("ingest: %d", res.StatusCode)
	}

	// The bell polls every 5 s; allow a loaded machine more than waitFor's 10 s.
	const shown = `(() => { const c = document.querySelector("#lw-bell .count"); return !!c && getComputedStyle(c).display !== "none" && c.textContent === "1"; })()`
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if b.eval(shown+` ? 1 : 0`) == 1 {
			break
		}
	}
	b.waitFor("count 1 on the bell", shown)
	if b.eval(`window.__sameDocument === 1 ? 1 : 0`) != 1 {
		t.Fatal("the page reloaded")
	}
	clickIn(b, "open the bell", `#lw-bell > button`)
	const item = `document.querySelector('#lw-bell .panel .item.unread[data-kind="exception_opened"]')`
	b.waitFor("the exception in the panel", item+` !== null && `+item+`.textContent.includes("L1")`)
	if got := b.evalString(item + `.textContent`); !bytes.Contains([]byte(got), []byte("machine_down")) && !bytes.Contains([]byte(got), []byte("Machine down")) {
		t.Errorf("panel item reads %q", got)
	}
	if got := b.text("#lw-bell .panel header"); !bytes.Contains([]byte(got), []byte("Notifications")) {
		t.Errorf("panel header reads %q", got)
	}
	saveScreenshot(t, b.ctx, "bell-en")
	clickIn(b, "click the notification", `#lw-bell .panel .item.unread`)
	b.waitFor("count gone after reading", `(() => { const c = document.querySelector("#lw-bell .count"); return !!c && getComputedStyle(c).display === "none"; })()`)
	p, err := a.NotificationStore().ListNotifications(context.Background(), notify.Filter{User: "super"})
	if err != nil || p.Unread != 0 || len(p.Items) != 1 || p.Items[0].ReadAt == nil {
		t.Fatalf("after the click: %+v, %v", p, err)
	}

	// In Chinese: the bell, its panel and the notice in the reader's language.
	b.do("dashboard in zh-CN", chromedp.Navigate(base+"/?lang=zh-CN"), chromedp.WaitVisible(chromedp.CSS(`section.tile[data-line="L1"]`)))
	b.waitFor("bell", `(() => { const e = document.getElementById("lw-bell"); return !!e && !e.hidden; })()`)
	clickIn(b, "open the bell", `#lw-bell > button`)
	b.waitFor("panel in Chinese", `document.querySelector("#lw-bell .panel header").textContent.includes("通知")`)
	const read = `document.querySelector('#lw-bell .panel .item[data-kind="exception_opened"]')`
	b.waitFor("the notice in Chinese", read+` !== null && `+read+`.textContent.includes("L1 线")`)
	if got := b.evalString(read + `.textContent`); bytes.Contains([]byte(got), []byte("machine_down")) {
		t.Errorf("the exception kind is not translated: %q", got)
	}
	saveScreenshot(t, b.ctx, "bell-zh-CN")
}

package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// ingestHTTP posts events as edge-L1 over HTTPS ingest.
func ingestHTTP(t *testing.T, base string, events ...wire.Event) {
	t.Helper()
	batch, _ := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: "edge-L1", Events: events})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/ingest", bytes.NewReader(batch))
	req.Header.Set("Authorization", "Bearer "+excEdgeToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("ingest: %d %s", res.StatusCode, body)
	}
}

// visibleLatin lists the visible text of the page that has a Latin word
// and no Chinese: labels left in English. Data (line, product and person
// names, order numbers) and the product's own name are not labels.
const visibleLatin = `(() => {
  const allowed = /^(linewise|OEE|API|XLSX|English)$/;
  const data = ".name, .order, .x .detail, option, #clock";
  const out = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const e = n.parentElement, s = n.textContent.trim();
    if (!s || !e || e.closest("script, style") || e.closest(data) || e.offsetParent === null && getComputedStyle(e).position !== "fixed") continue;
    if (/[\u4e00-\u9fff]/.test(s)) continue;
    const words = (s.match(/[A-Za-z]{2,}/g) || []).filter(x => !allowed.test(x));
    if (words.length) out.push(s);
  }
  return out.join(" | ");
})()`

// TestDashboardInChineseInChromium: a supervisor whose browser asks for
// Chinese sees the whole dashboard in Chinese on a 1080p wall screen with
// twelve lines: every label, state, the header (nav, who is signed in),
// a down reason nobody mapped ("未映射代码 99"), times in the plant's time
// zone (Asia/Shanghai, not UTC) and dates as 2026/12/05; all twelve tiles
// fit the screen. Switching to English in the header stores the choice:
// the next pages are English although the browser still asks for Chinese.
func TestDashboardInChineseInChromium(t *testing.T) {
	a := startCentral(t, func(c *app.Config) {
		c.Planning.Timezone = "Asia/Shanghai"
		c.Exceptions.DownGrace = time.Hour // no exception tile: this is about labels
	})
	base := "http://" + a.HTTPAddr()
	ctx := context.Background()
	for i := 3; i <= 12; i++ {
		if err := a.Store().CreateLine(ctx, domain.Line{ID: fmt.Sprintf("L%d", i), Name: fmt.Sprintf("装配线 %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	downAt := time.Now().Add(-3 * time.Minute).Truncate(time.Second).UTC()
	ingestHTTP(t, base, wire.Event{EdgeID: "edge-L1", Seq: 1, Line: "L1", Type: wire.TypeState, SourceTime: downAt,
		State: &wire.State{State: wire.StateDown, Raw: "99", Reason: "99"}})
	shanghai, _ := time.LoadLocation("Asia/Shanghai")

	b := newBrowser(t, 1920, 1080)
	b.do("a full-screen 1080p wall screen", chromedp.EmulateViewport(1920, 1080))
	b.acceptLanguage("zh-CN,zh;q=0.9")
	b.do("sign in", chromedp.Navigate(base+"/login?next=%2F"), chromedp.WaitVisible(chromedp.ID("user")))
	b.waitFor("login page in Chinese", `document.querySelector("label[for=user]").textContent === "用户名"`)
	b.do("sign in", chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.waitFor("twelve tiles", `document.querySelectorAll("section.tile").length === 12`)
	b.waitFor("live", `document.getElementById("conn").className === "live"`)
	b.waitFor("corner", `(document.querySelector("#session .who") || {}).textContent === "已登录：Sam Supervisor（班组长）"`)
	b.waitFor("OEE rows", `document.querySelectorAll(".oee span").length >= 12`)

	const l1 = `document.querySelector('section.tile[data-line="L1"]')`
	if got := b.evalString(`document.querySelector("h1").textContent`); got != "linewise · 产线看板" {
		t.Errorf("heading %q", got)
	}
	if got := b.evalString(`document.documentElement.lang`); got != "zh-CN" {
		t.Errorf("<html lang> %q", got)
	}
	if got := b.evalString(l1 + `.querySelector(".state span").textContent`); got != "停机" {
		t.Errorf("L1 state %q, want 停机", got)
	}
	if got := b.evalString(l1 + `.querySelector(".reason").textContent`); got != "原因：未映射代码 99" {
		t.Errorf("L1 reason %q", got)
	}
	since := b.evalString(l1 + `.querySelector(".since").textContent`)
	if want := "自 " + downAt.In(shanghai).Format("15:04") + " 起"; !strings.HasPrefix(since, want) {
		t.Errorf("L1 since %q, want it to start with %q (plant time, Asia/Shanghai)", since, want)
	}
	clock := b.evalString(`document.getElementById("clock").textContent`)
	if want := time.Now().In(shanghai).Format("2006/01/02"); !strings.HasPrefix(clock, want) {
		t.Errorf("header clock %q, want the plant's date %s first", clock, want)
	}
	// Every helper adds its page to the nav: check the labels are Chinese
	// and the pages a supervisor always has are there, not the whole list.
	nav := b.evalString(`[...document.querySelectorAll("#nav a")].map(a => a.textContent).join(",")`)
	for _, want := range []string{"产线", "生产计划", "生产报表", "统计", "审计记录", "订单（XLSX）", "工单（XLSX）", "API"} {
		if !strings.Contains(","+nav+",", ","+want+",") {
			t.Errorf("nav %q lacks %s", nav, want)
		}
	}
	if left := b.evalString(visibleLatin); left != "" {
		t.Errorf("English left on the Chinese dashboard: %s", left)
	}
	// A 1080p wall screen shows all twelve lines, legibly.
	if n := b.eval(`[...document.querySelectorAll("section.tile")].filter(e => { const r = e.getBoundingClientRect(); return r.bottom <= innerHeight && r.right <= innerWidth; }).length`); n != 12 {
		t.Errorf("%d of 12 tiles fit a 1920×1080 screen", n)
	}
	if px := b.eval(`Math.round(parseFloat(getComputedStyle(document.querySelector("section.tile .name")).fontSize))`); px < 16 {
		t.Errorf("line names at %dpx on a wall screen; want at least 16", px)
	}
	saveScreenshot(t, b.ctx, "dashboard-zh-CN")

	// The audit trail: the same dark theme, people by name, objects linked.
	b.do("audit page", chromedp.Navigate(base+"/audit"))
	b.waitFor("audit rows", `document.querySelectorAll("#rows tr").length > 3 && document.querySelector("#rows a.obj") !== null`)
	if got := b.evalString(`[...document.querySelectorAll("th")].map(e => e.textContent).join(",")`); got != "时间,操作人,对象,操作,原因" {
		t.Errorf("audit columns %q", got)
	}
	if got := b.evalString(`getComputedStyle(document.body).backgroundColor`); got != "rgb(17, 20, 24)" {
		t.Errorf("audit page background %s; want the dark theme's", got)
	}
	rows := b.evalString(`document.getElementById("rows").textContent`)
	if strings.Contains(rows, "()") || !strings.Contains(rows, "Pat Planner") || !strings.Contains(rows, "订单") {
		t.Errorf("audit rows: %.400s", rows)
	}
	if href := b.evalString(`document.querySelector("#rows a.obj").getAttribute("href")`); !strings.HasPrefix(href, "/") {
		t.Errorf("object link %q", href)
	}
	saveScreenshot(t, b.ctx, "audit-zh-CN")
	b.do("back to the dashboard", chromedp.Navigate(base+"/"))
	b.waitFor("twelve tiles", `document.querySelectorAll("section.tile").length === 12 && document.querySelectorAll(".oee span").length >= 12`)

	// Switch to English: stored for the user, so it sticks while the
	// browser still asks for Chinese.
	// Set and announce the choice in one step on the live page (the header
	// may be redrawn between two separate steps).
	b.waitFor("choose English", `(() => { const s = document.getElementById("lang-switch"); if (!s) return false;
		s.value = "en"; s.dispatchEvent(new Event("change")); return true; })()`)
	b.waitFor("English dashboard", `document.documentElement.lang === "en" && document.querySelector("h1").textContent === "linewise · Lines"`)
	b.waitFor("twelve tiles", `document.querySelectorAll("section.tile").length === 12 && document.querySelectorAll(".oee span").length >= 12`)
	b.waitFor("L1 reason in English", l1+`.querySelector(".reason").textContent === "reason: unmapped code 99"`)
	since = b.evalString(l1 + `.querySelector(".since").textContent`)
	if want := "since " + downAt.In(shanghai).Format("15:04"); !strings.HasPrefix(since, want) {
		t.Errorf("L1 since %q, want %q first", since, want)
	}
	saveScreenshot(t, b.ctx, "dashboard-en")
	b.do("audit page", chromedp.Navigate(base+"/audit"))
	b.waitFor("audit in English", `document.documentElement.lang === "en" && (document.querySelector("#session .who") || {}).textContent === "signed in as Sam Supervisor (supervisor)"`)
	b.waitFor("audit rows", `document.querySelectorAll("#rows tr").length > 3`)
	saveScreenshot(t, b.ctx, "audit-en")
	if got := b.evalString(`document.cookie`); strings.Contains(got, "lw_lang") {
		t.Errorf("the user's choice is stored on the server, not in a cookie: %q", got)
	}
	b.do("back to the dashboard", chromedp.Navigate(base+"/"))
	b.waitFor("still English after a reload", `document.documentElement.lang === "en" && document.querySelector("h1").textContent === "linewise · Lines"`)
}

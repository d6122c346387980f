package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
)

// roleToken makes an API token of role in a running central.
func roleToken(t *testing.T, a *app.App, role domain.Role) string {
	t.Helper()
	tok, hash, err := domain.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().CreateAPIToken(context.Background(), domain.APIToken{ID: "tok-" + string(role), Name: "test-" + string(role), Role: role,
		TokenHash: hash, CreatedAt: time.Now()}, domain.Actor{Name: "test", Role: domain.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	return tok
}

// bearer sends a request with a bearer token and returns status and body.
func bearer(t *testing.T, token, method, url string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// TestInspectionHoldAndReleaseInChromium: quality has set KIT-300's IPQC
// plan (sample of 3, thickness 11.8..12.2 mm, weight at least 400 g, hold
// on failure). At ST-L2 on a phone the operator runs WO-1005-10, opens
// Inspection…, sees the plan's characteristics with their limits and a
// field per sample, and enters one thickness outside the limits: the page
// marks it and foretells a failure, central judges it failed and puts the
// work order on hold, which the page shows; output and scans of the work
// order are then refused with the reason. Quality, on the /quality page,
// releases the hold with a note and decides the nonconformance (scrap, who
// decided); the operator can report output again. The quality page is
// shown in English and Chinese.
func TestInspectionHoldAndReleaseInChromium(t *testing.T) {
	a := startCentral(t, func(c *app.Config) { c.Execution.ScanRepeatWindow = 0 })
	base := "http://" + a.HTTPAddr()
	qa := roleToken(t, a, domain.RoleQuality)
	plan := map[string]any{"sample_size": 3, "hold_on_fail": true, "characteristics": []map[string]any{
		{"name": "thickness_mm", "unit": "mm", "lower": 11.8, "upper": 12.2}, {"name": "weight_g", "lower": 400}}}
	if code, out := bearer(t, qa, "PUT", base+"/api/v1/products/KIT-300/inspection-plans/ipqc", plan); code != 200 {
		t.Fatalf("plan: %d %s", code, out)
	}
	b := newBrowser(t, 390, 844)
	focused := `document.activeElement && document.activeElement.id === "scan"`
	b.do("load station", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/station/ST-L2?lang=en"),
		chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("input focused", focused)
	b.do("badge", chromedp.KeyEvent("B-1001\r"))
	b.waitFor("signed in", `document.getElementById("who").textContent.includes("Olga Operator")`)
	b.do("scan the work order", chromedp.KeyEvent("WO-1005-10\r"))
	b.waitFor("started", `document.getElementById("msg").textContent.includes("started WO-1005-10")`)
	b.waitFor("inspection enabled", `!document.getElementById("inspectBtn").disabled`)

	b.do("open inspection", chromedp.Click(chromedp.ID("inspectBtn")), chromedp.WaitVisible(chromedp.CSS(`#chars input`)))
	if got := b.text("#plan"); !strings.Contains(got, "sample of 3") || !strings.Contains(got, "on hold") {
		t.Errorf("plan line reads %q", got)
	}
	if got := b.text(`#chars .char[data-char="thickness_mm"]`); !strings.Contains(got, "limits 11.8..12.2 mm") {
		t.Errorf("thickness reads %q", got)
	}
	if n := b.eval(`document.querySelectorAll("#chars input").length`); n != 6 {
		t.Fatalf("%d value fields, want 3 per characteristic", n)
	}
	for i, v := range []string{"12", "12.6", "11.9", "410", "411", "412"} {
		b.do("value "+v, chromedp.SendKeys(chromedp.CSS(`#chars input[aria-label="`+[]string{"thickness_mm", "weight_g"}[i/3]+` `+strconv.Itoa(i%3+1)+`"]`), v))
	}
	b.waitFor("out of limits marked", `document.querySelectorAll("#chars input.out").length === 1 && document.querySelectorAll("#chars input")[1].classList.contains("out")`)
	if got := b.text("#verdict"); !strings.Contains(got, "fail") {
		t.Errorf("verdict before sending: %q", got)
	}
	b.do("record", chromedp.Click(chromedp.CSS(`#inspectForm button[type=submit]`)))
	b.waitFor("failed", `document.getElementById("msg").textContent.includes("IPQC of WO-1005-10 failed: thickness_mm 1 of 3 outside 11.8..12.2")`)
	b.waitFor("hold shown", `!document.getElementById("hold").hidden && document.getElementById("hold").textContent.includes("WO-1005-10 is on quality hold")`)
	b.waitFor("scanner focused", focused)
	b.waitFor("quality failure on the station", `document.querySelector('#exc .x[data-kind="quality_failure"]') !== null`)

	// On hold: output and scans are refused with the reason.
	b.do("open output", chromedp.Click(chromedp.ID("outputBtn")), chromedp.WaitVisible(chromedp.ID("good")))
	b.do("good", chromedp.SendKeys(chromedp.ID("good"), "5"), chromedp.Click(chromedp.CSS(`#outputForm button[type=submit]`)))
	b.waitFor("output refused", `document.getElementById("msg").className === "err" && document.getElementById("msg").textContent.includes("on quality hold")`)
	b.do("close output", chromedp.Click(chromedp.CSS(`#outputForm .cancel`)))
	b.waitFor("scanner focused after cancel", focused)
	b.do("scan on hold", chromedp.KeyEvent("WO-1005-10\r"))
	b.waitFor("scan refused", `document.getElementById("msg").className === "err" && document.getElementById("msg").textContent.includes("on quality hold (ipqc failed: thickness_mm 1 of 3")`)
	saveScreenshot(t, b.ctx, "station-inspection-en")
	w, err := a.Store().GetWorkOrder(context.Background(), "WO-1005-10")
	if err != nil || w.Good != 0 || w.Status != domain.StatusInProgress {
		t.Fatalf("on hold WO-1005-10 is %s with %d good (%v)", w.Status, w.Good, err)
	}

	// Quality releases the hold and decides the nonconformance on /quality.
	b.do("quality signs in", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/login?next=%2Fquality"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "qa"), chromedp.SendKeys(chromedp.ID("pass"), "qa-demo\r"))
	b.waitFor("holds listed", `location.pathname === "/quality" && document.querySelector('#holds tr[data-wo="WO-1005-10"] form') !== null`)
	b.waitFor("nonconformance listed", `document.querySelector('#ncs tr[data-wo="WO-1005-10"] form') !== null`)
	b.waitFor("inspection listed", `(document.querySelector('#inspections tr[data-wo="WO-1005-10"]') || {textContent: ""}).textContent.includes("fail")`)
	saveScreenshot(t, b.ctx, "quality-en")
	b.do("release note", chromedp.SendKeys(chromedp.CSS(`#holds tr[data-wo="WO-1005-10"] input`), "re-measured, gauge was off"),
		chromedp.Click(chromedp.CSS(`#holds tr[data-wo="WO-1005-10"] button`)))
	b.waitFor("released", `document.getElementById("msg").textContent.includes("released WO-1005-10") && document.querySelector('#holds tr[data-wo="WO-1005-10"]') === null`)
	b.do("disposition", chromedp.SetValue(chromedp.CSS(`#ncs tr[data-wo="WO-1005-10"] select`), "scrap"),
		chromedp.SendKeys(chromedp.CSS(`#ncs tr[data-wo="WO-1005-10"] input`), "one disc"),
		chromedp.Click(chromedp.CSS(`#ncs tr[data-wo="WO-1005-10"] button`)))
	b.waitFor("decided", `/NC-.*: Scrap by qa/.test(document.getElementById("msg").textContent)`)
	var ncs []domain.Nonconformance
	if code, out := bearer(t, qa, "GET", base+"/api/v1/quality/nonconformances?status=all", nil); code != 200 || json.Unmarshal([]byte(out), &ncs) != nil {
		t.Fatalf("nonconformances: %d %s", code, out)
	}
	if len(ncs) != 1 || ncs[0].Disposition != "scrap" || ncs[0].DecidedBy != "qa" || ncs[0].Note != "one disc" {
		t.Errorf("nonconformance after the decision: %+v", ncs)
	}
	b.do("quality in Chinese", chromedp.Navigate(base+"/quality?lang=zh-CN"), chromedp.WaitVisible(chromedp.ID("inspections")))
	b.waitFor("Chinese quality page", `document.querySelector("h2").textContent === "冻结" && (document.querySelector('#inspections tr[data-wo="WO-1005-10"]') || {textContent: ""}).textContent.includes("不合格")`)
	if got := b.text("#holds"); !strings.Contains(got, "没有未放行的冻结") {
		t.Errorf("holds in Chinese: %q", got)
	}
	saveScreenshot(t, b.ctx, "quality-zh-CN")

	// Released: the operator reports again.
	b.do("station again", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/station/ST-L2?lang=en"), chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("input focused again", focused)
	b.do("badge again", chromedp.KeyEvent("B-1001\r"))
	b.waitFor("signed in again", `document.getElementById("who").textContent.includes("Olga Operator") && !document.getElementById("outputBtn").disabled`)
	b.do("open output again", chromedp.Click(chromedp.ID("outputBtn")), chromedp.WaitVisible(chromedp.ID("good")))
	b.do("good again", chromedp.SendKeys(chromedp.ID("good"), "5"), chromedp.Click(chromedp.CSS(`#outputForm button[type=submit]`)))
	b.waitFor("reported after release", `document.getElementById("msg").textContent.includes("reported 5 good on WO-1005-10")`)
}

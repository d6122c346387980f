package httpapi_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScenariosPageInChromium: the planner computes two scenarios on
// /planner/scenarios — the rush PO-1004 held to L1, and a plain re-plan —
// and sees them side by side with the current plan by the same seven
// figures; the page reads the same in Chinese, and an operator may look but
// not compute.
func TestScenariosPageInChromium(t *testing.T) {
	a := startCentral(t, nil)
	base := "http://" + a.HTTPAddr()
	b := newBrowser(t, 1360, 900)
	signInAs(b, base, "plan", "plan-demo", "/planner/scenarios")
	b.waitFor("empty comparison", `document.body.dataset.loaded === "0" && document.getElementById("figures").textContent.includes("No pending scenarios")`)

	b.do("rush on L1", chromedp.SendKeys(chromedp.ID("name"), "PO-1004 first on L1"), chromedp.SendKeys(chromedp.ID("order"), "PO-1004"),
		chromedp.SendKeys(chromedp.ID("priority"), "9"), chromedp.SendKeys(chromedp.ID("line"), "L1"), chromedp.Click(chromedp.ID("compute")))
	b.waitFor("first scenario", `document.body.dataset.loaded === "1"`)
	b.evalString(`["name","order","priority","line"].forEach(id => document.getElementById(id).value = ""), ""`)
	b.do("re-plan", chromedp.SendKeys(chromedp.ID("name"), "plain re-plan"), chromedp.Click(chromedp.ID("compute")))
	b.waitFor("two scenarios", `document.body.dataset.loaded === "2"`)
	if m := b.text("#msg"); m != "plain re-plan computed." {
		t.Errorf("message %q", m)
	}
	heads := b.text("#heads")
	for _, want := range []string{"Current plan", "PO-1004 first on L1", "rush PO-1004 · on L1", "plain re-plan", "re-plan", "Approve"} {
		if !strings.Contains(heads, want) {
			t.Errorf("column heads %q lack %q", heads, want)
		}
	}
	if n := b.eval(`document.querySelectorAll("#figures tr").length`); n != 7 {
		t.Errorf("%d figure rows, want 7", n)
	}
	if n := b.eval(`document.querySelectorAll("#figures tr td.num").length`); n != 21 {
		t.Errorf("%d figure cells, want 7 figures × 3 plans", n)
	}
	// the current plan moves nothing against itself
	if got := b.evalString(`document.querySelector('#figures tr[data-figure="moved_ops"] td.num').textContent`); got != "0" {
		t.Errorf("current plan's moved operations %q", got)
	}
	if got := b.text(`#figures tr[data-figure="late_orders"]`); !strings.HasPrefix(got, "Late orders") {
		t.Errorf("late orders row %q", got)
	}
	saveScreenshot(t, b.ctx, "scenarios-en")

	b.do("Chinese", chromedp.Navigate(base+"/planner/scenarios?lang=zh-CN"))
	b.waitFor("Chinese comparison", `document.body.dataset.loaded === "2" && document.documentElement.lang === "zh-CN"`)
	if got := b.text("#heads"); !strings.Contains(got, "当前计划") || !strings.Contains(got, "插单 PO-1004 · 在 L1") || !strings.Contains(got, "批准") {
		t.Errorf("column heads in Chinese %q", got)
	}
	if got := b.text(`#figures tr[data-figure="weighted_tardiness_h"]`); !strings.Contains(got, "加权延期") || !strings.Contains(got, "小时") {
		t.Errorf("weighted tardiness row in Chinese %q", got)
	}
	saveScreenshot(t, b.ctx, "scenarios-zh-CN")

	// An operator sees the comparison but the server refuses a scenario.
	b.do("sign out", chromedp.Navigate(base+"/planner/scenarios?lang=en"), chromedp.WaitVisible(chromedp.CSS("#session button.signout")), chromedp.Click(chromedp.CSS("#session button.signout")))
	b.waitFor("signed out", `document.querySelector("#session a.signin") !== null`)
	signInAs(b, base, "op1", "op1-demo", "/planner/scenarios")
	b.waitFor("operator sees both", `document.body.dataset.loaded === "2"`)
	b.do("operator tries", chromedp.SendKeys(chromedp.ID("name"), "mine"), chromedp.Click(chromedp.ID("compute")))
	b.waitFor("refused", `document.getElementById("msg").className === "err" && document.getElementById("msg").textContent !== ""`)
	if n := b.eval(`document.querySelectorAll("#heads th.scen").length`); n != 3 {
		t.Errorf("after the operator's try %d plans side by side, want 3", n)
	}
}

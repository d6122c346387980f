package httpapi_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/httpapi"
)

// TestStatisticsPageInChromium: a manager opens the statistics of
// 2026-03-01..03-02 and sees the order figures (3 orders, 50 % on time,
// 28 h mean lead time, one overdue), a bar per product in the on-time
// chart with its table, the output per day drawn (130 good and 5 rejects
// on 03-02) with the line and product tables, and the XLSX links; grouped
// by status the groups are named in the language; in Chinese the labels are.
func TestStatisticsPageInChromium(t *testing.T) {
	base := httpapi.StatisticsSite(t)
	b := newBrowser(t, 1280, 1100)
	next := "/statistics?from=2026-03-01&to=2026-03-02"
	b.do("sign in", chromedp.Navigate(base+"/login?next="+url.QueryEscape(next)), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "manager"), chromedp.SendKeys(chromedp.ID("pass"), "manager-password\r"))
	b.waitFor("statistics", `document.body.dataset.loaded === "2026-03-01..2026-03-02/created/product"`)
	card := func(k string) string { return b.text(`.card[data-k="` + k + `"] .v`) }
	for k, want := range map[string]string{"orders": "3", "on_time_rate": "50.0 %", "lead_time": "28.0", "overdue": "1", "good": "130", "reject": "5", "scrap_rate": "3.7 %"} {
		if got := card(k); got != want {
			t.Errorf("card %s = %q, want %q", k, got, want)
		}
	}
	if got := b.evalString(`[...document.querySelectorAll("#order-chart rect.bar")].map(r => r.dataset.key + "=" + r.dataset.value).join(" ")`); got != "P=0.5" {
		t.Errorf("on-time bars %q (Q has no completed order: no bar)", got)
	}
	if got := b.text(`#orders-table tbody tr:first-child`); !strings.Contains(got, "P") || !strings.Contains(got, "150") {
		t.Errorf("first group row %q", got)
	}
	if got := b.evalString(`[...document.querySelectorAll("#output-chart rect")].map(r => r.dataset.key + ":" + r.getAttribute("class") + "=" + r.dataset.value).join(" ")`); got != "2026-03-02:bar=130 2026-03-02:rej=5" {
		t.Errorf("output bars %q", got)
	}
	if got := b.text(`#line-table-t tbody`); !strings.Contains(got, "L1") || !strings.Contains(got, "L2") {
		t.Errorf("by line %q", got)
	}
	if got := b.evalString(`document.getElementById("orders-xlsx").getAttribute("href")`); !strings.HasPrefix(got, "/api/v1/statistics/orders.xlsx?from=2026-03-01&to=2026-03-02") {
		t.Errorf("orders XLSX link %q", got)
	}
	// OEE per plant day, a column per line, as /lines/{id}/oee/daily gives it
	// (no shift calendar and no state here: every day is no data, so "—").
	if got := b.evalString(`[...document.querySelectorAll("#oee-table-t tr")].map(r => [...r.children].map(c => c.textContent).join("|")).join("\n")`); got != "Plant day|L1 · OEE|L2 · OEE\n2026-03-01|—|—\n2026-03-02|—|—" {
		t.Errorf("OEE table %q", got)
	}
	saveScreenshot(t, b.ctx, "statistics-en")

	b.do("by status", chromedp.SetValue(chromedp.ID("by"), "status"), chromedp.Click(chromedp.CSS(`#pick button[type=submit]`)))
	b.waitFor("by status", `document.body.dataset.loaded === "2026-03-01..2026-03-02/created/status"`)
	if got := b.text(`#orders-table tbody`); !strings.Contains(got, "completed") || !strings.Contains(got, "released") {
		t.Errorf("status groups %q", got)
	}

	b.do("Chinese", chromedp.Navigate(base+next+"&lang=zh-CN"))
	b.waitFor("statistics in Chinese", `document.body.dataset.loaded === "2026-03-01..2026-03-02/created/product" && document.documentElement.lang === "zh-CN"`)
	if got := b.text(`#orders h2`); got != "订单统计" {
		t.Errorf("Chinese heading %q", got)
	}
	if got := b.text(`#day-table-t thead`); !strings.Contains(got, "工厂日") || !strings.Contains(got, "报废率") {
		t.Errorf("Chinese day table header %q", got)
	}
	if got := card("on_time_rate"); got != "50.0%" {
		t.Errorf("Chinese on-time card %q", got)
	}
	saveScreenshot(t, b.ctx, "statistics-zh-CN")
}

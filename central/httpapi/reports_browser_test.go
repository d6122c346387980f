package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/linewise/linewise/central/httpapi"
)

// apiClient signs in as user over the API and returns the client.
func apiClient(t *testing.T, base, user, pass string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	b, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	res, err := c.Post(base+"/api/v1/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login %s: %d", user, res.StatusCode)
	}
	return c
}

// getBody GETs path and returns the body of a 200.
func getBody(t *testing.T, c *http.Client, base, path string) []byte {
	t.Helper()
	res, err := c.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return b
}

// storedDay is the part of a stored day report the page test compares.
type storedDay struct {
	Revision int `json:"revision"`
	Content  struct {
		Plant struct {
			OEE *float64 `json:"oee"`
		} `json:"plant"`
		Production []struct {
			Line, Product string
			Planned, Good int64
			Attainment    *float64 `json:"attainment"`
		} `json:"production"`
		Pareto []struct {
			Label string  `json:"label"`
			Time  float64 `json:"time_s"`
		} `json:"downtime_pareto"`
		Totals struct {
			Planned, Good, Reject int64
			ScrapRate             *float64 `json:"scrap_rate"`
			AtRisk                int      `json:"orders_at_risk"`
		} `json:"plant_production"`
		AtRisk []struct {
			Number string `json:"number"`
		} `json:"orders_at_risk"`
	} `json:"content"`
}

func pct1(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f %%", *v*100)
}

// TestReportsPageInChromium: a supervisor opens the stored day report of
// 2026-03-02 (the scripted shift, revised by a late count) and sees the
// figures the API returns: plant totals, OEE, production per line and
// product, the downtime Pareto drawn as a bar per reason, the order at
// risk, and the revision marker. Printed (A4 print CSS) the header and the
// controls are gone. In Chinese the labels and the date follow the language.
func TestReportsPageInChromium(t *testing.T) {
	base := httpapi.ReportSite(t)
	api := apiClient(t, base, "supervisor", "supervisor-password")
	var want storedDay
	if err := json.Unmarshal(getBody(t, api, base, "/api/v1/reports/stored/day/2026-03-02"), &want); err != nil {
		t.Fatal(err)
	}
	w := want.Content
	if want.Revision != 2 || len(w.Pareto) < 3 || len(w.Production) != 2 || len(w.AtRisk) != 1 {
		t.Fatalf("seeded report: %+v", want)
	}

	b := newBrowser(t, 1280, 1000)
	b.do("sign in", chromedp.Navigate(base+"/login?next="+url.QueryEscape("/reports?date=2026-03-02")), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "supervisor"), chromedp.SendKeys(chromedp.ID("pass"), "supervisor-password\r"))
	b.waitFor("the day report", `document.body.dataset.loaded === "2026-03-02/day"`)
	card := func(k string) string { return b.text(`.card[data-k="` + k + `"] .v`) }
	for k, v := range map[string]string{
		"planned": fmt.Sprint(w.Totals.Planned), "good": fmt.Sprint(w.Totals.Good), "reject": fmt.Sprint(w.Totals.Reject),
		"scrap_rate": pct1(w.Totals.ScrapRate), "oee": pct1(w.Plant.OEE), "at_risk": fmt.Sprint(w.Totals.AtRisk),
	} {
		if got := card(k); got != v {
			t.Errorf("card %s shows %q, the API says %q", k, got, v)
		}
	}
	if got := b.text(`#title`); got != "Daily production report 2026-03-02" {
		t.Errorf("title %q", got)
	}
	if got := b.text(`#rev`); !strings.Contains(got, "Revision 2") || !strings.Contains(got, "changed after revision 1") {
		t.Errorf("revision marker %q", got)
	}
	if n := b.eval(`document.querySelectorAll("#production-table tbody tr").length`); n != len(w.Production) {
		t.Errorf("%d production rows, the API has %d", n, len(w.Production))
	}
	p0 := w.Production[0]
	if got, want := b.evalString(`[...document.querySelectorAll("#production-table tbody tr:first-child td")].map(c => c.textContent).join("|")`),
		fmt.Sprintf("%s|%s|%d|%d|", p0.Line, p0.Product, p0.Planned, p0.Good); !strings.HasPrefix(got, want) || !strings.Contains(got, pct1(p0.Attainment)) {
		t.Errorf("first production row %q, want %q… with attainment %s", got, want, pct1(p0.Attainment))
	}
	if n := b.eval(`document.querySelectorAll("#pareto svg rect.bar").length`); n != len(w.Pareto) {
		t.Errorf("the Pareto chart draws %d bars, the report has %d reasons", n, len(w.Pareto))
	}
	if got := b.evalString(`document.querySelector("#pareto svg rect.bar").dataset.reason`); got != w.Pareto[0].Label {
		t.Errorf("first bar is %q, want the largest reason %q", got, w.Pareto[0].Label)
	}
	if b.eval(`(() => { const r = [...document.querySelectorAll("#pareto svg rect.bar")].map(e => e.getBBox().height); return r.every((h, i) => i === 0 || h <= r[i-1]) && r[0] > 50 ? 1 : 0 })()`) != 1 {
		t.Error("the Pareto bars are not drawn largest first")
	}
	if got := b.text(`#pareto-table tbody tr:first-child td:nth-child(3)`); got != fmt.Sprintf("%.1f", w.Pareto[0].Time/60) {
		t.Errorf("Pareto table's first time %q, want %.1f min", got, w.Pareto[0].Time/60)
	}
	if got := b.text(`#atrisk-table tbody`); !strings.Contains(got, w.AtRisk[0].Number) {
		t.Errorf("orders at risk show %q", got)
	}
	// The page's XLSX link downloads the same report: its plant totals are the API's.
	href := b.evalString(`document.getElementById("xlsx").getAttribute("href")`)
	if !strings.HasPrefix(href, "/api/v1/reports/daily.xlsx?date=2026-03-02") {
		t.Errorf("XLSX link %q", href)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(getBody(t, api, base, href)))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("Production")
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[len(w.Production)+1]; strings.Join(r[:5], "|") != fmt.Sprintf("Plant||%d|%d|%d", w.Totals.Planned, w.Totals.Good, w.Totals.Reject) {
		t.Errorf("the workbook's plant totals %q, the API's %d planned, %d good, %d scrap", r, w.Totals.Planned, w.Totals.Good, w.Totals.Reject)
	}
	saveScreenshot(t, b.ctx, "reports-en")

	media := func(m string) {
		b.do("emulate "+m, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		}))
	}
	media("print")
	if got := b.evalString(`[getComputedStyle(document.querySelector("header")).display, getComputedStyle(document.getElementById("pick")).display, getComputedStyle(document.body).backgroundColor].join(" ")`); got != "none none rgb(255, 255, 255)" {
		t.Errorf("printed: header, controls, background = %q", got)
	}
	media("")

	b.do("Chinese", chromedp.Navigate(base+"/reports?date=2026-03-02&lang=zh-CN"))
	b.waitFor("the day report in Chinese", `document.body.dataset.loaded === "2026-03-02/day" && document.documentElement.lang === "zh-CN"`)
	if got := b.text(`#title`); got != "2026/03/02 日生产报表" {
		t.Errorf("Chinese title %q", got)
	}
	if got := b.text(`#production-table thead`); !strings.Contains(got, "计划（件）") || !strings.Contains(got, "达成率") {
		t.Errorf("Chinese production header %q", got)
	}
	if got := b.text(`#rev`); !strings.Contains(got, "第 2 版") {
		t.Errorf("Chinese revision marker %q", got)
	}
	if got, want := card("oee"), strings.Replace(pct1(w.Plant.OEE), " %", "%", 1); got != want {
		t.Errorf("Chinese OEE card %q, want %q", got, want)
	}
	saveScreenshot(t, b.ctx, "reports-zh-CN")

	// The statistics page draws the same day's OEE of L1 on its trend.
	b.do("statistics", chromedp.Navigate(base+"/statistics?from=2026-03-01&to=2026-03-02&lang=en"))
	b.waitFor("statistics", `document.body.dataset.loaded === "2026-03-01..2026-03-02/created/product"`)
	if got := b.evalString(`[...document.querySelectorAll('#oee-chart circle[data-series="L1"]')].map(c => c.dataset.key + "=" + (+c.dataset.value).toFixed(4)).join(" ")`); got != fmt.Sprintf("2026-03-02=%.4f", *w.Plant.OEE) {
		t.Errorf("L1's OEE trend %q, want 2026-03-02 at %.4f", got, *w.Plant.OEE)
	}
}

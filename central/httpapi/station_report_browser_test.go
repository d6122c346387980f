package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
)

// demoReasons is the reason tree of configs/central.yaml (a part of it).
func demoReasons() oee.ReasonMap {
	zh := func(s string) map[string]string { return map[string]string{"zh-CN": s} }
	return oee.ReasonMap{
		"12": {Text: "Jam at infeed", Category: "Mechanical", Texts: zh("进料口卡料"), CategoryTexts: zh("机械")},
		"21": {Text: "Tool breakage", Category: "Mechanical", Texts: zh("刀具断裂"), CategoryTexts: zh("机械")},
		"41": {Text: "Waiting for material", Category: "Material", Texts: zh("待料"), CategoryTexts: zh("物料")},
		"81": {Text: "Changeover", Category: "Planned", Planned: true, Texts: zh("换型"), CategoryTexts: zh("计划停机")},
	}
}

// supervisorAPI reads central as a supervisor's script would (an API token).
type supervisorAPI struct {
	t     *testing.T
	base  string
	token string
}

func newSupervisorAPI(t *testing.T, a *app.App) *supervisorAPI {
	t.Helper()
	tok, hash, err := domain.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().CreateAPIToken(context.Background(), domain.APIToken{ID: "tok-super", Name: "supervisor-script", Role: domain.RoleSupervisor,
		TokenHash: hash, CreatedAt: time.Now()}, domain.Actor{Name: "test", Role: domain.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	return &supervisorAPI{t: t, base: "http://" + a.HTTPAddr(), token: tok}
}

func (s *supervisorAPI) get(path string, out any) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		s.t.Fatalf("GET %s: %d %s", path, res.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("GET %s: %v in %s", path, err, raw)
	}
}

// supervisorLine is what a supervisor reads of a line in /api/v1/lines.
type supervisorLine struct {
	ID, State, Reason string
	ReasonText        string `json:"reason_text"`
	Good, Reject      int64
	Active            *struct{ ID string } `json:"active_work_order"`
}

func (s *supervisorAPI) line(id string) supervisorLine {
	s.t.Helper()
	var ls []supervisorLine
	s.get("/api/v1/lines", &ls)
	for _, l := range ls {
		if l.ID == id {
			return l
		}
	}
	s.t.Fatalf("line %s is not in /api/v1/lines", id)
	return supervisorLine{}
}

// waitLine polls the supervisor's view of a line until ok (or 10 s).
func (s *supervisorAPI) waitLine(id, what string, ok func(supervisorLine) bool) supervisorLine {
	s.t.Helper()
	var l supervisorLine
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if l = s.line(id); ok(l) {
			return l
		}
	}
	s.t.Fatalf("%s: line %s stays %+v", what, id, l)
	return l
}

// TestStationReportingOnAPhoneInChromium: an operator at ST-L2 (line L2
// has no PLC) on a 390×844 phone signs in with a badge and starts
// WO-1005-10 with the scanner, reports 25 good and 2 scrap with a reason,
// reports a breakdown with a reason from the reason tree and ends it. The
// scan input keeps the focus between actions. The supervisor then sees in
// /api/v1/lines the counts, the line down with the reason's text, a
// machine_down exception opened by the rule as for a machine's signal, and
// the downtime interval in /api/v1/lines/L2/states. The page works in
// zh-CN too: the buttons, the reason tree and the answers in Chinese.
func TestStationReportingOnAPhoneInChromium(t *testing.T) {
	began := time.Now().UTC()
	a := startCentral(t, func(c *app.Config) {
		c.Exceptions.DownGrace = 0
		c.Reports.Reasons = demoReasons()
	})
	base := "http://" + a.HTTPAddr()
	sup := newSupervisorAPI(t, a)
	b := newBrowser(t, 390, 844)
	focused := `document.activeElement && document.activeElement.id === "scan"`
	msg := func() string { return b.text("#msg") }

	b.do("load station", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/station/ST-L2?lang=en"),
		chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("input focused", focused)
	// Large targets: every action button at least 48 px high and inside the phone's width.
	b.waitFor("translated", `document.getElementById("outputBtn").textContent === "Report output"`)
	if n := b.eval(`[...document.querySelectorAll("#actions button")].filter(x => !x.hidden && (x.getBoundingClientRect().height < 48 || x.getBoundingClientRect().right > 390)).length`); n != 0 {
		t.Errorf("%d action buttons are smaller than 48 px or beyond the screen", n)
	}
	if w := b.eval(`document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the page is %d px wide on a 390 px screen", w)
	}

	b.do("badge", chromedp.KeyEvent("B-1001\r"))
	b.waitFor("signed in", `document.getElementById("who").textContent.includes("Olga Operator")`)
	b.waitFor("output needs a running work order", `document.getElementById("outputBtn").disabled`)
	b.do("scan the work order", chromedp.KeyEvent("WO-1005-10\r"))
	b.waitFor("started", `document.getElementById("msg").textContent.includes("started WO-1005-10")`)
	b.waitFor("output enabled", `!document.getElementById("outputBtn").disabled`)

	// Output: 25 good (typed), 2 scrap (the + button twice) with a reason.
	b.do("open output", chromedp.Click(chromedp.ID("outputBtn")), chromedp.WaitVisible(chromedp.ID("good")))
	b.do("good", chromedp.SendKeys(chromedp.ID("good"), "25"))
	b.do("scrap +2", chromedp.Click(chromedp.CSS(`[data-step="outScrap:1"]`)), chromedp.Click(chromedp.CSS(`[data-step="outScrap:1"]`)))
	b.waitFor("reason asked", `!document.getElementById("outReasonField").hidden`)
	b.do("submit without a reason", chromedp.Click(chromedp.CSS(`#outputForm button[type=submit]`)))
	b.waitFor("reason required", `document.getElementById("msg").className === "err" && document.getElementById("msg").textContent.includes("Choose why")`)
	b.do("reason", chromedp.SetValue(chromedp.ID("outReason"), "Surface defect"), chromedp.Click(chromedp.CSS(`#outputForm button[type=submit]`)))
	b.waitFor("reported", `document.getElementById("msg").textContent.includes("reported 25 good and 2 scrap (Surface defect) on WO-1005-10")`)
	b.waitFor("form closed, scanner focused", `!document.getElementById("outputForm").classList.contains("open") && `+focused)
	l := sup.waitLine("L2", "output", func(l supervisorLine) bool { return l.Good == 25 })
	if l.Reject != 2 || l.Active == nil || l.Active.ID != "WO-1005-10" {
		t.Errorf("after the output the supervisor sees %+v", l)
	}
	b.waitFor("counts on the page", `document.getElementById("counts").textContent.includes("good 25 · reject 2")`)

	// A breakdown with a reason from the tree.
	b.do("open stop", chromedp.Click(chromedp.ID("stopBtn")), chromedp.WaitVisible(chromedp.CSS(`#reasonTree button[data-code="21"]`)))
	if got := b.evalString(`[...document.querySelectorAll("#reasonTree legend")].map(x => x.textContent).join(",")`); got != "Material,Mechanical,Planned" {
		t.Errorf("reason tree categories %q", got)
	}
	b.do("choose tool breakage", chromedp.Click(chromedp.CSS(`#reasonTree button[data-code="21"]`)))
	b.waitFor("scanner focused while choosing", focused)
	b.do("report stop", chromedp.Click(chromedp.CSS(`#stopForm button[type=submit]`)))
	b.waitFor("stopped", `document.getElementById("msg").textContent.includes("line L2 down: Tool breakage")`)
	b.waitFor("end stop offered", `!document.getElementById("endStopBtn").hidden && document.getElementById("stopBtn").hidden && document.getElementById("outputBtn").disabled`)
	b.waitFor("machine down on the page", `document.getElementById("machine").textContent.includes("Tool breakage")`)
	l = sup.waitLine("L2", "stop", func(l supervisorLine) bool { return l.State == "down" })
	if l.Reason != "21" || l.ReasonText != "Tool breakage" {
		t.Errorf("the supervisor sees L2 down for %q (%q)", l.Reason, l.ReasonText)
	}
	var xs []domain.Exception
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(xs) == 0; time.Sleep(100 * time.Millisecond) {
		sup.get("/api/v1/exceptions?line=L2&kind=machine_down", &xs)
	}
	if len(xs) != 1 || xs[0].Status != domain.ExceptionOpen || xs[0].WorkOrder != "WO-1005-10" {
		t.Fatalf("machine_down on L2: %+v", xs)
	}
	b.waitFor("exception on the station", `document.querySelector('#exc .x[data-kind="machine_down"]') !== null`)
	saveScreenshot(t, b.ctx, "station-en")

	b.do("end stop", chromedp.Click(chromedp.ID("endStopBtn")))
	b.waitFor("running again", `document.getElementById("msg").textContent.includes("line L2 running again")`)
	b.waitFor("stop offered again", `document.getElementById("endStopBtn").hidden && !document.getElementById("stopBtn").hidden`)
	sup.waitLine("L2", "end of stop", func(l supervisorLine) bool { return l.State == "running" })
	var states struct {
		Intervals []struct {
			State, Code, Label, WorkOrder string
		} `json:"intervals"`
	}
	sup.get("/api/v1/lines/L2/states?from="+began.Add(-time.Minute).Format(time.RFC3339)+"&to="+time.Now().Add(time.Minute).UTC().Format(time.RFC3339), &states)
	var down int
	for _, iv := range states.Intervals {
		if iv.State == "down" && iv.Code == "21" && iv.Label == "Tool breakage" {
			down++
		}
	}
	if down != 1 {
		t.Errorf("L2's state intervals hold %d down intervals for reason 21: %+v", down, states.Intervals)
	}
	if got := b.evalString(`document.activeElement.id`); got != "scan" {
		t.Errorf("after ending the stop focus is on %q", got)
	}

	// The same station in Chinese.
	b.do("zh-CN", chromedp.Navigate(base+"/station/ST-L2?lang=zh-CN"), chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("Chinese page", `document.getElementById("outputBtn").textContent === "报工" && document.getElementById("who").textContent.includes("已登录")`)
	b.do("open output (zh)", chromedp.Click(chromedp.ID("outputBtn")), chromedp.WaitVisible(chromedp.ID("good")))
	b.do("good (zh)", chromedp.SendKeys(chromedp.ID("good"), "5"), chromedp.Click(chromedp.CSS(`#outputForm button[type=submit]`)))
	b.waitFor("reported (zh)", `document.getElementById("msg").textContent.includes("WO-1005-10 已报工：良品 5")`)
	b.do("open stop (zh)", chromedp.Click(chromedp.ID("stopBtn")), chromedp.WaitVisible(chromedp.CSS(`#reasonTree button[data-code="12"]`)))
	if got := b.text(`#reasonTree button[data-code="12"]`); got != "进料口卡料" {
		t.Errorf("reason 12 in Chinese reads %q", got)
	}
	b.do("choose (zh)", chromedp.Click(chromedp.CSS(`#reasonTree button[data-code="81"]`)), chromedp.Click(chromedp.CSS(`#stopForm button[type=submit]`)))
	b.waitFor("planned stop (zh)", `document.getElementById("msg").textContent.includes("L2 线计划停机：换型")`)
	b.waitFor("state in Chinese", `document.getElementById("machine").textContent.includes("计划停机") && document.getElementById("machine").textContent.includes("换型")`)
	saveScreenshot(t, b.ctx, "station-zh-CN")
	sup.waitLine("L2", "planned stop", func(l supervisorLine) bool { return l.State == "planned_stop" && l.Good == 30 })
	if strings.Contains(msg(), "station.") {
		t.Errorf("a catalogue key shows on the page: %q", msg())
	}
}

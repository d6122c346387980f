package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

const excEdgeToken = "exceptions-browser-test-token"

// startCentral runs a whole central (demo plant, embedded broker, ingest,
// exception rules, live push) on free ports, with edge-L1 allowed to
// deliver L1's events over HTTPS.
func startCentral(t *testing.T, mod func(*app.Config)) *app.App {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.HTTP, cfg.DataDir, cfg.MQTT.Embedded.Listen = "127.0.0.1:0", t.TempDir(), "127.0.0.1:0"
	cfg.DemoStart = time.Now()
	cfg.Planning.Auto = false
	cfg.Edges = []app.EdgeConfig{{ID: "edge-L1", Token: excEdgeToken, Lines: []string{"L1"}}}
	if mod != nil {
		mod(&cfg)
	}
	a, err := app.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

// TestDashboardShowsExceptionsLiveInChromium: with the dashboard open and a
// supervisor signed in, a down event ingested over HTTPS makes a
// machine_down exception appear on L1's tile without a reload; its
// Acknowledge button acknowledges it and the tile shows that. The station
// page then shows the line's exceptions and raises material_short, and
// offers Sign out only while someone is signed in. Back on the dashboard,
// Resolve (with a note typed into its prompt) takes the exception off the tile.
func TestDashboardShowsExceptionsLiveInChromium(t *testing.T) {
	a := startCentral(t, func(c *app.Config) { c.Exceptions.DownGrace = 0 })
	base := "http://" + a.HTTPAddr()
	b := newBrowser(t, 1280, 900)

	b.do("sign in", chromedp.Navigate(base+"/login?next=%2F"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.do("dashboard", chromedp.WaitVisible(chromedp.CSS(`section.tile[data-line="L1"]`)))
	b.waitFor("session corner", `document.getElementById("session").textContent.includes("supervisor")`)
	b.waitFor("live", `document.getElementById("conn").className === "live"`)
	if n := b.eval(`document.querySelectorAll('section.tile[data-line="L1"] .x[data-kind="machine_down"]').length`); n != 0 {
		t.Fatalf("machine_down shown before any down event: %d", n)
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
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("ingest: %d %s", res.StatusCode, body)
	}

	const x = `document.querySelector('section.tile[data-line="L1"] .x[data-kind="machine_down"]')`
	b.waitFor("machine_down on L1's tile", x+` !== null && `+x+`.textContent.includes("E42 jam at infeed")`)
	if b.eval(`window.__sameDocument === 1 ? 1 : 0`) != 1 {
		t.Fatal("the page reloaded")
	}
	if got := b.evalString(x + `.textContent`); !strings.Contains(got, "Machine down") {
		t.Errorf("exception shows %q", got)
	}
	if n := b.eval(`document.querySelectorAll('section.tile[data-line="L2"] .x').length`); n != 0 {
		t.Errorf("L2's tile shows %d exceptions", n)
	}
	b.shoot("/tmp/dashboard-exception.png", false)

	clickIn(b, "acknowledge", `section.tile[data-line="L1"] .x[data-kind="machine_down"] button.ack`)
	b.waitFor("acknowledged on the tile", x+`.dataset.status === "acknowledged" && `+x+`.querySelector("button.ack") === null`)
	xs, err := a.Store().ListExceptions(context.Background(), domain.ExceptionFilter{Line: "L1", Kind: []domain.ExceptionKind{domain.ExceptionMachineDown}})
	if err != nil || len(xs) != 1 || xs[0].Status != domain.ExceptionAcknowledged || xs[0].AcknowledgedBy != "super" {
		t.Fatalf("after the click: %v %+v", err, xs)
	}
	// A reload shows it the same (acknowledged) from the stream's first message.
	b.do("reload", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`section.tile[data-line="L1"]`)))
	b.waitFor("acknowledged after reload", x+` !== null && `+x+`.dataset.status === "acknowledged"`)

	// The station page: the line's exceptions, and material short raised by the operator.
	b.do("station", chromedp.Navigate(base+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("station exceptions", `document.querySelector('#exc .x[data-kind="machine_down"]') !== null`)
	b.waitFor("input focused", `document.activeElement && document.activeElement.id === "scan"`)
	b.do("badge", chromedp.KeyEvent("B-1001\r"))
	b.waitFor("signed in", `document.getElementById("who").textContent.includes("signed in as")`)
	b.do("open material short", chromedp.Click(chromedp.ID("shortBtn")), chromedp.WaitVisible(chromedp.ID("shortDetail")))
	b.do("type what is short", chromedp.SendKeys(chromedp.ID("shortDetail"), "blanks BRK-100, rack 3 empty"),
		chromedp.Click(chromedp.CSS(`#shortForm button[type="submit"]`)))
	b.waitFor("material short shown", `document.querySelector('#exc .x[data-kind="material_short"]') !== null &&
		document.querySelector('#exc .x[data-kind="material_short"]').textContent.includes("rack 3 empty")`)
	xs, err = a.Store().ListExceptions(context.Background(), domain.ExceptionFilter{Line: "L1", Kind: []domain.ExceptionKind{domain.ExceptionMaterialShort}})
	if err != nil || len(xs) != 1 || xs[0].RaisedBy != "op1" || xs[0].WorkOrder != "WO-1001-10" {
		t.Fatalf("material short: %v %+v", err, xs)
	}
	b.shoot("/tmp/station-exceptions.png", false)

	// Sign out is there only while someone is signed in, also after a fresh load.
	const logoutShown = `document.getElementById("logout").offsetParent !== null`
	b.waitFor("sign out shown while signed in", logoutShown)
	b.do("sign out", chromedp.Click(chromedp.ID("logout")))
	b.waitFor("sign out hidden once signed out", `document.getElementById("who").textContent === "not signed in" && !(`+logoutShown+`)`)
	b.do("station, nobody signed in", chromedp.Navigate(base+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("scan")))
	b.waitFor("whoami answered", `document.getElementById("pwlogin").offsetParent !== null`)
	if b.eval(`(`+logoutShown+`) ? 1 : 0`) != 0 {
		t.Fatal("the station page offers Sign out with nobody signed in")
	}

	// Resolve, with a note typed into the prompt, takes the exception off the tile.
	b.do("sign in again", chromedp.Navigate(base+"/login?next=%2F"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.do("dashboard again", chromedp.WaitVisible(chromedp.CSS(`section.tile[data-line="L1"]`)))
	b.waitFor("resolve offered", x+` !== null && `+x+`.querySelector("button.resolve") !== null`)
	dctx, stop := context.WithCancel(b.ctx)
	defer stop()
	prompts := make(chan string, 1)
	dialogs := chromedp.Events(dctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			prompts <- string(ev.Type) + ": " + ev.Message
			// The page waits for the prompt, and so does the click: answer it here.
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true, PromptText: "  infeed cleared  "})
		}
	}()
	clickIn(b, "resolve", `section.tile[data-line="L1"] .x[data-kind="machine_down"] button.resolve`)
	select {
	case got := <-prompts:
		if !strings.HasPrefix(got, "prompt: ") || !strings.Contains(got, "Note") {
			t.Errorf("the dialog was %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Resolve asked for no note")
	}
	stop()
	b.waitFor("resolved leaves the tile", x+` === null`)
	xs, err = a.Store().ListExceptions(context.Background(), domain.ExceptionFilter{Line: "L1", Kind: []domain.ExceptionKind{domain.ExceptionMachineDown}})
	if err != nil || len(xs) != 1 || xs[0].Status != domain.ExceptionResolved || xs[0].ResolvedBy != "super" || xs[0].Resolution != "infeed cleared" {
		t.Fatalf("after Resolve: %v %+v", err, xs)
	}
	// The pushes that follow do not bring it back.
	time.Sleep(1500 * time.Millisecond)
	if b.eval(x+` === null ? 1 : 0`) != 1 {
		t.Fatal("the resolved exception came back on the tile")
	}
}

// clickIn clicks the element sel finds, in one evaluation: the dashboard
// redraws its tiles on every push (each second), so a node found by one
// command may be gone by the next, as chromedp.Click's query-then-click
// would find now and then.
func clickIn(b *browser, what, sel string) {
	b.t.Helper()
	b.waitFor(what, `(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); if (!e) return false; e.click(); return true; })()`)
}

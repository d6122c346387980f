package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/edge/wire"
)

// TestDashboardShowsClockSkewAndAmbiguousCountInChromium: an edge reports
// that a device clock of L1 is 10 minutes ahead and sends a count it could
// not decide (a wrap or a reset). L1's tile shows the skew and both
// exceptions, with what was counted and what the other reading adds.
func TestDashboardShowsClockSkewAndAmbiguousCountInChromium(t *testing.T) {
	a := startCentral(t, func(c *app.Config) {})
	base := "http://" + a.HTTPAddr()
	b := newBrowser(t, 1280, 900)
	b.do("sign in", chromedp.Navigate(base+"/login?next=%2F"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.do("dashboard", chromedp.WaitVisible(chromedp.CSS(`section.tile[data-line="L1"]`)))

	now := time.Now().UTC()
	batch, _ := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: "edge-L1", Events: []wire.Event{{EdgeID: "edge-L1", Seq: 1, Line: "L1",
		Type: wire.TypeCount, SourceTime: now, DeviceTime: now.Add(10 * time.Minute), ClockOffsetMS: 600_000,
		Count: &wire.Count{Counter: "good_total", Good: 120, Raw: 120, Reset: true, Ambiguous: true, AltParts: 3507}}}})
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

	const tile = `document.querySelector('section.tile[data-line="L1"]')`
	b.waitFor("skew on L1's tile", tile+`.querySelector(".skew") !== null`)
	if got := b.evalString(tile + `.querySelector(".skew").textContent`); got != "device clock 10.0 min ahead — edge receive time used" {
		t.Errorf("skew shows %q", got)
	}
	for kind, want := range map[string]string{
		"clock_skew":        "Clock skew",
		"counter_ambiguous": "counted 120 good parts as a reset; if it was a wrap, 3507 more",
	} {
		x := tile + `.querySelector('.x[data-kind="` + kind + `"]')`
		b.waitFor(kind+" on L1's tile", x+` !== null`)
		if got := b.evalString(x + `.textContent`); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want it to contain %q", kind, got, want)
		}
	}
	b.shoot("/tmp/dashboard-skew.png", false)
}

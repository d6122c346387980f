package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

// TestDashboardOnReplicaBShowsReplicaAInChromium: two centrals on one
// PostgreSQL; a supervisor's browser shows replica B's dashboard while the
// edge's batches are ingested by replica A. The count on L1's tile follows
// A's, and the machine_down exception A raises appears on B's tile without
// a reload (exceptions are pushed only when they change: this one reaches
// B through LISTEN/NOTIFY).
func TestDashboardOnReplicaBShowsReplicaAInChromium(t *testing.T) {
	dsn := pgtest.Schema(t)
	pg := func(c *app.Config) {
		c.Database = app.DatabaseConfig{Driver: "postgres", DSN: dsn}
		c.Exceptions.DownGrace = 0
	}
	a := startCentral(t, pg)
	bApp := startCentral(t, pg)
	baseA, baseB := "http://"+a.HTTPAddr(), "http://"+bApp.HTTPAddr()
	b := newBrowser(t, 1280, 900)
	b.do("sign in on B", chromedp.Navigate(baseB+"/login?next=%2F"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.do("dashboard on B", chromedp.WaitVisible(chromedp.CSS(`section.tile[data-line="L1"]`)))
	b.waitFor("live", `document.getElementById("conn").className === "live"`)
	b.eval(`(window.__sameDocument = 1)`)

	ingest := func(evs ...wire.Event) {
		t.Helper()
		batch, _ := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: "edge-L1", Events: evs})
		req, _ := http.NewRequest(http.MethodPost, baseA+"/api/v1/ingest", bytes.NewReader(batch))
		req.Header.Set("Authorization", "Bearer "+excEdgeToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("ingest on A: %d %s", res.StatusCode, body)
		}
	}
	now := time.Now().UTC()
	ingest(wire.Event{EdgeID: "edge-L1", Seq: 1, Line: "L1", Type: wire.TypeCount, SourceTime: now.Add(-2 * time.Second),
		Count: &wire.Count{Counter: "parts", Good: 737, Raw: 737}})
	good := goodOnL1(t, baseA)
	if good < 737 {
		t.Fatalf("A counts %d good on L1 after 737 were ingested", good)
	}
	const tileGood = `document.querySelector('section.tile[data-line="L1"] .nums b').textContent.replace(/[^0-9]/g, "")`
	b.waitFor("B's tile showing A's count", tileGood+` === "`+strconv.FormatInt(good, 10)+`"`)

	ingest(wire.Event{EdgeID: "edge-L1", Seq: 2, Line: "L1", Type: wire.TypeState, SourceTime: now,
		State: &wire.State{State: wire.StateDown, Reason: "E42 jam at infeed"}})
	const x = `document.querySelector('section.tile[data-line="L1"] .x[data-kind="machine_down"]')`
	b.waitFor("machine_down raised on A shown on B's tile", x+` !== null && `+x+`.textContent.includes("E42 jam at infeed")`)
	if b.eval(`window.__sameDocument === 1 ? 1 : 0`) != 1 {
		t.Fatal("the page reloaded")
	}
}

// goodOnL1 is L1's good count as replica base reports it.
func goodOnL1(t *testing.T, base string) int64 {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"super","password":"super-demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = c.Get(base + "/api/v1/lines")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ls []struct {
		ID   string `json:"id"`
		Good int64  `json:"good"`
	}
	if err := json.NewDecoder(res.Body).Decode(&ls); err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ID == "L1" {
			return l.Good
		}
	}
	t.Fatal("no L1")
	return 0
}

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/agent"
	"github.com/linewise/linewise/edge/config"
)

// TestImpossibleDeltaQuarantinedEndToEnd: a real edge agent reads a
// counter over MQTT that jumps by 100,000 on a machine rated at 2 parts a
// second. The edge sends the delta flagged, central quarantines it (the
// supervisor's list names the edge's reason) and acknowledges it as
// rejected, the edge's outbox moves on, and the believable deltas before
// and after are counted exactly: the impossible one is neither counted nor
// lost. On SQLite and PostgreSQL.
func TestImpossibleDeltaQuarantinedEndToEnd(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) { testImpossibleDelta(t, db) })
	}
}

func testImpossibleDelta(t *testing.T, db string) {
	dir := t.TempDir()
	ccfg := app.DefaultConfig()
	ccfg.HTTP = freeAddr(t)
	ccfg.DataDir = filepath.Join(dir, "central")
	ccfg.DemoStart = time.Now().Add(-time.Minute)
	ccfg.Edges = []app.EdgeConfig{{ID: edgeID, Token: edgeToken, Lines: []string{"L1"}}}
	ccfg.MQTT.Embedded.AnonymousTopics = []string{"linesim/#"}
	ccfg.MQTT.Embedded.Listen = freeAddr(t)
	if db == "postgres" {
		ccfg.Database.Driver = "postgres"
		ccfg.Database.DSN = pgtest.Schema(t)
	}
	broker := "tcp://" + ccfg.MQTT.Embedded.Listen
	base := "http://" + ccfg.HTTP
	c, err := app.New(ccfg, testLogger(t).With("component", "central"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c.Shutdown(ctx)
	})
	before := findLine(getLines(t, base), "L1").Good

	yml := fmt.Sprintf(`
edge_id: %s
line: L1
data_dir: %s
http: ""
central:
  mqtt: {broker: %q, username: %s, password: %q}
  ack_timeout: 2s
devices:
  - name: counter
    driver: mqtt
    broker: %q
    client_id: bounds-reader-%s
    signals: [{name: good_total, topic: linesim/B/good, payload: number}]
counters:
  - {signal: good_total, kind: good, bits: 32, max_rate: 2, first_read: count}
`, edgeID, filepath.Join(dir, "edge"), broker, edgeID, edgeToken, broker, db)
	plc := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("bounds-plc-" + db))
	if tok := plc.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("plc connect: %v", tok.Error())
	}
	defer plc.Disconnect(100)
	publish := func(v int) {
		t.Helper()
		tok := plc.Publish("linesim/B/good", 1, true, []byte(fmt.Sprint(v)))
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %d: %v", v, tok.Error())
		}
	}
	// The counter starts at 5 and the edge counts from zero (first_read:
	// count): the value is retained, so the reader gets it whenever it
	// subscribes, and once 5 parts are counted it is listening.
	publish(5)
	cfg, err := config.Parse("edge-bounds.yaml", []byte(yml), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(cfg, testLogger(t).With("component", "edge"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})

	good := func() int64 { return findLine(getLines(t, base), "L1").Good - before }
	until := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	until("5 parts counted", func() bool { return good() == 5 })
	publish(100_005) // 100,000 parts in well under a minute at 2/s
	until("the flagged delta quarantined", func() bool { return len(quarantined(t, base)) == 1 })
	publish(100_012)
	until("7 more parts counted after it", func() bool { return good() == 12 })
	until("the edge's outbox empty", func() bool { return a.OutboxDepth() == 0 })

	q := quarantined(t, base)
	if !strings.Contains(q[0].Reason, "edge found it impossible") || !strings.Contains(q[0].Reason, "max_rate 2/s") ||
		!strings.Contains(q[0].Raw, `"good":100000`) || q[0].Line != "L1" {
		t.Errorf("quarantined %+v", q[0])
	}
	if g := good(); g != 12 {
		t.Errorf("L1 counted %d, want 12 (5 + 7, not the 100,000)", g)
	}
}

type quarantinedEvent struct {
	Seq    uint64 `json:"seq"`
	Line   string `json:"line"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

func quarantined(t *testing.T, base string) []quarantinedEvent {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"super","password":"super-demo"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = c.Get(base + "/api/v1/quarantine?line=L1")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var out []quarantinedEvent
	if res.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("GET /api/v1/quarantine: %d %.300s", res.StatusCode, body)
	}
	return out
}

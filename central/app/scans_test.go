package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TestScansFromEdgeEndToEnd: scan events published by an edge over MQTT
// are applied by the running central (the demo: WO-1001-10 runs on L1,
// WO-1004-10 is released): a scan of a second work order while one runs is
// rejected with its reason, the running one's barcode pauses it, and then
// the second starts; the station's scan list and the metrics show it.
func TestScansFromEdgeEndToEnd(t *testing.T) {
	onBackends(t, func(t *testing.T, backend func(*Config)) {
		a := startApp(t, backend)
		e := newEdge(t, a.BrokerAddr(), "e1")
		now := time.Now().UTC()
		sc := func(seq uint64, code string) wire.Event {
			return wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeScan, SourceTime: now.Add(time.Duration(seq) * time.Millisecond),
				Scan: &wire.Scan{Station: "ST-L1", Code: code, Operator: "B-1001"}}
		}
		body, err := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: "e1",
			Events: []wire.Event{sc(1, "WO-1004-10"), sc(2, "WO-1001-10"), sc(3, "WO-1004-10")}})
		if err != nil {
			t.Fatal(err)
		}
		if ack := e.publish("e1", body); ack.Error != "" || ack.To != 3 {
			t.Fatalf("ack = %+v", ack)
		}
		ctx := context.Background()
		deadline := time.Now().Add(10 * time.Second)
		for {
			w, err := a.Store().GetWorkOrder(ctx, "WO-1004-10")
			if err != nil {
				t.Fatal(err)
			}
			if w.Status == domain.StatusInProgress {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("WO-1004-10 still %s 10s after the ack", w.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if w, _ := a.Store().GetWorkOrder(ctx, "WO-1001-10"); w.Status != domain.StatusPaused {
			t.Errorf("WO-1001-10 is %s, want paused", w.Status)
		}

		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		base := "http://" + a.HTTPAddr()
		res, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"super","password":"super-demo"}`))
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("login: %v %v", err, res)
		}
		res.Body.Close()
		res, err = c.Get(base + "/api/v1/stations/ST-L1/scans")
		if err != nil {
			t.Fatal(err)
		}
		var list []domain.ScanRecord
		err = json.NewDecoder(res.Body).Decode(&list)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || len(list) != 3 {
			t.Fatalf("scans: %d %v %+v", res.StatusCode, err, list)
		}
		if r := list[2]; r.Result != domain.ScanRejected || !strings.Contains(r.Message, "line L1 already runs WO-1001-10") {
			t.Errorf("first scan: %+v", r)
		}
		if r := list[1]; r.Result != domain.ScanApplied || r.Action != "pause" || r.Actor != "op1 via edge:e1" {
			t.Errorf("second scan: %+v", r)
		}
		if r := list[0]; r.Result != domain.ScanApplied || r.Action != "start" || r.WorkOrder != "WO-1004-10" {
			t.Errorf("third scan: %+v", r)
		}
		if res, err := http.Get(base + "/api/v1/stations/ST-L1/scans"); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("scans without signing in: %v %v", err, res.StatusCode)
		}
		res, err = http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{`linewise_scans_total{result="applied"} 2`, `linewise_scans_total{result="rejected"} 1`} {
			if !strings.Contains(string(m), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

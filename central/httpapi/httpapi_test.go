package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

var t0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

// newServer serves a real SQLite store holding line L1 running WO-1
// (100 parts at 1s each, started t0) with 30 good parts, at clock t0+60s.
func newServer(t *testing.T) (*httptest.Server, *live.Hub) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ps := t0
	for _, err := range []error{
		st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}),
		st.CreateLine(ctx, domain.Line{ID: "L2", Name: "Line 2"}),
		st.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: time.Second}),
		st.CreateOrder(ctx, domain.Order{Number: "PO-1", ProductCode: "P", Quantity: 100, Status: domain.StatusScheduled}),
		st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1", OrderNumber: "PO-1", OperationSeq: 10, LineID: "L1",
			Barcode: "WO-1", Quantity: 100, PlannedStart: &ps, Status: domain.StatusScheduled}),
		st.StartWorkOrder(ctx, "WO-1", t0),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
		{EdgeID: "e1", Seq: 1, Line: "L1", Type: wire.TypeState, SourceTime: t0, State: &wire.State{State: wire.StateRunning}},
		{EdgeID: "e1", Seq: 2, Line: "L1", Type: wire.TypeCount, SourceTime: t0.Add(40 * time.Second), Count: &wire.Count{Counter: "c", Good: 30, Reject: 2}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	hash := domain.HashToken(readerToken)
	if err := st.CreateAPIToken(ctx, domain.APIToken{ID: "tok-reader", Name: "reader", Role: domain.RoleSupervisor, TokenHash: hash, CreatedAt: t0},
		domain.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	hub := live.New(8)
	api := New(Options{Store: st, Hub: hub, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return t0.Add(60 * time.Second) }})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })
	return srv, hub
}

// readerToken is newServer's supervisor API token: reads need one.
const readerToken = "reader-token-of-the-httpapi-tests"

// get reads url with newServer's reader token.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+readerToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func TestProblems(t *testing.T) {
	srv, _ := newServer(t)
	tests := []struct {
		path   string
		status int
		field  string
	}{
		{"/api/v1/events", 400, "line"},
		{"/api/v1/events?line=L%2F1", 400, "line"},
		{"/api/v1/events?line=L1&limit=0", 400, "limit"},
		{"/api/v1/events?line=L1&limit=1001", 400, "limit"},
		{"/api/v1/events?line=L1&limit=x", 400, "limit"},
		{"/api/v1/orders/NOPE", 404, ""},
		{"/api/v1/nowhere", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := get(t, srv.URL+tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.status || p.Field != tt.field || p.Title == "" || p.Type == "" {
				t.Errorf("problem %+v, want status %d field %q", p, tt.status, tt.field)
			}
		})
	}
}

func TestLinesAndOrders(t *testing.T) {
	srv, _ := newServer(t)
	res, body := get(t, srv.URL+"/api/v1/lines")
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	var ls []lineJSON
	if err := json.Unmarshal(body, &ls); err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("%d lines, want 2", len(ls))
	}
	l1, l2 := ls[0], ls[1]
	if l1.State != "running" || l1.ActiveWorkOrder == nil || l1.ActiveWorkOrder.ID != "WO-1" || l1.ActiveWorkOrder.Order != "PO-1" {
		t.Errorf("L1 = %+v", l1)
	}
	if l1.Good != 30 || l1.Reject != 2 || l1.PlannedQty != 100 || l1.ExpectedNow != 60 || l1.Attainment == nil || *l1.Attainment != 50 {
		t.Errorf("L1 numbers = good %d reject %d planned %d expected %d attainment %v; want 30 2 100 60 50",
			l1.Good, l1.Reject, l1.PlannedQty, l1.ExpectedNow, l1.Attainment)
	}
	if l2.State != "no_data" || l2.ActiveWorkOrder != nil || l2.Attainment != nil {
		t.Errorf("L2 = %+v, want no_data with nothing active", l2)
	}
	if !strings.Contains(string(body), `"active_work_order":null`) || !strings.Contains(string(body), `"attainment":null`) {
		t.Errorf("nulls not explicit: %s", body)
	}

	res, body = get(t, srv.URL+"/api/v1/orders/PO-1")
	var d domain.OrderDetail
	if res.StatusCode != 200 || json.Unmarshal(body, &d) != nil || d.Good != 30 || len(d.WorkOrders) != 1 {
		t.Errorf("order PO-1: %d %s", res.StatusCode, body)
	}
	res, body = get(t, srv.URL+"/api/v1/events?line=L1&limit=1")
	var evs []domain.EventRecord
	if res.StatusCode != 200 || json.Unmarshal(body, &evs) != nil || len(evs) != 1 || evs[0].Seq != 2 {
		t.Errorf("events: %d %s", res.StatusCode, body)
	}
	res, body = get(t, srv.URL+"/")
	if res.StatusCode != 200 || !strings.Contains(string(body), "EventSource") {
		t.Errorf("dashboard: %d", res.StatusCode)
	}
	if res, body := get(t, srv.URL+"/healthz"); res.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Errorf("healthz: %d %s", res.StatusCode, body)
	}
}

func TestStreamSendsLinesAtOnceAndOnBroadcast(t *testing.T) {
	srv, hub := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+readerToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	r := bufio.NewReader(res.Body)
	next := func() (event, data string) {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("reading stream: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && event != "":
				return event, data
			}
		}
	}
	ev, data := next()
	var ls []lineJSON
	if ev != "lines" || json.Unmarshal([]byte(data), &ls) != nil || len(ls) != 2 || ls[0].Good != 30 {
		t.Fatalf("first event %q %s", ev, data)
	}
	if ev, data := next(); ev != "exceptions" || data != "[]" {
		t.Fatalf("second event %q %s, want the exceptions not yet resolved (none)", ev, data)
	}
	hub.Broadcast(live.Message{Event: "lines", Data: []byte(`[]`)})
	if ev, data := next(); ev != "lines" || data != "[]" {
		t.Fatalf("broadcast event %q %s", ev, data)
	}
}

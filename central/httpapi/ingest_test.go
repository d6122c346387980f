package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

const (
	tokenL1 = "token-for-edge-L1-0123"
	tokenL2 = "token-for-edge-L2-0123"
)

// newIngestServer serves the real router over a real SQLite store with line
// L1 running WO-1, and the real ingest path for edges edge-L1 (line L1) and
// edge-L2 (line L2).
func newIngestServer(t *testing.T) (*httptest.Server, *store.Store, *ingest.Ingest, *prometheus.Registry) {
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
	log := slog.New(slog.DiscardHandler)
	edges := ingest.NewEdges([]ingest.Edge{
		{ID: "edge-L1", TokenSHA256: sha256.Sum256([]byte(tokenL1)), Lines: []string{"L1"}},
		{ID: "edge-L2", TokenSHA256: sha256.Sum256([]byte(tokenL2)), Lines: []string{"L2"}},
	})
	in := ingest.New(ingest.Config{Edges: edges}, st, nil, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(in)
	api := New(Options{Store: st, Hub: live.New(4), Log: log, Ingest: in, Metrics: reg})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { api.CloseStreams(); srv.Close() })
	return srv, st, in, reg
}

func batchJSON(t *testing.T, edge, line string, from uint64, goods ...int64) []byte {
	t.Helper()
	b := wire.Batch{Version: wire.Version, EdgeID: edge}
	for i, g := range goods {
		b.Events = append(b.Events, wire.Event{EdgeID: edge, Seq: from + uint64(i), Line: line, Type: wire.TypeCount,
			SourceTime: t0.Add(time.Minute + time.Duration(i)*time.Second), Count: &wire.Count{Counter: "parts", Good: g}})
	}
	body, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func postBatch(t *testing.T, url, auth string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/v1/ingest", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

func goodOf(t *testing.T, st *store.Store) int64 {
	t.Helper()
	w, err := st.GetWorkOrder(context.Background(), "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	return w.Good
}

func TestIngestDeduplicatesOverHTTP(t *testing.T) {
	srv, st, in, _ := newIngestServer(t)
	body := batchJSON(t, "edge-L1", "L1", 1, 3, 4)
	for i := range 2 {
		res, out := postBatch(t, srv.URL, "Bearer "+tokenL1, body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("post %d: %d %s", i+1, res.StatusCode, out)
		}
		var ack wire.Ack
		if err := json.Unmarshal(out, &ack); err != nil || !reflect.DeepEqual(ack, wire.Ack{EdgeID: "edge-L1", From: 1, To: 2}) {
			t.Fatalf("post %d: ack %s (%v)", i+1, out, err)
		}
	}
	if g := goodOf(t, st); g != 7 {
		t.Fatalf("WO-1 good = %d after posting the same batch twice, want 7 (counted once)", g)
	}
	if s := in.Stats(); s.Received != 2 || s.Applied != 2 || s.Duplicates != 2 {
		t.Errorf("stats = %+v", s)
	}
}

func TestIngestRefusals(t *testing.T) {
	srv, st, _, _ := newIngestServer(t)
	good := batchJSON(t, "edge-L1", "L1", 1, 5)
	huge := append(append([]byte(`{"v":1,"edge_id":"edge-L1","events":[],"pad":"`), bytes.Repeat([]byte("x"), wire.MaxBatchBytes)...), '"', '}')
	tests := []struct {
		name   string
		auth   string
		body   []byte
		status int
		field  string
		detail string // substring of the problem's detail
	}{
		{"no token", "", good, 401, "", "token is required"},
		{"not bearer", "Basic ZTpm", good, 401, "", "token is required"},
		{"wrong token", "Bearer not-a-token-of-anyone", good, 401, "", "not valid"},
		{"another edge's batch", "Bearer " + tokenL2, good, 403, "edge_id", `for edge "edge-L1"`},
		{"not json", "Bearer " + tokenL1, []byte("{nope"), 400, "", "batch:"},
		{"unknown version", "Bearer " + tokenL1, []byte(`{"v":9,"edge_id":"edge-L1","events":[]}`), 400, "v", "unsupported version"},
		{"no events", "Bearer " + tokenL1, []byte(`{"v":1,"edge_id":"edge-L1","events":[]}`), 400, "events", "empty"},
		{"duplicate seq", "Bearer " + tokenL1, []byte(`{"v":1,"edge_id":"edge-L1","events":[{"seq":3},{"seq":3}]}`), 400, "events[1].seq", "not above previous"},
		{"too large", "Bearer " + tokenL1, huge, 413, "", "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, out := postBatch(t, srv.URL, tt.auth, tt.body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, out)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			var p Problem
			if err := json.Unmarshal(out, &p); err != nil {
				t.Fatalf("body %s: %v", out, err)
			}
			if p.Status != tt.status || p.Field != tt.field || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("problem = %+v, want status %d, field %q, detail containing %q", p, tt.status, tt.field, tt.detail)
			}
			if tt.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if g := goodOf(t, st); g != 0 {
		t.Errorf("WO-1 good = %d after only refused batches, want 0", g)
	}
	// Events that are wrong one by one (a foreign line, an empty line) are
	// not a refused batch: they come back as rejections in a 200 ack
	// (TestIngestRejectsBadEventsNotTheBatch), and count nothing.
	for _, body := range [][]byte{
		batchJSON(t, "edge-L2", "L1", 1, 5),
		[]byte(`{"v":1,"edge_id":"edge-L1","events":[{"edge_id":"edge-L1","seq":1,"line":"","type":"count","ts":"2026-03-02T06:01:00Z","count":{"counter":"c","good":1}}]}`),
	} {
		tok := tokenL1
		if strings.Contains(string(body), "edge-L2") {
			tok = tokenL2
		}
		res, out := postBatch(t, srv.URL, "Bearer "+tok, body)
		var ack wire.Ack
		if res.StatusCode != 200 || json.Unmarshal(out, &ack) != nil || len(ack.Rejected) != 1 {
			t.Errorf("status %d body %s, want a 200 ack with one rejection", res.StatusCode, out)
		}
	}
	if g := goodOf(t, st); g != 0 {
		t.Errorf("WO-1 good = %d after rejected events, want 0", g)
	}
}

// TestIngestStoreFailureIsNotAcked: with the store gone the edge gets a 503
// and no ack, so it keeps the batch and resends.
func TestIngestStoreFailureIsNotAcked(t *testing.T) {
	srv, st, in, _ := newIngestServer(t)
	st.Close()
	res, out := postBatch(t, srv.URL, "Bearer "+tokenL1, batchJSON(t, "edge-L1", "L1", 1, 5))
	if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(out), `"to"`) {
		t.Fatalf("status %d %s, want 503 without an ack", res.StatusCode, out)
	}
	if s := in.Stats(); s.StoreErrors != 1 {
		t.Errorf("stats = %+v, want 1 store error", s)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	srv, _, _, _ := newIngestServer(t)
	postBatch(t, srv.URL, "Bearer "+tokenL1, batchJSON(t, "edge-L1", "L1", 7, 1, 1))
	postBatch(t, srv.URL, "Bearer "+tokenL1, []byte("{"))
	res, body := get(t, srv.URL+"/metrics")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", res.StatusCode)
	}
	for _, want := range []string{
		"linewise_ingest_batches_received_total 2",
		"linewise_ingest_batches_malformed_total 1",
		"linewise_ingest_events_applied_total 2",
		`linewise_ingest_edge_last_seq{edge="edge-L1"} 8`,
		"linewise_ingest_batch_commit_seconds_bucket",
		"linewise_live_clients 0",
		"linewise_live_clients_dropped_total 0",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestBatchField(t *testing.T) {
	for msg, want := range map[string]string{
		`batch: field v: unsupported version 9 (want 1)`:                 "v",
		`batch: field edge_id: "a" does not match topic edge "b"`:        "edge_id",
		"batch: events[2]: line: must not be empty\nbatch: events[3]: x": "events[2].line",
		`batch: events[1].seq: 3 not above previous 4`:                   "events[1].seq",
		`batch: events[0]: type "x": exactly one of count`:               "events[0]",
		`batch: invalid character 'n' looking for beginning`:             "",
	} {
		if got := batchField(msg); got != want {
			t.Errorf("batchField(%q) = %q, want %q", msg, got, want)
		}
	}
}

// A hostile event is refused on its own, with a reason the edge logs and a
// metric central shows; the rest of its batch is applied and acknowledged.
func TestIngestRejectsBadEventsNotTheBatch(t *testing.T) {
	srv, st, in, reg := newIngestServer(t)
	b := wire.Batch{Version: wire.Version, EdgeID: "edge-L1"}
	at := t0.Add(time.Minute)
	ev := func(seq uint64, line string, good int64, ts time.Time) wire.Event {
		return wire.Event{EdgeID: "edge-L1", Seq: seq, Line: line, Type: wire.TypeCount, SourceTime: ts, Count: &wire.Count{Counter: "parts", Good: good}}
	}
	b.Events = []wire.Event{
		ev(1, "L1", 4, at),
		ev(2, "L1", -50, at),                            // negative delta
		ev(3, "L1", 9, time.Now().Add(30*24*time.Hour)), // a month in the future
		ev(4, "L2", 7, at),                              // a line edge-L1 does not own
		ev(5, "L1", 6, at.Add(time.Second)),
	}
	body, _ := json.Marshal(b)
	res, out := postBatch(t, srv.URL, "Bearer "+tokenL1, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, out)
	}
	var ack wire.Ack
	if err := json.Unmarshal(out, &ack); err != nil {
		t.Fatal(err)
	}
	if ack.From != 1 || ack.To != 5 || ack.Error != "" || len(ack.Rejected) != 3 {
		t.Fatalf("ack %+v, want 1..5 with three rejections", ack)
	}
	for i, want := range map[int]string{0: "negative", 1: "ahead", 2: `"L2"`} {
		if r := ack.Rejected[i]; r.Seq != uint64(i+2) || !strings.Contains(r.Reason, want) {
			t.Errorf("rejection %d = %+v, want seq %d mentioning %s", i, r, i+2, want)
		}
	}
	if g := goodOf(t, st); g != 10 {
		t.Fatalf("WO-1 good = %d, want 10 (4 + 6 from the valid events)", g)
	}
	if s := in.Stats(); s.Rejected != 3 || s.Applied != 2 {
		t.Errorf("stats %+v", s)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "linewise_ingest_events_rejected_total" {
			found = mf.GetMetric()[0].GetCounter().GetValue() == 3
		}
	}
	if !found {
		t.Error("linewise_ingest_events_rejected_total is not 3")
	}
}

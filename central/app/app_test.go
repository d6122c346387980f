package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

func startApp(t *testing.T, mods ...func(*Config)) *App {
	t.Helper()
	cfg := DefaultConfig()
	cfg.HTTP = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.MQTT.Embedded.Listen = "127.0.0.1:0"
	cfg.DemoStart = time.Now().Add(-time.Minute)
	for _, m := range mods {
		m(&cfg)
	}
	a, err := New(cfg, slog.New(slog.DiscardHandler))
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
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("second Shutdown: %v", err)
		}
	})
	return a
}

// edge is a test double of an edge agent at the wire: it publishes batches
// and collects acks.
type edge struct {
	t    *testing.T
	c    paho.Client
	acks chan wire.Ack
}

// newEdge connects as edge id; a token, if given, is sent as the password
// with the id as username, as a real edge does when central authenticates.
func newEdge(t *testing.T, brokerAddr, id string, token ...string) *edge {
	t.Helper()
	e := &edge{t: t, acks: make(chan wire.Ack, 16)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + brokerAddr).SetClientID("linewise-edge-" + id).SetCleanSession(true)
	if len(token) > 0 {
		opts.SetUsername(id).SetPassword(token[0])
	}
	e.c = paho.NewClient(opts)
	if tok := e.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("edge connect: %v", tok.Error())
	}
	t.Cleanup(func() { e.c.Disconnect(100) })
	tok := e.c.Subscribe(wire.AckTopic(id), 1, func(_ paho.Client, m paho.Message) {
		var a wire.Ack
		if err := json.Unmarshal(m.Payload(), &a); err != nil {
			t.Errorf("ack %s: %v", m.Payload(), err)
			return
		}
		e.acks <- a
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("edge subscribe: %v", tok.Error())
	}
	return e
}

func (e *edge) publish(id string, payload []byte) wire.Ack {
	e.t.Helper()
	tok := e.c.Publish(wire.EventsTopic(id), 1, false, payload)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		e.t.Fatalf("publish: %v", tok.Error())
	}
	select {
	case a := <-e.acks:
		return a
	case <-time.After(10 * time.Second):
		e.t.Fatal("no ack within 10s")
		return wire.Ack{}
	}
}

func countBatch(t *testing.T, from uint64, goods ...int64) []byte {
	t.Helper()
	return edgeBatch(t, "e1", "L1", from, goods...)
}

func edgeBatch(t *testing.T, edge, line string, from uint64, goods ...int64) []byte {
	t.Helper()
	b := wire.Batch{Version: wire.Version, EdgeID: edge}
	now := time.Now()
	for i, g := range goods {
		b.Events = append(b.Events, wire.Event{EdgeID: edge, Line: line, Seq: from + uint64(i), Type: wire.TypeCount,
			SourceTime: now.Add(time.Duration(i) * time.Millisecond), Count: &wire.Count{Counter: "parts", Good: g, Reject: 1, Raw: uint64(g)}})
	}
	body, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

type lineOut struct {
	ID              string `json:"id"`
	State           string `json:"state"`
	ActiveWorkOrder *struct {
		ID      string `json:"id"`
		Order   string `json:"order"`
		Barcode string `json:"barcode"`
		Product string `json:"product"`
	} `json:"active_work_order"`
	Good        int64    `json:"good"`
	Reject      int64    `json:"reject"`
	PlannedQty  int64    `json:"planned_qty"`
	ExpectedNow int64    `json:"expected_now"`
	Attainment  *float64 `json:"attainment"`
}

func l1(t *testing.T, a *App) lineOut {
	t.Helper()
	res, err := authGet(t, a, "/api/v1/lines")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ls []lineOut
	if err := json.NewDecoder(res.Body).Decode(&ls); err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ID == "L1" {
			return l
		}
	}
	t.Fatalf("L1 missing from %+v", ls)
	return lineOut{}
}

// onBackends runs a test once on SQLite and once on PostgreSQL (a fresh
// schema; skipped without a server, failing with CI=true).
func onBackends(t *testing.T, fn func(t *testing.T, mod func(*Config))) {
	t.Run("sqlite", func(t *testing.T) { fn(t, func(*Config) {}) })
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Schema(t)
		fn(t, func(c *Config) { c.Database = DatabaseConfig{Driver: store.DriverPostgres, DSN: dsn} })
	})
}

func TestIngestEndToEnd(t *testing.T) {
	onBackends(t, testIngestEndToEnd)
}

func testIngestEndToEnd(t *testing.T, backend func(*Config)) {
	a := startApp(t, backend)
	e := newEdge(t, a.BrokerAddr(), "e1")

	before := l1(t, a)
	if before.ActiveWorkOrder == nil || before.ActiveWorkOrder.ID != "WO-1001-10" || before.ActiveWorkOrder.Product != "BRK-100" ||
		before.PlannedQty != 5000 || before.Good != 0 || before.ExpectedNow < 59 || before.Attainment == nil || *before.Attainment != 0 {
		t.Fatalf("demo L1 = %+v", before)
	}

	batch := countBatch(t, 1, 4, 6)
	if ack := e.publish("e1", batch); !reflect.DeepEqual(ack, wire.Ack{EdgeID: "e1", From: 1, To: 2}) {
		t.Fatalf("ack = %+v, want e1 1..2 without error", ack)
	}
	if l := l1(t, a); l.Good != 10 || l.Reject != 2 {
		t.Fatalf("after batch: good/reject %d/%d, want 10/2", l.Good, l.Reject)
	}

	// The edge did not see the ack and resends: acked again, counted once.
	if ack := e.publish("e1", batch); !reflect.DeepEqual(ack, wire.Ack{EdgeID: "e1", From: 1, To: 2}) {
		t.Fatalf("re-ack = %+v", ack)
	}
	if l := l1(t, a); l.Good != 10 {
		t.Fatalf("after resend: good %d, want 10", l.Good)
	}

	// Garbage is refused with an error ack and does not stop the next batch.
	if ack := e.publish("e1", []byte("{not json")); ack.Error == "" || ack.EdgeID != "e1" {
		t.Fatalf("garbage ack = %+v, want an error", ack)
	}
	if ack := e.publish("e1", countBatch(t, 3, 5)); !reflect.DeepEqual(ack, wire.Ack{EdgeID: "e1", From: 3, To: 3}) {
		t.Fatalf("ack after garbage = %+v", ack)
	}
	if l := l1(t, a); l.Good != 15 {
		t.Fatalf("after garbage and a valid batch: good %d, want 15", l.Good)
	}
	st := a.IngestStats()
	if st.Received != 4 || st.Malformed != 1 || st.Applied != 3 || st.Duplicates != 2 {
		t.Errorf("stats = %+v, want received 4, malformed 1, applied 3, duplicates 2", st)
	}
}

func TestStreamPushesAfterIngest(t *testing.T) {
	a := startApp(t)
	e := newEdge(t, a.BrokerAddr(), "e1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+a.HTTPAddr()+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+readToken(t, a))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := make(chan []lineOut, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		event := ""
		for sc.Scan() {
			switch s := sc.Text(); {
			case strings.HasPrefix(s, "event: "):
				event = strings.TrimPrefix(s, "event: ")
			case strings.HasPrefix(s, "data: ") && event == "lines":
				var ls []lineOut
				if err := json.Unmarshal([]byte(strings.TrimPrefix(s, "data: ")), &ls); err != nil {
					t.Errorf("stream data: %v", err)
					return
				}
				lines <- ls
			}
		}
	}()
	first := <-lines
	if len(first) != 2 {
		t.Fatalf("initial snapshot has %d lines, want 2", len(first))
	}
	sent := time.Now()
	e.publish("e1", countBatch(t, 1, 7))
	for ls := range lines {
		for _, l := range ls {
			if l.ID == "L1" && l.Good == 7 {
				if d := time.Since(sent); d > 1500*time.Millisecond {
					t.Errorf("push took %v", d)
				}
				return
			}
		}
	}
	t.Fatal(fmt.Sprintf("stream ended without showing the ingested count: %v", ctx.Err()))
}

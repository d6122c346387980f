package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/central/broker"
	"github.com/linewise/linewise/edge/wire"
)

// counting accepts every batch as new and counts calls.
type counting struct{ calls atomic.Int64 }

func (c *counting) ApplyBatch(_ context.Context, b wire.Batch) (int, error) {
	c.calls.Add(1)
	return len(b.Events), nil
}

var testEdges = NewEdges([]Edge{
	{ID: "edge-L1", TokenSHA256: sha256.Sum256([]byte("token-one-0123456789")), Lines: []string{"L1"}},
	{ID: "edge-L2", TokenSHA256: sha256.Sum256([]byte("token-two-0123456789")), Lines: []string{"L2", "L3"}},
})

// startAuthed runs a broker that requires authentication and an ingest
// connected to it with central's credentials.
func startAuthed(t *testing.T, store Applier) (*broker.Broker, *Ingest) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	b, err := broker.StartWith("127.0.0.1:0", broker.Options{Auth: &broker.Auth{
		CentralUsername: "central", CentralPassword: "central-secret", CentralClientID: "central-test", Edges: testEdges,
	}}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	in := New(Config{BrokerURL: "tcp://" + b.Addr(), ClientID: "central-test", Username: "central", Password: "central-secret",
		Edges: testEdges}, store, nil, log)
	in.Start()
	t.Cleanup(in.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := in.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	return b, in
}

func connect(addr, clientID, user, pass string) (paho.Client, error) {
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(clientID).SetUsername(user).SetPassword(pass).
		SetAutoReconnect(false).SetConnectTimeout(3 * time.Second)
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(5 * time.Second) {
		return nil, context.DeadlineExceeded
	}
	return c, tok.Error()
}

func TestBrokerRefusesUnauthenticated(t *testing.T) {
	b, _ := startAuthed(t, &counting{})
	tests := []struct {
		name, clientID, user, pass string
		ok                         bool
	}{
		{"anonymous", "anon", "", "", false},
		{"wrong token", "linewise-edge-edge-L1", "edge-L1", "token-two-0123456789", false},
		{"another edge's client id", "linewise-edge-edge-L2", "edge-L1", "token-one-0123456789", false},
		{"unknown edge", "e9", "edge-L9", "token-one-0123456789", false},
		{"edge taking central's client id", "central-test", "edge-L1", "token-one-0123456789", false},
		{"wrong central password", "c2", "central", "nope", false},
		{"edge with its token", "linewise-edge-edge-L1", "edge-L1", "token-one-0123456789", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := connect(b.Addr(), tt.clientID, tt.user, tt.pass)
			if (err == nil) != tt.ok {
				t.Fatalf("connect error = %v, want ok=%v", err, tt.ok)
			}
			if c != nil && c.IsConnected() {
				c.Disconnect(50)
			}
		})
	}
}

// authedEdge connects as edge id and listens on its ack topic.
func authedEdge(t *testing.T, addr, id, token string) (paho.Client, chan wire.Ack) {
	t.Helper()
	c, err := connect(addr, broker.EdgeClientIDPrefix+id, id, token)
	if err != nil {
		t.Fatalf("connect %s: %v", id, err)
	}
	t.Cleanup(func() { c.Disconnect(50) })
	acks := make(chan wire.Ack, 8)
	tok := c.Subscribe(wire.AckTopic(id), 1, func(_ paho.Client, m paho.Message) {
		var a wire.Ack
		_ = json.Unmarshal(m.Payload(), &a)
		acks <- a
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	if r := tok.(*paho.SubscribeToken).Result()[wire.AckTopic(id)]; r >= 0x80 {
		t.Fatalf("subscribe to own ack topic refused: %#x", r)
	}
	return c, acks
}

func batchBody(t *testing.T, edge, line string, seq uint64) []byte {
	t.Helper()
	body, err := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: edge, Events: []wire.Event{{
		EdgeID: edge, Seq: seq, Line: line, Type: wire.TypeState, SourceTime: time.Now(), State: &wire.State{State: wire.StateIdle}}}})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func waitAck(t *testing.T, acks chan wire.Ack) wire.Ack {
	t.Helper()
	select {
	case a := <-acks:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no ack within 5s")
		return wire.Ack{}
	}
}

func TestEdgeACLAndLines(t *testing.T) {
	store := &counting{}
	b, in := startAuthed(t, store)
	c, acks := authedEdge(t, b.Addr(), "edge-L1", "token-one-0123456789")

	// Its own topic and line: stored and acked.
	c.Publish(wire.EventsTopic("edge-L1"), 1, false, batchBody(t, "edge-L1", "L1", 1)).WaitTimeout(5 * time.Second)
	if a := waitAck(t, acks); a.EdgeID != "edge-L1" || a.From != 1 || a.To != 1 || a.Error != "" || len(a.Rejected) != 0 {
		t.Fatalf("ack = %+v", a)
	}

	// A line it does not own: that event is rejected with a reason naming
	// the line, the range is acknowledged, nothing is stored.
	c.Publish(wire.EventsTopic("edge-L1"), 1, false, batchBody(t, "edge-L1", "L2", 2)).WaitTimeout(5 * time.Second)
	a := waitAck(t, acks)
	if a.Error != "" || a.From != 2 || a.To != 2 || len(a.Rejected) != 1 || a.Rejected[0].Seq != 2 || !strings.Contains(a.Rejected[0].Reason, `"L2"`) {
		t.Fatalf("ack for a foreign line = %+v, want seq 2 rejected naming L2", a)
	}
	if n := store.calls.Load(); n != 1 {
		t.Fatalf("store called %d times, want 1 (the refused batch must not reach it)", n)
	}

	// Another edge's topics: subscriptions are refused...
	for _, topic := range []string{wire.AckTopic("edge-L2"), wire.EventsWildcard, "#"} {
		tok := c.Subscribe(topic, 1, func(paho.Client, paho.Message) {})
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", topic, tok.Error())
		}
		if r, ok := tok.(*paho.SubscribeToken).Result()[topic]; !ok || r < 0x80 {
			t.Errorf("subscribing to %s granted QoS %d (%v), want refusal", topic, r, ok)
		}
	}
	// ...and a QoS 1 publish is dropped and the client disconnected (MQTT 3.1.1
	// has no negative puback).
	c.Publish(wire.EventsTopic("edge-L2"), 1, false, batchBody(t, "edge-L2", "L2", 1)).WaitTimeout(2 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for c.IsConnectionOpen() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if c.IsConnectionOpen() {
		t.Error("edge still connected after publishing on another edge's topic")
	}
	// A marker from a fresh connection: had the foreign batch got through,
	// ingest would have seen it before this one.
	c2, acks2 := authedEdge(t, b.Addr(), "edge-L1", "token-one-0123456789")
	c2.Publish(wire.EventsTopic("edge-L1"), 1, false, batchBody(t, "edge-L1", "L1", 3)).WaitTimeout(5 * time.Second)
	if a := waitAck(t, acks2); a.To != 3 {
		t.Fatalf("marker ack = %+v", a)
	}
	st := in.Stats()
	if st.Received != 3 || st.Rejected != 1 || st.Refused != 0 || st.Applied != 2 || store.calls.Load() != 2 {
		t.Errorf("stats = %+v, store calls %d; want 3 received (the foreign-topic batch never arrives), 1 event rejected, 2 applied",
			st, store.calls.Load())
	}
}

func TestEdgesIdentifyAndAllow(t *testing.T) {
	if id, ok := testEdges.Identify("token-two-0123456789"); !ok || id != "edge-L2" {
		t.Errorf("Identify = %q, %v", id, ok)
	}
	if _, ok := testEdges.Identify("nope"); ok {
		t.Error("Identify accepted an unknown token")
	}
	var off *Edges
	if allow, err := off.Allow("x"); off.Enabled() || err != nil || allow != nil {
		t.Error("nil Edges must be disabled and allow everything")
	}
	if _, ok := off.Identify("token-one-0123456789"); ok {
		t.Error("nil Edges identified a token")
	}
}

package broker

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/throttle"
	"github.com/linewise/linewise/edge/wire"
)

const (
	tokenE1 = "token-of-edge-e1-0123"
	tokenE2 = "token-of-edge-e2-0123"
)

// startAuthBroker runs a broker with edges e1 and e2, central's client and
// anonymous access below linesim/#, as the demo configuration does.
func startAuthBroker(t *testing.T, limits Limits, guard *throttle.EdgeGuard) *Broker {
	t.Helper()
	edges := ingest.NewEdges([]ingest.Edge{
		{ID: "e1", TokenSHA256: sha256.Sum256([]byte(tokenE1)), Lines: []string{"L1"}},
		{ID: "e2", TokenSHA256: sha256.Sum256([]byte(tokenE2)), Lines: []string{"L2"}},
	})
	b, err := StartWith("127.0.0.1:0", Options{Limits: limits, Auth: &Auth{
		CentralUsername: "central", CentralPassword: "central-secret", CentralClientID: "linewise-central",
		Edges: edges, AnonymousTopics: []string{"linesim/#"}, Guard: guard,
	}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// dial connects one client without retries and returns it with the
// connection's outcome.
func dial(t *testing.T, b *Broker, clientID, user, pass string) (paho.Client, error) {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker("tcp://" + b.Addr()).SetClientID(clientID).
		SetUsername(user).SetPassword(pass).SetCleanSession(false).SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return c, errors.New("connect timed out")
	}
	if tok.Error() == nil {
		t.Cleanup(func() { c.Disconnect(50) })
	}
	return c, tok.Error()
}

// collector subscribes as central to every edge topic and records what arrives.
type collector struct {
	mu   sync.Mutex
	msgs []string
	got  chan struct{}
}

func subscribeCentral(t *testing.T, b *Broker) *collector {
	t.Helper()
	c, err := dial(t, b, "linewise-central", "central", "central-secret")
	if err != nil {
		t.Fatalf("central connect: %v", err)
	}
	col := &collector{got: make(chan struct{}, 100)}
	tok := c.Subscribe("linewise/#", 1, func(_ paho.Client, m paho.Message) {
		col.mu.Lock()
		col.msgs = append(col.msgs, m.Topic()+" "+string(m.Payload()))
		col.mu.Unlock()
		col.got <- struct{}{}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("central subscribe: %v", tok.Error())
	}
	return col
}

// first waits for the first message central receives.
func (c *collector) first(t *testing.T) string {
	t.Helper()
	select {
	case <-c.got:
	case <-time.After(10 * time.Second):
		t.Fatal("central received nothing")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs[0]
}

func publish(c paho.Client, topic string, qos byte, retain bool, payload []byte) error {
	tok := c.Publish(topic, qos, retain, payload)
	if !tok.WaitTimeout(5 * time.Second) {
		return errors.New("publish not confirmed")
	}
	return tok.Error()
}

// A client id belongs to its edge's credential: nobody else connects with
// it, so the edge keeps its session (and the acks central sends it).
func TestEdgeClientIDBelongsToItsCredential(t *testing.T) {
	b := startAuthBroker(t, Limits{}, nil)
	col := subscribeCentral(t, b)
	edge, err := dial(t, b, "linewise-edge-e1", "e1", tokenE1)
	if err != nil {
		t.Fatalf("e1 with its own credential and client id: %v", err)
	}
	for _, tt := range []struct{ name, clientID, user, pass string }{
		{"anonymous with e1's client id", "linewise-edge-e1", "", ""},
		{"anonymous with e1's bare id", "e1", "", ""},
		{"anonymous with an unknown edge's client id", "linewise-edge-e9", "", ""},
		{"e2's credential with e1's client id", "linewise-edge-e1", "e2", tokenE2},
		{"e1 with a wrong token", "linewise-edge-e1", "e1", "wrong-token-0123456"},
		{"e1's credential with another client id", "something-else", "e1", tokenE1},
		{"anonymous with central's client id", "linewise-central", "", ""},
	} {
		if _, err := dial(t, b, tt.clientID, tt.user, tt.pass); err == nil {
			t.Errorf("%s: connected, want refused", tt.name)
		}
	}
	if _, err := dial(t, b, "linesim-1", "", ""); err != nil {
		t.Errorf("anonymous with its own client id: %v, want connected", err)
	}
	// The edge was never kicked: its session still carries its batches.
	if !edge.IsConnectionOpen() {
		t.Fatal("e1 lost its connection to a refused thief")
	}
	if err := publish(edge, wire.EventsTopic("e1"), 1, false, []byte("batch")); err != nil {
		t.Fatalf("e1 publish: %v", err)
	}
	if got := col.first(t); got != "linewise/v1/edges/e1/events batch" {
		t.Errorf("central got %q", got)
	}
}

// Anonymous clients publish below their topics only: not an edge's events
// or status, whatever the QoS.
func TestAnonymousPublishToIngestTopicsRefused(t *testing.T) {
	b := startAuthBroker(t, Limits{}, nil)
	col := subscribeCentral(t, b)
	anon, err := dial(t, b, "gateway-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{wire.EventsTopic("e1"), wire.StatusTopic("e1"), wire.EventsTopic("e9")} {
		publish(anon, topic, 0, false, []byte("forged"))
	}
	// QoS 1 over MQTT 3.1.1: the broker drops the client rather than ack.
	anon.Publish(wire.EventsTopic("e1"), 1, false, []byte("forged")).WaitTimeout(time.Second)
	if anon.IsConnectionOpen() {
		t.Error("anonymous QoS 1 publish on e1's events topic was acknowledged")
	}
	edge, err := dial(t, b, "linewise-edge-e1", "e1", tokenE1)
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(edge, wire.StatusTopic("e1"), 1, false, []byte("real")); err != nil {
		t.Fatal(err)
	}
	if got := col.first(t); got != "linewise/v1/edges/e1/status real" {
		t.Errorf("central's first message is %q, want e1's own status", got)
	}
}

func TestOversizedPacketRefused(t *testing.T) {
	limits := DefaultLimits()
	limits.MaxPacketBytes = 64 << 10
	b := startAuthBroker(t, limits, nil)
	col := subscribeCentral(t, b)
	edge, err := dial(t, b, "linewise-edge-e1", "e1", tokenE1)
	if err != nil {
		t.Fatal(err)
	}
	edge.Publish(wire.EventsTopic("e1"), 1, false, make([]byte, 128<<10)).WaitTimeout(time.Second)
	if edge.IsConnectionOpen() {
		// paho notices the close on its next read; give it a moment by
		// waiting for the disconnect rather than a fixed time.
		deadline := time.Now().Add(10 * time.Second)
		for edge.IsConnectionOpen() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if edge.IsConnectionOpen() {
		t.Error("a packet over max_packet_bytes did not disconnect its client")
	}
	edge, err = dial(t, b, "linewise-edge-e1", "e1", tokenE1)
	if err != nil {
		t.Fatal(err)
	}
	if err := publish(edge, wire.EventsTopic("e1"), 1, false, []byte("small")); err != nil {
		t.Fatal(err)
	}
	if got := col.first(t); got != "linewise/v1/edges/e1/events small" {
		t.Errorf("central's first message is %q, want the small batch only", strings.TrimSpace(got[:min(len(got), 60)]))
	}
}

func TestRetainedLimits(t *testing.T) {
	limits := DefaultLimits()
	limits.MaxRetained, limits.MaxRetainedBytes = 2, 1024
	b := startAuthBroker(t, limits, nil)
	anon, err := dial(t, b, "linesim-1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		topic string
		size  int
	}{{"linesim/a", 10}, {"linesim/b", 10}, {"linesim/c", 10}, {"linesim/a", 20}, {"linesim/b", 2000}} {
		if err := publish(anon, m.topic, 1, true, make([]byte, m.size)); err != nil {
			t.Fatalf("%s: %v", m.topic, err)
		}
	}
	ret := b.server.Topics.Retained
	n := 0
	for topic := range ret.GetAll() {
		if !strings.HasPrefix(topic, "$") { // the broker's own $SYS topics
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d retained messages, want 2 (max_retained)", n)
	}
	if pk, ok := ret.Get("linesim/a"); !ok || len(pk.Payload) != 20 {
		t.Errorf("linesim/a: not replaced by the newer retained message")
	}
	if pk, ok := ret.Get("linesim/b"); !ok || len(pk.Payload) != 10 {
		t.Errorf("linesim/b: a payload over max_retained_bytes replaced it")
	}
	if _, ok := ret.Get("linesim/c"); ok {
		t.Errorf("linesim/c retained beyond max_retained")
	}
	// Clearing always works and makes room.
	if err := publish(anon, "linesim/a", 1, true, nil); err != nil {
		t.Fatal(err)
	}
	if err := publish(anon, "linesim/c", 1, true, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if _, ok := ret.Get("linesim/c"); !ok {
		t.Errorf("linesim/c not retained once linesim/a was cleared")
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate("mqtt.embedded"); err != nil {
		t.Fatal(err)
	}
	err := Limits{MaxPacketBytes: 1000, MaxInflight: 1, MaxRetained: -1, MaxRetainedBytes: 10}.Validate("mqtt.embedded")
	for _, key := range []string{"max_packet_bytes", "max_inflight", "max_retained", "max_retained_bytes"} {
		if err == nil || !strings.Contains(err.Error(), "mqtt.embedded."+key) {
			t.Errorf("no problem named for %s: %v", key, err)
		}
	}
}

// Failed edge credentials at CONNECT are throttled per address and per
// edge id; the edge itself, from its known address, is not locked out by
// someone failing under its name until the address itself is.
func TestConnectThrottled(t *testing.T) {
	guard := throttle.NewEdgeGuard(throttle.Config{MaxFailures: 3, IPMaxFailures: 6, Window: time.Hour}, nil, nil)
	b := startAuthBroker(t, Limits{}, guard)
	if _, err := dial(t, b, "linewise-edge-e1", "e1", tokenE1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := dial(t, b, "linewise-edge-e2", "e2", fmt.Sprintf("guess-%d-0123456789", i)); err == nil {
			t.Fatal("a wrong token connected")
		}
	}
	if _, err := dial(t, b, "linewise-edge-e2", "e2", tokenE2); err == nil {
		t.Error("e2 connected while its id is locked out after 3 failures (never seen before from here)")
	}
	if _, err := dial(t, b, "linewise-edge-e1", "e1", tokenE1); err != nil {
		t.Errorf("e1 refused although only e2 failed: %v", err)
	}
	// Claims of e1's client id from e1's own address count against the
	// address only: at 6 the address is locked out, e1 included.
	for i := 0; i < 3; i++ {
		dial(t, b, "linewise-edge-e1", "", "")
	}
	if _, err := dial(t, b, "linewise-edge-e1", "e1", tokenE1); err == nil {
		t.Error("e1 connected from an address locked out after 6 failures")
	}
	if _, err := dial(t, b, "linesim-1", "", ""); err == nil {
		t.Error("an anonymous client connected from a locked-out address")
	}
}

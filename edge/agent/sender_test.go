package agent

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linewise/linewise/edge/config"
	"github.com/linewise/linewise/edge/outbox"
	"github.com/linewise/linewise/edge/wire"
)

// stuckUplink says it is connected and takes every batch, but central's
// acks arrive only once it has been reconnected (or from the start when
// healthy): a session someone else holds, a half-open link.
type stuckUplink struct {
	acks       chan wire.Ack
	healthy    atomic.Bool
	manualHeal bool // Reconnect does not heal it: the test does
	reconnects atomic.Int64
	mu         sync.Mutex
	published  int
}

func (u *stuckUplink) Publish(_ context.Context, b wire.EncodedBatch) error {
	u.mu.Lock()
	u.published++
	u.mu.Unlock()
	if u.healthy.Load() {
		u.acks <- wire.Ack{EdgeID: "e1", From: b.From, To: b.To}
	}
	return nil
}
func (u *stuckUplink) Acks() <-chan wire.Ack { return u.acks }
func (u *stuckUplink) Connected() bool       { return true }
func (u *stuckUplink) Reconnect() {
	u.reconnects.Add(1)
	if !u.manualHeal {
		u.healthy.Store(true)
	}
}
func (u *stuckUplink) Close() {}

func senderAgent(t *testing.T, up *stuckUplink, stallAfter int) *Agent {
	t.Helper()
	ob, err := outbox.Open(t.TempDir(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	tx := &outbox.Tx{}
	for i := 0; i < 25; i++ {
		tx.Append(wire.Event{Line: "L1", Type: wire.TypeCount, SourceTime: time.Unix(1700000000, 0).UTC(), Count: &wire.Count{Counter: "good", Good: 1}})
	}
	if _, err := ob.Commit(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Loaded{Config: config.Default()}
	cfg.EdgeID, cfg.Line = "e1", "L1"
	cfg.Central.AckTimeout, cfg.Central.BatchSize, cfg.Central.StallAfter = 100*time.Millisecond, 10, stallAfter
	return &Agent{cfg: cfg, log: slog.New(slog.DiscardHandler), ob: ob, up: up, wake: make(chan struct{}, 1)}
}

func startSender(t *testing.T, a *Agent) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.sendLoop(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func drained(t *testing.T, a *Agent) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for a.ob.Depth() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d events (stalls %d)", a.ob.Depth(), a.Stalls())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Connected but no ack progress for stall_after ack timeouts: the link is
// stalled, reconnected, and once acks flow again no longer stalled.
func TestSenderStallReconnects(t *testing.T) {
	up := &stuckUplink{acks: make(chan wire.Ack, 100)}
	a := senderAgent(t, up, 3)
	startSender(t, a)
	drained(t, a)
	if up.reconnects.Load() != 1 || a.Stalls() != 1 {
		t.Errorf("reconnects %d, stalls %d; want 1 each", up.reconnects.Load(), a.Stalls())
	}
	if a.Stalled() {
		t.Error("still stalled after the outbox drained")
	}
	if a.stats.Resends.Load() < 3 {
		t.Errorf("%d resends before the stall, want at least stall_after (3)", a.stats.Resends.Load())
	}
}

// A link whose acks flow never stalls.
func TestSenderHealthyNoStall(t *testing.T) {
	up := &stuckUplink{acks: make(chan wire.Ack, 100)}
	up.healthy.Store(true)
	a := senderAgent(t, up, 3)
	startSender(t, a)
	drained(t, a)
	if up.reconnects.Load() != 0 || a.Stalls() != 0 || a.Stalled() {
		t.Errorf("reconnects %d, stalls %d, stalled %v on a healthy link", up.reconnects.Load(), a.Stalls(), a.Stalled())
	}
}

// While stalled, /healthz says degraded and /metrics counts the stall;
// once acks flow again, ok.
func TestSenderStallOnHealthAndMetrics(t *testing.T) {
	up := &stuckUplink{acks: make(chan wire.Ack, 100), manualHeal: true}
	a := senderAgent(t, up, 2)
	srv := httptest.NewServer(a.routes())
	defer srv.Close()
	health := func() map[string]any {
		res, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var h map[string]any
		json.NewDecoder(res.Body).Decode(&h)
		return h
	}
	if h := health(); h["status"] != "ok" {
		t.Fatalf("before: %v", h)
	}
	startSender(t, a)
	deadline := time.Now().Add(20 * time.Second)
	for !a.Stalled() {
		if time.Now().After(deadline) {
			t.Fatal("never stalled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if h := health(); h["status"] != "degraded" || h["stalled"] != true || h["stalls"].(float64) < 1 {
		t.Errorf("stalled: /healthz %v", h)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// Stalls repeat while the link stays stuck: the total is at least 1.
	for _, want := range []string{`(?m)^linewise_edge_uplink_stalls_total\{edge="e1",line="L1"\} [1-9]`, `(?m)^linewise_edge_uplink_stalled\{edge="e1",line="L1"\} 1$`} {
		if !regexp.MustCompile(want).Match(body) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	up.healthy.Store(true)
	drained(t, a)
	if h := health(); h["status"] != "ok" || h["stalled"] != false {
		t.Errorf("after acks flowed again: /healthz %v", h)
	}
}

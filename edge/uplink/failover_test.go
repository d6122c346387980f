package uplink

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linewise/linewise/edge/wire"
)

type fakeUp struct {
	connected  atomic.Bool
	published  atomic.Int64
	reconnects atomic.Int64
	acks       chan wire.Ack
}

func newFake(connected bool) *fakeUp {
	f := &fakeUp{acks: make(chan wire.Ack, 4)}
	f.connected.Store(connected)
	return f
}

func (f *fakeUp) Publish(context.Context, wire.EncodedBatch) error { f.published.Add(1); return nil }
func (f *fakeUp) Acks() <-chan wire.Ack                            { return f.acks }
func (f *fakeUp) Connected() bool                                  { return f.connected.Load() }
func (f *fakeUp) Reconnect()                                       { f.reconnects.Add(1) }
func (f *fakeUp) Close()                                           {}

// Batches go over MQTT while it is connected, over the HTTPS fallback while
// it is not and for the hold after a stall; acks of both arrive on one channel.
func TestFailover(t *testing.T) {
	mqtt, https := newFake(false), newFake(true)
	f := NewFailover(mqtt, https, time.Hour, slog.New(slog.DiscardHandler))
	defer f.Close()
	send := func() { f.Publish(context.Background(), wire.EncodedBatch{From: 1, To: 1}) }

	send()
	if https.published.Load() != 1 || !f.UsingFallback() || !f.Connected() {
		t.Fatalf("MQTT down: https %d, fallback %v", https.published.Load(), f.UsingFallback())
	}
	mqtt.connected.Store(true)
	send()
	if mqtt.published.Load() != 1 || f.UsingFallback() {
		t.Fatalf("MQTT up: mqtt %d, fallback %v", mqtt.published.Load(), f.UsingFallback())
	}
	f.Reconnect() // the sender saw a stall
	send()
	if mqtt.reconnects.Load() != 1 || https.published.Load() != 2 || !f.UsingFallback() {
		t.Fatalf("after a stall: reconnects %d, https %d, fallback %v", mqtt.reconnects.Load(), https.published.Load(), f.UsingFallback())
	}
	f.mu.Lock()
	f.until = time.Now().Add(-time.Second) // the hold is over
	f.mu.Unlock()
	send()
	if mqtt.published.Load() != 2 || f.UsingFallback() {
		t.Fatalf("after the hold: mqtt %d, fallback %v", mqtt.published.Load(), f.UsingFallback())
	}
	mqtt.acks <- wire.Ack{EdgeID: "e1", From: 1, To: 1}
	https.acks <- wire.Ack{EdgeID: "e1", From: 2, To: 2}
	got := map[uint64]bool{}
	for range 2 {
		select {
		case a := <-f.Acks():
			got[a.From] = true
		case <-time.After(5 * time.Second):
			t.Fatal("an ack was not passed on")
		}
	}
	if !got[1] || !got[2] {
		t.Errorf("acks %v, want both ways'", got)
	}
}

package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/central/broker"
	"github.com/linewise/linewise/edge/wire"
)

// flaky fails its first ApplyBatch, then accepts everything as new.
type flaky struct{ calls atomic.Int64 }

func (f *flaky) ApplyBatch(_ context.Context, b wire.Batch) (int, error) {
	if f.calls.Add(1) == 1 {
		return 0, errors.New("disk full")
	}
	return len(b.Events), nil
}

func TestStoreFailureIsNotAcked(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	b, err := broker.Start("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	store := &flaky{}
	notified := make(chan struct{}, 4)
	in := New(Config{BrokerURL: "tcp://" + b.Addr(), ClientID: "central-test"}, store, func() { notified <- struct{}{} }, log)
	in.Start()
	defer in.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := in.WaitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}

	edge := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.Addr()).SetClientID("edge-e7"))
	if tok := edge.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer edge.Disconnect(100)
	acks := make(chan wire.Ack, 4)
	if tok := edge.Subscribe(wire.AckTopic("e7"), 1, func(_ paho.Client, m paho.Message) {
		var a wire.Ack
		_ = json.Unmarshal(m.Payload(), &a)
		acks <- a
	}); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	body, _ := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: "e7", Events: []wire.Event{{
		EdgeID: "e7", Seq: 9, Line: "L1", Type: wire.TypeState, SourceTime: time.Now(), State: &wire.State{State: wire.StateIdle}}}})
	send := func() { edge.Publish(wire.EventsTopic("e7"), 1, false, body).WaitTimeout(5 * time.Second) }

	send()
	select {
	case a := <-acks:
		t.Fatalf("acked %+v although the store failed", a)
	case <-time.After(500 * time.Millisecond):
	}
	send() // the edge's resend
	select {
	case a := <-acks:
		if !reflect.DeepEqual(a, wire.Ack{EdgeID: "e7", From: 9, To: 9}) {
			t.Fatalf("ack = %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("resend not acked")
	}
	select {
	case <-notified:
	case <-time.After(time.Second):
		t.Error("live hub not notified after commit")
	}
	if s := in.Stats(); s.StoreErrors != 1 || s.Received != 2 || s.Applied != 1 {
		t.Errorf("stats = %+v", s)
	}
	in.Stop()
	in.Stop()
}

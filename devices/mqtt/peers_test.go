package mqtt

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/internal/peers"
)

// Our driver against Mosquitto (a broker we did not write), through a broker
// crash: retained values arrive, the crash gives one Bad reading per signal,
// and after the broker is back on the same port the driver resubscribes and
// new messages arrive Good.
func TestPeerMosquittoRestart(t *testing.T) {
	broker := peers.Mosquitto(t)
	url := peers.URL(broker)
	pub := func(topic, payload string) {
		t.Helper()
		c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("test-pub"))
		if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publisher connect: %v", tok.Error())
		}
		defer c.Disconnect(100)
		if tok := c.Publish(topic, 1, true, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
	pub("cell/good", "7")

	cfg := NewConfig()
	cfg.Broker = url
	cfg.Signals = []Signal{
		{Name: "good", Topic: "cell/good"},
		{Name: "state", Topic: "cell/state", Payload: "json", Field: "state"},
	}
	d, err := New("cell", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 100)
	if err := d.Start(context.Background(), func(r devices.Reading) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	if r := next(t, ch); r.Signal != "good" || r.Quality != devices.Good || r.Value != int64(7) {
		t.Fatalf("retained: %+v", r)
	}
	pub("cell/state", `{"state":1}`)
	if r := next(t, ch); r.Signal != "state" || r.Quality != devices.Good || r.Value != int64(1) {
		t.Fatalf("state: %+v", r)
	}

	broker.Kill()
	seen := map[string]bool{}
	for range cfg.Signals {
		r := next(t, ch)
		if r.Quality != devices.Bad || r.Err == nil || seen[r.Signal] {
			t.Fatalf("after the broker died: %+v", r)
		}
		seen[r.Signal] = true
	}

	broker.Start() // same port, empty: no persistence, so nothing retained
	restarted := time.Now()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Publish until the resubscribed driver sees one (it reconnects
		// with backoff of up to 10s).
		pub("cell/good", "8")
		select {
		case r := <-ch:
			if r.Signal == "good" && r.Quality == devices.Good && r.Value == int64(8) {
				t.Logf("good again %v after the restart", time.Since(restarted).Round(time.Millisecond))
				return
			}
			t.Fatalf("after the restart: %+v", r)
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no reading after the broker restart")
		}
	}
}

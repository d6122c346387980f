package mqtt

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/linesim"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startBroker runs an in-process broker on a free port and returns it with
// its tcp:// URL.
func startBroker(t *testing.T) (*mochi.Server, string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: quiet})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { srv.Close() }) }
	t.Cleanup(stop)
	return srv, "tcp://" + addr, stop
}

func next(t *testing.T, ch <-chan devices.Reading) devices.Reading {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no reading within 5s")
	}
	return devices.Reading{}
}

func TestAgainstBroker(t *testing.T) {
	broker, url, stopBroker := startBroker(t)
	cfg := NewConfig()
	cfg.Broker = url
	cfg.Signals = []Signal{
		{Name: "good", Topic: "plant/+/good"},
		{Name: "state", Topic: "plant/L1/state", Payload: "json", Field: "state"},
		{Name: "temp", Topic: "plant/L1/env", Payload: "json", Field: "a.b"},
		{Name: "note", Topic: "plant/L1/note", Payload: "text"},
	}
	d, err := New("cell7", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 100)
	if err := d.Start(context.Background(), func(r devices.Reading) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())

	// Retained before we are surely subscribed, so delivery does not race.
	if err := broker.Publish("plant/L1/good", []byte("41"), true, 1); err != nil {
		t.Fatal(err)
	}
	r := next(t, ch)
	if r.Signal != "good" || r.Quality != devices.Good || r.Value != int64(41) {
		t.Fatalf("number: %+v", r)
	}

	ts := "2026-01-02T03:04:05.5Z"
	for _, tc := range []struct {
		topic, payload, signal string
		quality                devices.Quality
		value                  any
		errHas                 string
	}{
		{"plant/L2/good", " 42\n", "good", devices.Good, int64(42), ""},
		{"plant/L1/good", "1.5", "good", devices.Good, 1.5, ""},
		{"plant/L1/state", `{"state":2,"fault":17,"ts":"` + ts + `"}`, "state", devices.Good, int64(2), ""},
		{"plant/L1/env", `{"a":{"b":21.5}}`, "temp", devices.Good, 21.5, ""},
		{"plant/L1/note", "hello", "note", devices.Good, "hello", ""},
		{"plant/L1/good", "garbage", "good", devices.Bad, nil, `"garbage" is not a number`},
		{"plant/L1/good", "", "good", devices.Bad, nil, "not a number"},
		{"plant/L1/state", `{"state":`, "state", devices.Bad, nil, "not JSON"},
		{"plant/L1/state", `{"fault":1}`, "state", devices.Bad, nil, `field "state" missing`},
		{"plant/L1/state", `[1,2]`, "state", devices.Bad, nil, "not an object"},
		{"plant/L1/env", `{"a":{"b":{"c":1}}}`, "temp", devices.Bad, nil, "not a scalar"},
		{"plant/L1/note", "\xff\xfe", "note", devices.Bad, nil, "not UTF-8"},
	} {
		if err := broker.Publish(tc.topic, []byte(tc.payload), false, 1); err != nil {
			t.Fatal(err)
		}
		r := next(t, ch)
		if r.Signal != tc.signal || r.Quality != tc.quality || r.Value != tc.value {
			t.Errorf("%s %q: got %+v", tc.topic, tc.payload, r)
			continue
		}
		if tc.errHas != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tc.errHas) ||
			!strings.Contains(r.Err.Error(), "cell7") || !strings.Contains(r.Err.Error(), tc.signal)) {
			t.Errorf("%s %q: err %v, want device, signal and %q", tc.topic, tc.payload, r.Err, tc.errHas)
		}
		if tc.signal == "state" && tc.quality == devices.Good && !r.SourceTime.Equal(time.Date(2026, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
			t.Errorf("state: source time %v, want the payload's ts", r.SourceTime)
		}
	}

	// Broker gone: exactly one Bad reading per signal.
	stopBroker()
	seen := map[string]bool{}
	for range cfg.Signals {
		r := next(t, ch)
		if r.Quality != devices.Bad || r.Err == nil || seen[r.Signal] {
			t.Fatalf("after broker loss: %+v", r)
		}
		seen[r.Signal] = true
	}
	select {
	case r := <-ch:
		t.Fatalf("more than one Bad reading per signal: %+v", r)
	case <-time.After(1500 * time.Millisecond):
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true},
		{"a/+", "a/b", true},
		{"a/+", "a/b/c", false},
		{"a/#", "a/b/c", true},
		{"a/#", "a", true},
		{"+/b", "a/c", false},
		{"a/b/c", "a/b", false},
	} {
		if got := match(tc.filter, tc.topic); got != tc.want {
			t.Errorf("match(%q, %q) = %v", tc.filter, tc.topic, got)
		}
	}
}

// The simulator publishes to a broker that only comes up after it started;
// the driver reads its retained counters and state.
func TestLinesimThroughBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sim, err := linesim.New(linesim.Config{Seed: 3, Speed: 100, HTTP: "127.0.0.1:0",
		MQTT:  linesim.MQTTConfig{Broker: "tcp://" + addr, Prefix: "sim", ClientID: "linesim-test"},
		Lines: []linesim.LineConfig{{ID: "L1", IdealCycle: time.Second, ScrapRate: 0.2}}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())
	time.Sleep(300 * time.Millisecond) // production runs while the broker is down
	truth, err := sim.StopLine("L1")
	if err != nil || truth.Made == 0 {
		t.Fatalf("stop: %+v %v", truth, err)
	}

	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: quiet})
	_ = srv.AddHook(new(auth.AllowHook), nil)
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	cfg := NewConfig()
	cfg.Broker = "tcp://" + addr
	cfg.Signals = []Signal{
		{Name: "good", Topic: "sim/L1/good"},
		{Name: "reject", Topic: "sim/L1/reject"},
		{Name: "state", Topic: "sim/L1/state", Payload: "json", Field: "state"},
	}
	d, _ := New("sim", cfg, quiet)
	ch := make(chan devices.Reading, 100)
	if err := d.Start(context.Background(), func(r devices.Reading) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	want := map[string]any{"good": int64(truth.GoodCounter), "reject": int64(truth.RejectCounter), "state": int64(0)}
	got := map[string]any{}
	deadline := time.After(15 * time.Second)
	for len(got) < 3 || got["good"] != want["good"] || got["reject"] != want["reject"] || got["state"] != want["state"] {
		select {
		case r := <-ch:
			if r.Quality == devices.Good {
				got[r.Signal] = r.Value
			}
		case <-deadline:
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

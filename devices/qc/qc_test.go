package qc

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/linewise/linewise/devices"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, want, errHas string
	}{
		{`{"unit":"SN-1","lot":"L-7","characteristic":"bore_mm","value":12.01,"lower":11.95,"upper":12.05,"pass":true,"ts":"2026-01-02T04:04:05+01:00"}`,
			`{"unit":"SN-1","lot":"L-7","characteristic":"bore_mm","value":12.01,"lower":11.95,"upper":12.05,"pass":true,"ts":"2026-01-02T03:04:05Z"}`, ""},
		// pass derived from the limits when the station does not say.
		{`{"ts":"","upper":2,"value":2.5,"characteristic":"w","lot":"L"}`,
			`{"unit":"","lot":"L","characteristic":"w","value":2.5,"lower":null,"upper":2,"pass":false,"ts":""}`, ""},
		{`{"unit":"U","characteristic":"w","value":1}`,
			`{"unit":"U","lot":"","characteristic":"w","value":1,"lower":null,"upper":null,"pass":true,"ts":""}`, ""},
		// The station's verdict stands even against its limits.
		{`{"unit":"U","characteristic":"w","value":5,"upper":2,"pass":true}`,
			`{"unit":"U","lot":"","characteristic":"w","value":5,"lower":null,"upper":2,"pass":true,"ts":""}`, ""},
		{`{"unit":"U","characteristic":"w","value":`, "", "not the QC JSON object"},
		{`[1,2]`, "", "not the QC JSON object"},
		{`{"unit":"U","characteristic":"w","value":"12.0"}`, "", "not the QC JSON object"},
		{`{"unit":"U","characterstic":"w","value":1}`, "", `unknown field "characterstic"`},
		{`{"characteristic":"w","value":1}`, "", "unit or lot required"},
		{`{"unit":"U","value":1}`, "", "characteristic required"},
		{`{"unit":"U","characteristic":"w"}`, "", "value required"},
		{`{"unit":"U","characteristic":"w","value":1,"ts":"yesterday"}`, "", "not RFC 3339"},
		{`{"unit":"U","characteristic":"w","value":1,"lower":3,"upper":2}`, "", "lower 3 above upper 2"},
		{`{"unit":"U","characteristic":"w","value":1} {}`, "", "trailing data"},
	} {
		r, _, err := Parse([]byte(tc.in))
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("%s: err %v, want %q", tc.in, err, tc.errHas)
			}
			continue
		}
		if err != nil || r.JSON() != tc.want {
			t.Errorf("%s:\n got %s %v\nwant %s", tc.in, r.JSON(), err, tc.want)
		}
	}
}

func startBroker(t *testing.T) (*mochi.Server, string) {
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
	t.Cleanup(func() { srv.Close() })
	return srv, "tcp://" + addr
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

// Results through a broker: one Reading per message, Value the normalised
// JSON and SourceTime the result's ts; malformed results are Bad.
func TestThroughBroker(t *testing.T) {
	broker, url := startBroker(t)
	cfg := NewConfig()
	cfg.Broker = url
	cfg.Signals = []Signal{{Name: "qc", Topic: "qc/+/result"}}
	d, err := New("cmm1", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 10)
	if err := d.Start(context.Background(), func(r devices.Reading) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	defer d.Stop(context.Background())
	// Retained, so it arrives whenever the subscription is in place.
	if err := broker.Publish("qc/cmm1/result", []byte(`{"unit":"SN-9","characteristic":"bore_mm","value":12.2,"lower":11.95,"upper":12.05,"ts":"2026-03-04T05:06:07.5Z"}`), true, 1); err != nil {
		t.Fatal(err)
	}
	r := next(t, ch)
	want := `{"unit":"SN-9","lot":"","characteristic":"bore_mm","value":12.2,"lower":11.95,"upper":12.05,"pass":false,"ts":"2026-03-04T05:06:07.5Z"}`
	if r.Signal != "qc" || r.Quality != devices.Good || r.Value != want {
		t.Fatalf("got %+v\nwant %s", r, want)
	}
	if !r.SourceTime.Equal(time.Date(2026, 3, 4, 5, 6, 7, 5e8, time.UTC)) {
		t.Errorf("source time %v, want the result's ts", r.SourceTime)
	}
	for _, bad := range []string{`{"unit":"SN-9",`, `{"unit":"SN-9","characteristic":"x"}`, "\xff"} {
		if err := broker.Publish("qc/cmm1/result", []byte(bad), false, 1); err != nil {
			t.Fatal(err)
		}
		r := next(t, ch)
		if r.Quality != devices.Bad || r.Value != nil || r.Err == nil || !strings.Contains(r.Err.Error(), "cmm1") {
			t.Errorf("%q: %+v", bad, r)
		}
	}
}

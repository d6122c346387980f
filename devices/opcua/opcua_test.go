package opcua_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/devices/opcua"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startSim(t *testing.T, port int) *linesim.Sim {
	t.Helper()
	cfg := linesim.Config{Seed: 1, Speed: 50, HTTP: "127.0.0.1:0",
		OPCUA: linesim.OPCUAConfig{Host: "127.0.0.1", Port: port},
		Lines: []linesim.LineConfig{{ID: "L1", IdealCycle: time.Second, ScrapRate: 0.2, CounterBits: 16}}}
	s, err := linesim.New(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func poll(d *opcua.Driver) ([]devices.Reading, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	r := d.Poll(ctx)
	return r, time.Since(start)
}

func TestAgainstLinesim(t *testing.T) {
	port := freePort(t)
	sim := startSim(t, port)
	cfg := opcua.NewConfig()
	cfg.Endpoint = sim.OPCUAEndpoint()
	cfg.Timeout = 2 * time.Second
	cfg.Signals = []opcua.Signal{
		{Name: "good", Node: "ns=1;s=L1.GoodCount"},
		{Name: "reject", Node: "ns=1;s=L1.RejectCount"},
		{Name: "state", Node: "ns=1;s=L1.State"},
		{Name: "fault", Node: "ns=1;s=L1.FaultCode"},
		{Name: "missing", Node: "ns=1;s=L1.Nope"},
	}
	d, err := opcua.New("press1", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	time.Sleep(200 * time.Millisecond)
	if _, err := sim.StopLine("L1"); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	truth := sim.Truth()[0]
	time.Sleep(300 * time.Millisecond)
	rs, _ := poll(d)
	if len(rs) != 5 {
		t.Fatalf("got %d readings", len(rs))
	}
	for i, want := range []any{int64(truth.GoodCounter), int64(truth.RejectCounter), int64(0), int64(0)} {
		r := rs[i]
		if r.Quality != devices.Good || r.Value != want {
			t.Errorf("%s: %v %v (%T) err %v, want %v", r.Signal, r.Quality, r.Value, r.Value, r.Err, want)
		}
		// The value changed before the stop, so its source time must too:
		// neither zero nor the time of the read.
		if i < 2 && (!r.SourceTime.Before(stoppedAt) || time.Since(r.SourceTime) > time.Minute) {
			t.Errorf("%s: source time %v is not when the value changed (stopped at %v)", r.Signal, r.SourceTime, stoppedAt)
		}
	}
	if truth.GoodCounter == 0 {
		t.Fatal("simulator made no good parts")
	}
	if m := rs[4]; m.Quality != devices.Bad || m.Err == nil || !strings.Contains(m.Err.Error(), "press1") || !strings.Contains(m.Err.Error(), "missing") {
		t.Errorf("unknown node: %+v", m)
	}

	// Server gone: Bad readings quickly, then immediately while backing off.
	if err := sim.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs, took := poll(d)
	t.Logf("poll after stop took %v: %v", took, rs[0].Err)
	if rs[0].Quality != devices.Bad || rs[0].Err == nil || took > 3*time.Second {
		t.Fatalf("after server stop: %+v in %v", rs[0], took)
	}
	for range 3 {
		rs, took = poll(d)
		if rs[0].Quality != devices.Bad || took > 3*time.Second {
			t.Fatalf("while down: %+v in %v", rs[0], took)
		}
	}

	// Server back on the same port: the driver reconnects by itself.
	sim2 := startSim(t, port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		rs, _ = poll(d)
		if rs[0].Quality == devices.Good {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect: %v", rs[0].Err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = sim2
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want any
		ok   bool
	}{
		{uint16(7), int64(7), true},
		{int32(-3), int64(-3), true},
		{uint32(4000000000), int64(4000000000), true},
		{uint64(1 << 63), uint64(1 << 63), true},
		{float32(1.5), float64(1.5), true},
		{true, true, true},
		{"x", "x", true},
		{nil, nil, false},
		{[]int32{1}, nil, false},
	} {
		got, ok := opcua.Convert(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("Convert(%#v) = %#v, %v; want %#v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cfg := opcua.NewConfig()
	cfg.Endpoint = "http://x"
	cfg.Signals = []opcua.Signal{{Name: "a", Node: "ns=1;s=ok"}, {Name: "a", Node: "garbage;;"}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"endpoint:", "signals[1].name: duplicate", "signals[1].node: invalid node id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestSubscribeAgainstLinesim(t *testing.T) {
	port := freePort(t)
	sim := startSim(t, port)
	cfg := opcua.NewConfig()
	cfg.Endpoint = sim.OPCUAEndpoint()
	cfg.Mode = "subscribe"
	cfg.PollInterval = 100 * time.Millisecond
	cfg.Timeout = 2 * time.Second
	cfg.Signals = []opcua.Signal{
		{Name: "good", Node: "ns=1;s=L1.GoodCount"},
		{Name: "state", Node: "ns=1;s=L1.State"},
	}
	s, err := opcua.NewSubscriber("press3", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan devices.Reading, 1000)
	if err := s.Start(context.Background(), func(r devices.Reading) {
		select {
		case ch <- r:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())

	time.Sleep(300 * time.Millisecond)
	if _, err := sim.StopLine("L1"); err != nil {
		t.Fatal(err)
	}
	truth := sim.Truth()[0]
	wait := func(what string, ok func(r devices.Reading) bool) {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case r := <-ch:
				if ok(r) {
					return
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	wait("good count = truth", func(r devices.Reading) bool {
		return r.Signal == "good" && r.Quality == devices.Good && r.Value == int64(truth.GoodCounter)
	})
	wait("state idle", func(r devices.Reading) bool {
		return r.Signal == "state" && r.Quality == devices.Good && r.Value == int64(0)
	})

	_ = sim.Stop(context.Background())
	wait("bad after server stop", func(r devices.Reading) bool { return r.Quality == devices.Bad && r.Err != nil })
	startSim(t, port)
	wait("good after restart", func(r devices.Reading) bool { return r.Signal == "good" && r.Quality == devices.Good })
}

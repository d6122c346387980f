package opcua_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/opcua"
)

// awayServer stands where an OPC UA server should be and closes every
// connection at once; it counts them, i.e. the driver's connection attempts.
// stop frees the port for the real server.
func awayServer(t *testing.T) (port int, accepts *atomic.Int64, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepts = new(atomic.Int64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1) // before the close the driver waits for
			c.Close()
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { ln.Close(); <-done }) }
	t.Cleanup(stop)
	return ln.Addr().(*net.TCPAddr).Port, accepts, stop
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// count is the number of log lines at level whose text contains substr.
func (s *syncBuffer) count(level, substr string) int {
	n := 0
	for _, l := range strings.Split(s.String(), "\n") {
		if strings.Contains(l, "level="+level+" ") && strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

func debugLog() (*slog.Logger, *syncBuffer) {
	b := &syncBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// A server that is away for a minute of polls every 100 ms: the poller
// dials a bounded number of times (without backoff it would be 600) and logs
// one WARN; when the server is back, one INFO. The test's clock paces the
// attempts, so no timing can make this flake.
func TestAwayServerPollerBacksOffAndLogsOncePerChange(t *testing.T) {
	port, accepts, stop := awayServer(t)
	log, logs := debugLog()
	cfg := opcua.NewConfig()
	cfg.Endpoint = "opc.tcp://127.0.0.1:" + strconv.Itoa(port)
	cfg.PollInterval = 100 * time.Millisecond
	cfg.Timeout = 2 * time.Second
	cfg.Signals = []opcua.Signal{{Name: "good", Node: "ns=1;s=L1.GoodCount"}}
	d, err := opcua.New("press7", cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	clock := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	opcua.SetClock(d, func() time.Time { return clock })

	for range 600 {
		rs, _ := poll(d)
		if rs[0].Quality != devices.Bad || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "press7") {
			t.Fatalf("server away: %+v, want a Bad reading naming the device", rs[0])
		}
		clock = clock.Add(cfg.PollInterval)
	}
	n := accepts.Load()
	t.Logf("%d connection attempts in 60 s of polls every 100 ms with the server away", n)
	if n < 5 || n > 25 {
		t.Errorf("%d connection attempts, want 5..25 (backoff doubling from 200 ms, capped at %v, jittered)", n, opcua.MaxBackoff)
	}
	if w := logs.count("WARN", ""); w != 1 {
		t.Errorf("%d WARN lines while the server was away, want 1:\n%s", w, logs)
	}

	stop()
	startSim(t, port)
	clock = clock.Add(opcua.MaxBackoff)
	deadline := time.Now().Add(20 * time.Second)
	for {
		rs, _ := poll(d)
		if rs[0].Quality == devices.Good {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect once the server was back: %v", rs[0].Err)
		}
		clock = clock.Add(cfg.PollInterval)
		time.Sleep(50 * time.Millisecond)
	}
	for range 20 {
		if rs, _ := poll(d); rs[0].Quality != devices.Good {
			t.Fatalf("after reconnect: %+v", rs[0])
		}
	}
	if i := logs.count("INFO", "opcua device back"); i != 1 {
		t.Errorf("%d INFO lines saying the server is back, want 1:\n%s", i, logs)
	}
	if w := logs.count("WARN", ""); w != 1 {
		t.Errorf("%d WARN lines in all, want 1:\n%s", w, logs)
	}
}

// The subscriber's loop: a server away for a few seconds is dialled a few
// times, not in a tight loop, with one WARN; back, one INFO and good values.
// Real time here, so the bound on attempts is generous (ten times fewer
// than a loop without backoff would make).
func TestAwayServerSubscriberBacksOffAndLogsOncePerChange(t *testing.T) {
	port, accepts, stop := awayServer(t)
	log, logs := debugLog()
	cfg := opcua.NewConfig()
	cfg.Endpoint = "opc.tcp://127.0.0.1:" + strconv.Itoa(port)
	cfg.Mode = "subscribe"
	cfg.PollInterval = 100 * time.Millisecond
	cfg.Timeout = 2 * time.Second
	cfg.Signals = []opcua.Signal{{Name: "good", Node: "ns=1;s=L1.GoodCount"}}
	s, err := opcua.NewSubscriber("press8", cfg, log)
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

	start := time.Now()
	time.Sleep(3 * time.Second)
	n, took := accepts.Load(), time.Since(start)
	t.Logf("%d connection attempts in %v with the server away", n, took.Round(time.Millisecond))
	// Waits of at least 100, 200, 400, 800, 1600 ms: at most 6 attempts in
	// 3 s however fast the machine; without backoff, hundreds.
	if n < 1 || n > 10 {
		t.Errorf("%d connection attempts in %v, want 1..10", n, took)
	}
	if w := logs.count("WARN", ""); w != 1 {
		t.Errorf("%d WARN lines while the server was away, want 1:\n%s", w, logs)
	}

	stop()
	startSim(t, port)
	deadline := time.After(30 * time.Second)
	for good := false; !good; {
		select {
		case r := <-ch:
			good = r.Quality == devices.Good
		case <-deadline:
			t.Fatalf("no good reading once the server was back:\n%s", logs)
		}
	}
	if i := logs.count("INFO", "opcua device back"); i != 1 {
		t.Errorf("%d INFO lines saying the server is back, want 1:\n%s", i, logs)
	}
	if w := logs.count("WARN", ""); w != 1 {
		t.Errorf("%d WARN lines in all, want 1:\n%s", w, logs)
	}
}

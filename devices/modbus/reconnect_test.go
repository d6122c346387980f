package modbus

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
)

// flakyServer is a Modbus TCP device that can be away (it accepts each
// connection and closes it at once, as a PLC's gateway does when the PLC
// behind it is off) or present (it answers every read with 7). It counts
// the connections it was offered, i.e. the driver's connection attempts.
type flakyServer struct {
	addr    string
	up      atomic.Bool
	accepts atomic.Int64
}

func newFlakyServer(t *testing.T) *flakyServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &flakyServer{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepts.Add(1) // before the close the driver waits for
			if !s.up.Load() {
				c.Close()
				continue
			}
			go func() {
				defer c.Close()
				for {
					hdr := make([]byte, 7)
					if _, err := io.ReadFull(c, hdr); err != nil {
						return
					}
					pdu := make([]byte, int(binary.BigEndian.Uint16(hdr[4:]))-1)
					if _, err := io.ReadFull(c, pdu); err != nil {
						return
					}
					if !s.up.Load() {
						return
					}
					qty := int(binary.BigEndian.Uint16(pdu[3:]))
					resp := append([]byte{}, hdr[:4]...)
					resp = binary.BigEndian.AppendUint16(resp, uint16(3+2*qty))
					resp = append(resp, hdr[6], pdu[0], byte(2*qty))
					for range qty {
						resp = binary.BigEndian.AppendUint16(resp, 7)
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return s
}

// syncBuffer collects log output from the driver.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// count is the number of log lines at level with msg containing substr.
func (s *syncBuffer) count(level, substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range strings.Split(s.b.String(), "\n") {
		if strings.Contains(l, "level="+level+" ") && strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// A device that is away for a minute of polls every 100 ms: the driver dials
// a bounded number of times (capped, jittered backoff; without it, 600) and
// logs one WARN; when the device is back, one INFO; lost again, one more WARN.
// The clock is the test's, so no timing can make this flake.
func TestAwayDeviceBacksOffAndLogsOncePerChange(t *testing.T) {
	srv := newFlakyServer(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := NewConfig()
	cfg.Address = srv.addr
	cfg.PollInterval = 100 * time.Millisecond
	cfg.Signals = []Signal{{Name: "good", Table: "holding", Address: addr(0)}}
	d, err := New("press9", cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	clock := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	d.rc.Now = func() time.Time { return clock }

	away := func(polls int) {
		t.Helper()
		for range polls {
			rs, _ := pollOnce(d)
			if rs[0].Quality != devices.Bad || rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "press9") {
				t.Fatalf("device away: %+v, want a Bad reading naming the device", rs[0])
			}
			clock = clock.Add(cfg.PollInterval)
		}
	}
	away(600)
	// Waits are at least half of 0.2, 0.4, ... 6.4 s, then of 10 s: at most
	// about 18 attempts in 60 s; at most 12.6 s + 10 s each: at least about 10.
	t.Logf("%d connection attempts in 60 s of polls every 100 ms with the device away", srv.accepts.Load())
	if n := srv.accepts.Load(); n < 5 || n > 25 {
		t.Errorf("%d connection attempts in 60 s of polls every 100 ms, want 5..25 (backoff capped at %v)", n, maxBackoff)
	}
	if n := logs.count("WARN", ""); n != 1 {
		t.Errorf("%d WARN lines while the device was away, want 1:\n%s", n, logs.b.String())
	}
	if n := logs.count("DEBUG", "reconnect attempt failed"); int64(n) != srv.accepts.Load()-1 {
		t.Errorf("%d DEBUG lines for %d attempts, want one per attempt after the first", n, srv.accepts.Load())
	}

	srv.up.Store(true)
	clock = clock.Add(maxBackoff) // the next attempt is due by then
	for range 50 {
		rs, _ := pollOnce(d)
		if rs[0].Quality != devices.Good || rs[0].Value != int64(7) {
			t.Fatalf("device back: %+v, want Good 7", rs[0])
		}
		clock = clock.Add(cfg.PollInterval)
	}
	if n := logs.count("INFO", "modbus device back"); n != 1 {
		t.Errorf("%d INFO lines saying the device is back, want 1:\n%s", n, logs.b.String())
	}
	if n := logs.count("INFO", ""); n != 1 {
		t.Errorf("%d INFO lines in all, want 1", n)
	}

	srv.up.Store(false)
	away(100)
	if n := logs.count("WARN", "modbus connection lost"); n != 1 {
		t.Errorf("%d WARN lines after the device was lost again, want 1:\n%s", n, logs.b.String())
	}
	if n := logs.count("WARN", ""); n != 2 {
		t.Errorf("%d WARN lines in all, want 2 (one per loss)", n)
	}
}

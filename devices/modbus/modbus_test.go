package modbus

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/linesim"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func addr(n int) *int        { return &n }
func f64(f float64) *float64 { return &f }

func TestDecodeValue(t *testing.T) {
	f32 := math.Float32bits(12.5)
	for _, tc := range []struct {
		raw              []byte
		typ, bytes, word string
		want             any
	}{
		{[]byte{0x00, 0x01, 0x00, 0x02}, "uint32", "big", "big", int64(0x00010002)},
		{[]byte{0x00, 0x01, 0x00, 0x02}, "uint32", "big", "little", int64(0x00020001)},
		{[]byte{0x01, 0x00, 0x02, 0x00}, "uint32", "little", "big", int64(0x00010002)},
		{[]byte{0x02, 0x00, 0x01, 0x00}, "uint32", "little", "little", int64(0x00010002)},
		{[]byte{0xFF, 0xFE}, "int16", "big", "big", int64(-2)},
		{[]byte{0xFF, 0xFE}, "uint16", "big", "big", int64(65534)},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFE}, "int32", "big", "big", int64(-2)},
		{[]byte{byte(f32 >> 24), byte(f32 >> 16), byte(f32 >> 8), byte(f32)}, "float32", "big", "big", 12.5},
		{[]byte{byte(f32 >> 8), byte(f32), byte(f32 >> 24), byte(f32 >> 16)}, "float32", "big", "little", 12.5},
		{[]byte{0x80, 0, 0, 0, 0, 0, 0, 1}, "uint64", "big", "big", uint64(1<<63 + 1)},
		{[]byte{0, 1, 0, 0, 0, 0, 0, 0}, "int64", "big", "little", int64(1)},
		{binary.BigEndian.AppendUint64(nil, math.Float64bits(-3.25)), "float64", "big", "big", -3.25},
		{[]byte{0, 0}, "bool", "big", "big", false},
		{[]byte{0, 4}, "bool", "big", "big", true},
	} {
		got, err := DecodeValue(tc.raw, tc.typ, tc.bytes, tc.word)
		if err != nil || got != tc.want {
			t.Errorf("DecodeValue(% x, %s, %s, %s) = %#v, %v; want %#v", tc.raw, tc.typ, tc.bytes, tc.word, got, err, tc.want)
		}
	}
	if _, err := DecodeValue([]byte{1, 2, 3}, "uint32", "big", "big"); err == nil {
		t.Error("truncated value decoded without error")
	}
}

func TestPlan(t *testing.T) {
	sigs := []Signal{
		{Name: "a", Table: "holding", Address: addr(0), Type: "uint16"},
		{Name: "in", Table: "input", Address: addr(4), Type: "uint16"},
		{Name: "b", Table: "holding", Address: addr(4), Type: "uint32"},
		{Name: "far", Table: "holding", Address: addr(100), Type: "uint16"}, // gap > 16: own request
	}
	// A chain with small gaps from 200 to 324 fills exactly 125 registers;
	// one more register needs a second request.
	for a := 210; a <= 320; a += 10 {
		sigs = append(sigs, Signal{Name: "h" + strconv.Itoa(a), Table: "holding", Address: addr(a), Type: "uint16"})
	}
	sigs = append(sigs,
		Signal{Name: "h200", Table: "holding", Address: addr(200), Type: "uint16"},
		Signal{Name: "last", Table: "holding", Address: addr(323), Type: "uint32"},
		Signal{Name: "over", Table: "holding", Address: addr(325), Type: "uint16"},
	)
	// Coils: 0..1999 fit one request of 2000 bits, 2000 does not.
	for a := 0; a <= 1984; a += 16 {
		sigs = append(sigs, Signal{Name: "c" + strconv.Itoa(a), Table: "coil", Address: addr(a), Type: "bool"})
	}
	sigs = append(sigs,
		Signal{Name: "c1999", Table: "coil", Address: addr(1999), Type: "bool"},
		Signal{Name: "c2000", Table: "coil", Address: addr(2000), Type: "bool"},
	)
	var got []string
	for _, b := range plan(sigs) {
		got = append(got, fmt.Sprintf("%s:%d+%d/%d", b.table, b.start, b.qty, len(b.members)))
	}
	want := "coil:0+2000/126 coil:2000+1/1 holding:0+6/2 holding:100+1/1 holding:200+125/14 holding:325+1/1 input:4+1/1"
	if strings.Join(got, " ") != want {
		t.Errorf("plan:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func pollOnce(d *Driver) ([]devices.Reading, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	r := d.Poll(ctx)
	return r, time.Since(start)
}

func TestAgainstLinesim(t *testing.T) {
	sim, err := linesim.New(linesim.Config{Seed: 9, Speed: 200, HTTP: "127.0.0.1:0",
		Modbus: linesim.ModbusConfig{Address: "127.0.0.1:0"},
		Lines: []linesim.LineConfig{
			{ID: "L1", IdealCycle: time.Second, ScrapRate: 0.1, CounterBits: 32},
			{ID: "L2", IdealCycle: time.Second, CounterBits: 16},
		}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())

	cfg := NewConfig()
	cfg.Address = sim.ModbusAddr()
	cfg.Signals = []Signal{
		{Name: "good16", Table: "holding", Address: addr(0)},
		{Name: "reject16", Table: "holding", Address: addr(1)},
		{Name: "state", Table: "holding", Address: addr(2), Type: "int16"},
		{Name: "good32", Table: "holding", Address: addr(4), Type: "uint32"},
		{Name: "reject32", Table: "input", Address: addr(6), Type: "uint32"},
		{Name: "good32swapped", Table: "holding", Address: addr(4), Type: "uint32", WordOrder: "little"},
		{Name: "good_scaled", Table: "holding", Address: addr(4), Type: "uint32", Scale: f64(0.5), Offset: f64(1)},
		{Name: "unmapped", Table: "holding", Address: addr(50)},
		{Name: "l2good", Table: "input", Address: addr(100)},
	}
	d, err := New("press2", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	time.Sleep(300 * time.Millisecond) // ~60 simulated parts per line
	for _, id := range []string{"L1", "L2"} {
		if _, err := sim.StopLine(id); err != nil {
			t.Fatal(err)
		}
	}
	truth := sim.Truth()
	rs, _ := pollOnce(d)
	g, r := truth[0].GoodCounter, truth[0].RejectCounter
	if g == 0 || r == 0 {
		t.Fatalf("simulator made too little: %+v", truth[0])
	}
	want := map[string]any{
		"good16":        int64(g & 0xFFFF),
		"reject16":      int64(r & 0xFFFF),
		"state":         int64(0),
		"good32":        int64(g),
		"reject32":      int64(r),
		"good32swapped": int64(g<<16&0xFFFF0000 | g>>16),
		"good_scaled":   float64(g)*0.5 + 1,
		"l2good":        int64(truth[1].GoodCounter),
	}
	for _, rd := range rs {
		if rd.Signal == "unmapped" {
			if rd.Quality != devices.Bad || rd.Err == nil || !strings.Contains(rd.Err.Error(), "illegal data address") ||
				!strings.Contains(rd.Err.Error(), "press2") || !strings.Contains(rd.Err.Error(), "unmapped") {
				t.Errorf("unmapped: %+v", rd)
			}
			continue
		}
		if rd.Quality != devices.Good || rd.Value != want[rd.Signal] {
			t.Errorf("%s = %#v (%v, %v), want %#v", rd.Signal, rd.Value, rd.Quality, rd.Err, want[rd.Signal])
		}
	}
	// The exception must not have cost the connection: poll again, all fine.
	rs, _ = pollOnce(d)
	if rs[0].Quality != devices.Good || rs[0].Value != want["good16"] {
		t.Errorf("second poll: %+v", rs[0])
	}
}

// lateServer speaks Modbus TCP, answering every read holding registers with
// 1000*connection + request number, except that its very first answer comes
// after delay. A client that reuses the connection after the timeout would
// read that stale answer as the reply to its next request.
func lateServer(t *testing.T, delay time.Duration) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	conns := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns++
			k := conns
			mu.Unlock()
			go func() {
				defer c.Close()
				for n := 1; ; n++ {
					hdr := make([]byte, 7)
					if _, err := io.ReadFull(c, hdr); err != nil {
						return
					}
					pdu := make([]byte, int(binary.BigEndian.Uint16(hdr[4:]))-1)
					if _, err := io.ReadFull(c, pdu); err != nil {
						return
					}
					qty := int(binary.BigEndian.Uint16(pdu[3:]))
					resp := append([]byte{}, hdr[:4]...)
					resp = binary.BigEndian.AppendUint16(resp, uint16(3+2*qty))
					resp = append(resp, hdr[6], pdu[0], byte(2*qty))
					for range qty {
						resp = binary.BigEndian.AppendUint16(resp, uint16(1000*k+n))
					}
					if k == 1 && n == 1 {
						time.Sleep(delay)
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestTimeoutThenFreshConnection(t *testing.T) {
	cfg := NewConfig()
	cfg.Address = lateServer(t, 400*time.Millisecond)
	cfg.Timeout = 200 * time.Millisecond
	cfg.Signals = []Signal{{Name: "v", Table: "holding", Address: addr(0)}}
	d, err := New("slow", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	rs, took := pollOnce(d)
	if rs[0].Quality != devices.Bad || rs[0].Err == nil || took > time.Second {
		t.Fatalf("first poll: %+v after %v, want Bad within the timeout", rs[0], took)
	}
	time.Sleep(300 * time.Millisecond) // the late answer arrives on the old connection
	rs, _ = pollOnce(d)
	if rs[0].Quality != devices.Good || rs[0].Value != int64(2001) {
		t.Fatalf("after timeout: %+v, want 2001 from a fresh connection (1001 means a stale reply)", rs[0])
	}
	rs, _ = pollOnce(d)
	if rs[0].Value != int64(2002) {
		t.Fatalf("next poll: %+v, want 2002 on the same connection", rs[0])
	}
}

func TestMuteServerNoHang(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept, never answer
		}
	}()
	cfg := NewConfig()
	cfg.Address = ln.Addr().String()
	cfg.Timeout = 5 * time.Second
	cfg.Signals = []Signal{{Name: "v", Table: "input", Address: addr(3)}}
	d, _ := New("mute", cfg, quiet)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	rs := d.Poll(ctx)
	if took := time.Since(start); took > time.Second || rs[0].Quality != devices.Bad {
		t.Fatalf("mute server: %+v after %v; the poll must honour ctx's deadline", rs[0], took)
	}
}

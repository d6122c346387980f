package modbus_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/internal/peers"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/devices/modbus"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func at(n int) *int { return &n }

// Our driver against pymodbus (a Modbus server we did not write), whose
// registers hold the values laid out in testdata/pymodbus_server.py.
func TestPeerPyModbusServer(t *testing.T) {
	srv := peers.PyModbus(t, "testdata/pymodbus_server.py")
	cfg := modbus.NewConfig()
	cfg.Address = srv.Addr()
	cfg.Timeout = 2 * time.Second
	type want struct {
		sig  modbus.Signal
		want any
	}
	cases := []want{
		{modbus.Signal{Name: "u16", Table: "holding", Address: at(0), Type: "uint16"}, int64(1234)},
		{modbus.Signal{Name: "i16", Table: "holding", Address: at(1), Type: "int16"}, int64(-2)},
		{modbus.Signal{Name: "f32_be", Table: "holding", Address: at(2), Type: "float32"}, 12.5},
		{modbus.Signal{Name: "f32_le", Table: "holding", Address: at(4), Type: "float32", WordOrder: "little"}, 12.5},
		{modbus.Signal{Name: "i32_be", Table: "holding", Address: at(6), Type: "int32"}, int64(-123456)},
		{modbus.Signal{Name: "i32_le", Table: "holding", Address: at(8), Type: "int32", WordOrder: "little"}, int64(-123456)},
		{modbus.Signal{Name: "u32", Table: "holding", Address: at(10), Type: "uint32"}, int64(3000000000)},
		{modbus.Signal{Name: "f64", Table: "holding", Address: at(12), Type: "float64"}, -3.25},
		{modbus.Signal{Name: "in_u16", Table: "input", Address: at(0), Type: "uint16"}, int64(4321)},
		{modbus.Signal{Name: "in_f32", Table: "input", Address: at(1), Type: "float32"}, -7.75},
		{modbus.Signal{Name: "in_i32_le", Table: "input", Address: at(3), Type: "int32", WordOrder: "little"}, int64(70000)},
		{modbus.Signal{Name: "coil0", Table: "coil", Address: at(0)}, true},
		{modbus.Signal{Name: "coil1", Table: "coil", Address: at(1)}, false},
		{modbus.Signal{Name: "coil9", Table: "coil", Address: at(9)}, true},
		{modbus.Signal{Name: "di1", Table: "discrete", Address: at(1)}, true},
		{modbus.Signal{Name: "di15", Table: "discrete", Address: at(15)}, true},
		{modbus.Signal{Name: "di2", Table: "discrete", Address: at(2)}, false},
		// Past the end of the holding block (20 registers): an exception.
		{modbus.Signal{Name: "beyond", Table: "holding", Address: at(100), Type: "uint16"}, nil},
		{modbus.Signal{Name: "beyond_in", Table: "input", Address: at(50), Type: "uint32"}, nil},
	}
	for _, c := range cases {
		cfg.Signals = append(cfg.Signals, c.sig)
	}
	d, err := modbus.New("peer", cfg, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for round := range 2 { // the second round proves the connection survived the exceptions
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rs := d.Poll(ctx)
		cancel()
		if len(rs) != len(cases) {
			t.Fatalf("round %d: %d readings for %d signals", round, len(rs), len(cases))
		}
		for i, c := range cases {
			r := rs[i]
			if c.want == nil {
				if r.Quality != devices.Bad || r.Err == nil || !strings.Contains(r.Err.Error(), "illegal data address") ||
					!strings.Contains(r.Err.Error(), "peer") || !strings.Contains(r.Err.Error(), c.sig.Name) {
					t.Errorf("round %d %s: want Bad naming the exception, device and signal, got %v %v", round, c.sig.Name, r.Quality, r.Err)
				}
				continue
			}
			if r.Quality != devices.Good || r.Value != c.want {
				t.Errorf("round %d %s: %v %#v (err %v), want %#v", round, c.sig.Name, r.Quality, r.Value, r.Err, c.want)
			}
		}
	}
}

// mbpoll (a Modbus client we did not write) reads our simulator's server.
func TestPeerMbpollReadsLinesim(t *testing.T) {
	mbpoll, err := exec.LookPath("mbpoll")
	if err != nil {
		peers.Missing(t, "mbpoll not installed")
	}
	sim, err := linesim.New(linesim.Config{Seed: 3, Speed: 50, HTTP: "127.0.0.1:0",
		Modbus: linesim.ModbusConfig{Address: "127.0.0.1:0"},
		Lines:  []linesim.LineConfig{{ID: "L1", IdealCycle: time.Second, CounterBits: 32}}}, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer sim.Stop(context.Background())
	time.Sleep(300 * time.Millisecond)
	tr, err := sim.StopLine("L1")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(sim.ModbusAddr(), ":")
	// mbpoll counts references from 1: -r 1 is our address 0. Registers 0..7.
	read := func(args ...string) []int64 {
		t.Helper()
		argv := append([]string{"-m", "tcp", "-a", "1", "-p", port, "-1", "-0"}, args...)
		argv = append(argv, host)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, mbpoll, argv...).CombinedOutput()
		if err != nil {
			t.Fatalf("mbpoll %v: %v\n%s", argv, err, out)
		}
		var vals []int64
		for _, line := range strings.Split(string(out), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "[") {
				continue
			}
			_, v, ok := strings.Cut(line, "]:")
			if !ok {
				continue
			}
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				t.Fatalf("mbpoll line %q: %v", line, err)
			}
			vals = append(vals, n)
		}
		return vals
	}
	regs := read("-t", "4", "-r", "0", "-c", "4")
	want := []int64{int64(tr.GoodCounter & 0xFFFF), int64(tr.RejectCounter & 0xFFFF), 0, 0}
	if fmt.Sprint(regs) != fmt.Sprint(want) {
		t.Errorf("holding 0..3 = %v, want %v (truth %+v)", regs, want, tr)
	}
	// A 32-bit read, high word first ("-B" is mbpoll's big-endian word order).
	u32 := read("-t", "4:int", "-B", "-r", "4", "-c", "1")
	if len(u32) != 1 || u32[0] != int64(tr.GoodCounter) {
		t.Errorf("good counter as int32 = %v, want %d", u32, tr.GoodCounter)
	}
	if tr.GoodCounter == 0 || tr.GoodCounter > math.MaxInt32 {
		t.Fatalf("simulator good counter %d is not a useful test value", tr.GoodCounter)
	}
}

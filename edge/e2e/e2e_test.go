// Package e2e runs the whole walking skeleton in one process: the line
// simulator serving OPC UA, Modbus TCP and MQTT; central with its embedded
// broker on SQLite; and an edge agent reading all three protocols. It checks
// what a supervisor relies on: central's count for the running work order is
// exactly what the line made.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/app"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/edge/agent"
	"github.com/linewise/linewise/edge/config"
)

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("LINEWISE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type lineView struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Reason string `json:"reason"`
	Good   int64  `json:"good"`
	Reject int64  `json:"reject"`
	Active *struct {
		Order   string `json:"order"`
		Barcode string `json:"barcode"`
	} `json:"active_work_order"`
	ClockSkewMS int64 `json:"clock_skew_ms"`
}

func getLines(t *testing.T, base string) []lineView {
	t.Helper()
	resp, err := centralGet(base, "/api/v1/lines")
	if err != nil {
		t.Fatalf("GET /api/v1/lines: %v", err)
	}
	defer resp.Body.Close()
	var out []lineView
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode lines: %v", err)
	}
	return out
}

func findLine(ls []lineView, id string) lineView {
	for _, l := range ls {
		if l.ID == id {
			return l
		}
	}
	return lineView{}
}

// Stack is a running simulator, central and edge agent wired together.
type Stack struct {
	Central *app.App
	Sim     *linesim.Sim
	Agent   *agent.Agent
	Base    string
}

func startStack(t *testing.T, ctx context.Context, speed float64) *Stack {
	t.Helper()
	log := testLogger(t)
	dir := t.TempDir()

	ccfg := app.DefaultConfig()
	ccfg.HTTP = "127.0.0.1:0"
	ccfg.DataDir = filepath.Join(dir, "central")
	ccfg.MQTT.Embedded.Listen = "127.0.0.1:0"
	ccfg.DemoStart = time.Now().Add(-time.Minute)
	c, err := app.New(ccfg, log.With("component", "central"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	broker := "tcp://" + c.BrokerAddr()

	scfg := linesim.NewConfig()
	scfg.Seed = 7
	scfg.Speed = speed
	scfg.HTTP = "127.0.0.1:0"
	scfg.Modbus.Address = "127.0.0.1:0"
	scfg.OPCUA.Port = 0
	scfg.MQTT.Broker = broker
	scfg.Lines = []linesim.LineConfig{{ID: "L1", IdealCycle: time.Second, ScrapRate: 0.05, ShortStopRate: 0.02, ShortStop: 5 * time.Second, CounterBits: 16}}
	sim, err := linesim.New(scfg, log.With("component", "linesim"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Stop(context.Background()) })

	yml := fmt.Sprintf(`
edge_id: edge-L1
line: L1
data_dir: %s
http: 127.0.0.1:0
central:
  mqtt: {broker: %q}
  ack_timeout: 2s
devices:
  - name: press-plc
    driver: opcua
    endpoint: %s
    poll_interval: 100ms
    signals: [{name: good_total, node: "ns=1;s=L1.GoodCount"}]
  - name: reject-io
    driver: modbus
    address: %s
    poll_interval: 100ms
    signals: [{name: reject_total, table: holding, address: 1, type: uint16}]
  - name: line-status
    driver: mqtt
    broker: %q
    signals:
      - {name: machine_state, topic: linesim/L1/state, payload: json, field: state}
      - {name: fault_code, topic: linesim/L1/state, payload: json, field: fault}
counters:
  - {signal: good_total, kind: good, bits: 16, first_read: count}
  - {signal: reject_total, kind: reject, bits: 16, first_read: count}
state:
  signal: machine_state
  map: {0: idle, 1: running, 2: down, 3: setup, 4: planned_stop}
  reason_signal: fault_code
`, filepath.Join(dir, "edge"), broker, sim.OPCUAEndpoint(), sim.ModbusAddr(), broker)
	ecfg, err := config.Parse("edge-test.yaml", []byte(yml), log)
	if err != nil {
		t.Fatalf("edge config: %v", err)
	}
	a, err := agent.New(ecfg, log.With("component", "edge"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	return &Stack{Central: c, Sim: sim, Agent: a, Base: "http://" + c.HTTPAddr()}
}

func TestLineCountedExactlyEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The simulator runs 20x faster than real time: 8 s of test is about
	// 160 s of production, some 150 parts with scrap and short stops.
	s := startStack(t, ctx, 20)

	// Parts must show up on central while the line runs.
	deadline := time.Now().Add(30 * time.Second)
	for {
		l := findLine(getLines(t, s.Base), "L1")
		if l.Good > 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("central's L1 never counted parts: %+v (sim truth %+v)", l, s.Sim.Truth())
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(5 * time.Second)

	truth, err := s.Sim.StopLine("L1")
	if err != nil {
		t.Fatal(err)
	}
	if truth.Good < 50 || truth.Reject < 1 {
		t.Fatalf("simulation made too little to prove anything: %+v", truth)
	}

	var l lineView
	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l = findLine(getLines(t, s.Base), "L1")
		if l.Good == int64(truth.Good) && l.Reject == int64(truth.Reject) && l.State == "idle" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if l.Good != int64(truth.Good) || l.Reject != int64(truth.Reject) {
		t.Fatalf("central counted good=%d reject=%d for L1, simulator made good=%d reject=%d", l.Good, l.Reject, truth.Good, truth.Reject)
	}
	t.Logf("simulator made good=%d reject=%d; central counted good=%d reject=%d on L1", truth.Good, truth.Reject, l.Good, l.Reject)
	if l.State != "idle" {
		t.Errorf("L1 state %q after the line stopped, want idle", l.State)
	}
	if l.Active == nil || l.Active.Order != "PO-1001" {
		t.Fatalf("active work order %+v, want PO-1001's", l.Active)
	}

	// The order view agrees with the line view.
	resp, err := centralGet(s.Base, "/api/v1/orders/PO-1001")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var order struct {
		WorkOrders []struct {
			Barcode string `json:"barcode"`
			Good    int64  `json:"good"`
			Reject  int64  `json:"reject"`
		} `json:"work_orders"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&order); err != nil {
		t.Fatal(err)
	}
	if len(order.WorkOrders) != 1 || order.WorkOrders[0].Good != int64(truth.Good) || order.WorkOrders[0].Reject != int64(truth.Reject) {
		t.Fatalf("PO-1001 work orders %+v, want good=%d reject=%d", order.WorkOrders, truth.Good, truth.Reject)
	}
	if d := s.Agent.OutboxDepth(); d != 0 {
		t.Errorf("edge outbox still holds %d events after central caught up", d)
	}
}

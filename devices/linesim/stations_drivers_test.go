package linesim_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/devices"
	"github.com/linewise/linewise/devices/internal/peers"
	"github.com/linewise/linewise/devices/linesim"
	"github.com/linewise/linewise/devices/mqtt"
	"github.com/linewise/linewise/devices/qc"
	"github.com/linewise/linewise/devices/scanner"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type sink struct {
	mu sync.Mutex
	rs []devices.Reading
}

func (s *sink) add(r devices.Reading) {
	s.mu.Lock()
	s.rs = append(s.rs, r)
	s.mu.Unlock()
}

func (s *sink) good() []devices.Reading {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []devices.Reading
	for _, r := range s.rs {
		if r.Quality == devices.Good {
			out = append(out, r)
		}
	}
	return out
}

func start(t *testing.T, cfg linesim.Config) *linesim.Sim {
	t.Helper()
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

func line(mqttOn bool) linesim.LineConfig {
	return linesim.LineConfig{ID: "L1", IdealCycle: time.Second, ScrapRate: 0.05, CounterBits: 16,
		Changeover: linesim.ChangeoverConfig{OrderQty: 10, Setup: 10 * time.Second, Products: []string{"A", "B"}},
		Scanner:    linesim.ScannerConfig{Address: "127.0.0.1:0", MQTT: mqttOn},
		QC:         linesim.QCConfig{Every: 2, Characteristic: "bore_mm", Nominal: 12, Tolerance: 0.05, Sigma: 0.03}}
}

func stopPusher(t *testing.T, p devices.Pusher) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Error(err)
	}
}

// The simulated scanner, read by our scanner-tcp driver: every code it
// delivers is a work order the simulator started, in order, and the
// simulator's truth lists it. A changeover can be forced over HTTP.
func TestScannerTCPThroughDriver(t *testing.T) {
	sim := start(t, linesim.Config{Seed: 3, Speed: 50, HTTP: "127.0.0.1:0", Lines: []linesim.LineConfig{line(false)}})
	cfg := scanner.NewConfig()
	cfg.Address = sim.ScannerAddr("L1")
	cfg.Signals = []scanner.Signal{{Name: "scan"}}
	d, err := scanner.New("scanner1", cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var got sink
	if err := d.Start(context.Background(), got.add); err != nil {
		t.Fatal(err)
	}
	defer stopPusher(t, d)
	for deadline := time.Now().Add(5 * time.Second); sim.ScannerClients("L1") == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the driver did not connect to the simulated scanner")
		}
	}
	resp, err := http.Post("http://"+sim.HTTPAddr()+"/lines/L1/changeover", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var forced linesim.LineTruth
	_ = json.NewDecoder(resp.Body).Decode(&forced)
	resp.Body.Close()
	if forced.State != "setup" {
		t.Errorf("after POST changeover: %+v, want state setup", forced)
	}
	time.Sleep(2 * time.Second) // ~100 simulated seconds: several orders
	rs := got.good()
	scans, _ := sim.Scans("L1")
	if len(rs) < 3 {
		t.Fatalf("%d codes read; simulator scanned %v", len(rs), scans)
	}
	idx := map[string]int{}
	for i, s := range scans {
		idx[s.Code] = i
	}
	prev := -1
	for _, r := range rs {
		i, ok := idx[r.Value.(string)]
		if !ok || i != prev+1 && prev >= 0 {
			t.Fatalf("read %q (index %d after %d), simulator scanned %v", r.Value, i, prev, scans)
		}
		prev = i
	}
	truth := sim.Truth()[0]
	if truth.Scans != uint64(len(scans)) || truth.Orders != len(scans) || truth.Changeovers < 3 {
		t.Errorf("truth %+v with %d scans", truth, len(scans))
	}
	t.Logf("read %d codes, last %v; truth %d orders, %d changeovers", len(rs), rs[len(rs)-1].Value, truth.Orders, truth.Changeovers)
}

// With a broker: the QC station's results, read by our qc-mqtt driver,
// are exactly the simulator's (value, limits, pass, lot), and scans also
// arrive as text on <prefix>/L1/scan through the mqtt driver.
func TestPeerMosquittoQCAndScan(t *testing.T) {
	broker := peers.Mosquitto(t)
	cfg := linesim.Config{Seed: 5, Speed: 50, HTTP: "127.0.0.1:0",
		MQTT:  linesim.MQTTConfig{Broker: peers.URL(broker), Prefix: "sim", ClientID: "linesim-test"},
		Lines: []linesim.LineConfig{line(true)}}

	qcCfg := qc.NewConfig()
	qcCfg.Broker = peers.URL(broker)
	qcCfg.Signals = []qc.Signal{{Name: "cmm1", Topic: "sim/L1/qc"}}
	qd, err := qc.New("cmm1", qcCfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var qcs sink
	if err := qd.Start(context.Background(), qcs.add); err != nil {
		t.Fatal(err)
	}
	defer stopPusher(t, qd)
	mc := mqtt.NewConfig()
	mc.Broker = peers.URL(broker)
	mc.Signals = []mqtt.Signal{{Name: "scan", Topic: "sim/L1/scan", Payload: "text"}}
	md, err := mqtt.New("scanner2", mc, quiet)
	if err != nil {
		t.Fatal(err)
	}
	var scans sink
	if err := md.Start(context.Background(), scans.add); err != nil {
		t.Fatal(err)
	}
	defer stopPusher(t, md)
	time.Sleep(500 * time.Millisecond) // both subscribed

	sim := start(t, cfg)
	time.Sleep(3 * time.Second)
	truth, _ := sim.QCResults("L1")
	byUnit := map[string]linesim.QCResult{}
	for _, r := range truth {
		byUnit[r.Unit] = r
	}
	rs := qcs.good()
	if len(rs) < 20 {
		t.Fatalf("%d QC results received, simulator made %d", len(rs), len(truth))
	}
	for _, r := range rs {
		res, ts, err := qc.Parse([]byte(r.Value.(string)))
		if err != nil {
			t.Fatal(err)
		}
		want, ok := byUnit[res.Unit]
		if !ok || res.Value != want.Value || res.Pass != want.Pass || res.Lot != want.Lot ||
			*res.Lower != want.Lower || *res.Upper != want.Upper || !ts.Equal(want.Time) {
			t.Fatalf("received %+v at %v, simulator %+v", res, ts, want)
		}
	}
	// Every result is delivered (QoS 1, the driver subscribed first).
	if len(rs) < len(truth)-2 {
		t.Errorf("received %d of %d QC results", len(rs), len(truth))
	}
	simScans, _ := sim.Scans("L1")
	got := scans.good()
	if len(got) == 0 || got[0].Value != simScans[0].Code || len(got) < len(simScans)-1 {
		t.Fatalf("scans over MQTT %d, simulator %d (%v)", len(got), len(simScans), simScans)
	}
	t.Logf("%d QC results, %d scans over MQTT", len(rs), len(got))
}

// Power cycle and breakdown are also faults under /faults, next to the
// server faults.
func TestFaultsPowerCycleAndBreakdown(t *testing.T) {
	sim := start(t, linesim.Config{Seed: 1, Speed: 20, HTTP: "127.0.0.1:0",
		Lines: []linesim.LineConfig{{ID: "L1", IdealCycle: time.Second, CounterBits: 16}}})
	base := "http://" + sim.HTTPAddr()
	time.Sleep(300 * time.Millisecond)
	post := func(path string) (int, linesim.LineTruth) {
		resp, err := http.Post(base+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var lt linesim.LineTruth
		_ = json.NewDecoder(resp.Body).Decode(&lt)
		return resp.StatusCode, lt
	}
	if code, lt := post("/faults/power-cycle?line=L1"); code != 200 || lt.GoodCounter != 0 || lt.Good == 0 {
		t.Fatalf("power-cycle: %d %+v", code, lt)
	}
	if code, lt := post("/faults/breakdown?line=L1&seconds=0.5&fault=42"); code != 200 || lt.State != "down" || lt.Fault != 42 {
		t.Fatalf("breakdown: %d %+v", code, lt)
	}
	time.Sleep(700 * time.Millisecond) // 0.5 s of real time
	if st := sim.Truth()[0]; st.State != "running" {
		t.Fatalf("after the breakdown: %+v", st)
	}
	for _, p := range []string{"/faults/power-cycle", "/faults/breakdown?line=L1", "/faults/power-cycle?line=NOPE"} {
		if code, _ := post(p); code != 400 && code != 404 {
			t.Errorf("%s: %d", p, code)
		}
	}
}

package linesim

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func changeoverLine() LineConfig {
	l := lineCfg("L1", 0.1, 0.02, 16)
	l.Changeover = ChangeoverConfig{OrderQty: 20, Setup: 45 * time.Second,
		Products: []string{"P-100", "P-200", "P-300"}, Orders: []string{"WO-1001", "WO-1002"}}
	l.Scanner = ScannerConfig{Address: "127.0.0.1:0"}
	l.QC = QCConfig{Every: 5, Characteristic: "bore_mm", Nominal: 12, Tolerance: 0.05, Sigma: 0.03}
	return l.withDefaults()
}

// Changeovers: after order_qty parts the line is in setup for exactly the
// setup time with no part made, then the next order (next product, next
// code, a scan) starts. Parts and short stops in between come in the same
// sequence as without changeovers.
func TestChangeoverSetupMakesNoParts(t *testing.T) {
	cfg := changeoverLine()
	m := newModel(42, cfg)
	var setupStart time.Duration = -1
	var setups []time.Duration
	madeAtSetup := uint64(0)
	for now := time.Duration(0); now <= 2*time.Hour; now += 100 * time.Millisecond {
		m.advance(now)
		switch {
		case m.state == StateSetup && setupStart < 0:
			setupStart, madeAtSetup = now, m.made
			if m.inOrder != 20 {
				t.Fatalf("setup after %d parts of the order, want 20", m.inOrder)
			}
		case m.state == StateSetup && m.made != madeAtSetup:
			t.Fatalf("a part was made during setup at %v", now)
		case m.state != StateSetup && setupStart >= 0:
			setups = append(setups, now-setupStart)
			setupStart = -1
		}
	}
	if len(setups) < 10 {
		t.Fatalf("%d changeovers in 2h, want many", len(setups))
	}
	for _, d := range setups {
		if d < 45*time.Second-100*time.Millisecond || d > 45*time.Second+100*time.Millisecond {
			t.Errorf("setup lasted %v, want 45s", d)
		}
	}
	if int(m.changeovers) != m.orderSeq-1 {
		t.Errorf("changeovers %d, orders %d", m.changeovers, m.orderSeq)
	}
	wantCodes := []string{"WO-1001", "WO-1002", "WO-L1-0003", "WO-L1-0004"}
	var codes []string
	for _, s := range m.events.scans[:4] {
		codes = append(codes, s.Code)
	}
	if !reflect.DeepEqual(codes, wantCodes) {
		t.Errorf("scans %v, want %v", codes, wantCodes)
	}
	if m.events.nScan != uint64(m.orderSeq) {
		t.Errorf("%d scans for %d orders", m.events.nScan, m.orderSeq)
	}
	if want := []string{"P-100", "P-200", "P-300"}[(m.orderSeq-1)%3]; m.product != want {
		t.Errorf("order %d makes %s, want %s", m.orderSeq, m.product, want)
	}

}

// Changeovers and QC draw nothing from the part sequence: the same seed
// makes the same parts, scrap and short stops in the same order.
func TestChangeoverKeepsPartSequence(t *testing.T) {
	with := newModel(42, changeoverLine())
	plain := newModel(42, lineCfg("L1", 0.1, 0.02, 16).withDefaults())
	for now := time.Duration(0); now <= 4*time.Hour; now += time.Second {
		with.advance(now)
	}
	plain.advance(4 * time.Hour)
	// The reject count after each of the first 400 parts, replayed in
	// steps shorter than a cycle, is the same with and without.
	a, b := newModel(42, changeoverLine()), newModel(42, lineCfg("L1", 0.1, 0.02, 16).withDefaults())
	var ra, rb []uint64
	for now := time.Duration(0); len(ra) < 400 || len(rb) < 400; now += 50 * time.Millisecond {
		pa, pb := a.made, b.made
		a.advance(now)
		b.advance(now)
		if a.made != pa && len(ra) < 400 {
			ra = append(ra, a.reject)
		}
		if b.made != pb && len(rb) < 400 {
			rb = append(rb, b.reject)
		}
	}
	if !reflect.DeepEqual(ra, rb) {
		t.Fatal("changeovers changed the sequence of good and scrapped parts")
	}
	if with.made >= plain.made {
		t.Errorf("with setups the line made %d, without %d: setups must cost output", with.made, plain.made)
	}
}

// QC results: every 5th part, the same for the same seed whatever the tick,
// different for another seed, pass exactly when within the limits.
func TestQCDeterministic(t *testing.T) {
	cfg := changeoverLine()
	run := func(seed uint64, step time.Duration) *model {
		m := newModel(seed, cfg)
		for now := time.Duration(0); now <= time.Hour; now += step {
			m.advance(now)
		}
		m.advance(time.Hour)
		return m
	}
	a, b, c := run(7, 10*time.Millisecond), run(7, 3*time.Second), run(8, time.Second)
	if !reflect.DeepEqual(a.events, b.events) {
		t.Fatal("same seed, different tick: different scans or QC results")
	}
	if reflect.DeepEqual(a.events.qc, c.events.qc) {
		t.Fatal("different seeds gave the same QC results")
	}
	if got, want := a.events.nQC, a.made/5; got != want {
		t.Errorf("%d QC results for %d parts, want %d", got, a.made, want)
	}
	if a.events.qcPass == 0 || a.events.qcFail == 0 {
		t.Errorf("pass %d fail %d: sigma 0.03 against ±0.05 should give both", a.events.qcPass, a.events.qcFail)
	}
	for _, r := range a.events.qc {
		if r.Pass != (r.Value >= 11.95 && r.Value <= 12.05) || r.Lower != 11.95 || r.Upper != 12.05 ||
			r.Characteristic != "bore_mm" || r.Lot == "" {
			t.Fatalf("%+v", r)
		}
	}
	if r := a.events.qc[0]; r.Unit != fmt.Sprintf("SN-L1-%06d", 5) {
		t.Errorf("first unit %q", r.Unit)
	}
}

// A breakdown during a setup restarts the setup after it; a forced
// changeover abandons the part in progress and goes to setup at once.
func TestChangeoverInterrupted(t *testing.T) {
	cfg := changeoverLine()
	cfg.ShortStopRate = 0
	m := newModel(1, cfg)
	m.advance(10 * time.Second)
	made := m.made
	m.forceChangeover(10 * time.Second)
	if m.state != StateSetup {
		t.Fatalf("state %v after a forced changeover, want setup", m.state)
	}
	m.breakdown(20*time.Second, 30*time.Second, 99)
	m.advance(49 * time.Second)
	if m.state != StateDown {
		t.Fatalf("state %v, want down", m.state)
	}
	m.advance(51 * time.Second)
	if m.state != StateSetup {
		t.Fatalf("state %v after the breakdown, want setup again", m.state)
	}
	m.advance(50*time.Second + 45*time.Second - time.Millisecond)
	if m.made != made || m.orderSeq != 1 {
		t.Fatalf("made %d (was %d), order %d during setup", m.made, made, m.orderSeq)
	}
	m.advance(50*time.Second + 45*time.Second)
	if m.state != StateRunning || m.orderSeq != 2 || m.order != "WO-1002" || m.product != "P-200" {
		t.Fatalf("after setup: %v order %d %s %s", m.state, m.orderSeq, m.order, m.product)
	}
}

// The README's example config is valid and sets every feature it shows.
func TestREADMEExampleParses(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no yaml example in README.md")
	}
	cfg, err := ParseConfig("README.md", m[1])
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Lines[0]
	if l.Changeover.OrderQty != 50 || l.Changeover.Setup != 2*time.Minute || l.Scanner.Address == "" || l.QC.Every != 10 {
		t.Fatalf("%+v", l)
	}
}

func TestStationConfigErrors(t *testing.T) {
	src := `http: 127.0.0.1:0
mqtt: {broker: ""}
opcua: {host: 127.0.0.1, users: {operator: secret}}
lines:
  - id: L1
    changeover: {setup: 1m, products: [A, B]}
    scanner: {address: nowhere, mqtt: true}
    qc: {every: -1}
`
	_, err := ParseConfig("sim.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"sim.yaml:3: opcua.users: need opcua.security",
		"lines[0].changeover.order_qty: required (> 0) for setup or several products",
		"sim.yaml:7: lines[0].scanner.address: not host:port",
		"lines[0].scanner.mqtt: needs mqtt.broker",
		"sim.yaml:8: lines[0].qc.every: must be >= 0",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

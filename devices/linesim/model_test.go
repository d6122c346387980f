package linesim

import (
	"strings"
	"testing"
	"time"
)

func lineCfg(id string, scrap, stop float64, bits int) LineConfig {
	return LineConfig{ID: id, IdealCycle: time.Second, ScrapRate: scrap, ShortStopRate: stop,
		ShortStop: 5 * time.Second, CounterBits: bits}
}

func TestDeterministicOutcomes(t *testing.T) {
	cfg := lineCfg("L1", 0.2, 0.05, 16)
	a, b, c := newModel(42, cfg), newModel(42, cfg), newModel(43, cfg)
	var sa, sb, sc strings.Builder
	for range 2000 {
		for _, x := range []struct {
			m *model
			w *strings.Builder
		}{{a, &sa}, {b, &sb}, {c, &sc}} {
			o := x.m.next()
			switch {
			case o.Stop:
				x.w.WriteByte('S')
			case o.Scrap:
				x.w.WriteByte('x')
			default:
				x.w.WriteByte('.')
			}
		}
	}
	if sa.String() != sb.String() {
		t.Fatal("same seed and config produced different outcome sequences")
	}
	if sa.String() == sc.String() {
		t.Fatal("different seeds produced the same outcome sequence")
	}
	if !strings.Contains(sa.String(), "S") || !strings.Contains(sa.String(), "x") {
		t.Fatalf("expected stops and scrap in 2000 outcomes: %s", sa.String()[:100])
	}
}

// Advancing in different step sizes must give the same truth: real time only
// decides how far simulated time has got, never what happens.
func TestAdvanceIndependentOfTickSize(t *testing.T) {
	cfg := lineCfg("L1", 0.1, 0.05, 16)
	a, b := newModel(7, cfg), newModel(7, cfg)
	end := 2 * time.Hour
	for now := time.Duration(0); now <= end; now += 10 * time.Millisecond {
		a.advance(now)
	}
	for now := time.Duration(0); now <= end; now += 7 * time.Second {
		b.advance(now)
	}
	b.advance(end)
	if a.made != b.made || a.good != b.good || a.reject != b.reject || a.state != b.state {
		t.Fatalf("fine ticks: made %d good %d reject %d state %v; coarse: made %d good %d reject %d state %v",
			a.made, a.good, a.reject, a.state, b.made, b.good, b.reject, b.state)
	}
	if a.made < 5200 || a.made > 6400 { // 7200s / (1s + 5% × 5s) ≈ 5760
		t.Fatalf("made %d parts in 2h at 1s cycle with 5%% short stops", a.made)
	}
	if a.good+a.reject != a.made {
		t.Fatalf("good %d + reject %d != made %d", a.good, a.reject, a.made)
	}
}

func TestCounterWrap(t *testing.T) {
	for _, tc := range []struct {
		bits int
		mask uint64
	}{{16, 0xFFFF}, {32, 0xFFFFFFFF}} {
		m := newModel(1, lineCfg("L1", 0.01, 0, tc.bits))
		m.advance(20 * time.Hour) // ~72000 parts: past 2^16
		if m.good <= 65536 {
			t.Fatalf("bits %d: only %d good parts, need more than 2^16 to test the wrap", tc.bits, m.good)
		}
		if m.goodCtr != m.good&tc.mask || m.rejectCtr != m.reject&tc.mask {
			t.Fatalf("bits %d: counters good %d reject %d, truth good %d reject %d", tc.bits, m.goodCtr, m.rejectCtr, m.good, m.reject)
		}
		if tc.bits == 16 && m.goodCtr == m.good {
			t.Fatalf("16-bit counter did not wrap: %d", m.goodCtr)
		}
	}
}

func TestControls(t *testing.T) {
	m := newModel(3, lineCfg("L1", 0.1, 0, 16))
	m.advance(100 * time.Second)
	if m.made < 90 || m.state != StateRunning {
		t.Fatalf("after 100s: made %d state %v", m.made, m.state)
	}
	m.stopProduction(100 * time.Second)
	made := m.made
	m.advance(200 * time.Second)
	if m.made != made || m.state != StateIdle {
		t.Fatalf("stopped line kept producing: %d -> %d, state %v", made, m.made, m.state)
	}
	m.startProduction(200 * time.Second)
	m.advance(210 * time.Second)
	if m.made <= made || m.state != StateRunning {
		t.Fatalf("restarted line: made %d (was %d) state %v", m.made, made, m.state)
	}
	m.powerCycle(210 * time.Second)
	if m.goodCtr != 0 || m.rejectCtr != 0 || m.good == 0 {
		t.Fatalf("power cycle: counters %d/%d truth good %d", m.goodCtr, m.rejectCtr, m.good)
	}
	m.breakdown(210*time.Second, 30*time.Second, 42)
	made = m.made
	m.advance(230 * time.Second)
	if m.state != StateDown || m.fault != 42 || m.made != made {
		t.Fatalf("breakdown: state %v fault %d made %d (was %d)", m.state, m.fault, m.made, made)
	}
	m.advance(250 * time.Second)
	if m.state != StateRunning || m.fault != 0 || m.made <= made {
		t.Fatalf("after breakdown: state %v fault %d made %d", m.state, m.fault, m.made)
	}
}

func TestShortStopState(t *testing.T) {
	m := newModel(5, lineCfg("L1", 0, 1, 16)) // every outcome is a short stop
	m.advance(time.Second)
	if m.state != StateDown || m.fault != FaultShortStop || m.made != 0 {
		t.Fatalf("state %v fault %d made %d, want down/17/0", m.state, m.fault, m.made)
	}
}

func TestParseConfigErrors(t *testing.T) {
	src := `seed: 1
speed: 2
http: 127.0.0.1:0
colour: blue
lines:
  - id: L1
    scrap_rate: 1.5
    counter_bits: 12
`
	_, err := ParseConfig("sim.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error for unknown key and bad values")
	}
	for _, want := range []string{
		"sim.yaml:4: colour: unknown key",
		"sim.yaml:7: lines[0].scrap_rate: must be between 0 and 1",
		"sim.yaml:8: lines[0].counter_bits: must be 16 or 32",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseConfigFile(t *testing.T) {
	cfg, err := LoadConfig("../../configs/linesim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Lines) != 1 || cfg.Lines[0].ID != "L1" || cfg.Lines[0].IdealCycle != time.Second || cfg.OPCUA.Port != 4840 {
		t.Fatalf("unexpected config: %+v", cfg)
	}
}

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/devices/linesim"
)

// wrapLine makes about 10,000 parts a real second at 100x: the 16-bit good
// counter wraps every 6.5 s. The edge config is the one edge/README.md
// documents: ideal_cycle set to the line's (100 µs real), so each counter's
// maximum rate is 12,500 parts/s.
func wrapLine() linesim.LineConfig {
	return linesim.LineConfig{IdealCycle: 10 * time.Millisecond, ScrapRate: 0.03, CounterBits: 16}
}

// The edge is down while the counter wraps: for 4 s (about 40,000 parts,
// one wrap at most fits 4 s at the maximum rate) it is counted exactly; the
// counter wraps several times over the test.
func TestCounterWrapWhileEdgeDownIsExact(t *testing.T) {
	s := newFullStack(t, opts{db: "sqlite", speed: 100, line: wrapLine(), poll: "50ms", idealCycle: "100us"})
	waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.Good > 65536 }, 60*time.Second)
	for range 2 {
		s.stopEdge()
		time.Sleep(4 * time.Second)
		s.startEdge()
		time.Sleep(3 * time.Second)
	}
	truth := s.finish()
	if truth.Good < 3*65536 {
		t.Fatalf("only %d good parts: the counter did not wrap several times", truth.Good)
	}
	for _, x := range s.exceptions() {
		if x.Kind == domain.ExceptionCounterAmbiguous {
			t.Fatalf("an exact wrap raised %+v", x)
		}
	}
}

// Down for 9 s (about 90,000 parts): two wraps fit the time, so the fall
// cannot be decided. One wrap is counted (never invent parts) and central
// opens counter_ambiguous saying how many more the other reading gives.
func TestCounterWrapTooLongToDecideIsAmbiguous(t *testing.T) {
	s := newFullStack(t, opts{db: "sqlite", speed: 100, line: wrapLine(), poll: "50ms", idealCycle: "100us"})
	waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.Good > 20000 }, 60*time.Second)
	s.stopEdge()
	time.Sleep(9 * time.Second)
	s.startEdge()
	var found *domain.Exception
	deadline := time.Now().Add(30 * time.Second)
	for found == nil && time.Now().Before(deadline) {
		for _, x := range s.exceptions() {
			if x.Kind == domain.ExceptionCounterAmbiguous && x.Line == "L1" {
				found = &x
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if found == nil {
		t.Fatal("no counter_ambiguous exception after an outage long enough for two wraps")
	}
	t.Logf("exception: %s", found.Detail)
	if !strings.Contains(found.Detail, "65536 more") || found.Status != domain.ExceptionOpen {
		t.Fatalf("exception %+v, want an open one saying 65536 more", found)
	}
	truth, err := s.sim.StopLine("L1")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	l := findLine(s.lines(), "L1")
	if l.Good >= int64(truth.Good) || (int64(truth.Good)-l.Good)%65536 != 0 {
		t.Fatalf("central counted %d good, the simulator made %d: want fewer by whole wraps (the conservative reading)", l.Good, truth.Good)
	}
}

// The case seen on a test plant: a 16-bit Modbus counter, the edge down
// 45 s while the counter wraps once. Configured as edge/README.md says
// (ideal_cycle, no max_rate): exact. At 10x the line makes about 1,000
// parts a real second, so 45 s is some 45,000 parts; the edge stops when
// the counter is above 30,000, so it wraps while the edge is away.
func TestCounterWrapDuringEdgeDown45sIsExact(t *testing.T) {
	line := linesim.LineConfig{IdealCycle: 10 * time.Millisecond, ScrapRate: 0.03, CounterBits: 16}
	s := newFullStack(t, opts{db: "sqlite", speed: 10, line: line, poll: "100ms", idealCycle: "1ms", modbusCounters: true})
	waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.GoodCounter > 30000 && tr.GoodCounter < 40000 }, 90*time.Second)
	before := s.sim.Truth()[0]
	s.stopEdge()
	time.Sleep(45 * time.Second)
	during := s.sim.Truth()[0]
	s.startEdge()
	time.Sleep(3 * time.Second)
	s.finish()
	t.Logf("good counter %d → %d while the edge was away (%d parts)", before.GoodCounter, during.GoodCounter, during.Good-before.Good)
	if during.GoodCounter >= before.GoodCounter {
		t.Fatalf("the good counter did not wrap while the edge was away: %d then %d", before.GoodCounter, during.GoodCounter)
	}
	for _, x := range s.exceptions() {
		if x.Kind == domain.ExceptionCounterAmbiguous {
			t.Fatalf("a provable wrap raised %+v", x)
		}
	}
}

func (s *fullStack) exceptions() []domain.Exception {
	s.t.Helper()
	xs, err := s.central.Store().ListExceptions(context.Background(), domain.ExceptionFilter{Line: "L1"})
	if err != nil {
		s.t.Fatal(err)
	}
	return xs
}

// With the overflow counts configured (wraps_signal, edge/README.md), an
// outage longer than a wrap period (14 s: some 90,000 good parts, the good
// counter wraps at least once while the edge is away, and the rate alone
// allows a wrap more) is counted exactly, with no exception.
func TestCounterWrapsDuringLongOutageExactWithOverflowCount(t *testing.T) {
	line := wrapLine()
	line.ScrapRate = 0.35 // the reject counter wraps too
	s := newFullStack(t, opts{db: "sqlite", speed: 100, line: line, poll: "50ms", idealCycle: "100us", modbusCounters: true, overflowCounts: true})
	waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.Good > 65536 }, 60*time.Second)
	before := s.sim.Truth()[0]
	s.stopEdge()
	time.Sleep(14 * time.Second)
	during := s.sim.Truth()[0]
	s.startEdge()
	time.Sleep(3 * time.Second)
	truth := s.finish()
	t.Logf("made %d good and %d reject parts while the edge was away", during.Good-before.Good, during.Reject-before.Reject)
	if during.Good-before.Good < 65536 {
		t.Fatalf("only %d good parts while the edge was away: not longer than a wrap period", during.Good-before.Good)
	}
	if truth.Good < 2*65536 {
		t.Fatalf("only %d good parts: the counter did not wrap several times", truth.Good)
	}
	for _, x := range s.exceptions() {
		if x.Kind == domain.ExceptionCounterAmbiguous {
			t.Fatalf("the overflow count left %+v", x)
		}
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linewise/linewise/devices/linesim"
)

// The fault-injection suite of the edge→central path. Every test runs the
// simulator, an edge agent and central, breaks something, and ends with
// fullStack.finish: central's good and reject for the work order equal the
// simulator's ground truth exactly. Each runs on SQLite and on PostgreSQL
// (the postgres subtests need the server at 127.0.0.1:5432, database test;
// with CI=true its absence fails them). The simulator runs faster than real
// time where a test says so; outages are real time.

var databases = []string{"sqlite", "postgres"}

func stdLine() linesim.LineConfig {
	return linesim.LineConfig{IdealCycle: time.Second, ScrapRate: 0.05, ShortStopRate: 0.02, ShortStop: 5 * time.Second, CounterBits: 16}
}

func forEachDB(t *testing.T, f func(t *testing.T, db string)) {
	for _, db := range databases {
		t.Run(db, func(t *testing.T) { f(t, db) })
	}
}

// 1. Central (and with it the embedded broker) is down for two minutes of
// production; the edge's outbox holds everything until it is back.
func TestFaultCentralDownTwoMinutes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := newFullStack(t, opts{db: db, speed: 20, line: stdLine()})
		s.waitCounting(20)
		s.stopCentral()
		before := s.sim.Truth()[0].Made
		time.Sleep(6 * time.Second) // 120 s of production at 20x
		if made := s.sim.Truth()[0].Made - before; made < 60 {
			t.Fatalf("only %d parts made while central was down", made)
		}
		s.startCentral()
		s.finish()
	})
}

// The second path: batches over HTTPS, acks in the responses, through a
// central outage.
func TestHTTPSUplinkThroughCentralOutage(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := newFullStack(t, opts{db: db, speed: 20, line: stdLine(), https: true})
		s.waitCounting(20)
		s.stopCentral()
		time.Sleep(3 * time.Second)
		s.startCentral()
		s.finish()
	})
}

// 2. The real Mosquitto broker between edge and central stops and starts.
func TestFaultMosquittoRestart(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := newFullStack(t, opts{db: db, speed: 20, line: stdLine(), mosquitto: true})
		s.waitCounting(20)
		s.mosq.stop()
		time.Sleep(4 * time.Second)
		s.mosq.start()
		time.Sleep(3 * time.Second)
		s.finish()
	})
}

// 3. The agent is killed with SIGKILL ten times at random moments while the
// line runs, and restarted each time.
func TestFaultEdgeSIGKILLTenTimes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := newFullStack(t, opts{db: db, speed: 20, line: stdLine(), subprocess: true, poll: "50ms"})
		s.waitCounting(10)
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
		for i := 0; i < 10; i++ {
			time.Sleep(time.Duration(200+rng.IntN(1300)) * time.Millisecond)
			s.killEdge()
			s.startEdge()
		}
		time.Sleep(2 * time.Second)
		s.finish()
	})
}

// 4. The OPC UA and Modbus servers drop for 30 s. The line shows "no data"
// meanwhile, never "down": an unreachable PLC is not machine downtime.
func TestFaultDeviceServersDropped30s(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		line := stdLine()
		line.ShortStopRate = 0 // no real downtime: any "down" would be the gap misread
		s := newFullStack(t, opts{db: db, speed: 5, line: line, maxRate: 50})
		s.waitCounting(5)
		if err := s.sim.Fault(linesim.FaultOPCUADrop, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := s.sim.Fault(linesim.FaultModbusDrop, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		sawNoData := false
		end := time.Now().Add(30 * time.Second)
		for time.Now().Before(end) {
			if l := findLine(s.lines(), "L1"); l.State == "no_data" {
				sawNoData = true
			} else if l.State == "down" {
				t.Fatalf("L1 shown down during a device outage: %+v", l)
			}
			time.Sleep(500 * time.Millisecond)
		}
		if !sawNoData {
			t.Fatal("L1 never showed no_data while its OPC UA and Modbus servers were gone")
		}
		// The drivers reconnect with capped, jittered backoff (at most 10 s
		// between tries), then resubscribe: allow for a loaded machine.
		s.waitState("running", 45*time.Second)
		s.finish()
		for _, e := range s.events() {
			if e.Type == "state" && e.State() == "down" {
				t.Fatalf("a down state was recorded during the outage: %+v", e)
			}
		}
	})
}

// 5. A 16-bit good counter wraps several times, then the PLC is power-cycled
// (counters back to zero) and it wraps again.
func TestFaultCounterWrapsAndPowerCycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		line := linesim.LineConfig{IdealCycle: 10 * time.Millisecond, ScrapRate: 0.03, CounterBits: 16}
		// 100x: about 10,000 parts a second, a 16-bit wrap every 6.5 s.
		s := newFullStack(t, opts{db: db, speed: 100, line: line, poll: "50ms", idealCycle: "100us"})
		waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.Good > 3*65536 }, 60*time.Second)
		// Power-cycle while the counter is low, so the drop cannot pass for a
		// wrap. As on a real line, the machine stops before the power goes:
		// the parts made between the last read and an instant reset are
		// invisible to any counter reader (see README, counters).
		waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.GoodCounter > 3000 && tr.GoodCounter < 20000 }, 30*time.Second)
		if _, err := s.sim.StopLine("L1"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // ten polls: the edge has the final value
		if _, err := s.sim.PowerCycle("L1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.sim.StartLine("L1"); err != nil {
			t.Fatal(err)
		}
		waitTruth(t, s, func(tr linesim.LineTruth) bool { return tr.GoodCounter > 5000 }, 30*time.Second)
		truth := s.finish()
		if truth.Good < 3*65536 {
			t.Fatalf("only %d good parts: the counter did not wrap three times", truth.Good)
		}
		// The power cycle reset both counters: one reset event each, and no
		// wrap taken for a reset or the other way round.
		resets := map[string]int{}
		for _, e := range s.events() {
			if e.Type == "count" && e.Reset() {
				resets[e.Counter()]++
			}
		}
		if resets["good_total"] != 1 || resets["reject_total"] != 1 || len(resets) != 2 {
			t.Fatalf("reset events per counter %v, want one each for good_total and reject_total", resets)
		}
	})
}

// 6. Central answers slowly (500 ms per commit) while a burst arrives: the
// backlog of a 30-second outage sent in small batches, with an ack timeout
// shorter than the queue of commits, so batches are sent again while their
// first copy is still being committed.
func TestFaultSlowCentralUnderBurst(t *testing.T) {
	forEachDB(t, func(t *testing.T, db string) {
		s := newFullStack(t, opts{db: db, speed: 20, line: stdLine(), poll: "50ms", batchSize: 25, ackTimeout: "1s", commitDelay: 500 * time.Millisecond})
		s.waitCounting(10)
		s.stopCentral()
		time.Sleep(5 * time.Second) // the backlog builds up in the outbox
		s.startCentral()
		time.Sleep(5 * time.Second)
		s.finish()
		st := s.central.IngestStats()
		t.Logf("ingest: %+v", st)
		if st.Duplicates == 0 {
			t.Errorf("no duplicate deliveries: the test did not exercise resends under slow commits")
		}
	})
}

func waitTruth(t *testing.T, s *fullStack, cond func(linesim.LineTruth) bool, max time.Duration) {
	t.Helper()
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		if cond(s.sim.Truth()[0]) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("simulator never reached the expected point: %+v", s.sim.Truth()[0])
}

func (s *fullStack) waitState(state string, max time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		if findLine(s.lines(), "L1").State == state {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("L1 never became %s: %+v", state, findLine(s.lines(), "L1"))
}

type eventView struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

func (e eventView) State() string {
	var p struct {
		State *struct {
			State string `json:"state"`
		} `json:"state"`
		Plain string `json:"state_plain"`
	}
	json.Unmarshal(e.Payload, &p)
	if p.State != nil {
		return p.State.State
	}
	var flat struct {
		State string `json:"state"`
	}
	json.Unmarshal(e.Payload, &flat)
	return flat.State
}

func (e eventView) Reset() bool {
	var p struct {
		Count *struct {
			Reset bool `json:"reset"`
		} `json:"count"`
		Reset bool `json:"reset"`
	}
	json.Unmarshal(e.Payload, &p)
	if p.Count != nil {
		return p.Count.Reset
	}
	return p.Reset
}

// events reads every stored event of L1 straight from central's store.
func (e eventView) Counter() string {
	var p struct {
		Count *struct {
			Counter string `json:"counter"`
		} `json:"count"`
		Counter string `json:"counter"`
	}
	json.Unmarshal(e.Payload, &p)
	if p.Count != nil {
		return p.Count.Counter
	}
	return p.Counter
}

func (s *fullStack) events() []eventView {
	s.t.Helper()
	recs, err := s.central.Store().LatestEvents(context.Background(), "L1", 1_000_000)
	if err != nil {
		s.t.Fatal(err)
	}
	out := make([]eventView, len(recs))
	for i, r := range recs {
		out[i] = eventView{Type: r.Type, Payload: r.Payload}
	}
	return out
}

// SIGHUP reloads the agent's configuration while the line runs: a valid new
// file takes over without losing or repeating a part; an invalid one is
// refused and the agent keeps counting on the old one.
func TestEdgeConfigReloadOnSIGHUP(t *testing.T) {
	s := newFullStack(t, opts{db: "sqlite", speed: 20, line: stdLine(), subprocess: true})
	s.waitCounting(10)
	path := filepath.Join(s.dir, "edge.yaml")
	// A valid change: poll faster.
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(s.edgeYAML, "poll_interval: 100ms", "poll_interval: 40ms")), 0o644); err != nil {
		t.Fatal(err)
	}
	s.proc.Process.Signal(syscall.SIGHUP)
	time.Sleep(2 * time.Second)
	// An invalid one: refused, the agent goes on.
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(s.edgeYAML, "kind: good", "kind: sometimes")), 0o644); err != nil {
		t.Fatal(err)
	}
	before := findLine(s.lines(), "L1").Good
	s.proc.Process.Signal(syscall.SIGHUP)
	time.Sleep(3 * time.Second)
	if s.proc.ProcessState != nil {
		t.Fatalf("the agent exited after an invalid reload: %v", s.proc.ProcessState)
	}
	if after := findLine(s.lines(), "L1").Good; after <= before {
		t.Fatalf("counting stopped after an invalid reload: %d then %d", before, after)
	}
	s.finish()
}

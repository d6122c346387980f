package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// fakeClock is the exception rules' clock in these tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// excEnv is a started central whose edge-L1 delivers over HTTPS and whose
// exception rules run on a fake clock (their loop polls rarely; events and
// the tests' Evaluate calls drive them).
type excEnv struct {
	t     *testing.T
	a     *App
	clock *fakeClock
	start time.Time // the demo's WO-1001-10 planned start
	seq   uint64
}

func newExcEnv(t *testing.T) *excEnv {
	t.Helper()
	start := time.Now().UTC().Truncate(time.Second)
	clock := &fakeClock{t: start}
	a := startApp(t, withEdges, func(c *Config) {
		c.DemoStart = start
		c.ExceptionsNow = clock.Now
		c.Exceptions.Poll = time.Hour
		c.Planning.Auto = false
	})
	return &excEnv{t: t, a: a, clock: clock, start: start}
}

// send delivers events for L1 as edge-L1 over HTTPS and checks the ack.
func (e *excEnv) send(evs ...wire.Event) {
	e.t.Helper()
	b := wire.Batch{Version: wire.Version, EdgeID: "edge-L1"}
	for _, ev := range evs {
		e.seq++
		ev.EdgeID, ev.Line, ev.Seq = "edge-L1", "L1", e.seq
		b.Events = append(b.Events, ev)
	}
	e.post(b)
}

func (e *excEnv) post(b wire.Batch) {
	e.t.Helper()
	body, _ := json.Marshal(b)
	req, _ := http.NewRequest(http.MethodPost, "http://"+e.a.HTTPAddr()+"/api/v1/ingest", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+demoToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || strings.Contains(string(out), "rejected") {
		e.t.Fatalf("ingest: %d %s", res.StatusCode, out)
	}
}

func stateAt(at time.Time, st, reason string) wire.Event {
	return wire.Event{Type: wire.TypeState, SourceTime: at, State: &wire.State{State: st, Reason: reason}}
}

// list is the store's exceptions of kind on L1, newest first.
func (e *excEnv) list(kind domain.ExceptionKind) []domain.Exception {
	e.t.Helper()
	xs, err := e.a.Store().ListExceptions(context.Background(), domain.ExceptionFilter{Line: "L1", Kind: []domain.ExceptionKind{kind}})
	if err != nil {
		e.t.Fatal(err)
	}
	return xs
}

// until evaluates the rules at the clock's time until cond holds for the
// exceptions of kind, failing after 10 s.
func (e *excEnv) until(what string, kind domain.ExceptionKind, cond func([]domain.Exception) bool) []domain.Exception {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := e.a.Exceptions().Evaluate(context.Background()); err != nil {
			e.t.Fatalf("%s: evaluate: %v", what, err)
		}
		xs := e.list(kind)
		if cond(xs) {
			return xs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within 10s; %s exceptions: %+v", what, kind, xs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMachineDownAfterGraceAndAutoResolve(t *testing.T) {
	e := newExcEnv(t)
	down := e.start.Add(10 * time.Second)
	e.send(stateAt(down, wire.StateDown, "E42 jam at infeed"))

	// Within the grace (2 minutes by default): nothing.
	e.clock.Set(down.Add(time.Minute))
	if err := e.a.Exceptions().Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if xs := e.list(domain.ExceptionMachineDown); len(xs) != 0 {
		t.Fatalf("machine_down within the grace: %+v", xs)
	}
	// Past it: one machine_down, opened at the state's source time, with the reason.
	e.clock.Set(down.Add(2*time.Minute + time.Second))
	xs := e.until("machine_down", domain.ExceptionMachineDown, func(xs []domain.Exception) bool { return len(xs) > 0 })
	x := xs[0]
	if len(xs) != 1 || x.Status != domain.ExceptionOpen || !x.OpenedAt.Equal(down) || !strings.Contains(x.Detail, "E42 jam at infeed") ||
		x.WorkOrder != "WO-1001-10" || x.Severity != domain.SeverityCritical || x.RaisedBy != domain.SystemActor {
		t.Fatalf("machine_down: %+v", xs)
	}
	// Still down a while later: still one.
	e.clock.Set(down.Add(10 * time.Minute))
	if err := e.a.Exceptions().Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if xs := e.list(domain.ExceptionMachineDown); len(xs) != 1 {
		t.Fatalf("still down: %d exceptions", len(xs))
	}
	// Running again: resolved by the system at the running state's time.
	up := down.Add(11 * time.Minute)
	e.send(stateAt(up, wire.StateRunning, ""))
	e.clock.Set(up.Add(time.Second))
	xs = e.until("auto-resolve", domain.ExceptionMachineDown, func(xs []domain.Exception) bool {
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved
	})
	if r := xs[0]; r.ResolvedBy != domain.SystemActor || !r.ResolvedAt.Equal(up) || !strings.Contains(r.Resolution, "running") {
		t.Errorf("resolved: %+v", r)
	}
	audit, err := e.a.Store().ListAudit(context.Background(), domain.AuditFilter{Entity: "exception", EntityID: x.ID})
	if err != nil || len(audit) != 2 || audit[0].Action != "resolve" || audit[1].Action != "raise" {
		t.Errorf("audit: %v %+v", err, audit)
	}
	// No data is not downtime: its own kind, after its own grace.
	nd := up.Add(time.Minute)
	e.send(stateAt(nd, wire.StateNoData, "opcua: connection refused"))
	e.clock.Set(nd.Add(3 * time.Minute))
	xs = e.until("no_data", domain.ExceptionNoData, func(xs []domain.Exception) bool { return len(xs) == 1 })
	if !strings.Contains(xs[0].Detail, "connection refused") {
		t.Errorf("no_data: %+v", xs[0])
	}
	if xs := e.list(domain.ExceptionMachineDown); len(xs) != 1 || xs[0].Status != domain.ExceptionResolved {
		t.Errorf("no data raised machine_down: %+v", xs)
	}
	e.send(stateAt(nd.Add(4*time.Minute), wire.StateRunning, ""))
	e.clock.Set(nd.Add(5 * time.Minute))
	e.until("data back", domain.ExceptionNoData, func(xs []domain.Exception) bool {
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved
	})
}

func TestQualityFailureFromQCEvent(t *testing.T) {
	e := newExcEnv(t)
	lo, hi := 9.9, 10.1
	qc := func(at time.Time, v float64, pass bool) wire.Event {
		return wire.Event{Type: wire.TypeQC, SourceTime: at, QC: &wire.QC{Station: "QC-1", Unit: "SN-7", Characteristic: "bore_mm",
			Value: v, Lower: &lo, Upper: &hi, Pass: pass}}
	}
	e.send(qc(e.start.Add(time.Second), 10.0, true))
	at := e.start.Add(2 * time.Second)
	e.send(qc(at, 10.4, false))
	xs := e.until("quality_failure", domain.ExceptionQualityFailure, func(xs []domain.Exception) bool { return len(xs) > 0 })
	x := xs[0]
	if len(xs) != 1 || !x.OpenedAt.Equal(at) || x.WorkOrder != "WO-1001-10" || !strings.Contains(x.Detail, "bore_mm = 10.4 outside 9.9..10.1") || x.Occurrences != 1 {
		t.Fatalf("quality_failure: %+v", xs)
	}
	// The same batch resent (same edge and seq): not counted again.
	e.post(wire.Batch{Version: wire.Version, EdgeID: "edge-L1", Events: []wire.Event{func() wire.Event {
		ev := qc(at, 10.4, false)
		ev.EdgeID, ev.Line, ev.Seq = "edge-L1", "L1", e.seq
		return ev
	}()}})
	// A second failure while it is open: one exception, two occurrences.
	e.send(qc(at.Add(time.Second), 10.5, false))
	xs = e.until("repeat", domain.ExceptionQualityFailure, func(xs []domain.Exception) bool { return len(xs) == 1 && xs[0].Occurrences == 2 })
	if !strings.Contains(xs[0].Detail, "10.5") {
		t.Errorf("repeat: %+v", xs[0])
	}
	// A part measured before WO-1001-10 started is not that work order's
	// failure: attribution is by source time, as for counts.
	e.send(qc(e.start.Add(-10*time.Second), 10.6, false))
	xs = e.until("before the work order", domain.ExceptionQualityFailure, func(xs []domain.Exception) bool { return len(xs) == 2 })
	if xs[0].WorkOrder != "" || !strings.Contains(xs[0].Detail, "10.6") {
		t.Errorf("unattributed failure: %+v", xs[0])
	}
}

func TestBehindPlanWithInjectedClock(t *testing.T) {
	e := newExcEnv(t)
	// WO-1001-10 expects one part a second from e.start. 30 s in: 30
	// expected, under behind_min_expected (50): not judged yet.
	e.clock.Set(e.start.Add(30 * time.Second))
	if err := e.a.Exceptions().Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if xs := e.list(domain.ExceptionBehindPlan); len(xs) != 0 {
		t.Fatalf("behind plan with 30 expected: %+v", xs)
	}
	// 100 s in with 20 good: 20 %, but not yet for behind_min_duration (5m).
	e.clock.Set(e.start.Add(100 * time.Second))
	e.send(wire.Event{Type: wire.TypeCount, SourceTime: e.start.Add(5 * time.Second), Count: &wire.Count{Counter: "parts", Good: 20}})
	if err := e.a.Exceptions().Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if xs := e.list(domain.ExceptionBehindPlan); len(xs) != 0 {
		t.Fatalf("behind plan before behind_min_duration: %+v", xs)
	}
	// Still behind 5 minutes later: 20 of 400.
	e.clock.Set(e.start.Add(400 * time.Second))
	xs := e.until("behind_plan", domain.ExceptionBehindPlan, func(xs []domain.Exception) bool { return len(xs) > 0 })
	if x := xs[0]; len(xs) != 1 || x.WorkOrder != "WO-1001-10" || x.Status != domain.ExceptionOpen || !strings.Contains(x.Detail, "20 good of 400 expected") {
		t.Fatalf("behind_plan: %+v", xs)
	}
	// Catching up to 370 of 400 (92.5 %, above 85 % + the 5 point margin): resolved.
	e.send(wire.Event{Type: wire.TypeCount, SourceTime: e.start.Add(6 * time.Second), Count: &wire.Count{Counter: "parts", Good: 350}})
	xs = e.until("recovered", domain.ExceptionBehindPlan, func(xs []domain.Exception) bool {
		return len(xs) == 1 && xs[0].Status == domain.ExceptionResolved
	})
	if xs[0].Resolution != "attainment recovered" {
		t.Errorf("resolution %q", xs[0].Resolution)
	}
}

func TestExceptionsConfigKeys(t *testing.T) {
	d := DefaultConfig().Exceptions
	if d.BehindAttainment != 85 || d.BehindMinExpected != 50 || d.DownGrace != 2*time.Minute || d.NoDataGrace != 2*time.Minute || d.Poll != time.Second ||
		d.EdgeSilentAfter != 30*time.Second {
		t.Errorf("defaults %+v", d)
	}
	path := t.TempDir() + "/central.yaml"
	if err := os.WriteFile(path, []byte("exceptions:\n  down_grace: 30s\n  poll: 10ms\n  behind_attainment: 120\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	for _, want := range []string{":3: exceptions.poll:", ":4: exceptions.behind_attainment:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := os.WriteFile(path, []byte("exceptions:\n  down_grace: 30s\n  edge_silent_after: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil || cfg.Exceptions.DownGrace != 30*time.Second || cfg.Exceptions.NoDataGrace != 2*time.Minute || cfg.Exceptions.EdgeSilentAfter != 5*time.Second {
		t.Errorf("load: %v %+v", err, cfg.Exceptions)
	}
}

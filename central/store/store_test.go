package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "central.db")
	s, err := Open(context.Background(), DriverSQLite, SQLiteDSN(path))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var t0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

// fixture: line L1 with work order WO-1 running from t0.
func fixture(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
	must(s.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: time.Second}))
	must(s.CreateOrder(ctx, domain.Order{Number: "PO-1", ProductCode: "P", Quantity: 100, Status: domain.StatusScheduled}))
	ps := t0
	must(s.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1", OrderNumber: "PO-1", OperationSeq: 10, LineID: "L1",
		Barcode: "WO-1", Quantity: 100, PlannedStart: &ps, Status: domain.StatusScheduled}))
	must(s.StartWorkOrder(ctx, "WO-1", t0))
}

func count(seq uint64, ts time.Time, good, reject int64) wire.Event {
	return wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeCount, SourceTime: ts,
		Count: &wire.Count{Counter: "parts", Good: good, Reject: reject}}
}

func state(seq uint64, ts time.Time, st string) wire.Event {
	return wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeState, SourceTime: ts,
		State: &wire.State{State: st, Reason: st + "-reason"}}
}

func batch(evs ...wire.Event) wire.Batch {
	return wire.Batch{Version: wire.Version, EdgeID: "e1", Events: evs}
}

func line(t *testing.T, s *Store, id string) domain.LineView {
	t.Helper()
	ls, err := s.ListLines(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("line %s not listed", id)
	return domain.LineView{}
}

func TestMigrationsFreshAndReopen(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	got, err := s.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ms) || got[0] != 1 {
		t.Fatalf("applied %v, want %d migrations starting at 1", got, len(ms))
	}
	if err := s.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(ctx, DriverSQLite, SQLiteDSN(path))
	if err != nil {
		t.Fatalf("re-open: %v", err)
	}
	defer s2.Close()
	again, err := s2.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(got) {
		t.Fatalf("re-open applied %v, had %v", again, got)
	}
	if ok, err := s2.HasLines(ctx); err != nil || !ok {
		t.Fatalf("data lost on re-open: HasLines = %v, %v", ok, err)
	}
}

func TestApplyBatchDeduplicates(t *testing.T) {
	s, _ := openTest(t)
	fixture(t, s)
	ctx := context.Background()
	b := batch(count(1, t0.Add(time.Minute), 10, 1), count(2, t0.Add(2*time.Minute), 5, 0))
	n, err := s.ApplyBatch(ctx, b)
	if err != nil || n != 2 {
		t.Fatalf("first apply = %d, %v; want 2", n, err)
	}
	n, err = s.ApplyBatch(ctx, b)
	if err != nil || n != 0 {
		t.Fatalf("second apply = %d, %v; want 0", n, err)
	}
	// A batch overlapping the first: only the new event counts.
	n, err = s.ApplyBatch(ctx, batch(count(2, t0.Add(2*time.Minute), 5, 0), count(3, t0.Add(3*time.Minute), 1, 0)))
	if err != nil || n != 1 {
		t.Fatalf("overlapping apply = %d, %v; want 1", n, err)
	}
	w, err := s.GetWorkOrder(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	if w.Good != 16 || w.Reject != 1 {
		t.Errorf("WO-1 good/reject = %d/%d, want 16/1", w.Good, w.Reject)
	}
	evs, err := s.LatestEvents(ctx, "L1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Seq != 3 {
		t.Errorf("LatestEvents = %d events, first seq %v; want 3, newest first", len(evs), evs)
	}
	if evs[0].WorkOrderID == nil || *evs[0].WorkOrderID != "WO-1" {
		t.Errorf("event not attributed to WO-1: %v", evs[0].WorkOrderID)
	}
}

func TestAttributionBySourceTime(t *testing.T) {
	s, _ := openTest(t)
	fixture(t, s)
	ctx := context.Background()
	// Stop the run at t0+10m: a count at t0+15m is after it.
	if err := s.StopWorkOrder(ctx, "WO-1", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err := s.ApplyBatch(ctx, batch(
		count(1, t0.Add(-time.Second), 7, 2),     // before the run: unattributed
		count(2, t0, 3, 0),                       // at run start: inside
		count(3, t0.Add(9*time.Minute), 4, 1),    // inside
		count(4, t0.Add(10*time.Minute), 100, 0), // at run end: outside (half-open)
	))
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.GetWorkOrder(ctx, "WO-1")
	if err != nil {
		t.Fatal(err)
	}
	if w.Good != 7 || w.Reject != 1 {
		t.Errorf("WO-1 good/reject = %d/%d, want 7/1", w.Good, w.Reject)
	}
	l := line(t, s, "L1")
	if l.UnattributedGood != 107 || l.UnattributedReject != 2 {
		t.Errorf("L1 unattributed = %d/%d, want 107/2", l.UnattributedGood, l.UnattributedReject)
	}
	if l.Active == nil || l.Active.WorkOrderID != "WO-1" || l.Active.Status != domain.StatusPaused {
		t.Errorf("L1 active = %+v, want paused WO-1", l.Active)
	}
}

func TestStateOnlyMovesForward(t *testing.T) {
	s, _ := openTest(t)
	fixture(t, s)
	ctx := context.Background()
	if _, err := s.ApplyBatch(ctx, batch(state(1, t0.Add(5*time.Minute), wire.StateDown))); err != nil {
		t.Fatal(err)
	}
	// Older state arriving late must not overwrite.
	if _, err := s.ApplyBatch(ctx, batch(state(2, t0.Add(time.Minute), wire.StateRunning))); err != nil {
		t.Fatal(err)
	}
	l := line(t, s, "L1")
	if l.State != wire.StateDown || l.Reason != "down-reason" || l.StateSince == nil || !l.StateSince.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("L1 state = %q %q since %v; want down since t0+5m", l.State, l.Reason, l.StateSince)
	}
	if _, err := s.ApplyBatch(ctx, batch(state(3, t0.Add(6*time.Minute), wire.StateRunning))); err != nil {
		t.Fatal(err)
	}
	if l := line(t, s, "L1"); l.State != wire.StateRunning {
		t.Fatalf("L1 state = %q, want running after a newer event", l.State)
	}
}

func TestWorkOrderRunsConflict(t *testing.T) {
	s, _ := openTest(t)
	fixture(t, s)
	ctx := context.Background()
	if err := s.StartWorkOrder(ctx, "WO-1", t0.Add(time.Hour)); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("starting a running WO: %v, want ErrConflict", err)
	}
	if err := s.StartWorkOrder(ctx, "NOPE", t0); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("starting a missing WO: %v, want ErrNotFound", err)
	}
	if _, err := s.GetOrder(ctx, "NOPE"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetOrder(NOPE): %v, want ErrNotFound", err)
	}
	d, err := s.GetOrder(ctx, "PO-1")
	if err != nil || d.Status != domain.StatusInProgress || len(d.WorkOrders) != 1 {
		t.Errorf("GetOrder(PO-1) = %+v, %v; want in_progress with 1 work order", d, err)
	}
}

func TestRebind(t *testing.T) {
	if got := rebind(`SELECT a FROM t WHERE x = ? AND y IN (?, ?)`); got != `SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)` {
		t.Errorf("rebind = %s", got)
	}
}

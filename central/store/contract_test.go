package store

// The contract suite: every test here runs against SQLite (a file in
// t.TempDir) and PostgreSQL (a fresh schema per test, see pgtest). The
// postgres subtests need an outside service: they skip when it is missing,
// and fail instead when CI=true.

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

// testDB is one empty database of one backend.
type testDB struct {
	driver, dsn string
}

func (d testDB) postgres() bool { return d.driver == DriverPostgres }

var backends = []struct {
	name  string
	fresh func(t *testing.T) testDB
}{
	{"sqlite", func(t *testing.T) testDB {
		return testDB{DriverSQLite, SQLiteDSN(filepath.Join(t.TempDir(), "central.db"))}
	}},
	{"postgres", func(t *testing.T) testDB {
		return testDB{DriverPostgres, pgtest.Schema(t)}
	}},
}

// forEachBackend runs fn once per backend, each on an empty database.
func forEachBackend(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.fresh(t)) })
	}
}

// open opens (and migrates) db, closing it when the test ends.
func (d testDB) open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), d.driver, d.dsn)
	if err != nil {
		t.Fatalf("Open %s: %v", d.driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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

func countEv(edge string, seq uint64, ts time.Time, good, reject int64) wire.Event {
	return wire.Event{EdgeID: edge, Seq: seq, Line: "L1", Type: wire.TypeCount, SourceTime: ts,
		Count: &wire.Count{Counter: "parts", Good: good, Reject: reject}}
}

func count(seq uint64, ts time.Time, good, reject int64) wire.Event {
	return countEv("e1", seq, ts, good, reject)
}

func state(seq uint64, ts time.Time, st string) wire.Event {
	return wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeState, SourceTime: ts,
		State: &wire.State{State: st, Reason: st + "-reason"}}
}

func batch(evs ...wire.Event) wire.Batch {
	return wire.Batch{Version: wire.Version, EdgeID: evs[0].EdgeID, Events: evs}
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

func allVersions(t *testing.T) []int {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, m := range ms {
		out = append(out, m.version)
	}
	return out
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMigrationsFreshInstall(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := db.open(t)
		want := allVersions(t)
		got, err := s.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !sameInts(got, want) || got[0] != 1 {
			t.Fatalf("applied %v, want %v", got, want)
		}
		if err := s.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}); err != nil {
			t.Fatal(err)
		}
		s.Close()

		s2 := db.open(t)
		again, err := s2.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !sameInts(again, want) {
			t.Fatalf("re-open applied %v, want %v", again, want)
		}
		if ok, err := s2.HasLines(ctx); err != nil || !ok {
			t.Fatalf("data lost on re-open: HasLines = %v, %v", ok, err)
		}
	})
}

// TestMigrationsUpgrade builds the schema as the release before the newest
// migration left it, stores data, and lets Open apply the rest.
func TestMigrationsUpgrade(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		want := allVersions(t)
		upTo := want[0] // with one migration, at least prove re-open over data
		if len(want) >= 2 {
			upTo = want[len(want)-2]
		}
		old, err := open(ctx, db.driver, db.dsn, upTo)
		if err != nil {
			t.Fatalf("open at migration %d: %v", upTo, err)
		}
		got, err := old.AppliedMigrations(ctx)
		if err != nil || got[len(got)-1] != upTo {
			old.Close()
			t.Fatalf("at migration %d: applied %v, %v", upTo, got, err)
		}
		// Raw SQL against tables of 0001: the store's own methods may need
		// newer columns.
		for _, q := range []string{
			`INSERT INTO lines (id, name) VALUES ('L1', 'Line 1')`,
			`INSERT INTO events (edge_id, seq, line_id, type, source_time, received_at, payload)
				VALUES ('e1', 1, 'L1', 'count', 1, 1, '{}')`,
			`INSERT INTO products (code, name, unit, ideal_cycle_ns) VALUES ('P1', 'Part', 'pcs', 1000000000)`,
		} {
			if _, err := old.db.ExecContext(ctx, q); err != nil {
				old.Close()
				t.Fatalf("seed at migration %d: %v", upTo, err)
			}
		}
		old.Close()

		s := db.open(t)
		got, err = s.AppliedMigrations(ctx)
		if err != nil || !sameInts(got, want) {
			t.Fatalf("after upgrade: applied %v, %v; want %v", got, err, want)
		}
		if l := line(t, s, "L1"); l.Name != "Line 1" {
			t.Errorf("line after upgrade = %+v", l)
		}
		// A product from before families is a family of its own.
		if p, err := s.GetProduct(ctx, "P1"); err != nil || p.Family != "" || p.FamilyOf() != "P1" {
			t.Errorf("product after upgrade = %+v, %v", p, err)
		}
		// The event stored before the upgrade still deduplicates.
		n, err := s.ApplyBatch(ctx, batch(count(1, t0, 5, 0), count(2, t0, 5, 0)))
		if err != nil || n != 1 {
			t.Errorf("apply after upgrade = %d, %v; want 1 new (seq 1 was stored before)", n, err)
		}
	})
}

// TestMigrationsConcurrentStarters opens one empty database from several
// stores at once, as replicas starting together do: each must succeed and
// every migration must be recorded once.
func TestMigrationsConcurrentStarters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		if !db.postgres() {
			t.Skip("one SQLite file serves one central; replicas need PostgreSQL")
		}
		ctx := context.Background()
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		stores := make([]*Store, n)
		for i := range n {
			wg.Go(func() { stores[i], errs[i] = Open(ctx, db.driver, db.dsn) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Errorf("starter %d: %v", i, errs[i])
				continue
			}
			defer stores[i].Close()
		}
		s := db.open(t)
		var rows, distinct int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if want := len(allVersions(t)); rows != want || distinct != want {
			t.Errorf("schema_migrations has %d rows (%d distinct), want %d", rows, distinct, want)
		}
	})
}

func TestApplyBatchDeduplicates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
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
		os, err := s.ListOrders(ctx)
		if err != nil || len(os) != 1 || os[0].Good != 16 || os[0].Reject != 1 {
			t.Errorf("ListOrders = %+v, %v; want PO-1 with 16/1", os, err)
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
	})
}

// TestApplyBatchConcurrentReplicas applies the same batches from several
// goroutines at once, on PostgreSQL through separate stores (separate
// replicas), and interleaves other edges' batches: every event counts once.
func TestApplyBatchConcurrentReplicas(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		fixture(t, s)
		ctx := context.Background()
		replicas := []*Store{s}
		if db.postgres() {
			replicas = append(replicas, db.open(t), db.open(t))
		}
		const workers, batches = 6, 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		applied := 0
		errs := make(chan error, workers*batches)
		for w := range workers {
			st := replicas[w%len(replicas)]
			edge := []string{"e1", "e2"}[w%2] // three workers per edge, same batches
			wg.Go(func() {
				for i := range batches {
					seq := uint64(i*3 + 1)
					b := batch(countEv(edge, seq, t0.Add(time.Minute), 1, 0), countEv(edge, seq+1, t0.Add(time.Minute), 1, 0),
						countEv(edge, seq+2, t0.Add(time.Minute), 1, 1))
					n, err := st.ApplyBatch(ctx, b)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					applied += n
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		const events = 2 * batches * 3
		if applied != events {
			t.Errorf("applied %d events in total, want %d (each once)", applied, events)
		}
		w, err := s.GetWorkOrder(ctx, "WO-1")
		if err != nil {
			t.Fatal(err)
		}
		if w.Good != events || w.Reject != events/3 {
			t.Errorf("WO-1 good/reject = %d/%d, want %d/%d", w.Good, w.Reject, events, events/3)
		}
	})
}

func TestAttributionBySourceTime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
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
	})
}

func TestStateOnlyMovesForward(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
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
	})
}

func TestWorkOrderRunsConflict(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
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
		if err := s.CreateLine(ctx, domain.Line{ID: "L1", Name: "again"}); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("creating L1 twice: %v, want ErrConflict", err)
		}
		d, err := s.GetOrder(ctx, "PO-1")
		if err != nil || d.Status != domain.StatusInProgress || len(d.WorkOrders) != 1 {
			t.Errorf("GetOrder(PO-1) = %+v, %v; want in_progress with 1 work order", d, err)
		}
	})
}

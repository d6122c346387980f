package scans

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

type backend struct{ driver, dsn string }

// forEachBackend runs fn on a fresh SQLite file and a fresh PostgreSQL
// schema (skipped when PostgreSQL is not reachable, failed with CI=true).
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, backend{store.DriverSQLite, store.SQLiteDSN(filepath.Join(t.TempDir(), "central.db"))})
	})
	t.Run("postgres", func(t *testing.T) { fn(t, backend{store.DriverPostgres, pgtest.Schema(t)}) })
}

func (b backend) open(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), b.driver, b.dsn)
	if err != nil {
		t.Fatalf("open %s: %v", b.driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

// plant: lines L1 and L2, station ST-L1 on L1; PO-1 released with WO-1 on
// L1, PO-2 released with WO-2 on L2, PO-3 only scheduled with WO-3 on L1;
// operator op1 (badge B-1), planner plan (badge B-9).
func plant(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"L1", "L2"} {
		must(s.CreateLine(ctx, domain.Line{ID: l, Name: "Line " + l}))
	}
	must(s.CreateStation(ctx, domain.Station{ID: "ST-L1", LineID: "L1"}))
	must(s.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: time.Second}))
	for _, o := range []struct {
		n, wo, line string
		st          domain.OrderStatus
	}{{"PO-1", "WO-1", "L1", domain.StatusReleased}, {"PO-2", "WO-2", "L2", domain.StatusReleased}, {"PO-3", "WO-3", "L1", domain.StatusScheduled}} {
		must(s.CreateOrder(ctx, domain.Order{Number: o.n, ProductCode: "P", Quantity: 100, Status: o.st}))
		must(s.CreateWorkOrder(ctx, domain.WorkOrder{ID: o.wo, OrderNumber: o.n, OperationSeq: 10, LineID: o.line,
			Barcode: o.wo, Quantity: 100, Status: o.st}))
	}
	admin := domain.Actor{Name: "test", Role: domain.RoleAdmin}
	must(s.CreateUser(ctx, domain.User{Username: "op1", DisplayName: "Olga", Role: domain.RoleOperator, Badge: "B-1"}, admin))
	must(s.CreateUser(ctx, domain.User{Username: "plan", Role: domain.RolePlanner, Badge: "B-9"}, admin))
}

func scan(seq uint64, at time.Time, line, station, code, operator, action string) wire.Event {
	return wire.Event{EdgeID: "e1", Seq: seq, Line: line, Type: wire.TypeScan, SourceTime: at,
		Scan: &wire.Scan{Station: station, Code: code, Operator: operator, Action: action}}
}

func batch(t *testing.T, evs ...wire.Event) []byte {
	t.Helper()
	b, err := json.Marshal(wire.Batch{Version: wire.Version, EdgeID: "e1", Events: evs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// rig is ingest (as central runs it, without MQTT) poking an applier.
type rig struct {
	s  *store.Store
	in *ingest.Ingest
	a  *Applier
}

func newRig(t *testing.T, s *store.Store) *rig {
	t.Helper()
	a, err := New(Options{Store: s, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{s: s, a: a, in: ingest.New(ingest.Config{}, s, a.Poke, quiet())}
}

func (r *rig) ingest(t *testing.T, payload []byte) {
	t.Helper()
	if _, err := r.in.Process(context.Background(), "e1", payload); err != nil {
		t.Fatalf("ingest: %v", err)
	}
}

func (r *rig) run(t *testing.T) int {
	t.Helper()
	n, err := r.a.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return n
}

func workOrder(t *testing.T, s *store.Store, id string) domain.WorkOrder {
	t.Helper()
	w, err := s.GetWorkOrder(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func audit(t *testing.T, s *store.Store, entity, id string) []domain.AuditEntry {
	t.Helper()
	list, err := s.ListAudit(context.Background(), domain.AuditFilter{Entity: entity, EntityID: id})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func stationScans(t *testing.T, s *store.Store) []domain.ScanRecord {
	t.Helper()
	list, err := s.StationScans(context.Background(), "ST-L1", 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestScanStartsWorkOrderOnce: a batch with a scan of a released work
// order starts it, audited against the operator the scanner named; the
// same batch delivered again applies nothing; the next scan pauses it.
func TestScanStartsWorkOrderOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		r := newRig(t, s)
		first := batch(t, wire.Event{EdgeID: "e1", Seq: 1, Line: "L1", Type: wire.TypeCount, SourceTime: t0,
			Count: &wire.Count{Counter: "parts", Good: 3}}, scan(2, t0.Add(time.Second), "L1", "ST-L1", "WO-1", "B-1", ""))
		r.ingest(t, first)
		if n := r.run(t); n != 1 {
			t.Fatalf("applied %d scans, want 1", n)
		}
		w := workOrder(t, s, "WO-1")
		if w.Status != domain.StatusInProgress || w.ActualStart == nil || !w.ActualStart.Equal(t0.Add(time.Second)) {
			t.Fatalf("WO-1 after the scan: %+v", w)
		}
		if o, _ := s.GetOrder(context.Background(), "PO-1"); o.Status != domain.StatusInProgress {
			t.Errorf("PO-1 is %s, want in_progress", o.Status)
		}
		a := audit(t, s, "work_order", "WO-1")
		if len(a) != 1 || a[0].Actor != "op1 via edge:e1" || a[0].Role != domain.RoleOperator || a[0].Action != "start" {
			t.Fatalf("audit of WO-1: %+v", a)
		}
		if a := audit(t, s, "order", "PO-1"); len(a) != 1 || a[0].Actor != "op1 via edge:e1" {
			t.Errorf("audit of PO-1: %+v", a)
		}

		// Redelivered (no ack reached the edge): stored once, applied once.
		r.ingest(t, first)
		if n := r.run(t); n != 0 {
			t.Fatalf("redelivery applied %d scans", n)
		}
		if a := audit(t, s, "work_order", "WO-1"); len(a) != 1 {
			t.Fatalf("redelivery audited again: %+v", a)
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusInProgress {
			t.Fatalf("redelivery toggled WO-1 to %s", w.Status)
		}

		// The same barcode again, later: pause.
		r.ingest(t, batch(t, scan(3, t0.Add(time.Minute), "L1", "ST-L1", "WO-1", "op1", "")))
		r.run(t)
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusPaused {
			t.Fatalf("second scan: WO-1 is %s, want paused", w.Status)
		}
		list := stationScans(t, s)
		if len(list) != 2 || list[0].Seq != 3 || list[0].Action != "pause" || list[1].Seq != 2 || list[1].Result != domain.ScanApplied ||
			list[1].Action != "start" || list[1].WorkOrder != "WO-1" || list[1].Actor != "op1 via edge:e1" || list[1].Message != "started WO-1" {
			t.Fatalf("station scans: %+v", list)
		}
		if got := counter(t, r.a, "applied"); got != 2 {
			t.Errorf("linewise_scans_total{result=applied} = %v, want 2", got)
		}
	})
}

// TestWrongScansChangeNothing: scans that cannot apply are recorded with
// their reason and counted, change nothing, and do not hold up the next.
func TestWrongScansChangeNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		r := newRig(t, s)
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
		r.ingest(t, batch(t,
			scan(1, at(1), "L1", "ST-L1", "NOPE-7", "", ""),
			scan(2, at(2), "L1", "ST-L1", "WO-2", "", ""),
			scan(3, at(3), "L1", "ST-L1", "WO-3", "", ""),
			scan(4, at(4), "L1", "ST-L9", "WO-1", "", ""),
			scan(5, at(5), "L2", "ST-L1", "WO-1", "", ""),
			scan(6, at(6), "L1", "ST-L1", "WO-1", "", "pause"),
			scan(7, at(7), "L1", "ST-L1", "WO-1", "", "lot"),
			scan(8, at(8), "L1", "ST-L1", "WO-1", "plan", ""),
			scan(9, at(9), "L1", "ST-L1", "WO-1", "", ""), // applies
		))
		if n := r.run(t); n != 9 {
			t.Fatalf("recorded %d scans, want 9", n)
		}
		want := map[uint64]string{
			1: "unknown code NOPE-7: not a badge, a work order, a lot or a serial",
			2: "work order WO-2 runs on line L2, not on this station's line L1",
			3: "work order WO-3 is not released (order PO-3 is scheduled)",
			4: `unknown station "ST-L9"`,
			5: "station ST-L1 is on line L1, not on the event's line L2",
			6: "work order WO-1 is released, not in progress: it cannot be paused",
			7: "unknown lot WO-1 (the scanner said it is one)",
			8: "operator plan has role planner, which may not work at a station",
		}
		list := stationScans(t, s)
		for _, rec := range list {
			if rec.Seq == 9 {
				if rec.Result != domain.ScanApplied || rec.Actor != "edge:e1" {
					t.Errorf("the good scan after the wrong ones: %+v", rec)
				}
				continue
			}
			if rec.Result != domain.ScanRejected || rec.Message != want[rec.Seq] {
				t.Errorf("seq %d: %s %q, want rejected %q", rec.Seq, rec.Result, rec.Message, want[rec.Seq])
			}
		}
		// Seq 4 names a station that does not exist: listed at none.
		if len(list) != 8 {
			t.Errorf("station lists %d scans, want 8 (seq 4 names another station): %+v", len(list), list)
		}
		for _, id := range []string{"WO-2", "WO-3"} {
			if w := workOrder(t, s, id); w.Status == domain.StatusInProgress || len(audit(t, s, "work_order", id)) != 0 {
				t.Errorf("%s changed: %+v", id, w)
			}
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusInProgress {
			t.Errorf("WO-1 is %s after the good scan", w.Status)
		}
		if got := counter(t, r.a, "rejected"); got != 8 {
			t.Errorf("linewise_scans_total{result=rejected} = %v, want 8", got)
		}
	})
}

// TestBadgeSignsInAndActions: a badge signs its owner in at the station for
// the scans after it that name no operator; an unknown operator is kept in
// the audit's reason and the edge acts; forced actions complete.
func TestBadgeSignsInAndActions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		r := newRig(t, s)
		r.ingest(t, batch(t,
			scan(1, t0, "L1", "ST-L1", "B-1", "", ""),
			scan(2, t0.Add(time.Second), "L1", "ST-L1", "WO-1", "", "start"),
			scan(3, t0.Add(2*time.Second), "L1", "ST-L1", "WO-1", "ghost", "complete"),
		))
		if n := r.run(t); n != 3 {
			t.Fatalf("recorded %d, want 3", n)
		}
		list := stationScans(t, s)
		if list[2].Action != "login" || list[2].Message != "signed in as Olga at ST-L1" {
			t.Errorf("badge: %+v", list[2])
		}
		if list[1].Actor != "op1 via edge:e1" || list[1].Action != "start" {
			t.Errorf("scan after the badge: %+v", list[1])
		}
		if list[0].Result != domain.ScanApplied || list[0].Actor != "edge:e1" || list[0].Message != "completed WO-1; order PO-1 is complete" {
			t.Errorf("complete by an unknown operator: %+v", list[0])
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusCompleted {
			t.Errorf("WO-1 is %s", w.Status)
		}
		a := audit(t, s, "work_order", "WO-1")
		if len(a) != 3 || a[0].Actor != "edge:e1" || !strings.Contains(a[0].Reason, `"ghost"`) {
			t.Errorf("audit: %+v", a)
		}
	})
}

// TestCrashBetweenIngestAndApply: scans stored while no applier runs (it
// crashed, or central stopped after the commit) are applied once after a
// restart; a crash inside the apply transaction leaves nothing behind and
// the scan is applied once later.
func TestCrashBetweenIngestAndApply(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		// Ingest commits; nobody applies (no poke reaches an applier).
		in := ingest.New(ingest.Config{}, s, nil, quiet())
		if _, err := in.Process(context.Background(), "e1", batch(t, scan(1, t0, "L1", "ST-L1", "WO-1", "op1", ""))); err != nil {
			t.Fatal(err)
		}
		s.Close()

		// Restart: a new store, a new applier.
		s = b.open(t)
		a, err := New(Options{Store: s, Log: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		// First the applier dies inside its transaction, after the work
		// order was started: nothing of it may remain.
		crash := errors.New("power cut")
		_, _, ok, err := s.ApplyNextScan(context.Background(), "L1", func(tx domain.ScanTx, sc domain.PendingScan) (domain.ScanRecord, error) {
			if _, err := a.apply(tx, sc); err != nil {
				t.Fatalf("apply: %v", err)
			}
			return domain.ScanRecord{}, crash
		})
		if !ok || !errors.Is(err, crash) {
			t.Fatalf("crashed apply: ok %v err %v", ok, err)
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusReleased {
			t.Fatalf("crashed apply left WO-1 %s", w.Status)
		}
		if len(stationScans(t, s)) != 0 || len(audit(t, s, "work_order", "WO-1")) != 0 {
			t.Fatal("crashed apply left a record or an audit entry")
		}

		// Then it runs, twice, as two replicas would.
		var wg sync.WaitGroup
		counts := make([]int, 2)
		for i := range counts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, _ := New(Options{Store: s, Log: quiet()})
				n, err := a.RunOnce(context.Background())
				if err != nil {
					t.Errorf("apply: %v", err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		if counts[0]+counts[1] != 1 {
			t.Fatalf("applied %v times, want once", counts)
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusInProgress {
			t.Fatalf("WO-1 is %s", w.Status)
		}
		if a := audit(t, s, "work_order", "WO-1"); len(a) != 1 || a[0].Actor != "op1 via edge:e1" {
			t.Fatalf("audit: %+v", a)
		}
		if n, err := a.RunOnce(context.Background()); err != nil || n != 0 {
			t.Fatalf("a later pass applied %d (%v)", n, err)
		}
	})
}

func counter(t *testing.T, a *Applier, result string) float64 {
	t.Helper()
	var m dto.Metric
	if err := a.results.WithLabelValues(result).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestConcurrentAppliersInOrder: two appliers (two replicas) racing over a
// line's scans while they are being ingested apply each once and in source
// time order: the work order toggles start, pause, resume, pause, ...
func TestConcurrentAppliersInOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		const n = 20
		in := ingest.New(ingest.Config{}, s, nil, quiet())
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 2 {
			a, _ := New(Options{Store: s, Log: quiet(), Interval: 5 * time.Millisecond})
			wg.Add(1)
			go func() { defer wg.Done(); a.Run(ctx) }()
		}
		for i := uint64(1); i <= n; i += 2 {
			if _, err := in.Process(context.Background(), "e1", batch(t,
				// 3 s apart: within the scan repeat window (2 s) a scan of
				// the same code is the scanner's bounce, not a toggle.
				scan(i, t0.Add(time.Duration(i)*3*time.Second), "L1", "ST-L1", "WO-1", "op1", ""),
				scan(i+1, t0.Add(time.Duration(i+1)*3*time.Second), "L1", "ST-L1", "WO-1", "op1", ""))); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(stationScans(t, s)) < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		list := stationScans(t, s)
		if len(list) != n {
			t.Fatalf("%d scans recorded, want %d", len(list), n)
		}
		for i, rec := range list {
			seq := n - i // newest first
			want := map[bool]string{true: "pause", false: "resume"}[seq%2 == 0]
			if seq == 1 {
				want = "start"
			}
			if rec.Seq != uint64(seq) || rec.Result != domain.ScanApplied || rec.Action != want {
				t.Errorf("seq %d: %+v, want %s", seq, rec, want)
			}
		}
		if a := audit(t, s, "work_order", "WO-1"); len(a) != n {
			t.Errorf("%d audit entries for WO-1, want %d", len(a), n)
		}
		if w := workOrder(t, s, "WO-1"); w.Status != domain.StatusPaused {
			t.Errorf("WO-1 is %s", w.Status)
		}
	})
}

// flaky fails applying one scan for a reason that is not the scan's.
type flaky struct {
	*store.Store
	seq uint64
}

func (f flaky) ApplyNextScan(ctx context.Context, line string,
	fn func(tx domain.ScanTx, sc domain.PendingScan) (domain.ScanRecord, error)) (domain.PendingScan, domain.ScanRecord, bool, error) {
	return f.Store.ApplyNextScan(ctx, line, func(tx domain.ScanTx, sc domain.PendingScan) (domain.ScanRecord, error) {
		if sc.Seq == f.seq {
			return domain.ScanRecord{}, errors.New("disk on fire")
		}
		return fn(tx, sc)
	})
}

// TestFailingScanIsGivenUp: a scan that keeps failing holds its line's
// later scans back (order) for a few passes, is then recorded as failed,
// and the later scans apply.
func TestFailingScanIsGivenUp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t)
		plant(t, s)
		a, err := New(Options{Store: flaky{s, 1}, Log: quiet(), MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
		in := ingest.New(ingest.Config{}, s, nil, quiet())
		if _, err := in.Process(context.Background(), "e1", batch(t,
			scan(1, t0, "L1", "ST-L1", "WO-1", "", ""), scan(2, t0.Add(time.Second), "L1", "ST-L1", "WO-1", "", ""))); err != nil {
			t.Fatal(err)
		}
		for pass := 1; pass <= 2; pass++ {
			if n, err := a.RunOnce(context.Background()); n != 0 || err == nil || !strings.Contains(err.Error(), "disk on fire") {
				t.Fatalf("pass %d: %d recorded, err %v", pass, n, err)
			}
		}
		if n, err := a.RunOnce(context.Background()); n != 2 || err != nil {
			t.Fatalf("third pass: %d recorded, err %v", n, err)
		}
		list := stationScans(t, s)
		if len(list) != 2 || list[1].Result != domain.ScanFailed || !strings.Contains(list[1].Message, "gave up after 3 attempts") ||
			list[0].Result != domain.ScanApplied || list[0].Action != "start" {
			t.Fatalf("scans: %+v", list)
		}
		if got := counter(t, a, "failed"); got != 1 {
			t.Errorf("failed counter %v", got)
		}
	})
}

package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

// day0 is the plant day of the tests (UTC, the day starts at 06:00).
var day0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

func hm(h, m int) time.Time { return day0.Add(time.Duration(h-6)*time.Hour + time.Duration(m)*time.Minute) }

func forEachBackend(t *testing.T, fn func(t *testing.T, open func() *store.Store)) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
			if driver == store.DriverPostgres {
				dsn = pgtest.Schema(t)
			}
			fn(t, func() *store.Store {
				st, err := store.Open(context.Background(), driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			})
		})
	}
}

func testConfig() oee.Config {
	cfg := oee.DefaultConfig()
	cfg.DayStart, cfg.Timezone = "06:00", "UTC"
	cfg.Shifts = []domain.Shift{{Name: "early", Start: "06:00", End: "14:00"}, {Name: "late", Start: "14:00", End: "22:00"}}
	return cfg
}

// seed: line L1 running WO-1 (product P, ideal cycle 30 s) from 06:00,
// 10 good parts every 10 minutes from 06:05 to 21:55.
func seed(t *testing.T, st *store.Store) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
	must(st.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: 30 * time.Second}))
	must(st.CreateOrder(ctx, domain.Order{Number: "PO-1", ProductCode: "P", Quantity: 1000, Status: domain.StatusReleased}))
	must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1", OrderNumber: "PO-1", OperationSeq: 10, LineID: "L1",
		Barcode: "WO-1", Quantity: 1000, Status: domain.StatusReleased}))
	must(st.StartWorkOrder(ctx, "WO-1", hm(6, 0)))
	evs := []wire.Event{{EdgeID: "e1", Seq: 1, Line: "L1", Type: wire.TypeState, SourceTime: hm(6, 0), State: &wire.State{State: wire.StateRunning}}}
	for at, seq := hm(6, 5), uint64(2); at.Before(hm(22, 0)); at, seq = at.Add(10*time.Minute), seq+1 {
		evs = append(evs, wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeCount, SourceTime: at,
			Count: &wire.Count{Counter: "parts", Good: 10}})
	}
	_, err := st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: evs})
	must(err)
}

func list(t *testing.T, st *store.Store) []store.StoredReport {
	t.Helper()
	rs, err := st.StoredReports(context.Background(), "2026-03-01", "2026-03-03")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// heads are the reports without their content, for messages.
func heads(rs []store.StoredReport) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s %s %s rev %d (%s)", r.Kind, r.Date, r.Shift, r.Revision, r.Reason))
	}
	return out
}

func good(t *testing.T, r store.StoredReport) int64 {
	t.Helper()
	var c struct {
		Plant oee.Totals `json:"plant"`
	}
	if err := json.Unmarshal(r.Content, &c); err != nil {
		t.Fatal(err)
	}
	return c.Plant.Good
}

// TestStoredReportsOncePerPeriod: the early shift's report is stored at its
// end, once, also when central restarts after the boundary and when two
// generators tick together; a late count adds revision 2 (revision 1 stays
// as it was, with its figures); the late shift and the day, whose ends
// passed while central was down, are generated when it starts again.
func TestStoredReportsOncePerPeriod(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *store.Store) {
		ctx := context.Background()
		st := open()
		seed(t, st)
		g := New(st, testConfig(), nil)
		if got, err := g.Tick(ctx, hm(13, 59)); err != nil || len(got) != 0 {
			t.Fatalf("before the shift ends: %v %v", err, heads(got))
		}
		got, err := g.Tick(ctx, hm(14, 0).Add(30*time.Second))
		if err != nil || len(got) != 1 || got[0].Kind != KindShift || got[0].Shift != "early" || got[0].Revision != 1 {
			t.Fatalf("at the early shift's end: %v %v", err, heads(got))
		}
		// 06:05 .. 13:55: 48 counts of 10.
		if n := good(t, got[0]); n != 480 {
			t.Errorf("early shift good %d, want 480", n)
		}

		// Restart: a new store and generator; then two tick at once.
		st2 := open()
		g2 := New(st2, testConfig(), nil)
		if got, err := g2.Tick(ctx, hm(14, 1)); err != nil || len(got) != 0 {
			t.Fatalf("after a restart: %v %v", err, heads(got))
		}
		var wg sync.WaitGroup
		for _, gen := range []*Generator{New(st, testConfig(), nil), New(st2, testConfig(), nil)} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := gen.Tick(ctx, hm(14, 2)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if rs := list(t, st); len(rs) != 1 {
			t.Fatalf("stored %d reports, want the early shift once: %v", len(rs), heads(rs))
		}

		// A late batch with 7 parts at 13:00: revision 2.
		if _, err := st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e2", Events: []wire.Event{{EdgeID: "e2", Seq: 1,
			Line: "L1", Type: wire.TypeCount, SourceTime: hm(13, 0), Count: &wire.Count{Counter: "parts", Good: 7}}}}); err != nil {
			t.Fatal(err)
		}
		g3 := New(st, testConfig(), nil)
		got, err = g3.Tick(ctx, hm(14, 20))
		if err != nil || len(got) != 1 || got[0].Revision != 2 || got[0].Reason == "" {
			t.Fatalf("after late data: %v %v", err, heads(got))
		}
		r1, err := st.StoredReportRevision(ctx, KindShift, "2026-03-02", "early", 1)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := st.StoredReportRevision(ctx, KindShift, "2026-03-02", "early", 0)
		if err != nil {
			t.Fatal(err)
		}
		if good(t, r1) != 480 || good(t, r2) != 487 || r2.Revision != 2 {
			t.Errorf("revision 1 good %d (want 480, unchanged), latest revision %d good %d (want 2, 487)", good(t, r1), r2.Revision, good(t, r2))
		}
		if got, err := g3.Tick(ctx, hm(14, 40)); err != nil || len(got) != 0 {
			t.Errorf("unchanged figures stored again: %v %v", err, heads(got))
		}

		// Down from 14:40 until 09:00 the next day: the late shift (to
		// 22:00) and the day (to 06:00) are caught up at start.
		g4 := New(st, testConfig(), nil)
		got, err = g4.Tick(ctx, hm(33, 0))
		if err != nil || len(got) != 2 {
			t.Fatalf("catch-up: %v %v", err, heads(got))
		}
		kinds := map[string]store.StoredReport{}
		for _, r := range got {
			kinds[r.Kind+"/"+r.Shift] = r
		}
		late, day := kinds["shift/late"], kinds["day/"]
		if late.Revision != 1 || good(t, late) != 480 || day.Revision != 1 || good(t, day) != 967 || day.Date != "2026-03-02" {
			t.Errorf("caught up: late %v (good %d), day %v (good %d)", heads([]store.StoredReport{late}), good(t, late), heads([]store.StoredReport{day}), good(t, day))
		}
		if rs := list(t, st); len(rs) != 4 {
			t.Errorf("stored %d revisions, want 4: %v", len(rs), heads(rs))
		}
	})
}

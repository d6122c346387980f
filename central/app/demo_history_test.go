package app

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/reports"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/pgtest"
)

// TestDemoHistory, on SQLite and PostgreSQL: the demo seed with history
// gives yesterday (plant time, Asia/Shanghai here) two finished orders —
// PO-0990 on L1 finished after its due time, PO-0991 on L2 on time — and
// the generator's first tick stores yesterday's day report and both
// shifts' with production on both lines, the stops by reason and the
// scrap; yesterday consumed none of the demo's stock (L1's line side
// still holds its 2.4 l of coating, which the live demo runs short of).
func TestDemoHistory(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			dsn := store.SQLiteDSN(filepath.Join(t.TempDir(), "c.db"))
			if driver == store.DriverPostgres {
				dsn = pgtest.Schema(t)
			}
			st, err := store.Open(ctx, driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			loc, _ := time.LoadLocation("Asia/Shanghai")
			start := time.Now().UTC().Truncate(time.Second)
			began := time.Now()
			if seeded, err := SeedDemoWith(ctx, st, start, DemoOptions{History: true, Location: loc}); err != nil || !seeded {
				t.Fatalf("seed: %v %v", seeded, err)
			}
			t.Logf("demo seed with history: %v", time.Since(began))
			bs, err := inventory.New(st.Handle()).Stock(ctx, domain.StockFilter{Material: "CT-ZN"})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bs {
				if b.Lot == "CT-2609" && b.Quantity != domain.Qty(2.4*domain.QtyScale) {
					t.Errorf("coating at L1's line side: %v, want 2.4 l untouched", b.Quantity)
				}
			}
			cfg := DefaultConfig()
			cfg.Planning.Timezone = "Asia/Shanghai"
			stored, err := reports.New(st, *reportsConfig(cfg), nil).Tick(ctx, start)
			if err != nil {
				t.Fatal(err)
			}
			yesterday := start.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
			var day []byte
			var shifts []string
			for _, r := range stored {
				if r.Date != yesterday {
					continue
				}
				if r.Kind == reports.KindDay {
					day = r.Content
				} else {
					shifts = append(shifts, r.Shift)
				}
			}
			if day == nil || len(shifts) != 2 {
				t.Fatalf("stored for %s: day %v, shifts %v (of %d reports)", yesterday, day != nil, shifts, len(stored))
			}
			var r reports.DayReport
			if err := json.Unmarshal(day, &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Production) != 2 || r.Production[0].Line != "L1" || r.Production[0].Product != "BRK-100" || r.Production[0].Good < 40000 ||
				r.Production[1].Line != "L2" || r.Production[1].Product != "BRK-200" || r.Production[1].Good < 20000 || r.Production[0].Planned == 0 {
				t.Errorf("production %+v", r.Production)
			}
			if len(r.OrdersCompleted) != 2 || r.OrdersCompleted[0].Number != "PO-0990" || !r.OrdersCompleted[0].Late || r.OrdersCompleted[1].Late {
				t.Errorf("orders completed %+v", r.OrdersCompleted)
			}
			var labels []string
			for _, p := range r.DowntimePareto {
				labels = append(labels, p.Label)
			}
			if got := strings.Join(labels, ","); !strings.Contains(got, "starved") || !strings.Contains(got, "99") || len(labels) < 4 {
				t.Errorf("downtime Pareto %q", got)
			}
			if len(r.ScrapReasons) != 2 || r.ScrapReasons[0].Quantity != 12 || r.Plant.OEE == nil || *r.Plant.OEE < 0.5 {
				t.Errorf("scrap %+v, plant OEE %v", r.ScrapReasons, r.Plant.OEE)
			}
			// A second seed (a restart) adds nothing.
			if seeded, err := SeedDemoWith(ctx, st, start, DemoOptions{History: true, Location: loc}); err != nil || seeded {
				t.Errorf("second seed: %v %v", seeded, err)
			}
		})
	}
}

// TestDemoHistoryReportAtStart: a whole central started with demo_history
// has stored yesterday's day report by itself (the generator's catch-up at
// start), as make run shows it.
func TestDemoHistoryReportAtStart(t *testing.T) {
	a := startApp(t, func(c *Config) { c.DemoHistory = true })
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	ctx := context.Background()
	kinds := map[string]int{}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		rs, err := a.Store().StoredReports(ctx, yesterday, yesterday)
		if err != nil {
			t.Fatal(err)
		}
		kinds = map[string]int{}
		for _, r := range rs {
			kinds[r.Kind]++
		}
		if kinds[reports.KindDay] == 1 && kinds[reports.KindShift] == 2 {
			break
		}
	}
	if kinds[reports.KindDay] != 1 || kinds[reports.KindShift] != 2 {
		t.Fatalf("stored reports of %s after start: %+v", yesterday, kinds)
	}
}

package reports

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
)

// TestBenchReports: a year of production of LINEWISE_BENCH_LINES lines
// (default 50) as ingest's rollups hold it — one row per line and
// 15-minute bucket (25 good and 1 reject from 26 count events: 45.6
// million count events for 50 lines), written directly — and the lines'
// state changes as events (a setup at 06:00 each day, a 7-minute stop
// every two hours: 438,000); three shifts a day. Prints the time of the
// daily report of all lines for one day and of a year of daily OEE for one
// line, on SQLite and PostgreSQL (targets 500 ms and 1 s). That the
// rollups give the events' figures is TestRolledFactsEqualRaw's part.
//
//	LINEWISE_BENCH=1 go test -count=1 -run TestBenchReports -v -timeout 30m ./central/reports/
func TestBenchReports(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("benchmark: set LINEWISE_BENCH=1 to run")
	}
	lines := 50
	if v, err := strconv.Atoi(os.Getenv("LINEWISE_BENCH_LINES")); err == nil && v > 0 {
		lines = v
	}
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
			start := time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)
			days := 365
			seedStart := time.Now()
			ids := seedYear(t, st, lines, start, days)
			t.Logf("%s: seeded %d lines × %d days in %s", driver, lines, days, time.Since(seedStart).Round(time.Second))
			cfg := oee.DefaultConfig()
			cfg.DayStart, cfg.Timezone = "06:00", "UTC"
			cfg.Shifts = []domain.Shift{{Name: "early", Start: "06:00", End: "14:00"}, {Name: "late", Start: "14:00", End: "22:00"},
				{Name: "night", Start: "22:00", End: "06:00"}}
			svc := oee.NewService(st, cfg)
			now := start.AddDate(0, 0, days)
			var daily, year []time.Duration
			var good int64
			for i := range 5 {
				t0 := time.Now()
				rep, err := svc.Daily(ctx, ids, start.AddDate(0, 0, 100+i).Format("2006-01-02"), now)
				if err != nil {
					t.Fatal(err)
				}
				daily = append(daily, time.Since(t0))
				good = rep.Plant.Good
			}
			var yearGood int64
			for range 3 {
				t0 := time.Now()
				s, err := svc.DailySeries(ctx, ids[0], start.Format("2006-01-02"), start.AddDate(0, 0, days-1).Format("2006-01-02"), now)
				if err != nil {
					t.Fatal(err)
				}
				year = append(year, time.Since(t0))
				yearGood = 0
				for _, d := range s.Days {
					yearGood += d.Good
				}
			}
			slices.Sort(daily)
			slices.Sort(year)
			t.Logf("%s: daily report of %d lines: median %s (min %s, max %s), plant good %d; a year of daily OEE for one line: median %s (min %s, max %s), good %d",
				driver, lines, daily[len(daily)/2].Round(time.Millisecond), daily[0].Round(time.Millisecond), daily[len(daily)-1].Round(time.Millisecond), good,
				year[len(year)/2].Round(time.Millisecond), year[0].Round(time.Millisecond), year[len(year)-1].Round(time.Millisecond), yearGood)
		})
	}
}

// seedYear writes the lines, their work orders and a year of rollups and
// state events; it returns the line ids.
func seedYear(t *testing.T, st *store.Store, lines int, start time.Time, days int) []string {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: 30 * time.Second}))
	var ids []string
	for l := range lines {
		id := fmt.Sprintf("L%02d", l+1)
		ids = append(ids, id)
		must(st.CreateLine(ctx, domain.Line{ID: id, Name: id}))
		must(st.CreateOrder(ctx, domain.Order{Number: "PO-" + id, ProductCode: "P", Quantity: 1e9, Status: domain.StatusReleased}))
		must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-" + id, OrderNumber: "PO-" + id, OperationSeq: 10, LineID: id,
			Barcode: "WO-" + id, Quantity: 1e9, Status: domain.StatusReleased}))
		must(st.StartWorkOrder(ctx, "WO-"+id, start))
	}
	h := st.Handle()
	insert := func(table, cols string, n int, rows [][]any) {
		const chunk = 500
		ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
		for from := 0; from < len(rows); from += chunk {
			part := rows[from:min(from+chunk, len(rows))]
			vals := make([]string, len(part))
			var args []any
			for i, r := range part {
				vals[i] = ph
				args = append(args, r...)
			}
			must(h.InTx(ctx, func(q store.Q) error {
				_, err := q.Exec(ctx, "INSERT INTO "+table+" ("+cols+") VALUES "+strings.Join(vals, ", "), args...)
				return err
			}))
		}
	}
	buckets := days * 96
	for _, id := range ids {
		rows := make([][]any, 0, buckets)
		for b := range buckets {
			at := start.Add(time.Duration(b) * store.RollupBucket)
			rows = append(rows, []any{id, store.Nanos(at), "WO-" + id, "P", int64(25), int64(1), int64(26)})
		}
		insert("count_rollups", "line_id, bucket, work_order_id, product_code, good, reject, events", 7, rows)
		var evs [][]any
		seq := int64(0)
		ev := func(at time.Time, state, reason string) {
			seq++
			payload := fmt.Sprintf(`{"edge_id":"e-%s","seq":%d,"line":"%s","type":"state","source_time":"%s","state":{"state":"%s","reason":"%s"}}`,
				id, seq, id, at.Format(time.RFC3339Nano), state, reason)
			evs = append(evs, []any{"e-" + id, seq, id, "state", store.Nanos(at), store.Nanos(at), payload, "WO-" + id})
		}
		for d := range days {
			day := start.AddDate(0, 0, d)
			ev(day, "setup", "changeover")
			ev(day.Add(20*time.Minute), "running", "")
			for h := 1; h < 24; h += 2 {
				ev(day.Add(time.Duration(h)*time.Hour+10*time.Minute), "down", "12")
				ev(day.Add(time.Duration(h)*time.Hour+17*time.Minute), "running", "")
			}
		}
		insert("events", "edge_id, seq, line_id, type, source_time, received_at, payload, work_order_id", 8, evs)
	}
	return ids
}

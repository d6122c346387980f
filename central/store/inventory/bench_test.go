package inventory

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
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
)

// BenchmarkStockReads: a stock query by material and a five-level backward
// trace over LINEWISE_BENCH_LOTS lots (default 20,000) with ten ledger
// entries each, seeded by SQL (the ledger, balances and consumption rows
// as Book would leave them). Prints p50/p99 per operation.
//
//	go test -run - -bench BenchmarkStockReads -benchtime 300x ./central/store/inventory/
func BenchmarkStockReads(b *testing.B) {
	lots := 20000
	if v, err := strconv.Atoi(os.Getenv("LINEWISE_BENCH_LOTS")); err == nil && v >= 100 {
		lots = v
	}
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		b.Run(driver, func(b *testing.B) {
			ctx := context.Background()
			dsn := store.SQLiteDSN(filepath.Join(b.TempDir(), "c.db"))
			if driver == store.DriverPostgres {
				dsn = pgtest.Schema(b)
			}
			st, err := store.Open(ctx, driver, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			inv := New(st.Handle())
			seedBench(b, st, inv, lots)
			b.ResetTimer()
			var stock, trace []time.Duration
			for i := range b.N {
				t0 := time.Now()
				bs, err := inv.Stock(ctx, domain.StockFilter{Material: fmt.Sprintf("M%03d", i%100), Limit: 1000})
				if err != nil || len(bs) == 0 {
					b.Fatalf("stock: %d %v", len(bs), err)
				}
				stock = append(stock, time.Since(t0))
				t0 = time.Now()
				tree, err := inv.Backward(ctx, fmt.Sprintf("F5-%d", i%50))
				if err != nil || len(tree.Children) == 0 {
					b.Fatalf("trace: %v", err)
				}
				trace = append(trace, time.Since(t0))
			}
			b.StopTimer()
			for _, m := range []struct {
				name string
				d    []time.Duration
			}{{"stock", stock}, {"trace5", trace}} {
				slices.Sort(m.d)
				p50, p99 := m.d[len(m.d)/2], m.d[len(m.d)*99/100]
				b.ReportMetric(float64(p99.Microseconds())/1000, m.name+"-p99-ms")
				b.Logf("%s, %d lots, %d movements: %s p50 %s p99 %s", driver, lots, lots*10, m.name, p50, p99)
			}
		})
	}
}

// seedBench: 100 materials M000..M099, lots S-i of material M(i%100) with
// ten movements each at one of 20 locations; 50 chains F1-k ← F2-k ← … ←
// F5-k of produced lots, each consuming 3 raw lots and the level below.
func seedBench(b *testing.B, st *store.Store, inv *Store, lots int) {
	ctx := context.Background()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
	for m := range 100 {
		must(st.CreateProduct(ctx, domain.Product{Code: fmt.Sprintf("M%03d", m), Name: "m", Unit: "kg"}))
	}
	for l := range 20 {
		_, err := inv.CreateLocation(ctx, domain.Location{ID: fmt.Sprintf("LOC%02d", l), Name: "x", Kind: domain.LocWarehouse}, wh)
		must(err)
	}
	h := st.Handle()
	now := store.Nanos(time.Now())
	insert := func(table string, cols int, rows [][]any) {
		const chunk = 400
		for from := 0; from < len(rows); from += chunk {
			part := rows[from:min(from+chunk, len(rows))]
			ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
			var args []any
			vals := make([]string, len(part))
			for i, r := range part {
				vals[i] = ph
				args = append(args, r...)
			}
			must(h.InTx(ctx, func(q store.Q) error {
				_, err := q.Exec(ctx, "INSERT INTO "+table+" VALUES "+strings.Join(vals, ", "), args...)
				return err
			}))
		}
	}
	// Work orders for the chains.
	for k := range 50 {
		for lv := 1; lv <= 5; lv++ {
			o := fmt.Sprintf("PO-%d-%d", k, lv)
			must(st.CreateOrder(ctx, domain.Order{Number: o, ProductCode: "M000", Quantity: 1, Status: domain.StatusReleased}))
			must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "W" + o, OrderNumber: o, OperationSeq: 10, LineID: "L1", Barcode: "W" + o, Quantity: 1, Status: domain.StatusReleased}))
		}
	}
	var lotRows, balRows, mvRows, woRows [][]any
	for i := range lots {
		id, mat, loc := fmt.Sprintf("S-%d", i), fmt.Sprintf("M%03d", i%100), fmt.Sprintf("LOC%02d", i%20)
		lotRows = append(lotRows, []any{id, mat, "", nil, int64(10000), "released", now, nil, nil, now, now})
		balRows = append(balRows, []any{id, loc, mat, int64(10000), now})
		for j := range 10 {
			mvRows = append(mvRows, []any{fmt.Sprintf("%019d-%06d-%02d", now+int64(i), i, j), "receipt", mat, id, nil, loc, int64(1000), int64(1000), "kg",
				nil, nil, "", 0, now + int64(i), "bench", "warehouse", nil})
		}
	}
	for k := range 50 {
		for lv := 1; lv <= 5; lv++ {
			id, wo := fmt.Sprintf("F%d-%d", lv, k), fmt.Sprintf("WPO-%d-%d", k, lv)
			lotRows = append(lotRows, []any{id, "M000", "", wo, int64(1000), "released", nil, now, nil, now, now})
			for r := range 3 {
				woRows = append(woRows, []any{wo, fmt.Sprintf("S-%d", (k*15+lv*3+r)%lots), "M001", int64(500), now, now})
			}
			if lv > 1 {
				woRows = append(woRows, []any{wo, fmt.Sprintf("F%d-%d", lv-1, k), "M000", int64(1000), now, now})
			}
		}
	}
	insert("inv_lots", 11, lotRows)
	insert("inv_balances", 5, balRows)
	insert("inv_movements", 17, mvRows)
	insert("inv_wo_lots", 6, woRows)
}

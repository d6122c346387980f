package inventory

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

// BenchmarkIngestBackflush: batches of 100 count events for a running work
// order whose product takes three components from the line side, with
// backflush on and off; prints events/s of each and the ratio.
//
//	go test -run - -bench BenchmarkIngestBackflush -benchtime 100x ./central/store/inventory/
func BenchmarkIngestBackflush(b *testing.B) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		b.Run(driver, func(b *testing.B) {
			rate := map[bool]float64{}
			for _, on := range []bool{false, true} {
				ctx := context.Background()
				dsn := store.SQLiteDSN(filepath.Join(b.TempDir(), fmt.Sprintf("c%v.db", on)))
				if driver == store.DriverPostgres {
					dsn = pgtest.Schema(b)
				}
				st, err := store.Open(ctx, driver, dsn)
				if err != nil {
					b.Fatal(err)
				}
				inv := New(st.Handle())
				must := func(err error) {
					if err != nil {
						b.Fatal(err)
					}
				}
				must(st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
				must(st.CreateProduct(ctx, domain.Product{Code: "P", Name: "p", Unit: "pcs", IdealCycle: time.Second}))
				var bom []domain.BOMItem
				for c := range 3 {
					code := fmt.Sprintf("C%d", c)
					must(st.CreateProduct(ctx, domain.Product{Code: code, Name: "c", Unit: "pcs"}))
					bom = append(bom, domain.BOMItem{Product: "P", Component: code, Quantity: 1})
				}
				must(st.ReplaceBOM(ctx, "P", bom, domain.Actor{Name: "a", Role: domain.RoleAdmin}))
				_, err = inv.CreateLocation(ctx, domain.Location{ID: "LS", Name: "ls", Kind: domain.LocLineSide, LineID: "L1"}, wh)
				must(err)
				for c := range 3 {
					_, err := inv.Book(ctx, domain.MovementRequest{Type: domain.MoveReceipt, Lot: fmt.Sprintf("K%d", c), Material: fmt.Sprintf("C%d", c),
						Quantity: q(1e8), To: "LS"}, wh)
					must(err)
				}
				must(st.CreateOrder(ctx, domain.Order{Number: "PO-1", ProductCode: "P", Quantity: 1e8, Status: domain.StatusReleased}))
				must(st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1", OrderNumber: "PO-1", OperationSeq: 10, LineID: "L1", Barcode: "WO-1", Quantity: 1e8, Status: domain.StatusReleased}))
				t0 := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
				_, err = st.StartWorkOrderAs(ctx, "WO-1", t0, domain.Actor{Name: "op", Role: domain.RoleOperator}, "start")
				must(err)
				if !on {
					st.Handle().SetCountHook("inventory", nil)
				}
				seq := uint64(0)
				start := time.Now()
				for range b.N {
					batch := wire.Batch{EdgeID: "E1"}
					for range 100 {
						seq++
						batch.Events = append(batch.Events, wire.Event{EdgeID: "E1", Seq: seq, Line: "L1", Type: wire.TypeCount,
							SourceTime: t0.Add(time.Duration(seq) * time.Millisecond), Count: &wire.Count{Counter: "c", Good: 1}})
					}
					if _, err := st.ApplyBatch(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				rate[on] = float64(seq) / time.Since(start).Seconds()
				if on {
					bs, err := inv.Stock(ctx, domain.StockFilter{Lot: "K0"})
					must(err)
					if bs[0].Quantity != q(1e8)-domain.Qty(seq)*domain.QtyScale {
						b.Fatalf("backflushed %s of K0 for %d parts", q(1e8)-bs[0].Quantity, seq)
					}
				}
				st.Close()
			}
			b.ReportMetric(rate[true]/rate[false]*100, "%-of-plain")
			b.Logf("%s: ingest %.0f events/s plain, %.0f with backflush of 3 components (%.0f%%)", driver, rate[false], rate[true], rate[true]/rate[false]*100)
		})
	}
}

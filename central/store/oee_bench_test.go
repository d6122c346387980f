package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/store/pgtest"
	"github.com/linewise/linewise/edge/wire"
)

// BenchmarkOEE times one line's OEE over a day and over a week of raw
// events (a count every 10 s, a state change every 5 min: 8,928 events a
// day), read from the events table without rollups.
//
//	go test -run '^$' -bench BenchmarkOEE -benchtime 20x ./central/store/
func BenchmarkOEE(b *testing.B) {
	for _, driver := range []string{DriverSQLite, DriverPostgres} {
		b.Run(driver, func(b *testing.B) {
			dsn := SQLiteDSN(filepath.Join(b.TempDir(), "c.db"))
			if driver == DriverPostgres {
				dsn = pgtest.Schema(b)
			}
			ctx := context.Background()
			s, err := Open(ctx, driver, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			must := func(err error) {
				if err != nil {
					b.Fatal(err)
				}
			}
			must(s.CreateLine(ctx, domain.Line{ID: "L1", Name: "Line 1"}))
			must(s.CreateProduct(ctx, domain.Product{Code: "P", Name: "Part", Unit: "pcs", IdealCycle: 2 * time.Second}))
			must(s.CreateOrder(ctx, domain.Order{Number: "PO-1", ProductCode: "P", Quantity: 1e6, Status: domain.StatusScheduled}))
			must(s.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1", OrderNumber: "PO-1", OperationSeq: 10, LineID: "L1",
				Barcode: "WO-1", Quantity: 1e6, Status: domain.StatusScheduled}))
			start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			must(s.StartWorkOrder(ctx, "WO-1", start))
			const days = 7
			seq := uint64(0)
			var evs []wire.Event
			flush := func() {
				if len(evs) > 0 {
					_, err := s.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: evs})
					must(err)
					evs = evs[:0]
				}
			}
			for at := start; at.Before(start.AddDate(0, 0, days)); at = at.Add(10 * time.Second) {
				seq++
				evs = append(evs, wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeCount, SourceTime: at,
					Count: &wire.Count{Counter: "parts", Good: 4, Reject: int64(seq % 2)}})
				if at.Sub(start)%(5*time.Minute) == 0 {
					st := []string{wire.StateRunning, wire.StateRunning, wire.StateDown, wire.StateRunning, wire.StateIdle}[(seq/30)%5]
					seq++
					evs = append(evs, wire.Event{EdgeID: "e1", Seq: seq, Line: "L1", Type: wire.TypeState, SourceTime: at,
						State: &wire.State{State: st, Reason: "7"}})
				}
				if len(evs) >= 1000 {
					flush()
				}
			}
			flush()
			cfg := oee.DefaultConfig()
			cfg.Shifts = []domain.Shift{{Name: "A", Start: "06:00", End: "14:00"}, {Name: "B", Start: "14:00", End: "22:00"}}
			svc := oee.NewService(s, cfg)
			now := start.AddDate(0, 0, days)
			for _, span := range []int{1, days} {
				b.Run(fmt.Sprintf("%dd", span), func(b *testing.B) {
					q := oee.PeriodQuery{Kind: oee.PeriodRange, From: start, To: start.AddDate(0, 0, span)}
					for b.Loop() {
						r, err := svc.Line(ctx, "L1", q, now)
						if err != nil || r.Produced == 0 {
							b.Fatalf("%v %+v", err, r.Figures)
						}
					}
				})
			}
		})
	}
}

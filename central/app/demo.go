package app

import (
	"context"
	"errors"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// SeedDemo fills an empty database with two lines and three orders so a
// fresh install (and the line simulator's edge, which reports line L1) shows
// something: PO-1001 running on L1 from start, PO-1002 queued after it on
// L1, PO-1003 scheduled on L2; and stock for them whose coating runs short
// at L1's line side a couple of minutes in (demo_stock.go). It does nothing if any line exists. Each step
// tolerates "already exists", so a seed interrupted halfway completes on the
// next start.
func SeedDemo(ctx context.Context, st *store.Store, start time.Time) (seeded bool, err error) {
	return SeedDemoWith(ctx, st, start, DemoOptions{})
}

// DemoOptions add to the demo seed: History seeds yesterday's production
// (demo_history.go), its plant day read in Location (UTC if nil).
type DemoOptions struct {
	History  bool
	Location *time.Location
}

// SeedDemoWith is SeedDemo with options.
func SeedDemoWith(ctx context.Context, st *store.Store, start time.Time, o DemoOptions) (seeded bool, err error) {
	has, err := st.HasLines(ctx)
	if err != nil {
		return false, err
	}
	if has {
		// A demo database from before users and stations existed gets them now.
		return false, SeedDemoAccess(ctx, st)
	}
	start = start.UTC()
	at := func(d time.Duration) *time.Time { t := start.Add(d); return &t }
	const (
		cycle100 = time.Second
		cycle200 = 1200 * time.Millisecond
	)
	end1001 := time.Duration(5000) * cycle100
	end1002 := end1001 + time.Duration(800)*cycle200
	steps := []func() error{
		func() error {
			return st.CreateProduct(ctx, domain.Product{Code: "BRK-100", Name: "Brake disc 280mm", Unit: "pcs", IdealCycle: cycle100})
		},
		func() error {
			return st.CreateProduct(ctx, domain.Product{Code: "BRK-200", Name: "Brake disc 320mm", Unit: "pcs", IdealCycle: cycle200})
		},
		func() error {
			return st.CreateOrder(ctx, domain.Order{Number: "PO-1001", ProductCode: "BRK-100", Quantity: 5000, Due: at(8 * time.Hour), Priority: 1, Status: domain.StatusScheduled})
		},
		func() error {
			return st.CreateOrder(ctx, domain.Order{Number: "PO-1002", ProductCode: "BRK-200", Quantity: 800, Due: at(12 * time.Hour), Status: domain.StatusScheduled})
		},
		func() error {
			return st.CreateOrder(ctx, domain.Order{Number: "PO-1003", ProductCode: "BRK-100", Quantity: 1200, Due: at(24 * time.Hour), Status: domain.StatusScheduled})
		},
		func() error { return st.CreateLine(ctx, domain.Line{ID: "L1", Name: "Press line 1"}) },
		func() error { return st.CreateLine(ctx, domain.Line{ID: "L2", Name: "Assembly 2"}) },
		// Yesterday's finished orders and their events, before any bill of
		// materials exists, so they consume none of the demo's stock.
		func() error {
			if !o.History {
				return nil
			}
			return seedDemoHistory(ctx, st, start, o.Location)
		},
		// Components, stock in the warehouse and at L1's line side (demo_stock.go).
		func() error { return seedSteps(demoStockSteps(ctx, st)) },
		// Suppliers and an open purchase order (demo_purchasing.go).
		func() error { return seedSteps(demoPurchasingSteps(ctx, st, start)) },
		func() error {
			return st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1001-10", OrderNumber: "PO-1001", OperationSeq: 10, LineID: "L1",
				Barcode: "WO-1001-10", Quantity: 5000, PlannedStart: at(0), PlannedEnd: at(end1001), Status: domain.StatusScheduled})
		},
		func() error {
			return st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1002-10", OrderNumber: "PO-1002", OperationSeq: 10, LineID: "L1",
				Barcode: "WO-1002-10", Quantity: 800, PlannedStart: at(end1001), PlannedEnd: at(end1002), Status: domain.StatusScheduled})
		},
		func() error {
			return st.CreateWorkOrder(ctx, domain.WorkOrder{ID: "WO-1003-10", OrderNumber: "PO-1003", OperationSeq: 10, LineID: "L2",
				Barcode: "WO-1003-10", Quantity: 1200, PlannedStart: at(0), PlannedEnd: at(1200 * cycle100), Status: domain.StatusScheduled})
		},
		// Starting the work order opens its run and moves PO-1001 to in_progress.
		func() error { return st.StartWorkOrder(ctx, "WO-1001-10", start) },
		// One outsourced operation (demo_purchasing.go).
		func() error { return demoOutsourcing(ctx, st) },
		// L2 has no edge in the demo: show it idle rather than no data.
		func() error { return st.SetLineState(ctx, "L2", "idle", "", start) },
	}
	for _, step := range steps {
		if err := step(); err != nil && !errors.Is(err, domain.ErrConflict) {
			return false, err
		}
	}
	return true, SeedDemoAccess(ctx, st)
}

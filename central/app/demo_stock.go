package app

import (
	"context"
	"errors"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
)

// demoKeeper books the demo's stock.
var demoKeeper = domain.Actor{Name: "demo", Role: domain.RoleAdmin}

// demoStockSteps give the demo products their components and stock: a
// brake disc is one cast blank and 0.02 l of anti-corrosion coating. The
// warehouse WH1-A holds plenty of both; L1's line side LS-L1 holds blanks
// for the whole of PO-1001 but only 2.4 l of coating, enough for about 120
// discs. So as L1 counts, backflush consumes blanks and coating from the
// line side, the coating there runs out about two minutes into the demo,
// and central opens material_short for WO-1001-10 ("line side L1 holds
// none") — resolved once coating reaches the line side: a transfer, or an
// operator scanning lot CT-2612 at station ST-L1. Lots carry client ids,
// so a seed interrupted halfway books each receipt once.
func demoStockSteps(ctx context.Context, st *store.Store) []func() error {
	inv := inventory.New(st.Handle())
	product := func(code, name, unit string) func() error {
		return func() error { return st.CreateProduct(ctx, domain.Product{Code: code, Name: name, Unit: unit}) }
	}
	bom := func(p string, items ...domain.BOMItem) func() error {
		return func() error { return st.ReplaceBOM(ctx, p, items, demoKeeper) }
	}
	location := func(l domain.Location) func() error {
		return func() error { _, err := inv.CreateLocation(ctx, l, demoKeeper); return err }
	}
	receipt := func(lot, material, supplierLot string, qty float64, to string) func() error {
		return func() error {
			_, err := inv.Book(ctx, domain.MovementRequest{Type: domain.MoveReceipt, Lot: lot, Material: material, SupplierLot: supplierLot,
				Quantity: domain.Qty(qty * domain.QtyScale), To: to, ClientID: "demo-" + lot}, demoKeeper)
			return err
		}
	}
	return []func() error{
		product("BLK-280", "Cast blank 280mm", "pcs"),
		product("BLK-320", "Cast blank 320mm", "pcs"),
		product("CT-ZN", "Anti-corrosion coating", "l"),
		bom("BRK-100", domain.BOMItem{Product: "BRK-100", Component: "BLK-280", Quantity: 1}, domain.BOMItem{Product: "BRK-100", Component: "CT-ZN", Quantity: 0.02}),
		bom("BRK-200", domain.BOMItem{Product: "BRK-200", Component: "BLK-320", Quantity: 1}, domain.BOMItem{Product: "BRK-200", Component: "CT-ZN", Quantity: 0.025}),
		location(domain.Location{ID: "WH1-A", Name: "Main warehouse, rack A", Kind: domain.LocWarehouse, Warehouse: "WH1"}),
		location(domain.Location{ID: "LS-L1", Name: "Press line 1 feeder", Kind: domain.LocLineSide, LineID: "L1"}),
		location(domain.Location{ID: "QA-1", Name: "Quarantine cage", Kind: domain.LocQuarantine, Warehouse: "WH1"}),
		receipt("BLK280-2611", "BLK-280", "FDY-88120", 6000, "LS-L1"),
		receipt("BLK280-2612", "BLK-280", "FDY-88164", 30000, "WH1-A"),
		receipt("BLK320-2611", "BLK-320", "FDY-88131", 10000, "WH1-A"),
		receipt("CT-2609", "CT-ZN", "CHM-4410", 2.4, "LS-L1"),
		receipt("CT-2612", "CT-ZN", "CHM-4472", 400, "WH1-A"),
		receipt("CT-2613", "CT-ZN", "CHM-4475", 50, "QA-1"), // held for incoming inspection
	}
}

// seedSteps runs steps in order, tolerating "already exists".
func seedSteps(steps []func() error) error {
	for _, step := range steps {
		if err := step(); err != nil && !errors.Is(err, domain.ErrConflict) {
			return err
		}
	}
	return nil
}

package app

import (
	"context"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
	"github.com/linewise/linewise/central/store/purchasing"
)

// demoPurchasingSteps give the demo a supplier file and purchasing in
// flight: the foundry FDY supplies the cast blanks, CHM the coating (which
// is inspected on receipt: viscosity and density), SLOW is on probation;
// purchase order PUR-2601 for 3,000 blanks 280mm is approved by the
// manager and sent, confirmed for a week after start.
func demoPurchasingSteps(ctx context.Context, st *store.Store, start time.Time) []func() error {
	pur := purchasing.New(st.Handle(), inventory.New(st.Handle()), domain.DefaultPurchasingRules())
	buyer := domain.Actor{Name: "buy", Role: domain.RoleBuyer}
	manager := domain.Actor{Name: "mgr", Role: domain.RoleManager}
	day := func(d int) string { return start.UTC().AddDate(0, 0, d).Format(time.DateOnly) }
	supplier := func(sp domain.Supplier, items ...domain.SupplierItem) func() error {
		return func() error {
			if _, _, err := pur.PutSupplier(ctx, sp, buyer); err != nil {
				return err
			}
			_, err := pur.ReplaceSupplierItems(ctx, sp.Code, items, buyer)
			return err
		}
	}
	return []func() error{
		supplier(domain.Supplier{Code: "FDY", Name: "Ningbo Foundry Co.", Status: domain.SupplierApproved, Address: "88 Harbour Road, Ningbo",
			Contacts: []domain.Contact{{Name: "Chen Jie", Role: "sales", Email: "chen.jie@fdy.example", Phone: "+86 574 5550 1010"}}},
			domain.SupplierItem{Material: "BLK-280", LeadTimeDays: 7, Price: 185000, Currency: "CNY", MOQ: 500_000, Multiple: 100_000, Preferred: true},
			domain.SupplierItem{Material: "BLK-320", LeadTimeDays: 7, Price: 226000, Currency: "CNY", MOQ: 500_000, Multiple: 100_000, Preferred: true}),
		supplier(domain.Supplier{Code: "CHM", Name: "Eastern Coatings Ltd.", Status: domain.SupplierApproved,
			Contacts: []domain.Contact{{Name: "Liu Fang", Role: "quality", Email: "liu.fang@chm.example"}}},
			domain.SupplierItem{Material: "CT-ZN", LeadTimeDays: 3, Price: 420000, Currency: "CNY", Multiple: 20_000, Preferred: true}),
		supplier(domain.Supplier{Code: "PLT", Name: "Ningbo Surface Tech Co.", Status: domain.SupplierApproved, Notes: "外协: anti-corrosion treatment of discs",
			Contacts: []domain.Contact{{Name: "Zhou Min", Role: "sales", Email: "zhou.min@plt.example"}}},
			domain.SupplierItem{Material: "BRK-100", LeadTimeDays: 5, Price: 12000, Currency: "CNY"}),
		supplier(domain.Supplier{Code: "SLOW", Name: "Slowpoke Castings", Status: domain.SupplierProbation, Notes: "late twice last quarter"},
			domain.SupplierItem{Material: "BLK-280", LeadTimeDays: 14, Price: 172000, Currency: "CNY", MOQ: 1000_000}),
		func() error {
			_, err := pur.PutInspectionPlan(ctx, domain.InspectionPlan{Material: "CT-ZN", Required: true, SampleSize: 3,
				Characteristics: []domain.Characteristic{
					{Name: "viscosity", Unit: "s", Lower: 18, Upper: 24, PhysicalMin: 0, PhysicalMax: 300},
					{Name: "density", Unit: "g/cm³", Lower: 1.2, Upper: 1.4, PhysicalMin: 0.5, PhysicalMax: 3},
				}}, domain.Actor{Name: "qa", Role: domain.RoleQuality})
			return err
		},
		func() error {
			_, err := pur.CreatePO(ctx, domain.PurchaseOrder{Number: "PUR-2601", Supplier: "FDY", Notes: "Deliver to WH1 dock 2",
				Lines: []domain.POLine{{Material: "BLK-280", Quantity: 3000_000, DueDate: day(7), ConfirmedDate: day(7)}}}, buyer)
			return err
		},
		func() error { _, err := pur.ActPO(ctx, "PUR-2601", domain.POActApprove, "demo", manager); return err },
		func() error { _, err := pur.ActPO(ctx, "PUR-2601", domain.POActSend, "", buyer); return err },
	}
}

// demoOutsourcing gives the demo one outsourced operation (外协): L2 is
// saturated, so the planner asks for PO-1003's pressing to go to PLT; the
// manager approves it (the subcontract purchase order), and the warehouse
// has sent PLT the 1,200 blanks. It runs once the work orders exist.
func demoOutsourcing(ctx context.Context, st *store.Store) error {
	pur := purchasing.New(st.Handle(), inventory.New(st.Handle()), domain.DefaultPurchasingRules())
	if have, err := pur.ListSubcontracts(ctx, purchasing.SubcontractFilter{WorkOrder: "WO-1003-10"}); err != nil || len(have) > 0 {
		return err
	}
	sc, err := pur.RequestSubcontract(ctx, purchasing.SubcontractRequest{WorkOrder: "WO-1003-10", Supplier: "PLT",
		Reason: "L2 saturated this week"}, domain.Actor{Name: "plan", Role: domain.RolePlanner})
	if err != nil {
		return err
	}
	if _, err := pur.DecideSubcontract(ctx, sc.ID, true, "demo", domain.Actor{Name: "mgr", Role: domain.RoleManager}); err != nil {
		return err
	}
	_, err = pur.ShipSubcontract(ctx, sc.ID, purchasing.ShipRequest{Quantity: 1200,
		Lots: []purchasing.ShipLot{{Lot: "BLK280-2612", From: "WH1-A", Quantity: 1200 * domain.QtyScale}}}, domain.Actor{Name: "wh", Role: domain.RoleWarehouse})
	return err
}

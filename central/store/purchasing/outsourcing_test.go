package purchasing

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store/costing"
)

// TestOutsourcingCostOnBoth: 10 parts of order O-1's operation 10 go to
// ACME at 12.50 a part; 6 come back. The order's cost sheet carries
// outsourcing 6 × 12.50 = 75.00 (what came back, at the subcontract
// purchase order's price); an order with nothing outsourced 0.
func TestOutsourcingCostOnBoth(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: "PAN", Name: "Pan", Unit: "pcs", IdealCycle: time.Second}))
		x.must(x.st.CreateLine(x.ctx, domain.Line{ID: "L1", Name: "Line 1"}))
		_, err := x.pur.ReplaceSupplierItems(x.ctx, "ACME", []domain.SupplierItem{{Material: "PAN", LeadTimeDays: 4, Price: 125000, Currency: "CNY"}}, buyer)
		x.must(err)
		for _, n := range []string{"O-1", "O-2"} {
			x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: n, ProductCode: "PAN", Quantity: 10, Status: domain.StatusReleased}))
			x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: n + "-10", OrderNumber: n, OperationSeq: 10, LineID: "L1", Barcode: n + "-10",
				Quantity: 10, Status: domain.StatusReleased}))
		}
		_, err = x.inv.Book(x.ctx, domain.MovementRequest{Type: domain.MoveReceipt, Lot: "ST-1", Material: "STEEL", Quantity: 50_000, To: "WH-A"}, wh)
		x.must(err)
		sc, err := x.pur.RequestSubcontract(x.ctx, SubcontractRequest{WorkOrder: "O-1-10", Supplier: "ACME"}, buyer)
		x.must(err)
		_, err = x.pur.DecideSubcontract(x.ctx, sc.ID, true, "", domain.Actor{Name: "boss", Role: domain.RoleManager})
		x.must(err)
		_, err = x.pur.ShipSubcontract(x.ctx, sc.ID, ShipRequest{Quantity: 10, Lots: []ShipLot{{Lot: "ST-1", From: "WH-A", Quantity: 20_000}}}, wh)
		x.must(err)
		_, err = x.pur.ReceiveSubcontract(x.ctx, sc.ID, ReturnRequest{Quantity: 6}, wh)
		x.must(err)
		c := costing.New(x.st.Handle(), "CNY")
		c.Outsourcing = x.pur.OutsourcingCost("CNY")
		for order, want := range map[string]string{"O-1": "75.0000", "O-2": "0.0000"} {
			cs, err := c.OrderCost(x.ctx, order)
			x.must(err)
			if got := cs.Actual.Outsourcing.String(); got != want {
				t.Errorf("%s outsourcing %s, want %s", order, got, want)
			}
		}
	})
}

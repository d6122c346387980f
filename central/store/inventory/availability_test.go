package inventory

import (
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// setStatus moves an order to status the way a lifecycle action does
// (ChangeOrder), so the materials hook runs in its transaction.
func (x *fixture) setStatus(order string, to domain.OrderStatus, action string) {
	x.t.Helper()
	_, err := x.st.ChangeOrder(x.ctx, order, domain.Actor{Name: "sup", Role: domain.RoleSupervisor},
		func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			rec.Order.Status = to
			return domain.OrderChange{Action: action}, nil
		})
	x.must(err)
}

// TestAvailabilityAndAllocation: bracket P needs 2 clips C and 1 blank S;
// the blank is made in house from 0.5 m of strip M. Stock: 15 clips, 4
// blanks, 10 m of released strip and 100 m in quarantine (not usable).
func TestAvailabilityAndAllocation(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: "C", Name: "Clip", Unit: "pcs"}))
		x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: "S", Name: "Blank", Unit: "pcs"}))
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "C", Quantity: 2}, {Product: "P", Component: "S", Quantity: 1}}, admin))
		x.must(x.st.ReplaceBOM(x.ctx, "S", []domain.BOMItem{{Product: "S", Component: "M", Quantity: 50, Unit: "cm"}}, admin))
		x.must(x.inv.ReplaceUnits(x.ctx, "M", []domain.UnitConversion{{Unit: "cm", Factor: 0.01}}, wh))
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "C-1", Material: "C", Quantity: q(15), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "S", Quantity: q(4), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "M-1", Material: "M", Quantity: q(10), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "M-Q", Material: "M", Quantity: q(100), To: "QA"})
		x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: "PO-A", ProductCode: "P", Quantity: 10, Status: domain.StatusScheduled}))
		x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: "WO-A", OrderNumber: "PO-A", OperationSeq: 10, LineID: "L1",
			Barcode: "WO-A", Quantity: 10, Status: domain.StatusScheduled}))

		a, err := x.inv.Availability(x.ctx, "PO-A")
		x.must(err)
		want := []domain.AvailabilityLine{
			{Level: 1, Parent: "P", Material: "C", Unit: "pcs", Required: q(20), OnHand: q(15), Available: q(15), FromStock: q(15), Shortfall: q(5)},
			{Level: 1, Parent: "P", Material: "S", Unit: "pcs", Required: q(10), OnHand: q(4), Available: q(4), FromStock: q(4), ToMake: q(6)},
			{Level: 2, Parent: "S", Material: "M", Unit: "m", Required: q(3), OnHand: q(10), Available: q(10), FromStock: q(3)},
		}
		if !a.Short || len(a.Lines) != len(want) {
			t.Fatalf("availability: %+v", a)
		}
		for i, w := range want {
			if a.Lines[i] != w {
				t.Errorf("line %d: %+v\nwant %+v", i, a.Lines[i], w)
			}
		}

		// Release reserves what stock covers, in the release's transaction.
		x.setStatus("PO-A", domain.StatusReleased, "release")
		al, err := x.inv.Allocations(x.ctx, "PO-A")
		x.must(err)
		if len(al) != 3 || al["C"] != q(15) || al["S"] != q(4) || al["M"] != q(3) {
			t.Errorf("allocated at release: %v", al)
		}
		// Another order sees only what is left.
		x.order("PO-B", "P", "WO-B", domain.StatusScheduled)
		b, err := x.inv.Availability(x.ctx, "PO-B")
		x.must(err)
		if c := b.Lines[0]; c.Material != "C" || c.Allocated != q(15) || c.Available != 0 || c.Shortfall != q(200) {
			t.Errorf("PO-B clips: %+v", c)
		}
		if m := b.Lines[2]; m.Material != "M" || m.Allocated != q(3) || m.Available != q(7) || m.FromStock != q(7) || m.Shortfall != q(43) {
			t.Errorf("PO-B strip: %+v", m)
		}
		// Issuing to the order's work order uses up its reservation.
		x.book(domain.MovementRequest{Type: domain.MoveIssue, Lot: "C-1", Quantity: q(5), From: "WH-A", WorkOrder: "WO-A"})
		a, err = x.inv.Availability(x.ctx, "PO-A")
		x.must(err)
		if c := a.Lines[0]; c.Reserved != q(10) || c.OnHand != q(10) {
			t.Errorf("after issuing 5 clips: %+v", c)
		}
		// Closing frees what is left.
		x.setStatus("PO-A", domain.StatusClosed, "close")
		al, err = x.inv.Allocations(x.ctx, "PO-A")
		x.must(err)
		if len(al) != 0 {
			t.Errorf("allocations after close: %v", al)
		}
		audit, err := x.st.ListAudit(x.ctx, domain.AuditFilter{Entity: "order", EntityID: "PO-A"})
		x.must(err)
		var actions []string
		for _, e := range audit {
			actions = append(actions, e.Action)
		}
		if len(actions) != 4 || actions[0] != "unallocate" || actions[2] != "allocate" {
			t.Errorf("order audit: %v", actions)
		}
		// A BOM unit without a conversion is named.
		x.must(x.st.ReplaceBOM(x.ctx, "S", []domain.BOMItem{{Product: "S", Component: "M", Quantity: 1, Unit: "yd"}}, admin))
		if _, err := x.inv.Availability(x.ctx, "PO-B"); err == nil || !strings.Contains(err.Error(), `no conversion from "yd"`) {
			t.Errorf("BOM in yards: %v", err)
		}
	})
}

package inventory

import (
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestTraceThreeLevels: strip M (supplier lot ACME-77) is pressed into
// semi-finished S on WO-S; S and a second strip lot go into bracket P on
// WO-1, which is shipped to a customer. Backward from the bracket finds
// the strip; forward from the strip finds the customer's order.
func TestTraceThreeLevels(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: "S", Name: "Pressed blank", Unit: "pcs"}))
		x.order("PO-S", "S", "WO-S", domain.StatusInProgress)
		x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: "SO-9", ProductCode: "P", Quantity: 5, Status: domain.StatusReleased}))
		x.must(x.st.Handle().InTx(x.ctx, func(q store.Q) error { // CreateOrder keeps no customer reference
			_, err := q.Exec(x.ctx, `UPDATE orders SET customer_ref = ? WHERE number = ?`, "ACME_PO_4711", "SO-9")
			return err
		}))
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "R-1", Material: "M", SupplierLot: "ACME-77", Quantity: q(100), To: "LS-L1"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "R-2", Material: "M", Quantity: q(100), To: "LS-L1"})
		x.book(domain.MovementRequest{Type: domain.MoveIssue, Lot: "R-1", Quantity: q(12), From: "LS-L1", WorkOrder: "WO-S"})
		x.book(domain.MovementRequest{Type: domain.MoveReturn, Lot: "R-1", Quantity: q(2), To: "LS-L1", WorkOrder: "WO-S"})
		x.book(domain.MovementRequest{Type: domain.MoveFGReceipt, Lot: "S-1", Quantity: q(10), To: "LS-L1", WorkOrder: "WO-S"})
		x.book(domain.MovementRequest{Type: domain.MoveIssue, Lot: "S-1", Quantity: q(10), From: "LS-L1", WorkOrder: "WO-1"})
		x.book(domain.MovementRequest{Type: domain.MoveIssue, Lot: "R-2", Quantity: q(3.5), From: "LS-L1", WorkOrder: "WO-1"})
		x.book(domain.MovementRequest{Type: domain.MoveFGReceipt, Lot: "F-1", Quantity: q(10), To: "WH-A", WorkOrder: "WO-1"})
		x.book(domain.MovementRequest{Type: domain.MoveShipment, Lot: "F-1", Quantity: q(4), From: "WH-A", Order: "SO-9"})
		// A lot issued to a work order that has made nothing yet.
		x.order("PO-4", "P", "WO-4", domain.StatusReleased)
		x.book(domain.MovementRequest{Type: domain.MoveIssue, Lot: "R-1", Quantity: q(1), From: "LS-L1", WorkOrder: "WO-4"})

		b, err := x.inv.Backward(x.ctx, "F-1")
		x.must(err)
		if b.Lot != "F-1" || b.WorkOrder != "WO-1" || b.Order != "PO-1" || b.Line != "L1" || b.Quantity != q(10) || len(b.Children) != 2 {
			t.Fatalf("backward root: %+v", b)
		}
		r2, s1 := b.Children[0], b.Children[1]
		if r2.Lot != "R-2" || r2.Quantity != q(3.5) || r2.Unit != "m" || r2.FirstAt == nil || len(r2.Children) != 0 {
			t.Errorf("R-2 in F-1: %+v", r2)
		}
		if s1.Lot != "S-1" || s1.Quantity != q(10) || s1.WorkOrder != "WO-S" || s1.Order != "PO-S" || len(s1.Children) != 1 {
			t.Fatalf("S-1 in F-1: %+v", s1)
		}
		if r1 := s1.Children[0]; r1.Lot != "R-1" || r1.Quantity != q(10) || r1.SupplierLot != "ACME-77" || r1.Material != "M" {
			t.Errorf("R-1 in S-1 (12 issued, 2 returned): %+v", r1)
		}

		f, err := x.inv.Forward(x.ctx, "R-1")
		x.must(err)
		if len(f.Children) != 2 {
			t.Fatalf("forward R-1: %+v", f)
		}
		wip, s := f.Children[0], f.Children[1] // by work order: WO-4, WO-S
		if s.Lot != "S-1" || s.Quantity != q(10) || len(s.Children) != 1 {
			t.Fatalf("R-1 → S-1: %+v", s)
		}
		if wip.Lot != "" || wip.WorkOrder != "WO-4" || wip.Order != "PO-4" || wip.Quantity != q(1) {
			t.Errorf("R-1 → WO-4 (no lot yet): %+v", wip)
		}
		fl := s.Children[0]
		if fl.Lot != "F-1" || fl.Quantity != q(10) || len(fl.Shipments) != 1 || fl.Shipments[0].Order != "SO-9" ||
			fl.Shipments[0].CustomerRef != "ACME_PO_4711" || fl.Shipments[0].Quantity != q(4) {
			t.Errorf("S-1 → F-1 shipped: %+v", fl)
		}
		if _, err := x.inv.Backward(x.ctx, "NOPE"); err == nil {
			t.Error("trace of an unknown lot")
		}
	})
}

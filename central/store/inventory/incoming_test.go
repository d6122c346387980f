package inventory

import (
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestAvailabilityCountsConfirmedIncoming: order PO-B (100 brackets, 0.5 m
// of strip each) starts on 2026-03-10; 10 m of strip are in stock. Open
// purchase order lines bring strip: 20 m confirmed for 03-05 (10 already
// received, so 10 m to come), 15 m confirmed for 03-09 on a sent order, 30 m
// confirmed for 03-10 (the start's day: too late), 25 m with no confirmed
// date, 40 m on a draft, 50 m on a closed line, 60 m on a subcontracting
// order. So 10 m in stock + 25 m incoming cover 35 of the 50 m: short 15 m.
// Release reserves only the stock; an order without a planned start counts
// no incoming.
func TestAvailabilityCountsConfirmedIncoming(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		x.must(x.st.ReplaceBOM(x.ctx, "P", []domain.BOMItem{{Product: "P", Component: "M", Quantity: 0.5}}, admin))
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "M-1", Material: "M", Quantity: q(10), To: "WH-A"})
		start := time.Date(2026, 3, 10, 6, 0, 0, 0, time.UTC)
		x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: "PO-B", ProductCode: "P", Quantity: 100, Status: domain.StatusScheduled}))
		x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: "WO-B", OrderNumber: "PO-B", OperationSeq: 10, LineID: "L1",
			Barcode: "WO-B", Quantity: 100, Status: domain.StatusScheduled, PlannedStart: &start}))
		now := store.Nanos(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
		x.must(x.st.Handle().InTx(x.ctx, func(tx store.Q) error {
			if _, err := tx.Exec(x.ctx, `INSERT INTO suppliers (code, name, status, created_at, updated_at) VALUES ('SUP', 'Strip Co', 'approved', ?, ?)`, now, now); err != nil {
				return err
			}
			for _, po := range []struct {
				number, status string
				subcontract    int
			}{{"PUR-1", "approved", 0}, {"PUR-2", "sent", 0}, {"PUR-3", "draft", 0}, {"PUR-4", "sent", 1}} {
				if _, err := tx.Exec(x.ctx, `INSERT INTO purchase_orders (number, supplier, status, currency, subcontract, created_at, updated_at)
					VALUES (?, 'SUP', ?, 'CNY', ?, ?, ?)`, po.number, po.status, po.subcontract, now, now); err != nil {
					return err
				}
			}
			for _, l := range []struct {
				po            string
				line          int
				qty, received float64
				confirmed     string
				closed        int
			}{
				{"PUR-1", 1, 20, 10, "2026-03-05", 0},
				{"PUR-1", 2, 30, 0, "2026-03-10", 0},
				{"PUR-1", 3, 25, 0, "", 0},
				{"PUR-1", 4, 50, 0, "2026-03-02", 1},
				{"PUR-2", 1, 15, 0, "2026-03-09", 0},
				{"PUR-3", 1, 40, 0, "2026-03-03", 0},
				{"PUR-4", 1, 60, 0, "2026-03-03", 0},
			} {
				if _, err := tx.Exec(x.ctx, `INSERT INTO po_lines (po_number, line, material, quantity, price, amount, due_date, confirmed_date, received, closed)
					VALUES (?, ?, 'M', ?, 0, 0, '2026-03-01', ?, ?, ?)`, l.po, l.line, int64(q(l.qty)), l.confirmed, int64(q(l.received)), l.closed); err != nil {
					return err
				}
			}
			return nil
		}))

		a, err := x.inv.Availability(x.ctx, "PO-B")
		x.must(err)
		want := domain.AvailabilityLine{Level: 1, Parent: "P", Material: "M", Unit: "m", Required: q(50), OnHand: q(10), Available: q(10), FromStock: q(10),
			Incoming: q(25), FromIncoming: q(25), Shortfall: q(15)}
		if !a.Short || len(a.Lines) != 1 || a.Lines[0] != want || a.PlannedStart == nil || !a.PlannedStart.Equal(start) {
			t.Fatalf("availability of PO-B: %+v\nwant line %+v", a, want)
		}
		// Release reserves the 10 m in stock, not what is still to come.
		x.setStatus("PO-B", domain.StatusReleased, "release")
		al, err := x.inv.Allocations(x.ctx, "PO-B")
		x.must(err)
		if al["M"] != q(10) {
			t.Errorf("allocated: %+v", al)
		}
		// More incoming than needed: covered, nothing short.
		x.must(x.st.Handle().InTx(x.ctx, func(tx store.Q) error {
			_, err := tx.Exec(x.ctx, `UPDATE po_lines SET confirmed_date = '2026-03-08' WHERE po_number = 'PUR-1' AND line = 3`)
			return err
		}))
		a, err = x.inv.Availability(x.ctx, "PO-B")
		x.must(err)
		if a.Short || a.Lines[0].Incoming != q(50) || a.Lines[0].FromIncoming != q(40) || a.Lines[0].Reserved != q(10) {
			t.Errorf("with 03-08 confirmed: %+v", a.Lines)
		}
		// PO-1 has no planned start: no incoming counts for it.
		a, err = x.inv.Availability(x.ctx, "PO-1")
		x.must(err)
		if a.PlannedStart != nil || a.Lines[0].Incoming != 0 || a.Lines[0].FromIncoming != 0 {
			t.Errorf("PO-1 without a planned start: %+v %+v", a, a.Lines)
		}
	})
}

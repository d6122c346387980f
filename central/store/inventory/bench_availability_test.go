package inventory

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// TestBenchAvailability (LINEWISE_BENCH=1): the material check of an order
// whose bill of materials has 55 lines — 25 bought components and 5
// semi-finished parts made in house, each of those from 5 more bought ones
// (not enough semi-finished stock, so every one explodes) — with three
// released lots of each bought component, open purchase order lines with
// confirmed dates (incoming) and 20 other released orders holding
// allocations. Prints p50/p99 of 200 checks on SQLite and PostgreSQL
// against the target (≤ 50 ms).
//
//	LINEWISE_BENCH=1 go test -count=1 -run TestBenchAvailability -v ./central/store/inventory/
func TestBenchAvailability(t *testing.T) {
	if os.Getenv("LINEWISE_BENCH") != "1" {
		t.Skip("LINEWISE_BENCH=1 runs the benchmark")
	}
	onBoth(t, func(t *testing.T, x *fixture) {
		admin := domain.Actor{Name: "admin", Role: domain.RoleAdmin}
		var top []domain.BOMItem
		mat := func(code, unit string) {
			x.must(x.st.CreateProduct(x.ctx, domain.Product{Code: code, Name: code, Unit: unit}))
		}
		buy := func(code string) {
			mat(code, "pcs")
			for k := range 3 {
				x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: fmt.Sprintf("%s-L%d", code, k), Material: code, Quantity: q(40), To: "WH-A"})
			}
		}
		for i := range 25 {
			c := fmt.Sprintf("B%02d", i)
			buy(c)
			top = append(top, domain.BOMItem{Product: "P", Component: c, Quantity: float64(1 + i%3)})
		}
		for j := range 5 {
			s := fmt.Sprintf("S%d", j)
			mat(s, "pcs")
			x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: s + "-L0", Material: s, Quantity: q(10), To: "WH-A"})
			var sub []domain.BOMItem
			for i := range 5 {
				c := fmt.Sprintf("C%d%d", j, i)
				buy(c)
				sub = append(sub, domain.BOMItem{Product: s, Component: c, Quantity: 2})
			}
			x.must(x.st.ReplaceBOM(x.ctx, s, sub, admin))
			top = append(top, domain.BOMItem{Product: "P", Component: s, Quantity: 1})
		}
		x.must(x.st.ReplaceBOM(x.ctx, "P", top, admin))
		now := store.Nanos(time.Now())
		x.must(x.st.Handle().InTx(x.ctx, func(tx store.Q) error {
			if _, err := tx.Exec(x.ctx, `INSERT INTO suppliers (code, name, status, created_at, updated_at) VALUES ('SUP', 'S', 'approved', ?, ?)`, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(x.ctx, `INSERT INTO purchase_orders (number, supplier, status, currency, created_at, updated_at) VALUES ('PUR-1', 'SUP', 'sent', 'CNY', ?, ?)`, now, now); err != nil {
				return err
			}
			for i := range 25 {
				if _, err := tx.Exec(x.ctx, `INSERT INTO po_lines (po_number, line, material, quantity, price, amount, due_date, confirmed_date)
					VALUES ('PUR-1', ?, ?, ?, 0, 0, '2026-01-01', '2026-01-02')`, i+1, fmt.Sprintf("B%02d", i), int64(q(30))); err != nil {
					return err
				}
			}
			return nil
		}))
		start := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
		for o := range 21 {
			n := fmt.Sprintf("PO-B%02d", o)
			x.must(x.st.CreateOrder(x.ctx, domain.Order{Number: n, ProductCode: "P", Quantity: 2, Status: domain.StatusScheduled}))
			x.must(x.st.CreateWorkOrder(x.ctx, domain.WorkOrder{ID: "WO-" + n, OrderNumber: n, OperationSeq: 10, LineID: "L1", Barcode: "WO-" + n,
				Quantity: 2, Status: domain.StatusScheduled, PlannedStart: &start}))
			if o > 0 {
				x.setStatus(n, domain.StatusReleased, "release") // allocates
			}
		}
		a, err := x.inv.Availability(x.ctx, "PO-B00")
		x.must(err)
		if len(a.Lines) != 55 {
			t.Fatalf("%d availability lines, want 55", len(a.Lines))
		}
		var d []time.Duration
		for range 200 {
			t0 := time.Now()
			if _, err := x.inv.Availability(x.ctx, "PO-B00"); err != nil {
				t.Fatal(err)
			}
			d = append(d, time.Since(t0))
		}
		slices.Sort(d)
		p50, p99 := d[len(d)/2], d[len(d)*99/100]
		verdict := "within"
		if p99 > 50*time.Millisecond {
			verdict = "OVER"
		}
		fmt.Printf("availability of a 55-line BOM (55 materials, 150 lots, 25 incoming, 20 other orders allocated), %s: p50 %s p99 %s — %s the 50 ms target\n",
			t.Name(), p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), verdict)
	})
}

package inventory

import (
	"errors"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

func TestStockAlerts(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		var fe *domain.FieldError
		if err := x.inv.ReplaceStockLevels(x.ctx, "M", []domain.StockLevel{{SafetyStock: q(5), ReorderPoint: q(4)}}, wh); !errors.As(err, &fe) || fe.Field != "[0].reorder_point" {
			t.Errorf("reorder point under safety stock: %v", err)
		}
		if err := x.inv.ReplaceStockLevels(x.ctx, "M", []domain.StockLevel{{Location: "NOPE", ReorderPoint: q(4)}}, wh); !errors.As(err, &fe) || fe.Field != "[0].location" {
			t.Errorf("unknown location: %v", err)
		}
		x.must(x.inv.ReplaceStockLevels(x.ctx, "M", []domain.StockLevel{
			{SafetyStock: q(5), ReorderPoint: q(20), Maximum: q(100)},
			{Location: "LS-L1", SafetyStock: q(2), ReorderPoint: q(4)},
		}, wh))
		alerts := func() map[string]domain.StockAlert {
			t.Helper()
			as, err := x.inv.StockAlerts(x.ctx)
			x.must(err)
			out := map[string]domain.StockAlert{}
			for _, a := range as {
				out[a.Location] = a
			}
			return out
		}
		// Nothing at all: below safety stock everywhere.
		if a := alerts(); len(a) != 2 || a[""].Kind != domain.AlertBelowSafety || a["LS-L1"].Kind != domain.AlertBelowSafety {
			t.Errorf("empty: %+v", a)
		}
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "M", Quantity: q(10), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-2", Material: "M", Quantity: q(3), To: "LS-L1"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-Q", Material: "M", Quantity: q(500), To: "QA"}) // held: not usable
		a := alerts()
		if all := a[""]; all.Kind != domain.AlertBelowReorder || all.Stock != q(13) || all.Unit != "m" {
			t.Errorf("all locations: %+v", all)
		}
		if ls := a["LS-L1"]; ls.Kind != domain.AlertBelowReorder || ls.Stock != q(3) {
			t.Errorf("line side: %+v", ls)
		}
		x.book(domain.MovementRequest{Type: domain.MoveTransfer, Lot: "S-1", Quantity: q(2), From: "WH-A", To: "LS-L1"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-3", Material: "M", Quantity: q(90), To: "WH-A"})
		a = alerts()
		if len(a) != 1 || a[""].Kind != domain.AlertAboveMaximum || a[""].Stock != q(103) {
			t.Errorf("after receipts: %+v", a)
		}
		ls, err := x.inv.StockLevels(x.ctx, "M")
		x.must(err)
		if len(ls) != 2 || ls[0].Location != "" || ls[1].ReorderPoint != q(4) {
			t.Errorf("levels: %+v", ls)
		}
	})
}

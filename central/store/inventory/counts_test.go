package inventory

import (
	"errors"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

func TestCycleCount(t *testing.T) {
	onBoth(t, func(t *testing.T, x *fixture) {
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-1", Material: "M", Quantity: q(10), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-2", Material: "M", Quantity: q(5), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-3", Material: "M", Quantity: q(7), To: "WH-A"})
		x.book(domain.MovementRequest{Type: domain.MoveReceipt, Lot: "S-4", Material: "M", Quantity: q(1), To: "LS-L1"})
		count := domain.CycleCount{Lines: []domain.CountLine{{Lot: "S-2", Counted: q(5)}, {Lot: "S-1", Counted: q(9.5)}, {Lot: "S-4", Counted: q(2)}}}
		// A preview changes nothing.
		r, err := x.inv.Count(x.ctx, "WH-A", count, wh)
		x.must(err)
		if r.Posted || len(r.Lines) != 3 || r.Lines[1].Difference != q(-0.5) || r.Lines[0].Difference != 0 ||
			r.Lines[2].Book != 0 || r.Lines[2].Difference != q(2) || len(r.NotCounted) != 1 || r.NotCounted[0].Lot != "S-3" {
			t.Fatalf("preview: %+v", r)
		}
		if x.stock("S-1", "WH-A") != q(10) {
			t.Error("a preview changed stock")
		}
		if _, err := x.inv.Count(x.ctx, "WH-A", domain.CycleCount{Lines: count.Lines, Post: true}, wh); err == nil {
			t.Error("posted without a reason")
		}
		// Posting books the differences as adjustments, all or nothing:
		// a sheet whose book figure is stale refuses the whole count.
		stale := q(4)
		bad := domain.CycleCount{Reason: "monthly count", Post: true, Lines: append(count.Lines, domain.CountLine{Lot: "S-3", Counted: q(7), Expected: &stale})}
		_, err = x.inv.Count(x.ctx, "WH-A", bad, wh)
		var fe *domain.FieldError
		if !errors.As(err, &fe) || fe.Field != "lines[3].expected" || !fe.Conflict {
			t.Fatalf("stale sheet: %v", err)
		}
		if x.stock("S-1", "WH-A") != q(10) || x.stock("S-4", "WH-A") != 0 {
			t.Error("a refused count booked something")
		}
		count.Reason, count.Post = "monthly count", true
		r, err = x.inv.Count(x.ctx, "WH-A", count, wh)
		x.must(err)
		if !r.Posted || r.Lines[1].Movement == "" || r.Lines[0].Movement != "" || x.stock("S-1", "WH-A") != q(9.5) || x.stock("S-4", "WH-A") != q(2) {
			t.Errorf("posted: %+v", r)
		}
		adj, err := x.inv.ListMovements(x.ctx, domain.MovementFilter{Type: domain.MoveAdjustment})
		x.must(err)
		if len(adj) != 2 || adj[0].Reason != "cycle count: monthly count" {
			t.Errorf("adjustments: %+v", adj)
		}
		if _, err := x.inv.Count(x.ctx, "WH-A", domain.CycleCount{Lines: []domain.CountLine{{Lot: "NOPE", Counted: 1}}}, wh); !errors.As(err, &fe) || fe.Field != "lines[0].lot" {
			t.Errorf("unknown lot: %v", err)
		}
	})
}

package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestSearchOrderDetails: the work-order export sees the orders the list
// sees, each with its work orders in operation order, and with a line
// filter only that line's work orders.
func TestSearchOrderDetails(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		lifecycleFixture(t, s)
		ctx := context.Background()
		for _, o := range []domain.Order{
			{Number: "A-1", ProductCode: "P", Quantity: 5, Status: domain.StatusReleased},
			{Number: "A-2", ProductCode: "P", Quantity: 7, Status: domain.StatusDraft},
			{Number: "A-3", ProductCode: "P", Quantity: 9, Status: domain.StatusReleased},
		} {
			if err := s.CreateOrder(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		// Created out of order on purpose: the result is by operation.
		for _, w := range []domain.WorkOrder{
			{ID: "A-1-20", OrderNumber: "A-1", OperationSeq: 20, LineID: "L2", Barcode: "A-1-20", Quantity: 5, Status: domain.StatusReleased},
			{ID: "A-1-10", OrderNumber: "A-1", OperationSeq: 10, LineID: "L1", Barcode: "A-1-10", Quantity: 5, Status: domain.StatusReleased},
			{ID: "A-3-10", OrderNumber: "A-3", OperationSeq: 10, LineID: "L1", Barcode: "A-3-10", Quantity: 9, Status: domain.StatusReleased},
		} {
			if err := s.CreateWorkOrder(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		show := func(f domain.OrderFilter) string {
			t.Helper()
			ds, err := s.SearchOrderDetails(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, d := range ds {
				var ids []string
				for _, w := range d.WorkOrders {
					ids = append(ids, w.ID)
				}
				parts = append(parts, fmt.Sprintf("%s[%s]", d.Number, strings.Join(ids, " ")))
			}
			return strings.Join(parts, ",")
		}
		tests := []struct {
			f    domain.OrderFilter
			want string
		}{
			{domain.OrderFilter{}, "A-1[A-1-10 A-1-20],A-2[],A-3[A-3-10]"},
			{domain.OrderFilter{Line: "L2"}, "A-1[A-1-20],A-2[],A-3[]"},
			{domain.OrderFilter{Status: []domain.OrderStatus{domain.StatusReleased}, Line: "L1"}, "A-1[A-1-10],A-3[A-3-10]"},
			{domain.OrderFilter{Limit: 1, Offset: 2}, "A-3[A-3-10]"},
			{domain.OrderFilter{Query: "nothing-like-this"}, ""},
		}
		for _, tt := range tests {
			if got := show(tt.f); got != tt.want {
				t.Errorf("%+v: %s, want %s", tt.f, got, tt.want)
			}
		}
	})
}

package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/domain"
)

// SearchOrderDetails lists the orders SearchOrders finds for f, each with
// its work orders in operation order; with f.Line set, only the work
// orders on that line. It feeds the work-order exports, so a filter means
// the same there as in the order list.
func (s *Store) SearchOrderDetails(ctx context.Context, f domain.OrderFilter) ([]domain.OrderDetail, error) {
	orders, err := s.SearchOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]domain.OrderDetail, len(orders))
	at := make(map[string]int, len(orders))
	for i, o := range orders {
		out[i] = domain.OrderDetail{Order: o, WorkOrders: []domain.WorkOrder{}}
		at[o.Number] = i
	}
	// Chunks keep the IN list well under SQLite's and PostgreSQL's
	// parameter limits.
	const chunk = 500
	for lo := 0; lo < len(orders); lo += chunk {
		hi := min(lo+chunk, len(orders))
		args := make([]any, 0, hi-lo+1)
		for _, o := range orders[lo:hi] {
			args = append(args, o.Number)
		}
		query := `SELECT ` + workOrderColumns + ` WHERE order_number IN (` +
			strings.TrimSuffix(strings.Repeat("?, ", hi-lo), ", ") + `)`
		if f.Line != "" {
			query += ` AND line_id = ?`
			args = append(args, f.Line)
		}
		query += ` ORDER BY order_number, operation_seq`
		rows, err := s.db.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return nil, fmt.Errorf("store: search work orders: %w", err)
		}
		for rows.Next() {
			w, err := scanWorkOrder(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: search work orders: %w", err)
			}
			i := at[w.OrderNumber]
			out[i].WorkOrders = append(out[i].WorkOrders, w)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: search work orders: %w", err)
		}
	}
	return out, nil
}

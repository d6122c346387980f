package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OrderStat is one order as the order statistics count it: its product,
// customer (the master's code, else the free-text reference), status,
// quantity, the good parts of its last operation, when it was entered,
// due and completed (the end of its last work order, for a completed or
// closed order).
type OrderStat struct {
	Number    string     `json:"number"`
	Product   string     `json:"product"`
	Customer  string     `json:"customer"`
	Status    string     `json:"status"`
	Quantity  int64      `json:"quantity"`
	Good      int64      `json:"good"`
	Created   time.Time  `json:"created_at"`
	Due       *time.Time `json:"due_at,omitempty"`
	Completed *time.Time `json:"completed_at,omitempty"`
}

// Bases of the order statistics' range: which of an order's times must
// fall in it.
const (
	BasisCreated   = "created"
	BasisDue       = "due"
	BasisCompleted = "completed"
)

// OrderStats reads the orders (cancelled ones too) whose time of basis
// lies in [from, to), by number.
func (s *Store) OrderStats(ctx context.Context, from, to time.Time, basis string) ([]OrderStat, error) {
	done := `(SELECT MAX(w.actual_end) FROM work_orders w WHERE w.order_number = o.number)`
	var where string
	switch basis {
	case BasisCreated:
		where = `o.created_at >= ? AND o.created_at < ?`
	case BasisDue:
		where = `o.due_at >= ? AND o.due_at < ?`
	case BasisCompleted:
		where = `o.status IN ('completed', 'closed') AND ` + done + ` >= ? AND ` + done + ` < ?`
	default:
		return nil, fmt.Errorf("store: order statistics: basis %q", basis)
	}
	out := []OrderStat{}
	err := s.each(ctx, `SELECT o.number, o.product_code, COALESCE(NULLIF(o.customer_code, ''), o.customer_ref), o.status, o.quantity,
			o.created_at, o.due_at,
			COALESCE((SELECT w.good FROM work_orders w WHERE w.order_number = o.number ORDER BY w.operation_seq DESC LIMIT 1), 0), `+done+`
		FROM orders o WHERE `+where+` ORDER BY o.number`, []any{nanos(from), nanos(to)}, func(r *sql.Rows) error {
		var o OrderStat
		var created int64
		var due, end sql.NullInt64
		if err := r.Scan(&o.Number, &o.Product, &o.Customer, &o.Status, &o.Quantity, &created, &due, &o.Good, &end); err != nil {
			return err
		}
		o.Created = fromNanos(created)
		if due.Valid {
			d := fromNanos(due.Int64)
			o.Due = &d
		}
		if end.Valid && (o.Status == "completed" || o.Status == "closed") {
			c := fromNanos(end.Int64)
			o.Completed = &c
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: order statistics: %w", err)
	}
	return out, nil
}

// OutputBucket is a line's good and reject parts of one product in one
// rollup bucket (15 minutes from Start).
type OutputBucket struct {
	Line    string
	Product string // "" for parts counted on no work order
	Start   time.Time
	Good    int64
	Reject  int64
}

// OutputBuckets reads the count rollups of the buckets starting in
// [from, to), summed over work orders by line and product.
func (s *Store) OutputBuckets(ctx context.Context, from, to time.Time) ([]OutputBucket, error) {
	var out []OutputBucket
	err := s.each(ctx, `SELECT line_id, product_code, bucket, SUM(good), SUM(reject) FROM count_rollups
		WHERE bucket >= ? AND bucket < ? GROUP BY line_id, product_code, bucket ORDER BY bucket, line_id, product_code`,
		[]any{bucketOf(nanos(from)), nanos(to)}, func(r *sql.Rows) error {
			var b OutputBucket
			var at int64
			if err := r.Scan(&b.Line, &b.Product, &at, &b.Good, &b.Reject); err != nil {
				return err
			}
			b.Start = fromNanos(at)
			out = append(out, b)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("store: output: %w", err)
	}
	return out, nil
}

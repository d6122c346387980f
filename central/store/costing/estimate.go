package costing

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
)

// EstimateCost is what an order should cost before it is made, for its
// review: the standard cost (material BOM × standard cost, labour and
// machine from the routing's ideal cycle and setup at the routing lines'
// rates) of its ordered quantity. Rates not set are named in Missing.
func (s *Store) EstimateCost(ctx context.Context, number string) (domain.CostSheet, error) {
	q := s.h.Read()
	now := s.h.Now().UTC()
	in, err := s.input(ctx, q, number, now)
	if err != nil {
		return domain.CostSheet{}, err
	}
	var qty int64
	if err := q.QueryRow(ctx, `SELECT quantity FROM orders WHERE number = ?`, number).Scan(&qty); err != nil {
		return domain.CostSheet{}, fail("estimate of order "+number, err)
	}
	if len(in.Ops) == 0 { // not released: the routing is the plan
		missing := map[string]bool{}
		for _, m := range in.Missing {
			missing[m] = true
		}
		err := each(ctx, q, `SELECT r.seq, r.line_id, r.ideal_cycle_ns, r.setup_ns, lr.machine_hour, lr.currency, g.labour_hour, g.currency
			FROM routings r LEFT JOIN cost_line_rates lr ON lr.line_id = r.line_id LEFT JOIN cost_labour_grades g ON g.grade = lr.labour_grade
			WHERE r.product_code = ? ORDER BY r.seq`, func(r *sql.Rows) error {
			var op domain.CostOpIn
			var cyc, setup int64
			var mh, lh sql.NullInt64
			var mcur, lcur sql.NullString
			if err := r.Scan(&op.Seq, &op.Line, &cyc, &setup, &mh, &mcur, &lh, &lcur); err != nil {
				return err
			}
			op.StdLine, op.CycleMS, op.SetupMS = op.Line, cyc/int64(time.Millisecond), setup/int64(time.Millisecond)
			if mh.Valid && mcur.String == s.currency {
				op.StdMachineRate = money.Amount(mh.Int64)
			} else {
				missing[fmt.Sprintf("machine rate of line %s", op.Line)] = true
			}
			if lh.Valid && lcur.String == s.currency {
				op.StdLabourRate = money.Amount(lh.Int64)
			} else {
				missing[fmt.Sprintf("standard labour grade of line %s", op.Line)] = true
			}
			in.Ops = append(in.Ops, op)
			return nil
		}, in.Product)
		if err != nil {
			return domain.CostSheet{}, fail("estimate of order "+number, err)
		}
		in.Missing = in.Missing[:0]
		for m := range missing {
			in.Missing = append(in.Missing, m)
		}
		sort.Strings(in.Missing)
	}
	in.Good = qty
	for i := range in.Materials {
		in.Materials[i].Consumed, in.Materials[i].ConsumedCost = nil, nil
	}
	return domain.CostOf(in, now), nil
}

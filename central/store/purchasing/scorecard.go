package purchasing

import (
	"context"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Scorecard is one supplier's performance over [From, To) (供应商考核).
// OnTimePct: receipts on or before their promised date / receipts.
// QualityPct: inspected lots accepted (with or without a deviation) /
// inspected lots. PriceVariance: what was paid (the order lines' prices ×
// received quantity) less what the supplier's listed price would have
// cost, and that as a percentage of the listed cost. A figure with nothing
// to measure is null.
type Scorecard struct {
	Supplier      string       `json:"supplier"`
	Name          string       `json:"name"`
	Status        string       `json:"status"`
	From          time.Time    `json:"from"`
	To            time.Time    `json:"to"`
	Receipts      int          `json:"receipts"`
	OnTime        int          `json:"on_time"`
	OnTimePct     *float64     `json:"on_time_pct"`
	Inspected     int          `json:"inspected"`
	Accepted      int          `json:"accepted"`
	Deviations    int          `json:"deviations"`
	Rejected      int          `json:"rejected"`
	QualityPct    *float64     `json:"quality_pct"`
	Paid          domain.Money `json:"paid"`
	Listed        domain.Money `json:"listed"`
	PriceVariance domain.Money `json:"price_variance"` // paid − listed (may be negative)
	PriceVarPct   *float64     `json:"price_variance_pct"`
}

func pct(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) * 100 / float64(d)
	return &v
}

// Scorecards computes every supplier's scorecard over [from, to) (one
// supplier when code is set) with three grouped queries.
func (s *Store) Scorecards(ctx context.Context, code string, from, to time.Time) ([]Scorecard, error) {
	q := s.h.Read()
	sups, err := s.ListSuppliers(ctx, "")
	if err != nil {
		return nil, err
	}
	by := map[string]*Scorecard{}
	var out []*Scorecard
	for _, sp := range sups {
		if code != "" && sp.Code != code {
			continue
		}
		sc := &Scorecard{Supplier: sp.Code, Name: sp.Name, Status: string(sp.Status), From: from, To: to}
		by[sp.Code] = sc
		out = append(out, sc)
	}
	if code != "" && len(out) == 0 {
		return nil, fmt.Errorf("supplier %s: %w", code, domain.ErrNotFound)
	}
	f, t := store.Nanos(from), store.Nanos(to)
	rows, err := q.Query(ctx, `SELECT r.supplier, COUNT(*), SUM(r.on_time) FROM po_receipts r
		WHERE r.received_at >= ? AND r.received_at < ? GROUP BY r.supplier`, f, t)
	if err != nil {
		return nil, fmt.Errorf("store: scorecard receipts: %w", err)
	}
	for rows.Next() {
		var sp string
		var n, on int
		if err := rows.Scan(&sp, &n, &on); err != nil {
			rows.Close()
			return nil, err
		}
		if sc := by[sp]; sc != nil {
			sc.Receipts, sc.OnTime = n, on
		}
	}
	rows.Close()
	// Price: grouped by the prices, so the money is multiplied exactly here.
	rows, err = q.Query(ctx, `SELECT r.supplier, r.price, COALESCE(si.price, r.price), SUM(r.quantity) FROM po_receipts r
		LEFT JOIN supplier_items si ON si.supplier = r.supplier AND si.material = r.material
		WHERE r.received_at >= ? AND r.received_at < ? GROUP BY r.supplier, r.price, COALESCE(si.price, r.price)`, f, t)
	if err != nil {
		return nil, fmt.Errorf("store: scorecard prices: %w", err)
	}
	for rows.Next() {
		var sp string
		var paid, listed, qty int64
		if err := rows.Scan(&sp, &paid, &listed, &qty); err != nil {
			rows.Close()
			return nil, err
		}
		if sc := by[sp]; sc != nil {
			sc.Paid += domain.LineAmount(domain.Money(paid), domain.Qty(qty))
			sc.Listed += domain.LineAmount(domain.Money(listed), domain.Qty(qty))
		}
	}
	rows.Close()
	rows, err = q.Query(ctx, `SELECT supplier, decision, COUNT(*) FROM inspections
		WHERE inspected_at >= ? AND inspected_at < ? GROUP BY supplier, decision`, f, t)
	if err != nil {
		return nil, fmt.Errorf("store: scorecard inspections: %w", err)
	}
	for rows.Next() {
		var sp, dec string
		var n int
		if err := rows.Scan(&sp, &dec, &n); err != nil {
			rows.Close()
			return nil, err
		}
		sc := by[sp]
		if sc == nil {
			continue
		}
		sc.Inspected += n
		switch domain.InspectionDecision(dec) {
		case domain.InspectAccept:
			sc.Accepted += n
		case domain.InspectDeviation:
			sc.Accepted += n
			sc.Deviations += n
		case domain.InspectReject:
			sc.Rejected += n
		}
	}
	rows.Close()
	res := make([]Scorecard, len(out))
	for i, sc := range out {
		sc.OnTimePct, sc.QualityPct = pct(sc.OnTime, sc.Receipts), pct(sc.Accepted, sc.Inspected)
		sc.PriceVariance = sc.Paid - sc.Listed
		if sc.Listed > 0 {
			v := float64(sc.PriceVariance) * 100 / float64(sc.Listed)
			sc.PriceVarPct = &v
		}
		res[i] = *sc
	}
	return res, rows.Err()
}

// Trend is a supplier's scorecard per calendar month (UTC) from from's
// month to to's.
func (s *Store) Trend(ctx context.Context, code string, from, to time.Time) ([]Scorecard, error) {
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	var out []Scorecard
	for m := start; m.Before(to) && len(out) < 36; m = m.AddDate(0, 1, 0) {
		scs, err := s.Scorecards(ctx, code, m, m.AddDate(0, 1, 0))
		if err != nil {
			return nil, err
		}
		out = append(out, scs...)
	}
	return out, nil
}

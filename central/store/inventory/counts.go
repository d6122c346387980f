package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Count compares a cycle count of location with the book and, when c.Post,
// books every difference as an adjustment in one transaction (see
// domain.CycleCount). Posting takes each counted lot's lock, in lot order.
func (s *Store) Count(ctx context.Context, location string, c domain.CycleCount, actor domain.Actor) (domain.CountResult, error) {
	if err := domain.CheckCycleCount(c); err != nil {
		return domain.CountResult{}, err
	}
	if !c.Post {
		return s.count(ctx, s.h.Read(), location, c, actor)
	}
	var out domain.CountResult
	err := s.h.InTx(ctx, func(q store.Q) error {
		var err error
		out, err = s.count(ctx, q, location, c, actor)
		return err
	})
	return out, err
}

func (s *Store) count(ctx context.Context, q store.Q, location string, c domain.CycleCount, actor domain.Actor) (domain.CountResult, error) {
	res := domain.CountResult{Location: location, Posted: c.Post, Lines: make([]domain.CountDifference, len(c.Lines)), NotCounted: []domain.Balance{}}
	loc, err := getLocation(ctx, q, location)
	if err != nil {
		return res, err
	}
	if loc.Disabled && c.Post {
		return res, conflict("location", "location %s is disabled", location)
	}
	order := make([]int, len(c.Lines))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c.Lines[a].Lot < c.Lines[b].Lot {
			return -1
		}
		return 1
	})
	now := s.h.Now()
	for _, i := range order {
		l := c.Lines[i]
		f := fmt.Sprintf("lines[%d]", i)
		if c.Post {
			if _, err := lockLot(ctx, q, l.Lot, store.Nanos(now)); err != nil {
				return res, err
			}
		}
		lot, err := getLot(ctx, q, l.Lot)
		if errors.Is(err, domain.ErrNotFound) {
			return res, domain.Invalid(f+".lot", "lot %s does not exist", l.Lot)
		}
		if err != nil {
			return res, err
		}
		var book int64
		err = q.QueryRow(ctx, `SELECT quantity FROM inv_balances WHERE lot_id = ? AND location_id = ?`, l.Lot, location).Scan(&book)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return res, err
		}
		if l.Expected != nil && *l.Expected != domain.Qty(book) {
			return res, conflict(f+".expected", "lot %s at %s moved since the count sheet: the book shows %s %s now, not %s; count it again",
				l.Lot, location, domain.Qty(book), lot.Unit, *l.Expected)
		}
		d := domain.CountDifference{Lot: l.Lot, Material: lot.Material, Unit: lot.Unit, Book: domain.Qty(book), Counted: l.Counted,
			Difference: l.Counted - domain.Qty(book)}
		if c.Post && d.Difference != 0 {
			mv, err := s.book(ctx, q, domain.MovementRequest{Type: domain.MoveAdjustment, Lot: l.Lot, Quantity: d.Difference,
				Location: location, Reason: "cycle count: " + c.Reason}, actor)
			if err != nil {
				return res, fmt.Errorf("%s: %w", f, err)
			}
			d.Movement = mv.ID
		}
		res.Lines[i] = d
	}
	all, err := s.stockAt(ctx, q, location)
	if err != nil {
		return res, err
	}
	for _, b := range all {
		if !slices.ContainsFunc(c.Lines, func(l domain.CountLine) bool { return l.Lot == b.Lot }) {
			res.NotCounted = append(res.NotCounted, b)
		}
	}
	if c.Post {
		return res, q.Audit(ctx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "location", EntityID: location,
			Action: "count", Reason: c.Reason, After: mustJSON(res.Lines)})
	}
	return res, nil
}

// stockAt is the non-zero balances at a location, in q.
func (s *Store) stockAt(ctx context.Context, q store.Q, location string) ([]domain.Balance, error) {
	rows, err := q.Query(ctx, `SELECT b.material, b.lot_id, b.quantity, p.unit, l.status FROM inv_balances b
		JOIN inv_lots l ON l.id = b.lot_id JOIN products p ON p.code = b.material
		WHERE b.location_id = ? AND b.quantity <> 0 ORDER BY b.lot_id`, location)
	if err != nil {
		return nil, fmt.Errorf("store: stock at %s: %w", location, err)
	}
	defer rows.Close()
	var out []domain.Balance
	for rows.Next() {
		b := domain.Balance{Location: location}
		var qty int64
		var st string
		if err := rows.Scan(&b.Material, &b.Lot, &qty, &b.Unit, &st); err != nil {
			return nil, err
		}
		b.Quantity, b.LotStatus = domain.Qty(qty), domain.LotStatus(st)
		out = append(out, b)
	}
	return out, rows.Err()
}

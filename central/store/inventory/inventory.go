// Package inventory keeps central's stock (issue #12): locations, lots, the
// append-only movement ledger with the balances it maintains in the same
// transaction, unit conversions and lot genealogy. It works through the
// store's shared handle (store.Handle), so its tables are in the one schema
// and its changes are audited like every other. It must never recompute a
// balance from the ledger on a read, and never change a balance without a
// movement.
package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

// Store is the inventory over central's database.
type Store struct{ h store.Handle }

// New returns the inventory over the store's shared handle, and hooks it
// into order status changes (release allocates material, close and cancel
// free it), into ingest (counts backflush components) and into work
// order completion (books the finished-goods lot) and into fixed scanners'
// scans (a lot loads, a serial registers); building it again
// replaces the hooks.
func New(h store.Handle) *Store {
	s := &Store{h: h}
	h.SetOrderStatusHook("inventory", s.onOrderStatus)
	h.SetCountHook("inventory", s.backflush)
	h.SetWorkOrderDoneHook("inventory", s.onWorkOrderDone)
	h.SetScanCodeHook("inventory", s.onScanCode) // a fixed scanner's lot or serial
	return s
}

func conflict(field, format string, args ...any) error {
	return &domain.FieldError{Field: field, Rule: fmt.Sprintf(format, args...), Conflict: true}
}

func exists(ctx context.Context, q store.Q, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

const locationCols = `id, name, kind, warehouse, COALESCE(line_id, ''), allow_negative, disabled, created_at, updated_at`

func scanLocation(sc interface{ Scan(...any) error }) (domain.Location, error) {
	var l domain.Location
	var kind string
	var neg, dis int
	var created, updated int64
	if err := sc.Scan(&l.ID, &l.Name, &kind, &l.Warehouse, &l.LineID, &neg, &dis, &created, &updated); err != nil {
		return l, err
	}
	c, u := store.FromNanos(created), store.FromNanos(updated)
	l.Kind, l.AllowNegative, l.Disabled, l.CreatedAt, l.UpdatedAt = domain.LocationKind(kind), neg != 0, dis != 0, &c, &u
	return l, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ListLocations lists every location by id.
func (s *Store) ListLocations(ctx context.Context) ([]domain.Location, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT `+locationCols+` FROM inv_locations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list locations: %w", err)
	}
	defer rows.Close()
	out := []domain.Location{}
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list locations: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// GetLocation returns one location.
func (s *Store) GetLocation(ctx context.Context, id string) (domain.Location, error) {
	return getLocation(ctx, s.h.Read(), id)
}

func getLocation(ctx context.Context, q store.Q, id string) (domain.Location, error) {
	l, err := scanLocation(q.QueryRow(ctx, `SELECT `+locationCols+` FROM inv_locations WHERE id = ?`, id))
	if err != nil {
		return l, store.NotFound("location "+id, err)
	}
	return l, nil
}

// CreateLocation adds a location (audited).
func (s *Store) CreateLocation(ctx context.Context, l domain.Location, actor domain.Actor) (domain.Location, error) {
	if err := domain.CheckLocation(l); err != nil {
		return l, err
	}
	err := s.h.InTx(ctx, func(q store.Q) error {
		if l.LineID != "" {
			ok, err := exists(ctx, q, `SELECT 1 FROM lines WHERE id = ?`, l.LineID)
			if err != nil {
				return err
			}
			if !ok {
				return domain.Invalid("line", "line %s does not exist", l.LineID)
			}
		}
		now := s.h.Now()
		var line any
		if l.LineID != "" {
			line = l.LineID
		}
		if _, err := q.Exec(ctx, `INSERT INTO inv_locations (id, name, kind, warehouse, line_id, allow_negative, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, l.Name, string(l.Kind), l.Warehouse, line, b2i(l.AllowNegative), b2i(l.Disabled),
			store.Nanos(now), store.Nanos(now)); err != nil {
			if store.IsUnique(err) {
				return conflict("id", "location %s already exists", l.ID)
			}
			return fmt.Errorf("store: create location %s: %w", l.ID, err)
		}
		l.CreatedAt, l.UpdatedAt = &now, &now
		return q.Audit(ctx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "location", EntityID: l.ID,
			Action: "create", After: mustJSON(l)})
	})
	return l, err
}

// UpdateLocation changes a location's name, warehouse, negative rule and
// disabled flag (audited). Kind and line are fixed once created: stock and
// history refer to them; make a new location instead.
func (s *Store) UpdateLocation(ctx context.Context, l domain.Location, actor domain.Actor) (domain.Location, error) {
	if err := domain.CheckLocation(l); err != nil {
		return l, err
	}
	var after domain.Location
	err := s.h.InTx(ctx, func(q store.Q) error {
		before, err := getLocation(ctx, q, l.ID)
		if err != nil {
			return err
		}
		if before.Kind != l.Kind {
			return conflict("kind", "location %s is %s; a kind cannot change, create a new location", l.ID, before.Kind)
		}
		if before.LineID != l.LineID {
			return conflict("line", "location %s is beside line %s; its line cannot change, create a new location", l.ID, before.LineID)
		}
		now := s.h.Now()
		if _, err := q.Exec(ctx, `UPDATE inv_locations SET name = ?, warehouse = ?, allow_negative = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			l.Name, l.Warehouse, b2i(l.AllowNegative), b2i(l.Disabled), store.Nanos(now), l.ID); err != nil {
			return fmt.Errorf("store: update location %s: %w", l.ID, err)
		}
		after = l
		after.CreatedAt, after.UpdatedAt = before.CreatedAt, &now
		return q.Audit(ctx, domain.AuditEntry{At: now, Actor: actor.Name, Role: actor.Role, Entity: "location", EntityID: l.ID,
			Action: "update", Before: mustJSON(before), After: mustJSON(after)})
	})
	return after, err
}

// DeleteLocation removes a location no movement ever used (audited);
// one with history can only be disabled.
func (s *Store) DeleteLocation(ctx context.Context, id string, actor domain.Actor) error {
	return s.h.InTx(ctx, func(q store.Q) error {
		before, err := getLocation(ctx, q, id)
		if err != nil {
			return err
		}
		used, err := exists(ctx, q, `SELECT 1 FROM inv_movements WHERE from_location = ? OR to_location = ? LIMIT 1`, id, id)
		if err != nil {
			return err
		}
		if used {
			return conflict("id", "location %s has movements; disable it instead (PUT with disabled true)", id)
		}
		if _, err := q.Exec(ctx, `DELETE FROM inv_balances WHERE location_id = ? AND quantity = 0`, id); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM inv_locations WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: delete location %s: %w", id, err)
		}
		return q.Audit(ctx, domain.AuditEntry{At: s.h.Now(), Actor: actor.Name, Role: actor.Role, Entity: "location", EntityID: id,
			Action: "delete", Before: mustJSON(before)})
	})
}

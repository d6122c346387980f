// Package purchasing keeps central's purchasing (issue #13): the supplier
// file and the terms each supplier supplies on, purchase orders with their
// approval limits, goods receipts into the inventory ledger, incoming
// inspection, scorecards and requirements planning. It works through the
// store's shared handle (store.Handle) in the same transactions and audit
// log as the rest of central, and books stock only through the inventory
// package's ledger: it must never write a balance itself.
package purchasing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/central/store/inventory"
)

// Store is purchasing over central's database.
type Store struct {
	h     store.Handle
	inv   *inventory.Store
	rules domain.PurchasingRules
	clock func() time.Time
}

// New returns purchasing over the store's shared handle, booking stock
// through inv, with the purchasing rules (approval limits, tolerance).
func New(h store.Handle, inv *inventory.Store, rules domain.PurchasingRules) *Store {
	return &Store{h: h, inv: inv, rules: rules, clock: h.Now}
}

// SetClock replaces the clock purchasing dates its records by (tests:
// price validity, lateness and scorecard periods); stock movements keep
// the store's.
func (s *Store) SetClock(now func() time.Time) { s.clock = now }

func (s *Store) now() time.Time { return s.clock() }

// Rules returns the purchasing rules in force.
func (s *Store) Rules() domain.PurchasingRules { return s.rules }

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

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return b
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func audit(ctx context.Context, q store.Q, at time.Time, actor domain.Actor, entity, id, action, reason string, before, after any) error {
	e := domain.AuditEntry{At: at, Actor: actor.Name, Role: actor.Role, Entity: entity, EntityID: id,
		Action: action, Reason: reason}
	if before != nil {
		e.Before = mustJSON(before)
	}
	if after != nil {
		e.After = mustJSON(after)
	}
	return q.Audit(ctx, e)
}

const supplierCols = `code, name, status, contacts, address, notes, created_at, updated_at`

func scanSupplier(sc interface{ Scan(...any) error }) (domain.Supplier, error) {
	var s domain.Supplier
	var status, contacts string
	var created, updated int64
	if err := sc.Scan(&s.Code, &s.Name, &status, &contacts, &s.Address, &s.Notes, &created, &updated); err != nil {
		return s, err
	}
	s.Status = domain.SupplierStatus(status)
	if err := json.Unmarshal([]byte(contacts), &s.Contacts); err != nil || s.Contacts == nil {
		s.Contacts = []domain.Contact{}
	}
	c, u := store.FromNanos(created), store.FromNanos(updated)
	s.CreatedAt, s.UpdatedAt = &c, &u
	return s, nil
}

// ListSuppliers lists the supplier file by code; status filters.
func (s *Store) ListSuppliers(ctx context.Context, status domain.SupplierStatus) ([]domain.Supplier, error) {
	query, args := `SELECT `+supplierCols+` FROM suppliers`, []any{}
	if status != "" {
		query += ` WHERE status = ?`
		args = append(args, string(status))
	}
	rows, err := s.h.Read().Query(ctx, query+` ORDER BY code`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list suppliers: %w", err)
	}
	defer rows.Close()
	out := []domain.Supplier{}
	for rows.Next() {
		sp, err := scanSupplier(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list suppliers: %w", err)
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// GetSupplier returns a supplier with its items.
func (s *Store) GetSupplier(ctx context.Context, code string) (domain.Supplier, error) {
	q := s.h.Read()
	sp, err := getSupplier(ctx, q, code)
	if err != nil {
		return sp, err
	}
	sp.Items, err = supplierItems(ctx, q, `si.supplier = ?`, code)
	return sp, err
}

func getSupplier(ctx context.Context, q store.Q, code string) (domain.Supplier, error) {
	sp, err := scanSupplier(q.QueryRow(ctx, `SELECT `+supplierCols+` FROM suppliers WHERE code = ?`, code))
	if err != nil {
		return sp, store.NotFound("supplier "+code, err)
	}
	return sp, nil
}

// PutSupplier creates or replaces a supplier's master data (audited);
// created reports which.
func (s *Store) PutSupplier(ctx context.Context, sp domain.Supplier, actor domain.Actor) (out domain.Supplier, created bool, err error) {
	if sp.Contacts == nil {
		sp.Contacts = []domain.Contact{}
	}
	if err := domain.CheckSupplier(sp); err != nil {
		return sp, false, err
	}
	err = s.h.InTx(ctx, func(q store.Q) error {
		now := s.now()
		before, err := getSupplier(ctx, q, sp.Code)
		found := err == nil
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		contacts := string(mustJSON(sp.Contacts))
		if found {
			_, err = q.Exec(ctx, `UPDATE suppliers SET name = ?, status = ?, contacts = ?, address = ?, notes = ?, updated_at = ? WHERE code = ?`,
				sp.Name, string(sp.Status), contacts, sp.Address, sp.Notes, store.Nanos(now), sp.Code)
			sp.CreatedAt = before.CreatedAt
		} else {
			_, err = q.Exec(ctx, `INSERT INTO suppliers (code, name, status, contacts, address, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				sp.Code, sp.Name, string(sp.Status), contacts, sp.Address, sp.Notes, store.Nanos(now), store.Nanos(now))
			sp.CreatedAt = &now
			if store.IsUnique(err) {
				return conflict("code", "supplier %s was created by another request at the same moment", sp.Code)
			}
		}
		if err != nil {
			return fmt.Errorf("store: supplier %s: %w", sp.Code, err)
		}
		sp.UpdatedAt, sp.Items = &now, nil
		out, created = sp, !found
		action := "create"
		var b any
		if found {
			action, b = "update", before
		}
		return audit(ctx, q, now, actor, "supplier", sp.Code, action, "", b, sp)
	})
	return out, created, err
}

const itemCols = `si.supplier, si.material, p.unit, si.lead_time_days, si.price, si.currency, si.valid_from, si.valid_to, si.moq, si.multiple, si.preferred`

func supplierItems(ctx context.Context, q store.Q, where string, args ...any) ([]domain.SupplierItem, error) {
	rows, err := q.Query(ctx, `SELECT `+itemCols+` FROM supplier_items si JOIN products p ON p.code = si.material WHERE `+where+
		` ORDER BY si.material, si.supplier`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: supplier items: %w", err)
	}
	defer rows.Close()
	out := []domain.SupplierItem{}
	for rows.Next() {
		var it domain.SupplierItem
		var price, moq, mult int64
		var pref int
		if err := rows.Scan(&it.Supplier, &it.Material, &it.Unit, &it.LeadTimeDays, &price, &it.Currency, &it.ValidFrom, &it.ValidTo,
			&moq, &mult, &pref); err != nil {
			return nil, err
		}
		it.Price, it.MOQ, it.Multiple, it.Preferred = domain.Money(price), domain.Qty(moq), domain.Qty(mult), pref != 0
		out = append(out, it)
	}
	return out, rows.Err()
}

// ReplaceSupplierItems replaces what a supplier may supply (audited). A
// material may be preferred at one supplier only: marking it here clears
// the mark elsewhere.
func (s *Store) ReplaceSupplierItems(ctx context.Context, supplier string, items []domain.SupplierItem, actor domain.Actor) ([]domain.SupplierItem, error) {
	seen := map[string]bool{}
	for i, it := range items {
		f := fmt.Sprintf("[%d]", i)
		if err := domain.CheckSupplierItem(f, it); err != nil {
			return nil, err
		}
		if seen[it.Material] {
			return nil, domain.Invalid(f+".material", "material %s is listed twice", it.Material)
		}
		seen[it.Material] = true
	}
	var out []domain.SupplierItem
	err := s.h.InTx(ctx, func(q store.Q) error {
		if _, err := getSupplier(ctx, q, supplier); err != nil {
			return err
		}
		before, err := supplierItems(ctx, q, `si.supplier = ?`, supplier)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM supplier_items WHERE supplier = ?`, supplier); err != nil {
			return fmt.Errorf("store: supplier items of %s: %w", supplier, err)
		}
		for i, it := range items {
			ok, err := exists(ctx, q, `SELECT 1 FROM products WHERE code = ?`, it.Material)
			if err != nil {
				return err
			}
			if !ok {
				return domain.Invalid(fmt.Sprintf("[%d].material", i), "material %s does not exist", it.Material)
			}
			if it.Preferred {
				if _, err := q.Exec(ctx, `UPDATE supplier_items SET preferred = 0 WHERE material = ? AND supplier <> ?`, it.Material, supplier); err != nil {
					return err
				}
			}
			if _, err := q.Exec(ctx, `INSERT INTO supplier_items (supplier, material, lead_time_days, price, currency, valid_from, valid_to, moq, multiple, preferred)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, supplier, it.Material, it.LeadTimeDays, int64(it.Price), it.Currency, it.ValidFrom, it.ValidTo,
				int64(it.MOQ), int64(it.Multiple), b2i(it.Preferred)); err != nil {
				return fmt.Errorf("store: supplier item %s/%s: %w", supplier, it.Material, err)
			}
		}
		if out, err = supplierItems(ctx, q, `si.supplier = ?`, supplier); err != nil {
			return err
		}
		return audit(ctx, q, s.now(), actor, "supplier", supplier, "items", "", before, out)
	})
	return out, err
}

// SuppliersOf lists who may supply material, the preferred one first.
func (s *Store) SuppliersOf(ctx context.Context, material string) ([]domain.SupplierItem, error) {
	items, err := supplierItems(ctx, s.h.Read(), `si.material = ?`, material)
	slices.SortStableFunc(items, func(a, b domain.SupplierItem) int { return b2i(b.Preferred) - b2i(a.Preferred) })
	return items, err
}

// supplierTerms is the supplier and its item for material, refusing a
// supplier not approved for the material: blocked, or not listed for it.
func supplierTerms(ctx context.Context, q store.Q, supplier, material, field string) (domain.Supplier, domain.SupplierItem, error) {
	sp, err := getSupplier(ctx, q, supplier)
	if errors.Is(err, domain.ErrNotFound) {
		return sp, domain.SupplierItem{}, domain.Invalid("supplier", "supplier %s does not exist", supplier)
	}
	if err != nil {
		return sp, domain.SupplierItem{}, err
	}
	if !sp.Orderable() {
		return sp, domain.SupplierItem{}, conflict("supplier", "supplier %s is %s; nothing may be ordered from it", supplier, sp.Status)
	}
	items, err := supplierItems(ctx, q, `si.supplier = ? AND si.material = ?`, supplier, material)
	if err != nil {
		return sp, domain.SupplierItem{}, err
	}
	if len(items) == 0 {
		if ok, _ := exists(ctx, q, `SELECT 1 FROM products WHERE code = ?`, material); !ok {
			return sp, domain.SupplierItem{}, domain.Invalid(field, "material %s does not exist", material)
		}
		return sp, domain.SupplierItem{}, conflict(field, "supplier %s is not approved for material %s (not in its supplied items: PUT /api/v1/suppliers/%s/items)",
			supplier, material, supplier)
	}
	return sp, items[0], nil
}

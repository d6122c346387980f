package inventory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/store"
)

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return b
}

// material is what a movement needs to know of a product.
type material struct {
	code, unit string
	convs      []domain.UnitConversion
}

func loadMaterial(ctx context.Context, q store.Q, code, field string) (material, error) {
	m := material{code: code}
	if err := q.QueryRow(ctx, `SELECT unit FROM products WHERE code = ?`, code).Scan(&m.unit); err != nil {
		if ok, _ := exists(ctx, q, `SELECT 1 FROM products WHERE code = ?`, code); !ok {
			return m, domain.Invalid(field, "material %s does not exist", code)
		}
		return m, fmt.Errorf("store: material %s: %w", code, err)
	}
	cs, err := conversions(ctx, q, code)
	m.convs = cs
	return m, err
}

func conversions(ctx context.Context, q store.Q, code string) ([]domain.UnitConversion, error) {
	rows, err := q.Query(ctx, `SELECT unit, factor FROM inv_unit_conversions WHERE material = ? ORDER BY unit`, code)
	if err != nil {
		return nil, fmt.Errorf("store: conversions of %s: %w", code, err)
	}
	defer rows.Close()
	out := []domain.UnitConversion{}
	for rows.Next() {
		var c domain.UnitConversion
		if err := rows.Scan(&c.Unit, &c.Factor); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Units returns a material's base unit and its conversions.
func (s *Store) Units(ctx context.Context, code string) (base string, cs []domain.UnitConversion, err error) {
	q := s.h.Read()
	if err := q.QueryRow(ctx, `SELECT unit FROM products WHERE code = ?`, code).Scan(&base); err != nil {
		return "", nil, store.NotFound("material "+code, err)
	}
	cs, err = conversions(ctx, q, code)
	return base, cs, err
}

// ReplaceUnits sets a material's conversions (audited). A conversion in
// use by past movements may change: the ledger keeps what was entered and
// what it came to.
func (s *Store) ReplaceUnits(ctx context.Context, code string, cs []domain.UnitConversion, actor domain.Actor) error {
	return s.h.InTx(ctx, func(q store.Q) error {
		var base string
		if err := q.QueryRow(ctx, `SELECT unit FROM products WHERE code = ?`, code).Scan(&base); err != nil {
			return store.NotFound("material "+code, err)
		}
		if err := domain.CheckConversions(base, cs); err != nil {
			return err
		}
		before, err := conversions(ctx, q, code)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM inv_unit_conversions WHERE material = ?`, code); err != nil {
			return err
		}
		for _, c := range cs {
			if _, err := q.Exec(ctx, `INSERT INTO inv_unit_conversions (material, unit, factor) VALUES (?, ?, ?)`, code, c.Unit, c.Factor); err != nil {
				return fmt.Errorf("store: conversions of %s: %w", code, err)
			}
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "material_units", EntityID: code,
			Action: "replace", Before: mustJSON(before), After: mustJSON(cs)})
	})
}

// Package costing stores cost rates (per line, labour grade and material)
// and prices an order: it gathers what domain.CostOf needs from the
// order's work orders, runs, the routing, the BOM and the inventory ledger,
// and freezes the cost sheet in the transaction that closes the order.
// It works through store's shared handle and never changes counts.
package costing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
	"github.com/linewise/linewise/central/store"
)

// Store implements the cost routes' storage.
type Store struct {
	h        store.Handle
	currency string
	// Outsourcing is the hook for subcontracted work's actual cost per
	// order; nil: 0 (until purchasing books subcontract orders).
	Outsourcing func(ctx context.Context, q store.Q, order string) (money.Amount, error)
}

// New works through the shared handle in currency (ISO 4217) and installs
// the close hook that freezes the cost sheet.
func New(h store.Handle, currency string) *Store {
	s := &Store{h: h, currency: currency}
	h.SetOrderStatusHook("costing", s.onStatus)
	return s
}

// Currency is the plant's cost currency.
func (s *Store) Currency() string { return s.currency }

func fail(what string, err error) error { return fmt.Errorf("store: %s: %w", what, err) }

// ListLineRates lists every line's rate.
func (s *Store) ListLineRates(ctx context.Context) ([]domain.LineRate, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT line_id, machine_hour, labour_grade, currency, updated_at, updated_by FROM cost_line_rates ORDER BY line_id`)
	if err != nil {
		return nil, fail("line rates", err)
	}
	defer rows.Close()
	out := []domain.LineRate{}
	for rows.Next() {
		var r domain.LineRate
		var at int64
		if err := rows.Scan(&r.Line, &r.MachineHour, &r.LabourGrade, &r.Currency, &at, &r.UpdatedBy); err != nil {
			return nil, fail("line rates", err)
		}
		t := fromNanos(at)
		r.UpdatedAt = &t
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutLineRate sets a line's machine-hour rate and standard labour grade (audited).
func (s *Store) PutLineRate(ctx context.Context, r domain.LineRate, actor domain.Actor) (domain.LineRate, error) {
	if r.MachineHour < 0 {
		return r, domain.Invalid("machine_hour", "must not be negative")
	}
	r.Currency = s.currency
	now := s.h.Now()
	r.UpdatedAt, r.UpdatedBy = &now, actor.Name
	err := s.h.InTx(ctx, func(q store.Q) error {
		if ok, err := exists(ctx, q, `SELECT 1 FROM lines WHERE id = ?`, r.Line); err != nil || !ok {
			return notFoundOr("line "+r.Line, err)
		}
		if r.LabourGrade != "" {
			if ok, err := exists(ctx, q, `SELECT 1 FROM cost_labour_grades WHERE grade = ?`, r.LabourGrade); err != nil {
				return err
			} else if !ok {
				return domain.Invalid("labour_grade", "labour grade %q does not exist (PUT /api/v1/cost/labour-grades/%s first)", r.LabourGrade, r.LabourGrade)
			}
		}
		before, _ := snapshot(ctx, q, `SELECT machine_hour, labour_grade, currency FROM cost_line_rates WHERE line_id = ?`, r.Line)
		if _, err := q.Exec(ctx, `INSERT INTO cost_line_rates (line_id, machine_hour, labour_grade, currency, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (line_id) DO UPDATE SET machine_hour = excluded.machine_hour, labour_grade = excluded.labour_grade,
			currency = excluded.currency, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			r.Line, int64(r.MachineHour), r.LabourGrade, r.Currency, now.UnixNano(), actor.Name); err != nil {
			return fail("line rate "+r.Line, err)
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "line_rate", EntityID: r.Line, Action: "set",
			Before: before, After: mustJSON(r)})
	})
	return r, err
}

// ListLabourGrades lists the grades.
func (s *Store) ListLabourGrades(ctx context.Context) ([]domain.LabourGrade, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT grade, name, labour_hour, currency, updated_at, updated_by FROM cost_labour_grades ORDER BY grade`)
	if err != nil {
		return nil, fail("labour grades", err)
	}
	defer rows.Close()
	out := []domain.LabourGrade{}
	for rows.Next() {
		var g domain.LabourGrade
		var at int64
		if err := rows.Scan(&g.Grade, &g.Name, &g.LabourHour, &g.Currency, &at, &g.UpdatedBy); err != nil {
			return nil, fail("labour grades", err)
		}
		t := fromNanos(at)
		g.UpdatedAt = &t
		out = append(out, g)
	}
	return out, rows.Err()
}

// PutLabourGrade creates or changes a grade's hourly rate (audited).
func (s *Store) PutLabourGrade(ctx context.Context, g domain.LabourGrade, actor domain.Actor) (domain.LabourGrade, error) {
	if err := validGrade(g.Grade); err != nil {
		return g, err
	}
	if g.LabourHour < 0 {
		return g, domain.Invalid("labour_hour", "must not be negative")
	}
	g.Currency = s.currency
	now := s.h.Now()
	g.UpdatedAt, g.UpdatedBy = &now, actor.Name
	err := s.h.InTx(ctx, func(q store.Q) error {
		before, _ := snapshot(ctx, q, `SELECT name, labour_hour, currency FROM cost_labour_grades WHERE grade = ?`, g.Grade)
		if _, err := q.Exec(ctx, `INSERT INTO cost_labour_grades (grade, name, labour_hour, currency, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (grade) DO UPDATE SET name = excluded.name, labour_hour = excluded.labour_hour, currency = excluded.currency,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			g.Grade, g.Name, int64(g.LabourHour), g.Currency, now.UnixNano(), actor.Name); err != nil {
			return fail("labour grade "+g.Grade, err)
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "labour_grade", EntityID: g.Grade, Action: "set",
			Before: before, After: mustJSON(g)})
	})
	return g, err
}

// ListMaterialCosts lists the materials' standard costs.
func (s *Store) ListMaterialCosts(ctx context.Context) ([]domain.MaterialCost, error) {
	rows, err := s.h.Read().Query(ctx, `SELECT c.material, p.unit, c.standard_cost, c.currency, c.updated_at, c.updated_by
		FROM cost_materials c JOIN products p ON p.code = c.material ORDER BY c.material`)
	if err != nil {
		return nil, fail("material costs", err)
	}
	defer rows.Close()
	out := []domain.MaterialCost{}
	for rows.Next() {
		var m domain.MaterialCost
		var at int64
		if err := rows.Scan(&m.Material, &m.Unit, &m.StandardCost, &m.Currency, &at, &m.UpdatedBy); err != nil {
			return nil, fail("material costs", err)
		}
		t := fromNanos(at)
		m.UpdatedAt = &t
		out = append(out, m)
	}
	return out, rows.Err()
}

// PutMaterialCost sets a material's standard cost per base unit (audited).
func (s *Store) PutMaterialCost(ctx context.Context, m domain.MaterialCost, actor domain.Actor) (domain.MaterialCost, error) {
	if m.StandardCost < 0 {
		return m, domain.Invalid("standard_cost", "must not be negative")
	}
	m.Currency = s.currency
	now := s.h.Now()
	m.UpdatedAt, m.UpdatedBy = &now, actor.Name
	err := s.h.InTx(ctx, func(q store.Q) error {
		if err := q.QueryRow(ctx, `SELECT unit FROM products WHERE code = ?`, m.Material).Scan(&m.Unit); err != nil {
			return store.NotFound("material "+m.Material, err)
		}
		before, _ := snapshot(ctx, q, `SELECT standard_cost, currency FROM cost_materials WHERE material = ?`, m.Material)
		if _, err := q.Exec(ctx, `INSERT INTO cost_materials (material, standard_cost, currency, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (material) DO UPDATE SET standard_cost = excluded.standard_cost, currency = excluded.currency,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			m.Material, int64(m.StandardCost), m.Currency, now.UnixNano(), actor.Name); err != nil {
			return fail("material cost "+m.Material, err)
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "material_cost", EntityID: m.Material, Action: "set",
			Before: before, After: mustJSON(m)})
	})
	return m, err
}

// SetUserGrade gives a user a labour grade ("" takes it away; audited).
func (s *Store) SetUserGrade(ctx context.Context, username, grade string, actor domain.Actor) error {
	if grade != "" {
		if err := validGrade(grade); err != nil {
			return err
		}
	}
	return s.h.InTx(ctx, func(q store.Q) error {
		var old string
		if err := q.QueryRow(ctx, `SELECT labour_grade FROM users WHERE username = ?`, username).Scan(&old); err != nil {
			return store.NotFound("user "+username, err)
		}
		if grade != "" {
			if ok, err := exists(ctx, q, `SELECT 1 FROM cost_labour_grades WHERE grade = ?`, grade); err != nil {
				return err
			} else if !ok {
				return domain.Invalid("grade", "labour grade %q does not exist", grade)
			}
		}
		if _, err := q.Exec(ctx, `UPDATE users SET labour_grade = ? WHERE username = ?`, grade, username); err != nil {
			return fail("labour grade of "+username, err)
		}
		return q.Audit(ctx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: "user", EntityID: username, Action: "set_labour_grade",
			Before: mustJSON(map[string]string{"labour_grade": old}), After: mustJSON(map[string]string{"labour_grade": grade})})
	})
}

func validGrade(g string) error {
	if g == "" || len(g) > 32 || strings.ContainsFunc(g, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		return domain.Invalid("grade", "grade %q must be 1-32 letters, digits, - _ .", g)
	}
	return nil
}

func exists(ctx context.Context, q store.Q, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func notFoundOr(what string, err error) error {
	if err != nil {
		return err
	}
	return store.NotFound(what, sql.ErrNoRows)
}

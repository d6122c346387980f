package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Reads of master data and the replacements that set a whole list at once
// (BOM, routing, changeovers, calendars); mastercrud.go writes single records.

// ListSites returns every site by id.
func (s *Store) ListSites(ctx context.Context) ([]domain.Site, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, timezone FROM sites ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list sites: %w", err)
	}
	defer rows.Close()
	out := []domain.Site{}
	for rows.Next() {
		var x domain.Site
		if err := rows.Scan(&x.ID, &x.Name, &x.Timezone); err != nil {
			return nil, fmt.Errorf("store: list sites: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// GetSite returns a site; domain.ErrNotFound if absent.
func (s *Store) GetSite(ctx context.Context, id string) (domain.Site, error) {
	var x domain.Site
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, name, timezone FROM sites WHERE id = ?`), id).Scan(&x.ID, &x.Name, &x.Timezone)
	return x, notFoundIf("store: site "+id, err)
}

// GetLine returns a line's master data; domain.ErrNotFound if absent.
func (s *Store) GetLine(ctx context.Context, id string) (domain.Line, error) {
	var x domain.Line
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, name, site_id FROM lines WHERE id = ?`), id).Scan(&x.ID, &x.Name, &x.Site)
	return x, notFoundIf("store: line "+id, err)
}

// ListStations returns every station by id.
func (s *Store) ListStations(ctx context.Context) ([]domain.Station, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, line_id, name FROM stations ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list stations: %w", err)
	}
	defer rows.Close()
	out := []domain.Station{}
	for rows.Next() {
		var x domain.Station
		if err := rows.Scan(&x.ID, &x.LineID, &x.Name); err != nil {
			return nil, fmt.Errorf("store: list stations: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ListProducts returns every product by code.
func (s *Store) ListProducts(ctx context.Context) ([]domain.Product, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT code, name, unit, ideal_cycle_ns, family FROM products ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: list products: %w", err)
	}
	defer rows.Close()
	out := []domain.Product{}
	for rows.Next() {
		var x domain.Product
		var cycle int64
		if err := rows.Scan(&x.Code, &x.Name, &x.Unit, &cycle, &x.Family); err != nil {
			return nil, fmt.Errorf("store: list products: %w", err)
		}
		x.IdealCycle = time.Duration(cycle)
		out = append(out, x)
	}
	return out, rows.Err()
}

// GetProduct returns a product; domain.ErrNotFound if absent.
func (s *Store) GetProduct(ctx context.Context, code string) (domain.Product, error) {
	var x domain.Product
	var cycle int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT code, name, unit, ideal_cycle_ns, family FROM products WHERE code = ?`), code).
		Scan(&x.Code, &x.Name, &x.Unit, &cycle, &x.Family)
	x.IdealCycle = time.Duration(cycle)
	return x, notFoundIf("store: product "+code, err)
}

func (s *Store) bom(ctx context.Context, q dbtx, product string) ([]domain.BOMItem, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT product_code, component_code, quantity, unit, consumption FROM bom_items
		WHERE product_code = ? ORDER BY component_code`), product)
	if err != nil {
		return nil, fmt.Errorf("store: bill of materials of %s: %w", product, err)
	}
	defer rows.Close()
	out := []domain.BOMItem{}
	for rows.Next() {
		var x domain.BOMItem
		if err := rows.Scan(&x.Product, &x.Component, &x.Quantity, &x.Unit, &x.Consumption); err != nil {
			return nil, fmt.Errorf("store: bill of materials of %s: %w", product, err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// BOM returns a product's bill of materials by component.
func (s *Store) BOM(ctx context.Context, product string) ([]domain.BOMItem, error) {
	return s.bom(ctx, s.db, product)
}

// ReplaceBOM sets a product's bill of materials, audited as one change.
func (s *Store) ReplaceBOM(ctx context.Context, product string, items []domain.BOMItem, actor domain.Actor) error {
	if _, err := s.GetProduct(ctx, product); err != nil {
		return err
	}
	before, err := s.BOM(ctx, product)
	if err != nil {
		return err
	}
	rows := make([]mdRow, len(items))
	for i, it := range items {
		it.Product = product
		items[i] = it
		rows[i], _ = s.rowOf(it)
	}
	return s.replaceRows(ctx, "bom", product, before, items, []string{`DELETE FROM bom_items WHERE product_code = ?`}, rows, actor)
}

// ReplaceRouting sets a product's routing, audited as one change.
func (s *Store) ReplaceRouting(ctx context.Context, product string, ops []domain.RoutingOp, actor domain.Actor) error {
	if _, err := s.GetProduct(ctx, product); err != nil {
		return err
	}
	before, err := s.Routing(ctx, product)
	if err != nil {
		return err
	}
	rows := make([]mdRow, len(ops))
	for i, op := range ops {
		op.ProductCode = product
		ops[i] = op
		rows[i], _ = s.rowOf(op)
	}
	return s.replaceRows(ctx, "routing", product, routingAudit(before), routingAudit(ops),
		[]string{`DELETE FROM routings WHERE product_code = ?`}, rows, actor)
}

// routingAudit shows cycle and setup times in the audit trail (RoutingOp
// hides them from JSON).
func routingAudit(ops []domain.RoutingOp) []map[string]any {
	out := make([]map[string]any, len(ops))
	for i, op := range ops {
		out[i] = map[string]any{"seq": op.Seq, "name": op.Name, "line": op.LineID,
			"ideal_cycle_s": op.IdealCycle.Seconds(), "setup_s": op.Setup.Seconds()}
		if op.OverlapQty != nil {
			out[i]["overlap_qty"] = *op.OverlapQty
		}
	}
	return out
}

// Changeovers returns the changeover matrices of every line (line "") or
// of one line, by line, from family and to family.
func (s *Store) Changeovers(ctx context.Context, line string) ([]domain.Changeover, error) {
	where, args := "", []any{}
	if line != "" {
		where, args = " WHERE line_id = ?", []any{line}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT line_id, from_family, to_family, setup_ns FROM line_changeovers`+where+
		` ORDER BY line_id, from_family, to_family`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: changeovers: %w", err)
	}
	defer rows.Close()
	out := []domain.Changeover{}
	for rows.Next() {
		var x domain.Changeover
		var setup int64
		if err := rows.Scan(&x.Line, &x.From, &x.To, &setup); err != nil {
			return nil, fmt.Errorf("store: changeovers: %w", err)
		}
		x.Setup = time.Duration(setup)
		out = append(out, x)
	}
	return out, rows.Err()
}

// ReplaceChangeovers sets a line's changeover matrix, audited as one
// change; domain.ErrNotFound for an unknown line, domain.ErrConflict for a
// pair listed twice.
func (s *Store) ReplaceChangeovers(ctx context.Context, line string, cs []domain.Changeover, actor domain.Actor) error {
	if _, err := s.GetLine(ctx, line); err != nil {
		return err
	}
	before, err := s.Changeovers(ctx, line)
	if err != nil {
		return err
	}
	rows := make([]mdRow, len(cs))
	for i, c := range cs {
		c.Line = line
		cs[i] = c
		rows[i], _ = s.rowOf(c)
	}
	return s.replaceRows(ctx, "changeovers", line, changeoverAudit(before), changeoverAudit(cs),
		[]string{`DELETE FROM line_changeovers WHERE line_id = ?`}, rows, actor)
}

// changeoverAudit shows setup times in the audit trail (Changeover hides
// them from JSON).
func changeoverAudit(cs []domain.Changeover) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"from_family": c.From, "to_family": c.To, "setup_s": c.Setup.Seconds()}
	}
	return out
}

// Calendars returns every line's calendar (lines without shifts or stops
// too), by line.
func (s *Store) Calendars(ctx context.Context) ([]domain.LineCalendar, error) {
	return s.calendars(ctx, "")
}

// Calendar returns one line's calendar; domain.ErrNotFound for an unknown line.
func (s *Store) Calendar(ctx context.Context, line string) (domain.LineCalendar, error) {
	if _, err := s.GetLine(ctx, line); err != nil {
		return domain.LineCalendar{}, err
	}
	cs, err := s.calendars(ctx, line)
	if err != nil || len(cs) == 0 {
		return domain.LineCalendar{Line: line, Shifts: []domain.Shift{}, Stops: []domain.PlannedStop{}}, err
	}
	return cs[0], nil
}

func (s *Store) calendars(ctx context.Context, line string) ([]domain.LineCalendar, error) {
	where, args := "", []any{}
	if line != "" {
		where, args = " WHERE id = ?", []any{line}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM lines`+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: calendars: %w", err)
	}
	byLine := map[string]*domain.LineCalendar{}
	var out []domain.LineCalendar
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: calendars: %w", err)
		}
		out = append(out, domain.LineCalendar{Line: id, Shifts: []domain.Shift{}, Stops: []domain.PlannedStop{}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		byLine[out[i].Line] = &out[i]
	}
	where = strings.Replace(where, "id", "line_id", 1)
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT line_id, name, start_hm, end_hm, days FROM line_shifts`+where+` ORDER BY line_id, start_hm, name`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: shifts: %w", err)
	}
	for rows.Next() {
		var x domain.Shift
		if err := rows.Scan(&x.Line, &x.Name, &x.Start, &x.End, &x.Days); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: shifts: %w", err)
		}
		if c := byLine[x.Line]; c != nil {
			c.Shifts = append(c.Shifts, x)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT id, line_id, start_at, end_at, reason FROM planned_stops`+where+` ORDER BY line_id, start_at, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: planned stops: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x domain.PlannedStop
		var a, b int64
		if err := rows.Scan(&x.ID, &x.Line, &a, &b, &x.Reason); err != nil {
			return nil, fmt.Errorf("store: planned stops: %w", err)
		}
		x.Start, x.End = fromNanos(a), fromNanos(b)
		if c := byLine[x.Line]; c != nil {
			c.Stops = append(c.Stops, x)
		}
	}
	return out, rows.Err()
}

// ReplaceCalendar sets a line's shifts and planned stops, audited as one change.
func (s *Store) ReplaceCalendar(ctx context.Context, cal domain.LineCalendar, actor domain.Actor) error {
	before, err := s.Calendar(ctx, cal.Line)
	if err != nil {
		return err
	}
	var rows []mdRow
	for i, sh := range cal.Shifts {
		sh.Line = cal.Line
		cal.Shifts[i] = sh
		r, _ := s.rowOf(sh)
		rows = append(rows, r)
	}
	for i, st := range cal.Stops {
		st.Line = cal.Line
		cal.Stops[i] = st
		r, _ := s.rowOf(st)
		rows = append(rows, r)
	}
	// A stop id is global: one of another line would be taken over here.
	for _, st := range cal.Stops {
		var other string
		err := s.db.QueryRowContext(ctx, s.q(`SELECT line_id FROM planned_stops WHERE id = ?`), st.ID).Scan(&other)
		if err == nil && other != cal.Line {
			return &domain.FieldError{Field: "planned_stops", Rule: fmt.Sprintf("stop id %q belongs to line %s", st.ID, other)}
		}
	}
	return s.replaceRows(ctx, "calendar", cal.Line, before, cal,
		[]string{`DELETE FROM line_shifts WHERE line_id = ?`, `DELETE FROM planned_stops WHERE line_id = ?`}, rows, actor)
}

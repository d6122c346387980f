package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Master data (sites, lines, stations, shifts, planned stops, products, bill
// of materials items, routing operations, users) is written through one
// table-driven path, so REST writes and CSV imports check the same
// references and audit the same way. The rules on a record's own fields are
// domain.Check*; what needs the database (does the line exist, is the badge
// taken) is checked here, before writing, so a PostgreSQL transaction never
// sees a failed statement and an import can go on to the next row.

type mdRef struct {
	col, field    string // column in this table, field name in errors
	table, keyCol string
	what          string // "line", "product", ...
}

type mdSpec struct {
	entity string // audit entity and error wording
	table  string
	keys   []string // key columns
	cols   []string // other columns written
	fields map[string]string
	refs   []mdRef
	unique []string // non-key unique columns (empty values skip the check)
}

func (m *mdSpec) field(col string) string {
	if f, ok := m.fields[col]; ok {
		return f
	}
	return col
}

var (
	siteSpec = &mdSpec{entity: "site", table: "sites", keys: []string{"id"}, cols: []string{"name", "timezone"}}
	lineSpec = &mdSpec{entity: "line", table: "lines", keys: []string{"id"}, cols: []string{"name", "site_id"},
		fields: map[string]string{"site_id": "site"},
		refs:   []mdRef{{col: "site_id", field: "site", table: "sites", keyCol: "id", what: "site"}}}
	stationSpec = &mdSpec{entity: "station", table: "stations", keys: []string{"id"}, cols: []string{"line_id", "name"},
		fields: map[string]string{"line_id": "line"},
		refs:   []mdRef{{col: "line_id", field: "line", table: "lines", keyCol: "id", what: "line"}}}
	shiftSpec = &mdSpec{entity: "shift", table: "line_shifts", keys: []string{"line_id", "name"}, cols: []string{"start_hm", "end_hm", "days"},
		fields: map[string]string{"line_id": "line", "start_hm": "start", "end_hm": "end"},
		refs:   []mdRef{{col: "line_id", field: "line", table: "lines", keyCol: "id", what: "line"}}}
	stopSpec = &mdSpec{entity: "planned_stop", table: "planned_stops", keys: []string{"id"},
		cols:   []string{"line_id", "start_at", "end_at", "reason"},
		fields: map[string]string{"line_id": "line", "start_at": "start", "end_at": "end"},
		refs:   []mdRef{{col: "line_id", field: "line", table: "lines", keyCol: "id", what: "line"}}}
	productSpec = &mdSpec{entity: "product", table: "products", keys: []string{"code"}, cols: []string{"name", "unit", "ideal_cycle_ns", "family"},
		fields: map[string]string{"ideal_cycle_ns": "ideal_cycle_s"}}
	bomSpec = &mdSpec{entity: "bom_item", table: "bom_items", keys: []string{"product_code", "component_code"},
		cols:   []string{"quantity", "unit", "consumption"},
		fields: map[string]string{"product_code": "product", "component_code": "component"},
		refs: []mdRef{{col: "product_code", field: "product", table: "products", keyCol: "code", what: "product"},
			{col: "component_code", field: "component", table: "products", keyCol: "code", what: "component product"}}}
	routingSpec = &mdSpec{entity: "routing_op", table: "routings", keys: []string{"product_code", "seq"},
		cols:   []string{"name", "line_id", "ideal_cycle_ns", "setup_ns", "overlap_qty"},
		fields: map[string]string{"product_code": "product", "line_id": "line", "ideal_cycle_ns": "ideal_cycle_s", "setup_ns": "setup_s"},
		refs: []mdRef{{col: "product_code", field: "product", table: "products", keyCol: "code", what: "product"},
			{col: "line_id", field: "line", table: "lines", keyCol: "id", what: "line"}}}
	changeoverSpec = &mdSpec{entity: "changeover", table: "line_changeovers", keys: []string{"line_id", "from_family", "to_family"},
		cols:   []string{"setup_ns"},
		fields: map[string]string{"line_id": "line", "setup_ns": "setup_s"},
		refs:   []mdRef{{col: "line_id", field: "line", table: "lines", keyCol: "id", what: "line"}}}
	customerSpec = &mdSpec{entity: "customer", table: "customers", keys: []string{"code"}, cols: []string{"name", "grade", "contacts"}}
	userSpec     = &mdSpec{entity: "user", table: "users", keys: []string{"username"}, cols: []string{"display_name", "role", "badge", "disabled"},
		unique: []string{"badge"}}
)

// mdRow is one record ready to write: its spec, key and column values
// (in spec order), and columns only an insert sets.
type mdRow struct {
	spec       *mdSpec
	keys, vals []any
	insertCols []string
	insertVals []any
}

func (s *Store) rowOf(v any) (mdRow, error) {
	switch x := v.(type) {
	case domain.Site:
		return mdRow{spec: siteSpec, keys: []any{x.ID}, vals: []any{x.Name, x.Timezone}}, nil
	case domain.Line:
		return mdRow{spec: lineSpec, keys: []any{x.ID}, vals: []any{x.Name, x.Site}}, nil
	case domain.Station:
		return mdRow{spec: stationSpec, keys: []any{x.ID}, vals: []any{x.LineID, x.Name}}, nil
	case domain.Shift:
		// Day lists are stored canonical ("monday-friday" → "Mon-Fri").
		return mdRow{spec: shiftSpec, keys: []any{x.Line, x.Name}, vals: []any{x.Start, x.End, domain.CanonicalDays(x.Days)}}, nil
	case domain.PlannedStop:
		return mdRow{spec: stopSpec, keys: []any{x.ID}, vals: []any{x.Line, nanos(x.Start), nanos(x.End), x.Reason}}, nil
	case domain.Product:
		return mdRow{spec: productSpec, keys: []any{x.Code}, vals: []any{x.Name, x.Unit, int64(x.IdealCycle), x.Family}}, nil
	case domain.BOMItem:
		return mdRow{spec: bomSpec, keys: []any{x.Product, x.Component}, vals: []any{x.Quantity, x.Unit, domain.NormalizeConsumption(x.Consumption)}}, nil
	case domain.RoutingOp:
		return mdRow{spec: routingSpec, keys: []any{x.ProductCode, x.Seq},
			vals: []any{x.Name, x.LineID, int64(x.IdealCycle), int64(x.Setup), nullInt(x.OverlapQty)}}, nil
	case domain.Changeover:
		return mdRow{spec: changeoverSpec, keys: []any{x.Line, x.From, x.To}, vals: []any{int64(x.Setup)}}, nil
	case domain.Customer:
		return mdRow{spec: customerSpec, keys: []any{x.Code}, vals: []any{x.Name, x.Grade, x.Contacts}}, nil
	case domain.User:
		return mdRow{spec: userSpec, keys: []any{x.Username}, vals: []any{x.DisplayName, string(x.Role), nullString(s.badgeHash(x.Badge)), boolInt(x.Disabled)},
			insertCols: []string{"password_hash", "created_at"}, insertVals: []any{x.PasswordHash, nanos(s.now())}}, nil
	}
	return mdRow{}, fmt.Errorf("store: %T is not master data", v)
}

func (r mdRow) id() string {
	parts := make([]string, len(r.keys))
	for i, k := range r.keys {
		parts[i] = fmt.Sprint(k)
	}
	return strings.Join(parts, "/")
}

func (r mdRow) where() string {
	conds := make([]string, len(r.spec.keys))
	for i, k := range r.spec.keys {
		conds[i] = k + " = ?"
	}
	return strings.Join(conds, " AND ")
}

// readRow reads the row's current columns as a map for the audit trail;
// nil when it does not exist.
func (s *Store) readRow(ctx context.Context, q dbtx, r mdRow) (map[string]any, error) {
	cols := append(append([]string{}, r.spec.keys...), r.spec.cols...)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := q.QueryRowContext(ctx, s.q(`SELECT `+strings.Join(cols, ", ")+` FROM `+r.spec.table+` WHERE `+r.where()), r.keys...).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: read %s %s: %w", r.spec.entity, r.id(), err)
	}
	out := map[string]any{}
	for i, c := range cols {
		v := vals[i]
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		if r.spec == userSpec && c == "badge" {
			v = v != nil // a credential: the audit trail says only whether there is one
		}
		if n, ok := v.(int64); ok && strings.HasSuffix(c, "_ns") {
			v = time.Duration(n).Seconds() // the field says _s: show seconds, as the API does
		}
		out[r.spec.field(c)] = v
	}
	return out, nil
}

// checkRefs returns a field error for each reference to a missing record
// and each unique value another record holds.
func (s *Store) checkRefs(ctx context.Context, q dbtx, r mdRow) ([]*domain.FieldError, error) {
	var errs []*domain.FieldError
	val := func(col string) any {
		for i, k := range r.spec.keys {
			if k == col {
				return r.keys[i]
			}
		}
		for i, c := range r.spec.cols {
			if c == col {
				return r.vals[i]
			}
		}
		return nil
	}
	for _, ref := range r.spec.refs {
		v := val(ref.col)
		if v == nil || v == "" {
			continue // optional reference left empty (required ones are the domain's check)
		}
		ok, err := s.exists(ctx, q, `SELECT 1 FROM `+ref.table+` WHERE `+ref.keyCol+` = ?`, v)
		if err != nil {
			return nil, fmt.Errorf("store: check %s of %s %s: %w", ref.what, r.spec.entity, r.id(), err)
		}
		if !ok {
			errs = append(errs, &domain.FieldError{Field: ref.field, Rule: fmt.Sprintf("%s %q does not exist", ref.what, v)})
		}
	}
	if r.spec == bomSpec && len(errs) == 0 {
		product, component := fmt.Sprint(r.keys[0]), fmt.Sprint(r.keys[1])
		path, err := s.bomPath(ctx, q, component, product)
		if err != nil {
			return nil, err
		}
		if path != nil {
			errs = append(errs, &domain.FieldError{Field: "component", Rule: fmt.Sprintf(
				"%s would close a cycle %s; a product cannot contain itself, even through other products",
				component, strings.Join(append([]string{product}, path...), " → "))})
		}
	}
	for _, col := range r.spec.unique {
		v := val(col)
		if ns, ok := v.(sql.NullString); ok {
			if !ns.Valid {
				continue
			}
			v = ns.String
		}
		if v == nil || v == "" {
			continue
		}
		args := append([]any{v}, r.keys...)
		taken, err := s.exists(ctx, q, `SELECT 1 FROM `+r.spec.table+` WHERE `+col+` = ? AND NOT (`+r.where()+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: check %s of %s %s: %w", col, r.spec.entity, r.id(), err)
		}
		if taken {
			rule := fmt.Sprintf("%q is already taken", v)
			if r.spec == userSpec && col == "badge" {
				rule = "is already another user's badge" // a credential: never repeated
			}
			errs = append(errs, &domain.FieldError{Field: r.spec.field(col), Rule: rule, Conflict: true})
		}
	}
	return errs, nil
}

// writeRow checks and writes one record in tx, with its audit entry. Broken
// references come back as field errors (nothing written); a create of an
// existing record is domain.ErrConflict, an update of a missing one
// domain.ErrNotFound. created reports an insert.
func (s *Store) writeRow(ctx context.Context, tx *sql.Tx, r mdRow, mode domain.SaveMode, actor domain.Actor, action string) (created bool, ferrs []*domain.FieldError, err error) {
	if r.spec == userSpec {
		if err := s.lockAdmins(ctx, tx); err != nil {
			return false, nil, err
		}
	}
	if ferrs, err = s.checkRefs(ctx, tx, r); err != nil || len(ferrs) > 0 {
		return false, ferrs, err
	}
	before, err := s.readRow(ctx, tx, r)
	if err != nil {
		return false, nil, err
	}
	switch {
	case before != nil && mode == domain.SaveCreate:
		return false, nil, fmt.Errorf("store: %s %s already exists: %w", r.spec.entity, r.id(), domain.ErrConflict)
	case before == nil && mode == domain.SaveUpdate:
		return false, nil, fmt.Errorf("store: %s %s: %w", r.spec.entity, r.id(), domain.ErrNotFound)
	}
	if r.spec == userSpec && before != nil {
		role, _ := r.vals[1].(string)
		disabled, _ := r.vals[3].(int)
		if err := s.keepAnAdmin(ctx, tx, fmt.Sprint(r.keys[0]), role == string(domain.RoleAdmin) && disabled == 0,
			role != string(domain.RoleAdmin)); err != nil {
			return false, nil, err
		}
	}
	if before == nil {
		cols := append(append(append([]string{}, r.spec.keys...), r.spec.cols...), r.insertCols...)
		args := append(append(append([]any{}, r.keys...), r.vals...), r.insertVals...)
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO `+r.spec.table+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`), args...)
	} else {
		sets := make([]string, len(r.spec.cols))
		for i, c := range r.spec.cols {
			sets[i] = c + " = ?"
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE `+r.spec.table+` SET `+strings.Join(sets, ", ")+` WHERE `+r.where()),
			append(append([]any{}, r.vals...), r.keys...)...)
	}
	if isUnique(err) {
		// Another writer created it (or took its badge) since readRow.
		return false, nil, fmt.Errorf("store: %s %s collides with an existing record: %w", r.spec.entity, r.id(), domain.ErrConflict)
	}
	if err != nil {
		return false, nil, fmt.Errorf("store: write %s %s: %w", r.spec.entity, r.id(), err)
	}
	if r.spec == userSpec && r.vals[3] == 1 {
		// A disabled user's sessions end now, so enabling the user again
		// does not bring them back.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE username = ?`), r.keys[0]); err != nil {
			return false, nil, fmt.Errorf("store: end sessions of %s: %w", r.id(), err)
		}
	}
	after, err := s.readRow(ctx, tx, r)
	if err != nil {
		return false, nil, err
	}
	if action == "" {
		action = "update"
		if before == nil {
			action = "create"
		}
	}
	var b any
	if before != nil {
		b = before
	}
	err = s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: r.spec.entity,
		EntityID: r.id(), Action: action, Before: snapshot(b), After: snapshot(after)})
	return before == nil, nil, err
}

// SaveMaster writes one master-data record (a domain.Site, Line, Station,
// Shift, PlannedStop, Product, BOMItem, RoutingOp or User) and audits it
// with before and after. A broken reference is a *domain.FieldError. A new
// user gets u.PasswordHash; an update never changes the password.
func (s *Store) SaveMaster(ctx context.Context, v any, mode domain.SaveMode, actor domain.Actor) error {
	r, err := s.rowOf(v)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save %s: %w", r.spec.entity, err)
	}
	defer tx.Rollback()
	_, ferrs, err := s.writeRow(ctx, tx, r, mode, actor, "")
	if err != nil {
		return err
	}
	if len(ferrs) > 0 {
		return ferrs[0]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save %s %s: %w", r.spec.entity, r.id(), err)
	}
	return nil
}

// ImportMaster writes parsed import rows in one transaction, each created
// or updated by its key and audited as "import". Every row is checked; rows
// that already carry errors are reported and skipped. With any error and
// not partial, the transaction is rolled back and the report's counts are 0.
func (s *Store) ImportMaster(ctx context.Context, kind string, rows []domain.ImportRow, partial bool, actor domain.Actor) (domain.ImportReport, error) {
	rep := domain.ImportReport{Kind: kind, Rows: len(rows), Partial: partial, Errors: []domain.RowError{}}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("store: import %s: %w", kind, err)
	}
	defer tx.Rollback()
	for _, row := range rows {
		ferrs := row.Errors
		if len(ferrs) > 0 && row.Value != nil {
			// Not written, but its references are still reported, so one
			// round of fixes is enough.
			r, err := s.rowOf(row.Value)
			if err != nil {
				return rep, err
			}
			refErrs, err := s.checkRefs(ctx, tx, r)
			if err != nil {
				return rep, err
			}
			for _, re := range refErrs {
				if !slices.ContainsFunc(ferrs, func(fe *domain.FieldError) bool { return fe.Field == re.Field }) {
					ferrs = append(ferrs, re)
				}
			}
			slices.SortStableFunc(ferrs, func(a, b *domain.FieldError) int { return fieldOrder(r.spec, a.Field) - fieldOrder(r.spec, b.Field) })
		}
		if len(ferrs) == 0 {
			r, err := s.rowOf(row.Value)
			if err != nil {
				return rep, err
			}
			created, fe, err := s.writeRow(ctx, tx, r, domain.SaveUpsert, actor, "import")
			var la *domain.LastAdminError
			if errors.As(err, &la) {
				// Refused before anything was written: the row's error.
				fe, err, rep.Conflict = []*domain.FieldError{{Field: la.Field, Rule: la.Rule()}}, nil, true
			}
			if err != nil {
				return rep, fmt.Errorf("store: import %s row %d: %w", kind, row.Row, err)
			}
			ferrs = fe
			if len(fe) == 0 {
				if created {
					rep.Created++
				} else {
					rep.Updated++
				}
			}
		}
		for _, fe := range ferrs {
			rep.Errors = append(rep.Errors, domain.RowError{Row: row.Row, Field: fe.Field, Rule: fe.Rule})
		}
	}
	if len(rep.Errors) > 0 && !partial {
		rep.Created, rep.Updated = 0, 0
		return rep, nil // deferred rollback
	}
	if err := tx.Commit(); err != nil {
		return rep, fmt.Errorf("store: import %s: %w", kind, err)
	}
	return rep, nil
}

// replaceRows deletes the rows of table where col = id and writes rows in
// their place, in one transaction, audited as one entry on entity/id with
// the old and new lists.
func (s *Store) replaceRows(ctx context.Context, entity, id string, before, after any, deletes []string, rows []mdRow, actor domain.Actor) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: replace %s of %s: %w", entity, id, err)
	}
	defer tx.Rollback()
	for _, d := range deletes {
		if _, err := tx.ExecContext(ctx, s.q(d), id); err != nil {
			return fmt.Errorf("store: replace %s of %s: %w", entity, id, err)
		}
	}
	for _, r := range rows {
		if ferrs, err := s.checkRefs(ctx, tx, r); err != nil {
			return err
		} else if len(ferrs) > 0 {
			return ferrs[0]
		}
		cols := append(append([]string{}, r.spec.keys...), r.spec.cols...)
		args := append(append([]any{}, r.keys...), r.vals...)
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO `+r.spec.table+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`), args...); err != nil {
			if isUnique(err) {
				return fmt.Errorf("store: %s %s is listed twice: %w", r.spec.entity, r.id(), domain.ErrConflict)
			}
			return fmt.Errorf("store: replace %s of %s: %w", entity, id, err)
		}
	}
	if err := s.writeAudit(ctx, tx, domain.AuditEntry{Actor: actor.Name, Role: actor.Role, Entity: entity, EntityID: id,
		Action: "replace", Before: snapshot(before), After: snapshot(after)}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: replace %s of %s: %w", entity, id, err)
	}
	return nil
}

// --- reads ---

// fieldOrder ranks a field by its column's place in the spec (keys first),
// so a row's errors read left to right; unknown fields go last.
func fieldOrder(m *mdSpec, field string) int {
	for i, c := range append(append([]string{}, m.keys...), m.cols...) {
		if m.field(c) == field {
			return i
		}
	}
	return 1 << 20
}

func notFoundIf(what string, err error) error {
	if err == nil {
		return nil
	}
	return notFound(what, err)
}

// bomPath is the shortest chain of bills of materials from product from
// down to product to ([from, …, to]), as q sees them; nil when to is not
// in from's tree. Adding to → from to a BOM closes a cycle exactly when
// there is such a chain. One query per product reached: a BOM tree is
// small, and each product is visited once even if a cycle already exists.
func (s *Store) bomPath(ctx context.Context, q dbtx, from, to string) ([]string, error) {
	parent := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var path []string
			for c := p; c != ""; c = parent[c] {
				path = append(path, c)
			}
			slices.Reverse(path)
			return path, nil
		}
		rows, err := q.QueryContext(ctx, s.q(`SELECT component_code FROM bom_items WHERE product_code = ? ORDER BY component_code`), p)
		if err != nil {
			return nil, fmt.Errorf("store: bill of materials of %s: %w", p, err)
		}
		var next []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: bill of materials of %s: %w", p, err)
			}
			next = append(next, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: bill of materials of %s: %w", p, err)
		}
		for _, c := range next {
			if _, seen := parent[c]; !seen {
				parent[c] = p
				queue = append(queue, c)
			}
		}
	}
	return nil, nil
}

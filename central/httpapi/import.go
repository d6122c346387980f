package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// importKind is one importable kind: its CSV columns (required ones first
// in the docs), who may import it, and how a row becomes a record.
type importKind struct {
	required, optional []string
	writers            []domain.Role
	// parse builds the record from the row's cells by column name; cell
	// errors come back as field errors of that column.
	parse func(get func(string) string, errs *[]*domain.FieldError) (value any, key string)
}

func intCell(col, v string, errs *[]*domain.FieldError) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		*errs = append(*errs, &domain.FieldError{Field: col, Rule: fmt.Sprintf("%q is not a whole number", v)})
	}
	return n
}

func floatCell(col, v string, errs *[]*domain.FieldError) float64 {
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		*errs = append(*errs, &domain.FieldError{Field: col, Rule: fmt.Sprintf("%q is not a number", v)})
		return 0 // the column's own error; no "negative" or "too large" besides
	}
	return f
}

func boolCell(col, v string, errs *[]*domain.FieldError) bool {
	switch strings.ToLower(v) {
	case "", "false", "no", "0":
		return false
	case "true", "yes", "1":
		return true
	}
	*errs = append(*errs, &domain.FieldError{Field: col, Rule: fmt.Sprintf("%q is not true or false", v)})
	return false
}

// importKinds is the import's contract; the OpenAPI summary and the
// problem for an unknown kind list it.
var importKinds = map[string]importKind{
	"sites": {required: []string{"id", "name"}, optional: []string{"timezone"}, writers: structureWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := domain.Site{ID: get("id"), Name: get("name"), Timezone: get("timezone")}
			*errs = append(*errs, domain.CheckSite(v)...)
			return v, v.ID
		}},
	"lines": {required: []string{"id", "name"}, optional: []string{"site"}, writers: structureWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := domain.Line{ID: get("id"), Name: get("name"), Site: get("site")}
			*errs = append(*errs, domain.CheckLine(v)...)
			return v, v.ID
		}},
	"stations": {required: []string{"id", "line"}, optional: []string{"name"}, writers: structureWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := domain.Station{ID: get("id"), LineID: get("line"), Name: get("name")}
			*errs = append(*errs, domain.CheckStation(v)...)
			return v, v.ID
		}},
	"shifts": {required: []string{"line", "name", "start", "end"}, optional: []string{"days"}, writers: structureWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := domain.Shift{Line: get("line"), Name: get("name"), Start: get("start"), End: get("end"), Days: get("days")}
			*errs = append(*errs, domain.CheckShift(v)...)
			return v, v.Line + "/" + v.Name
		}},
	"planned_stops": {required: []string{"id", "line", "start", "end"}, optional: []string{"reason"}, writers: structureWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := domain.PlannedStop{ID: get("id"), Line: get("line"), Reason: get("reason")}
			for _, f := range []struct {
				col string
				t   *time.Time
			}{{"start", &v.Start}, {"end", &v.End}} {
				if get(f.col) == "" {
					continue // CheckPlannedStop reports it
				}
				t, rule := timeValue(get(f.col))
				if rule != "" {
					*errs = append(*errs, &domain.FieldError{Field: f.col, Rule: fmt.Sprintf("%q %s", get(f.col), rule)})
					continue
				}
				*f.t = t.UTC()
			}
			for _, e := range domain.CheckPlannedStop(v) {
				if !slices.ContainsFunc(*errs, func(x *domain.FieldError) bool { return x.Field == e.Field }) {
					*errs = append(*errs, e)
				}
			}
			return v, v.ID
		}},
	"products": {required: []string{"code", "name", "unit"}, optional: []string{"ideal_cycle_s", "family"}, writers: productWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := productJSON{Code: get("code"), Name: get("name"), Unit: get("unit"),
				IdealCycleS: floatCell("ideal_cycle_s", get("ideal_cycle_s"), errs), Family: get("family")}.domain()
			*errs = append(*errs, domain.CheckProduct(v)...)
			return v, v.Code
		}},
	"bom": {required: []string{"product", "component", "quantity"}, optional: []string{"unit", "consumption"}, writers: productWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			n := len(*errs)
			v := domain.BOMItem{Product: get("product"), Component: get("component"),
				Quantity: floatCell("quantity", get("quantity"), errs), Unit: get("unit"), Consumption: get("consumption")}
			for _, e := range domain.CheckBOMItem(v) {
				if e.Field != "quantity" || len(*errs) == n {
					*errs = append(*errs, e)
				}
			}
			return v, v.Product + "/" + v.Component
		}},
	"routing": {required: []string{"product", "seq", "line", "ideal_cycle_s"}, optional: []string{"name", "setup_s"}, writers: productWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			n := len(*errs)
			v := domain.RoutingOp{ProductCode: get("product"), Seq: intCell("seq", get("seq"), errs), Name: get("name"), LineID: get("line"),
				IdealCycle: seconds(floatCell("ideal_cycle_s", get("ideal_cycle_s"), errs)), Setup: seconds(floatCell("setup_s", get("setup_s"), errs))}
			bad := map[string]bool{}
			for _, e := range (*errs)[n:] {
				bad[e.Field] = true
			}
			for _, e := range domain.CheckRoutingOp(v) {
				if !bad[e.Field] {
					*errs = append(*errs, e)
				}
			}
			return v, v.ProductCode + "/" + get("seq")
		}},
	"changeovers": {required: []string{"line", "from_family", "to_family", "setup_s"}, writers: productWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			n := len(*errs)
			v := domain.Changeover{Line: get("line"), From: get("from_family"), To: get("to_family"),
				Setup: seconds(floatCell("setup_s", get("setup_s"), errs))}
			if get("setup_s") == "" && len(*errs) == n {
				*errs = append(*errs, &domain.FieldError{Field: "setup_s", Rule: "is required (seconds; 0 for no setup)"})
			}
			bad := map[string]bool{}
			for _, e := range (*errs)[n:] {
				bad[e.Field] = true
			}
			for _, e := range domain.CheckChangeover(v) {
				if !bad[e.Field] {
					*errs = append(*errs, e)
				}
			}
			return v, v.Line + "/" + v.From + "/" + v.To
		}},
	"customers": {required: []string{"code", "name", "grade"}, optional: []string{"contacts"}, writers: domain.CustomerWriters(),
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := domain.Customer{Code: get("code"), Name: get("name"), Grade: strings.ToUpper(get("grade")), Contacts: get("contacts")}
			*errs = append(*errs, domain.CheckCustomer(v)...)
			return v, v.Code
		}},
	"users": {required: []string{"username", "role"}, optional: []string{"display_name", "badge", "disabled"}, writers: structureWriters,
		parse: func(get func(string) string, errs *[]*domain.FieldError) (any, string) {
			v := domain.User{Username: get("username"), DisplayName: get("display_name"), Role: domain.Role(get("role")),
				Badge: get("badge"), Disabled: boolCell("disabled", get("disabled"), errs)}
			*errs = append(*errs, domain.CheckUser(v)...)
			return v, v.Username
		}},
}

// importKindsDoc lists the kinds and columns for the route's summary.
const importKindsDoc = "sites(id,name[,timezone]) lines(id,name[,site]) stations(id,line[,name]) " +
	"shifts(line,name,start,end[,days]) planned_stops(id,line,start,end[,reason]) products(code,name,unit[,ideal_cycle_s,family]) " +
	"bom(product,component,quantity[,unit]) routing(product,seq,line,ideal_cycle_s[,name,setup_s]) " +
	"changeovers(line,from_family,to_family,setup_s) customers(code,name,grade[,contacts]) users(username,role[,display_name,badge,disabled])"

// importWriters may call the import route; each kind then checks its own writers.
var importWriters = productWriters

const (
	maxImportBytes = 16 << 20
	maxImportRows  = 100_000
)

// importCSV serves POST /api/v1/import/:kind. The body is CSV with a header
// row naming the columns (any order; names as in importKindsDoc). Every row
// is checked — its own fields, then references and uniqueness against the
// database and the rows before it — and the report names each broken rule
// by row (the file's line number; the header is line 1) and field. With any
// error nothing is written (422, problem+json with the errors), unless
// ?partial=true: then the good rows are written and the report (200) lists
// the bad ones. A row whose key repeats an earlier row's is an error. Users
// imported get no password: they sign in by badge until an admin sets one.
func (s *Server) importCSV(c echo.Context) error {
	name := c.Param("kind")
	kind, ok := importKinds[name]
	if !ok {
		return &Problem{Status: http.StatusNotFound, Field: "kind", Detail: "cannot import " + strconv.Quote(name) + "; kinds and columns: " + importKindsDoc}
	}
	p := principal(c)
	if !slices.Contains(kind.writers, p.Role) {
		return &Problem{Status: http.StatusForbidden, Field: "role", Detail: "importing " + name + " needs role " + roleNames(kind.writers)}
	}
	partial := false
	if v := c.QueryParam("partial"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("partial", "partial must be true or false")
		}
		partial = b
	}
	t, err := readTable(c, name, kind.required)
	if err != nil {
		return err
	}
	header := t.header
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if rule := domain.TextRule(h, 100); rule != "" {
			return invalid("header", fmt.Sprintf("column %d's name %s", i+1, rule))
		}
		if !slices.Contains(kind.required, h) && !slices.Contains(kind.optional, h) {
			return invalid("header", fmt.Sprintf("unknown column %q; %s takes %s and optionally %s", h, name,
				strings.Join(kind.required, ", "), strings.Join(kind.optional, ", ")))
		}
		if _, dup := col[h]; dup {
			return invalid("header", fmt.Sprintf("column %q appears twice", h))
		}
		col[h] = i
	}
	for _, h := range kind.required {
		if _, ok := col[h]; !ok {
			return invalid("header", fmt.Sprintf("column %q is missing; %s needs %s", h, name, strings.Join(kind.required, ", ")))
		}
	}
	var rows []domain.ImportRow
	seen := map[string]int{}
	for _, tr := range t.rows {
		rec, line := tr.cells, tr.line
		row := domain.ImportRow{Row: line}
		if len(rec) != len(header) {
			row.Errors = append(row.Errors, &domain.FieldError{Field: "row", Rule: fmt.Sprintf("has %d cells, the header %d", len(rec), len(header))})
			rows = append(rows, row)
			continue
		}
		get := func(h string) string {
			if i, ok := col[h]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		// Every cell is text first (valid UTF-8, no NUL, a sane length);
		// the kind's rules then name the rest.
		bad := map[string]bool{}
		for h, i := range col {
			if rule := domain.RawTextRule(strings.TrimSpace(rec[i]), domain.MaxText); rule != "" {
				row.Errors = append(row.Errors, &domain.FieldError{Field: h, Rule: rule})
				bad[h] = true
			}
		}
		slices.SortFunc(row.Errors, func(a, b *domain.FieldError) int { return col[a.Field] - col[b.Field] })
		var errs []*domain.FieldError
		v, key := kind.parse(get, &errs)
		for _, e := range errs {
			if !bad[e.Field] {
				row.Errors = append(row.Errors, e)
			}
		}
		row.Value = v
		if prev, dup := seen[key]; dup && len(row.Errors) == 0 {
			row.Errors = append(row.Errors, &domain.FieldError{Field: kind.required[0], Rule: fmt.Sprintf("repeats the key of row %d", prev)})
		} else if !dup {
			seen[key] = line
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return invalid("body", "the file has a header but no rows")
	}
	rep, err := s.opts.Store.ImportMaster(c.Request().Context(), name, rows, partial, p.Actor())
	if err != nil {
		return err
	}
	if len(rep.Errors) > 0 && !partial {
		first := rep.Errors[0]
		// 409 when a row is refused by the state of the data (the last
		// enabled admin), not by what the file says.
		status := http.StatusUnprocessableEntity
		if rep.Conflict {
			status = http.StatusConflict
		}
		return &Problem{Status: status, Title: "Import rejected", Field: first.Field,
			Detail: fmt.Sprintf("%d of %d rows have errors (first: row %d, %s %s); nothing was written. Fix them, or send ?partial=true to write the good rows",
				countRows(rep.Errors), rep.Rows, first.Row, first.Field, first.Rule),
			Errors: rep.Errors}
	}
	s.Notify()
	c.Response().Header().Set("X-Import-Format", t.format)
	return c.JSON(http.StatusOK, rep)
}

func countRows(errs []domain.RowError) int {
	n, last := 0, -1
	for _, e := range errs {
		if e.Row != last {
			n++
			last = e.Row
		}
	}
	return n
}

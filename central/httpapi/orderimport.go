package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
)

// OrderImportStore writes an import's orders: all of them or none.
type OrderImportStore interface {
	CreateDraftOrders(ctx context.Context, orders []domain.Order, actor domain.Actor) ([]domain.Order, int, error)
}

// The order import's columns; a header may also name them in Chinese.
var (
	orderImportRequired = []string{"product", "quantity", "due"}
	orderImportOptional = []string{"number", "customer", "priority", "unit", "customer_ref", "order_type", "price", "currency"}
	orderImportAliases  = map[string]string{
		"产品": "product", "产品编码": "product", "物料编码": "product", "数量": "quantity", "交期": "due", "交货日期": "due",
		"订单号": "number", "客户": "customer", "客户编码": "customer", "优先级": "priority", "单位": "unit",
		"客户订单号": "customer_ref", "订单类型": "order_type", "单价": "price", "币种": "currency",
	}
)

// orderImportRow is one row of the report: what would be (or was) entered.
type orderImportRow struct {
	Row           int           `json:"row"`
	Number        string        `json:"number,omitempty"` // empty: assigned when written
	Product       string        `json:"product"`
	Quantity      int64         `json:"quantity"`
	Unit          string        `json:"unit"`
	Due           *time.Time    `json:"due"`
	Priority      int           `json:"priority"`
	Customer      string        `json:"customer,omitempty"`
	CustomerName  string        `json:"customer_name,omitempty"`
	CustomerGrade string        `json:"customer_grade,omitempty"`
	CustomerRef   string        `json:"customer_ref,omitempty"`
	Price         *money.Amount `json:"price,omitempty"`
	Currency      string        `json:"currency,omitempty"`
	order         domain.Order
}

// orderImportReport answers POST /api/v1/orders/import.
type orderImportReport struct {
	Format  string `json:"format"`
	DryRun  bool   `json:"dry_run"`
	Rows    int    `json:"rows"`
	Valid   int    `json:"valid"`
	Written int    `json:"written"`
	// Skipped lists the rows with errors left out (only with skip_invalid).
	Skipped []int             `json:"skipped"`
	Errors  []domain.RowError `json:"errors"`
	// Orders are the good rows: to be entered (dry run) or entered, with
	// their numbers.
	Orders []orderImportRow `json:"orders"`
}

func (s *Server) registerOrderImport() {
	s.handle(http.MethodPost, "/api/v1/orders/import", s.importOrders, Authenticated,
		"import draft orders from XLSX or CSV: columns "+strings.Join(orderImportRequired, ",")+"["+strings.Join(orderImportOptional, ",")+
			"] (or their Chinese names); ?dry_run=true checks every row and writes nothing; otherwise all rows or none, unless ?skip_invalid=true writes the good ones; per-row error report",
		orderDesk...)
	s.mark(http.MethodPost, "/api/v1/orders/import", func(r *Route) {
		r.Bodies = []string{"text/csv", "application/csv", xlsxType, "application/octet-stream"}
	})
}

func boolParam(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalid(name, name+" must be true or false")
	}
	return b, nil
}

// importOrders serves POST /api/v1/orders/import. Every row is checked —
// its cells, the product and customer in the master, the number unused in
// the database and in the file — and the report names each broken rule by
// row (the header is row 1) and column. A dry run writes nothing. Otherwise
// a file with a bad row writes nothing (422 with the report's errors)
// unless skip_invalid; the good rows are written in one transaction.
func (s *Server) importOrders(c echo.Context) error {
	dry, err := boolParam(c, "dry_run")
	if err != nil {
		return err
	}
	skip, err := boolParam(c, "skip_invalid")
	if err != nil {
		return err
	}
	t, err := readTable(c, "orders", orderImportRequired)
	if err != nil {
		return err
	}
	col, err := orderColumns(t.header)
	if err != nil {
		return err
	}
	loc := time.UTC
	if tz := s.reports().Timezone; tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	ck := &orderRowChecker{s: s, ctx: c.Request().Context(), loc: loc, products: map[string]*productFacts{}, customers: map[string]*domain.Customer{}, numbers: map[string]int{}}
	rep := orderImportReport{Format: t.format, DryRun: dry, Rows: len(t.rows), Skipped: []int{}, Errors: []domain.RowError{}, Orders: []orderImportRow{}}
	if len(t.rows) == 0 {
		return invalid("body", "the file has a header but no rows")
	}
	for _, tr := range t.rows {
		row, errs, err := ck.check(tr, col, len(t.header))
		if err != nil {
			return err
		}
		for _, e := range errs {
			rep.Errors = append(rep.Errors, domain.RowError{Row: tr.line, Field: e.Field, Rule: e.Rule})
		}
		if len(errs) > 0 {
			if skip {
				rep.Skipped = append(rep.Skipped, tr.line)
			}
			continue
		}
		rep.Orders = append(rep.Orders, row)
	}
	rep.Valid = len(rep.Orders)
	if dry {
		return c.JSON(http.StatusOK, rep)
	}
	if len(rep.Errors) > 0 && !skip {
		first := rep.Errors[0]
		return &Problem{Status: http.StatusUnprocessableEntity, Title: "Import rejected", Field: first.Field,
			Detail: fmt.Sprintf("%d of %d rows have errors (first: row %d, %s %s); nothing was written. Fix them, or send ?skip_invalid=true to write the good rows",
				countRows(rep.Errors), rep.Rows, first.Row, first.Field, first.Rule),
			Errors: rep.Errors}
	}
	if len(rep.Orders) == 0 {
		return &Problem{Status: http.StatusUnprocessableEntity, Title: "Import rejected", Field: "body", Detail: "no row is fit to import; nothing was written", Errors: rep.Errors}
	}
	orders := make([]domain.Order, len(rep.Orders))
	for i, r := range rep.Orders {
		orders[i] = r.order
	}
	created, failed, err := s.opts.Store.CreateDraftOrders(c.Request().Context(), orders, principal(c).Actor())
	if err != nil {
		// The data changed since the check (a number taken meanwhile):
		// nothing was written; name the row.
		var fe *domain.FieldError
		if failed >= 0 && errors.As(err, &fe) {
			r := rep.Orders[failed].Row
			return &Problem{Status: http.StatusConflict, Title: "Import rejected", Field: fe.Field,
				Detail: fmt.Sprintf("row %d: %s %s; nothing was written", r, fe.Field, fe.Rule),
				Errors: []domain.RowError{{Row: r, Field: fe.Field, Rule: fe.Rule}}}
		}
		return apiError(err)
	}
	for i := range created {
		rep.Orders[i].Number = created[i].Number
	}
	rep.Written = len(created)
	s.Notify()
	return c.JSON(http.StatusOK, rep)
}

// orderColumns maps each column name (English or Chinese) to its index.
func orderColumns(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if rule := domain.TextRule(h, 100); rule != "" {
			return nil, invalid("header", fmt.Sprintf("column %d's name %s", i+1, rule))
		}
		name := strings.ToLower(h)
		if a, ok := orderImportAliases[h]; ok {
			name = a
		}
		if !slices.Contains(orderImportRequired, name) && !slices.Contains(orderImportOptional, name) {
			return nil, invalid("header", fmt.Sprintf("unknown column %q; orders take %s and optionally %s", h,
				strings.Join(orderImportRequired, ", "), strings.Join(orderImportOptional, ", ")))
		}
		if _, dup := col[name]; dup {
			return nil, invalid("header", fmt.Sprintf("column %q appears twice", name))
		}
		col[name] = i
	}
	for _, h := range orderImportRequired {
		if _, ok := col[h]; !ok {
			return nil, invalid("header", fmt.Sprintf("column %q is missing; orders need %s", h, strings.Join(orderImportRequired, ", ")))
		}
	}
	return col, nil
}

type productFacts struct {
	product domain.Product
	cycle   time.Duration // the slowest operation's
}

// orderRowChecker checks rows against the master data, which it reads
// once per code, and against the rows before.
type orderRowChecker struct {
	s         *Server
	ctx       context.Context
	loc       *time.Location
	products  map[string]*productFacts // nil: no such product
	customers map[string]*domain.Customer
	numbers   map[string]int // number -> row that has it
}

var importDateRE = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)

// importDue reads a due date: a plant date (2026-12-31, 2026/12/31) means
// the end of that day in the plant's time zone, as on the order desk page;
// an RFC 3339 time is taken as it is.
func importDue(v string, loc *time.Location) (time.Time, string) {
	if m := importDateRE.FindStringSubmatch(v); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 23, 59, 59, 0, loc)
		if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
			return t, fmt.Sprintf("%q is not a date", v)
		}
		return t.UTC(), domain.TimeRule(t)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Sprintf("%q is not a date (2026-12-31 or 2026/12/31)", v)
	}
	return t.UTC(), domain.TimeRule(t)
}

func (k *orderRowChecker) product(code string) (*productFacts, error) {
	if p, ok := k.products[code]; ok {
		return p, nil
	}
	p, err := k.s.opts.Store.GetProduct(k.ctx, code)
	if errors.Is(err, domain.ErrNotFound) {
		k.products[code] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ops, err := k.s.opts.Store.Routing(k.ctx, code)
	if err != nil {
		return nil, err
	}
	f := &productFacts{product: p, cycle: longestCycle(ops, p.IdealCycle)}
	k.products[code] = f
	return f, nil
}

func (k *orderRowChecker) customer(code string) (*domain.Customer, error) {
	if c, ok := k.customers[code]; ok {
		return c, nil
	}
	c, err := k.s.opts.Store.GetCustomer(k.ctx, code)
	if errors.Is(err, domain.ErrNotFound) {
		k.customers[code] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	k.customers[code] = &c
	return &c, nil
}

// check reads one row; errs are its broken rules (each column at most
// once), err a failure of the database.
func (k *orderRowChecker) check(tr tableRow, col map[string]int, width int) (orderImportRow, []*domain.FieldError, error) {
	r := orderImportRow{Row: tr.line}
	var errs []*domain.FieldError
	if len(tr.cells) != width {
		return r, []*domain.FieldError{{Field: "row", Rule: fmt.Sprintf("has %d cells, the header %d", len(tr.cells), width)}}, nil
	}
	bad := func(field, format string, args ...any) {
		if !slices.ContainsFunc(errs, func(e *domain.FieldError) bool { return e.Field == field }) {
			errs = append(errs, &domain.FieldError{Field: field, Rule: fmt.Sprintf(format, args...)})
		}
	}
	get := func(h string) string {
		i, ok := col[h]
		if !ok {
			return ""
		}
		v := strings.TrimSpace(tr.cells[i])
		if rule := domain.RawTextRule(v, domain.MaxText); rule != "" {
			bad(h, "%s", rule)
			return ""
		}
		return v
	}
	o := domain.Order{Number: get("number"), ProductCode: get("product"), Unit: get("unit"), Customer: get("customer"),
		CustomerRef: get("customer_ref"), OrderType: get("order_type")}
	if o.Number != "" {
		if e := domain.ValidNumber("number", o.Number); e != nil {
			bad("number", "%s", e.(*domain.FieldError).Rule)
		} else if prev, dup := k.numbers[o.Number]; dup {
			bad("number", "repeats the number of row %d", prev)
		} else {
			k.numbers[o.Number] = tr.line
			_, err := k.s.opts.Store.GetOrderRecord(k.ctx, o.Number)
			switch {
			case err == nil:
				bad("number", "%s already exists", o.Number)
			case !errors.Is(err, domain.ErrNotFound):
				return r, nil, err
			}
		}
	}
	var facts *productFacts
	if o.ProductCode == "" {
		bad("product", "is required")
	} else if e := domain.CheckText("product", o.ProductCode, 40); e != nil {
		bad("product", "%s", e.Rule)
	} else {
		var err error
		if facts, err = k.product(o.ProductCode); err != nil {
			return r, nil, err
		}
		if facts == nil {
			bad("product", "product %q does not exist", o.ProductCode)
		}
	}
	if v := get("quantity"); v == "" {
		bad("quantity", "is required")
	} else if q, err := strconv.ParseInt(v, 10, 64); err != nil {
		bad("quantity", "%q is not a whole number", v)
	} else if e := domain.CheckQuantity("quantity", q); e != nil {
		bad("quantity", "%s", e.Rule)
	} else if facts != nil {
		if e := domain.CheckWork("quantity", q, facts.cycle); e != nil {
			bad("quantity", "%s", e.Rule)
		}
		o.Quantity = q
	} else {
		o.Quantity = q
	}
	if facts != nil {
		if o.Unit == "" {
			o.Unit = facts.product.Unit
		} else if o.Unit != facts.product.Unit {
			bad("unit", "must be the product's unit %q (or empty)", facts.product.Unit)
		}
	}
	if v := get("due"); v == "" {
		bad("due", "is required (the plant date the order is due, 2026-12-31)")
	} else if due, rule := importDue(v, k.loc); rule != "" {
		bad("due", "%s", rule)
	} else {
		o.Due = &due
	}
	if v := get("priority"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 9 {
			bad("priority", "must be from 0 (normal) to 9 (most urgent)")
		}
		o.Priority = p
	}
	if o.Customer != "" {
		if e := domain.ValidNumber("customer", o.Customer); e != nil {
			bad("customer", "%s", e.(*domain.FieldError).Rule)
		} else if cu, err := k.customer(o.Customer); err != nil {
			return r, nil, err
		} else if cu == nil {
			bad("customer", "customer %q does not exist", o.Customer)
		} else {
			r.CustomerName, r.CustomerGrade = cu.Name, cu.Grade
		}
	}
	for _, f := range []struct{ name, v string }{{"customer_ref", o.CustomerRef}, {"unit", o.Unit}} {
		if e := domain.CheckText(f.name, f.v, 100); e != nil {
			bad(f.name, "%s", e.Rule)
		}
	}
	if o.OrderType != "" && !slices.Contains(domain.OrderTypes(), o.OrderType) {
		bad("order_type", "must be one of %s", strings.Join(domain.OrderTypes(), ", "))
	}
	if v := get("price"); v != "" {
		p, err := money.Parse(v)
		if err != nil {
			bad("price", "%s", err.Error())
		} else {
			o.Price = &p
		}
	}
	o.Currency = strings.ToUpper(get("currency"))
	if e := checkPrice(o.Price, o.Currency); e != nil {
		var p *Problem
		if errors.As(e, &p) {
			bad(p.Field, "%s", strings.TrimPrefix(p.Detail, p.Field+" "))
		}
	}
	if len(errs) == 0 {
		if e := domain.ValidateNewOrder(o); e != nil { // what the API would refuse besides
			var fe *domain.FieldError
			if errors.As(e, &fe) {
				bad(fe.Field, "%s", fe.Rule)
			}
		}
	}
	slices.SortStableFunc(errs, func(a, b *domain.FieldError) int { return colIndex(col, a.Field) - colIndex(col, b.Field) })
	r.Number, r.Product, r.Quantity, r.Unit, r.Due, r.Priority = o.Number, o.ProductCode, o.Quantity, o.Unit, o.Due, o.Priority
	r.Customer, r.CustomerRef, r.Price, r.Currency, r.order = o.Customer, o.CustomerRef, o.Price, o.Currency, o
	return r, errs, nil
}

func colIndex(col map[string]int, field string) int {
	if i, ok := col[field]; ok {
		return i
	}
	return len(col)
}

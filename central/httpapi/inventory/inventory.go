// Package inventory is the materials part of central's HTTP API (issue
// #12): locations, unit conversions, lots, movements, stock and genealogy.
// It hands its routes to httpapi, which registers them with its access
// rules, authentication and error handler; handlers here return domain
// errors (field errors, not found, conflict) and never write a problem
// themselves. It must not import httpapi (httpapi imports it).
package inventory

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// Store is what the materials API needs (store/inventory implements it).
type Store interface {
	ListLocations(ctx context.Context) ([]domain.Location, error)
	GetLocation(ctx context.Context, id string) (domain.Location, error)
	CreateLocation(ctx context.Context, l domain.Location, actor domain.Actor) (domain.Location, error)
	UpdateLocation(ctx context.Context, l domain.Location, actor domain.Actor) (domain.Location, error)
	DeleteLocation(ctx context.Context, id string, actor domain.Actor) error
	Units(ctx context.Context, material string) (string, []domain.UnitConversion, error)
	ReplaceUnits(ctx context.Context, material string, cs []domain.UnitConversion, actor domain.Actor) error
	GetLot(ctx context.Context, id string) (domain.Lot, error)
	ListLots(ctx context.Context, f domain.LotFilter) ([]domain.Lot, error)
	SetLotStatus(ctx context.Context, id string, c domain.LotStatusChange, actor domain.Actor) (domain.Lot, error)
	Book(ctx context.Context, m domain.MovementRequest, actor domain.Actor) (domain.Movement, error)
	ListMovements(ctx context.Context, f domain.MovementFilter) ([]domain.Movement, error)
	Stock(ctx context.Context, f domain.StockFilter) ([]domain.Balance, error)
	Backward(ctx context.Context, lot string) (domain.TraceNode, error)
	Forward(ctx context.Context, lot string) (domain.TraceNode, error)
	Availability(ctx context.Context, order string) (domain.Availability, error)
	Count(ctx context.Context, location string, c domain.CycleCount, actor domain.Actor) (domain.CountResult, error)
	StockLevels(ctx context.Context, material string) ([]domain.StockLevel, error)
	ReplaceStockLevels(ctx context.Context, material string, ls []domain.StockLevel, actor domain.Actor) error
	StockAlerts(ctx context.Context) ([]domain.StockAlert, error)
	LoadLot(ctx context.Context, line, workOrder, lot string, actor domain.Actor) (domain.LotLoad, error)
	LineSide(ctx context.Context, line string) ([]domain.Balance, error)
	Consumption(ctx context.Context, workOrder string) (domain.WorkOrderConsumption, error)
	SerialConfig(ctx context.Context, product string) (domain.SerialConfig, error)
	SetSerialConfig(ctx context.Context, c domain.SerialConfig, actor domain.Actor) (domain.SerialConfig, error)
	RegisterSerials(ctx context.Context, workOrder string, r domain.SerialRequest, actor domain.Actor) ([]domain.Serial, error)
	GetSerial(ctx context.Context, serial string) (domain.Serial, error)
	ListSerials(ctx context.Context, workOrder, after string, limit int) ([]domain.Serial, error)
	BackwardSerial(ctx context.Context, serial string) (domain.TraceNode, error)
	LotSerials(ctx context.Context, lot, after string, limit int) ([]domain.Serial, error)
}

// Route is one route for httpapi to register (authenticated; Roles empty
// means any signed-in role).
type Route struct {
	Method, Path, Summary string
	Roles                 []domain.Role
	Handler               echo.HandlerFunc
}

// Deps is what the handlers take from httpapi.
type Deps struct {
	Store Store
	// Principal is who calls (the auth middleware has admitted them).
	Principal func(c echo.Context) *domain.Principal
	// Bind decodes a JSON body strictly (unknown fields, wrong types and
	// bad text are 400s naming the field).
	Bind func(c echo.Context, v any) error
	// Sheet writes an export as csv or xlsx: cells are string, int64,
	// float64 or *time.Time.
	Sheet func(c echo.Context, format, name string, header []string, rows [][]any) error
	// Lang is the language of the response (export headers); nil: English.
	Lang func(c echo.Context) string
}

type api struct{ Deps }

// maxPage is the most rows a page holds.
const maxPage = 1000

// Routes lists the materials routes.
func Routes(d Deps) []Route {
	a := &api{d}
	keepers := domain.StockKeepers()
	rs := []Route{
		{http.MethodGet, "/api/v1/locations", "stock locations (warehouse, line_side, quarantine, subcontractor)", nil, a.listLocations},
		{http.MethodPost, "/api/v1/locations", "create a stock location (audited)", keepers, a.createLocation},
		{http.MethodGet, "/api/v1/locations/:id", "a stock location", nil, a.getLocation},
		{http.MethodPut, "/api/v1/locations/:id", "change a location's name, warehouse, allow_negative, disabled (kind and line are fixed; audited)", keepers, a.putLocation},
		{http.MethodDelete, "/api/v1/locations/:id", "delete a location no movement used (audited)", keepers, a.deleteLocation},
		{http.MethodPost, "/api/v1/locations/:id/count", "cycle count of a location: lines [{lot, counted, expected}], reason; shows book vs counted, and with post true books each difference as an adjustment (all or nothing; audited)", domain.MovementRoles(domain.MoveAdjustment), a.count},
		{http.MethodGet, "/api/v1/materials/:code/units", "a material's base unit and unit conversions", nil, a.getUnits},
		{http.MethodPut, "/api/v1/materials/:code/units", "replace a material's unit conversions: [{unit, factor}], 1 unit = factor base units (audited)", keepers, a.putUnits},
		{http.MethodGet, "/api/v1/materials/:code/levels", "a material's stock levels: safety_stock, reorder_point, maximum, over all locations or per location", nil, a.getLevels},
		{http.MethodPut, "/api/v1/materials/:code/levels", "replace a material's stock levels: [{location, safety_stock, reorder_point, maximum}] (audited)", domain.LevelKeepers(), a.putLevels},
		{http.MethodGet, "/api/v1/stock/alerts", "materials whose usable stock is below safety stock or reorder point, or above maximum", nil, a.stockAlerts},
		{http.MethodGet, "/api/v1/lots", "lots by id; filters material, status, supplier_lot; limit 1-1000, cursor", nil, a.listLots},
		{http.MethodGet, "/api/v1/lots/:id", "a lot with its on-hand quantity", nil, a.getLot},
		{http.MethodPost, "/api/v1/lots/:id/status", "quality: release, block (reason required) or quarantine a lot (audited)", domain.LotDeciders(), a.lotStatus},
		{http.MethodGet, "/api/v1/movements", "the stock ledger, newest first; filters type, material, lot, location, work_order, order, from, to; limit 1-1000, cursor", nil, a.listMovements},
		{http.MethodGet, "/api/v1/stock", "balances per lot and location; filters material, location, lot, zero=true; limit 1-1000, cursor", nil, a.stock},
		{http.MethodGet, "/api/v1/trace/backward", "genealogy: the component lots that went into lot= (or serial=: its lot, or its work order's order before that lot is booked), to any depth", nil, a.trace(false)},
		{http.MethodGet, "/api/v1/orders/:number/availability", "material check of an order: its BOM exploded through in-house semi-finished products, required vs available (released stock outside quarantine − other orders' allocations), then confirmed incoming (open purchase order lines confirmed for a day before the order's planned start), what this order has reserved (release reserves stock only), shortfalls", nil, a.availability},
		{http.MethodGet, "/api/v1/work-orders/:id/consumption", "a work order's material consumption against its BOM: per component standard (BOM × good + reject, at the first operation), actual (net of returns, by lot), backflush short and variance", nil, a.consumption},
		{http.MethodGet, "/api/v1/trace/forward", "genealogy: the lots and shipments (customer orders) lot= (or serial=: its lot) went into, to any depth", nil, a.trace(true)},
		{http.MethodGet, "/api/v1/trace/recall", "recall: which orders hold supplier_lot= — every order that made something from a lot received under it, and every shipment (customer_ref) of such a lot, with the path of lots", nil, a.recall},
	}
	for _, f := range []string{"csv", "xlsx"} {
		rs = append(rs,
			Route{http.MethodGet, "/api/v1/exports/stock." + f, "stock balances as " + f + ", same filters as /api/v1/stock", nil, a.exportStock(f)},
			Route{http.MethodGet, "/api/v1/exports/movements." + f, "the stock ledger as " + f + ", same filters as /api/v1/movements", nil, a.exportMovements(f)},
			Route{http.MethodGet, "/api/v1/exports/stock-alerts." + f, "the stock alerts as " + f + ", header in the reader's language", nil, a.exportAlerts(f)},
			Route{http.MethodGet, "/api/v1/exports/lots." + f, "lots as " + f + ", same filters as /api/v1/lots, header in the reader's language", nil, a.exportLots(f)},
			Route{http.MethodGet, "/api/v1/exports/trace." + f, "a lot's genealogy as " + f + ": lot=, direction=backward (default) or forward; one row per lot with its level and parent, header in the reader's language", nil, a.exportTrace(f)})
	}
	rs = append(rs, a.serialRoutes()...)
	for _, t := range domain.MovementTypes() {
		rs = append(rs, Route{http.MethodPost, "/api/v1/movements/" + string(t), movementSummary[t], domain.MovementRoles(t), a.book(t)})
	}
	return rs
}

var movementSummary = map[domain.MovementType]string{
	domain.MoveReceipt:    "receive a lot from a supplier into to (creates the lot: material, supplier_lot, expires_at; audited)",
	domain.MoveIssue:      "issue a released lot from from to a work_order (audited)",
	domain.MoveReturn:     "return a lot from a work_order into to, at most what was issued (audited)",
	domain.MoveTransfer:   "move a lot from from to to (audited); every movement takes an optional client_id: the same id again answers 200 with the first movement (Idempotent-Replayed: true)",
	domain.MoveAdjustment: "correct a lot's balance at location by a signed quantity, with a reason (audited)",
	domain.MoveScrap:      "scrap a lot's quantity at from, with a reason (audited)",
	domain.MoveFGReceipt:  "receive finished goods made by a work_order into to (creates or adds to its lot; audited)",
	domain.MoveShipment:   "ship a released lot from from against an order (audited)",
}

func (a *api) actor(c echo.Context) domain.Actor { return a.Principal(c).Actor() }

func ctx(c echo.Context) context.Context { return c.Request().Context() }

// limit reads limit= (1..maxPage, default maxPage).
func limit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return maxPage, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, domain.Invalid("limit", "must be a whole number from 1 to %d", maxPage)
	}
	return n, nil
}

// cursor reads cursor= (a previous page's X-Next-Cursor).
func cursor(c echo.Context) (string, error) {
	v := c.QueryParam("cursor")
	if v == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) == 0 || domain.TextRule(string(b), 200) != "" {
		return "", domain.Invalid("cursor", "must be a value from a previous page's X-Next-Cursor")
	}
	return string(b), nil
}

// nextPage sets X-Next-Cursor and a Link header when the page is full.
func nextPage(c echo.Context, n, limit int, last func() string) {
	if n == 0 || n != limit {
		return
	}
	cur := base64.RawURLEncoding.EncodeToString([]byte(last()))
	q := c.QueryParams()
	q.Set("cursor", cur)
	c.Response().Header().Set("X-Next-Cursor", cur)
	c.Response().Header().Set("Link", `<`+c.Request().URL.Path+"?"+q.Encode()+`>; rel="next"`)
}

// code reads an id-like query parameter ("" when absent).
func code(c echo.Context, name string) (string, error) {
	v := c.QueryParam(name)
	if v == "" {
		return "", nil
	}
	return v, domain.ValidNumber(name, v)
}

func timeParam(c echo.Context, name string) (*time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse("2006-01-02", v); err != nil {
			return nil, domain.Invalid(name, "must be an RFC 3339 time (2026-03-02T06:00:00Z) or a date (2026-03-02)")
		}
	}
	if e := domain.CheckTime(name, t); e != nil {
		return nil, e
	}
	return &t, nil
}

// pathID checks a path id so the store is never asked about junk.
func pathID(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if err := domain.ValidNumber(name, v); err != nil {
		return "", err
	}
	return v, nil
}

func oneOf[T ~string](name, v string, all []T) (T, error) {
	for _, x := range all {
		if string(x) == v {
			return x, nil
		}
	}
	names := make([]string, len(all))
	for i, x := range all {
		names[i] = string(x)
	}
	return "", domain.Invalid(name, "must be one of %s", strings.Join(names, ", "))
}

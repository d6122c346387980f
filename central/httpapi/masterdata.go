package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// MasterStore reads and writes master data (see store.SaveMaster).
type MasterStore interface {
	SaveMaster(ctx context.Context, v any, mode domain.SaveMode, actor domain.Actor) error
	// SaveMasterIfMatch and MasterETag: see etag.go.
	SaveMasterIfMatch(ctx context.Context, v any, mode domain.SaveMode, actor domain.Actor, ifMatch string) error
	MasterETag(ctx context.Context, v any) (string, error)
	ImportMaster(ctx context.Context, kind string, rows []domain.ImportRow, partial bool, actor domain.Actor) (domain.ImportReport, error)
	ListSites(ctx context.Context) ([]domain.Site, error)
	GetSite(ctx context.Context, id string) (domain.Site, error)
	GetLine(ctx context.Context, id string) (domain.Line, error)
	ListStations(ctx context.Context) ([]domain.Station, error)
	ListProducts(ctx context.Context) ([]domain.Product, error)
	GetProduct(ctx context.Context, code string) (domain.Product, error)
	BOM(ctx context.Context, product string) ([]domain.BOMItem, error)
	ReplaceBOM(ctx context.Context, product string, items []domain.BOMItem, actor domain.Actor) error
	Routing(ctx context.Context, product string) ([]domain.RoutingOp, error)
	ReplaceRouting(ctx context.Context, product string, ops []domain.RoutingOp, actor domain.Actor) error
	Calendars(ctx context.Context) ([]domain.LineCalendar, error)
	Calendar(ctx context.Context, line string) (domain.LineCalendar, error)
	ReplaceCalendar(ctx context.Context, cal domain.LineCalendar, actor domain.Actor) error
	Changeovers(ctx context.Context, line string) ([]domain.Changeover, error)
	ReplaceChangeovers(ctx context.Context, line string, cs []domain.Changeover, actor domain.Actor) error
	OrderSettlement(ctx context.Context, number string) (domain.Settlement, error)
	ListCustomers(ctx context.Context) ([]domain.Customer, error)
	GetCustomer(ctx context.Context, code string) (domain.Customer, error)
}

// Who writes master data: the admin owns the plant's structure (sites,
// lines, stations, calendars) and the users; planners also own what they
// plan with (products, bills of materials, routings, changeover times).
var (
	structureWriters = adminOnly
	productWriters   = planning
)

// productJSON is a product on the wire: durations in seconds.
type productJSON struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	Unit        string  `json:"unit"`
	IdealCycleS float64 `json:"ideal_cycle_s"`
	Family      string  `json:"family"` // "" plans as a family of its own
}

func productOut(p domain.Product) productJSON {
	return productJSON{Code: p.Code, Name: p.Name, Unit: p.Unit, IdealCycleS: p.IdealCycle.Seconds(), Family: p.Family}
}

func (p productJSON) domain() domain.Product {
	return domain.Product{Code: p.Code, Name: p.Name, Unit: p.Unit, IdealCycle: seconds(p.IdealCycleS), Family: p.Family}
}

// changeoverJSON is one cell of a line's changeover matrix on the wire.
type changeoverJSON struct {
	From   string  `json:"from_family"`
	To     string  `json:"to_family"`
	SetupS float64 `json:"setup_s"`
}

// routingOpJSON is a routing operation on the wire: durations in seconds.
type routingOpJSON struct {
	Seq         int     `json:"seq"`
	Name        string  `json:"name"`
	Line        string  `json:"line"`
	IdealCycleS float64 `json:"ideal_cycle_s"`
	SetupS      float64 `json:"setup_s"`
	// OverlapQty: good parts the previous operation must have made before
	// this one may start; absent: execution.overlap_quantity.
	OverlapQty *int64 `json:"overlap_qty,omitempty"`
}

// resource is one kind of master record served at /api/v1/<plural>/:key
// with GET, POST (on the collection), PUT (replace) and PATCH (merge the
// fields sent into the stored record). W is its wire shape.
type resource[W any] struct {
	name   string // "site"
	key    string // the key's JSON field and path parameter
	get    func(ctx context.Context, id string) (W, error)
	keyOf  func(W) string
	setKey func(*W, string)
	check  func(W) []*domain.FieldError
	value  func(W) any // the domain value SaveMaster takes
}

func (r resource[W]) notFound(id string) error {
	return &Problem{Status: http.StatusNotFound, Field: r.key, Detail: r.name + " " + id + " does not exist"}
}

func (r resource[W]) read(s *Server, c echo.Context) error {
	v, err := r.get(c.Request().Context(), c.Param(r.key))
	if errors.Is(err, domain.ErrNotFound) {
		return r.notFound(c.Param(r.key))
	}
	if err != nil {
		return err
	}
	if tag, err := s.opts.Store.MasterETag(c.Request().Context(), r.value(v)); err == nil {
		setETag(c, tag)
	}
	return c.JSON(http.StatusOK, v)
}

func (r resource[W]) save(s *Server, c echo.Context, v W, mode domain.SaveMode) error {
	if errs := r.check(v); len(errs) > 0 {
		return apiError(errs[0])
	}
	ctx := c.Request().Context()
	var err error
	if mode == domain.SaveUpdate {
		err = s.opts.Store.SaveMasterIfMatch(ctx, r.value(v), mode, principal(c).Actor(), ifMatch(c))
	} else {
		err = s.opts.Store.SaveMaster(ctx, r.value(v), mode, principal(c).Actor())
	}
	var la *domain.LastAdminError
	var fe *domain.FieldError
	switch {
	case errors.Is(err, domain.ErrStale):
		return staleProblem(r.name + " " + r.keyOf(v))
	case errors.As(err, &fe):
		return apiError(err) // a bad reference (400) or a value another record holds (409)
	case errors.As(err, &la):
		return &Problem{Status: http.StatusConflict, Field: la.Field, Detail: la.Rule()}
	case errors.Is(err, domain.ErrConflict):
		return &Problem{Status: http.StatusConflict, Field: r.key, Detail: r.name + " " + r.keyOf(v) + " already exists"}
	case errors.Is(err, domain.ErrNotFound):
		return r.notFound(r.keyOf(v))
	case err != nil:
		return apiError(err)
	}
	out, err := r.get(ctx, r.keyOf(v))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if mode == domain.SaveCreate {
		status = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, c.Request().URL.Path+"/"+url.PathEscape(r.keyOf(v)))
	}
	if tag, err := s.opts.Store.MasterETag(ctx, r.value(out)); err == nil {
		setETag(c, tag)
	}
	return c.JSON(status, out)
}

func (r resource[W]) create(s *Server) echo.HandlerFunc {
	return func(c echo.Context) error {
		var v W
		if err := bindJSON(c, &v); err != nil {
			return err
		}
		return r.save(s, c, v, domain.SaveCreate)
	}
}

// update serves PUT (the body is the whole record) and PATCH (the body's
// fields are merged into the stored record). The key comes from the path;
// a body naming another key is refused.
func (r resource[W]) update(s *Server, patch bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Param(r.key)
		var v W
		if patch {
			cur, err := r.get(c.Request().Context(), id)
			if errors.Is(err, domain.ErrNotFound) {
				return r.notFound(id)
			}
			if err != nil {
				return err
			}
			v = cur
		}
		if err := bindJSON(c, &v); err != nil {
			return err
		}
		if k := r.keyOf(v); k != "" && k != id {
			return invalid(r.key, r.key+" in the body ("+k+") differs from the path ("+id+"); keys cannot be renamed")
		}
		r.setKey(&v, id)
		return r.save(s, c, v, domain.SaveUpdate)
	}
}

// routes registers the resource at /api/v1/<plural>; list may be nil (the
// collection's GET is served elsewhere).
func (r resource[W]) routes(s *Server, plural string, list echo.HandlerFunc, readers, writers []domain.Role) {
	base := "/api/v1/" + plural
	item := base + "/:" + r.key
	if list != nil {
		s.handle(http.MethodGet, base, list, Authenticated, "list "+plural, readers...)
	}
	if s.routeIndex[http.MethodGet+" "+item].Path == "" {
		s.handle(http.MethodGet, item, func(c echo.Context) error { return r.read(s, c) }, Authenticated, "one "+r.name, readers...)
	}
	s.handle(http.MethodPost, base, r.create(s), Authenticated, "create a "+r.name+" (audited)", writers...)
	s.handle(http.MethodPut, item, r.update(s, false), Authenticated, "replace a "+r.name+" (audited)", writers...)
	s.handle(http.MethodPatch, item, r.update(s, true), Authenticated, "change some fields of a "+r.name+" (audited)", writers...)
}

// registerMasterData adds the master data API and the CSV import (see
// import.go). Reads need a login (any role; users: admin only).
func (s *Server) registerMasterData() {
	st := s.opts.Store
	list := func(f func(ctx context.Context) (any, error)) echo.HandlerFunc {
		return func(c echo.Context) error {
			v, err := f(c.Request().Context())
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, v)
		}
	}
	resource[domain.Site]{name: "site", key: "id",
		get:   st.GetSite,
		keyOf: func(v domain.Site) string { return v.ID }, setKey: func(v *domain.Site, k string) { v.ID = k },
		check: domain.CheckSite, value: func(v domain.Site) any { return v },
	}.routes(s, "sites", list(func(ctx context.Context) (any, error) { return st.ListSites(ctx) }), anyRole, structureWriters)

	// GET /api/v1/lines (the dashboard's lines with state, now with their
	// site) stays as it was; the master record is GET /api/v1/lines/:id.
	resource[domain.Line]{name: "line", key: "id",
		get:   st.GetLine,
		keyOf: func(v domain.Line) string { return v.ID }, setKey: func(v *domain.Line, k string) { v.ID = k },
		check: domain.CheckLine, value: func(v domain.Line) any { return v },
	}.routes(s, "lines", nil, anyRole, structureWriters)

	// GET /api/v1/stations/:id is the station page's open read (station.go).
	resource[domain.Station]{name: "station", key: "id",
		get:   st.GetStation,
		keyOf: func(v domain.Station) string { return v.ID }, setKey: func(v *domain.Station, k string) { v.ID = k },
		check: domain.CheckStation, value: func(v domain.Station) any { return v },
	}.routes(s, "stations", list(func(ctx context.Context) (any, error) { return st.ListStations(ctx) }), anyRole, structureWriters)

	resource[productJSON]{name: "product", key: "sku",
		get: func(ctx context.Context, id string) (productJSON, error) {
			p, err := st.GetProduct(ctx, id)
			return productOut(p), err
		},
		keyOf: func(v productJSON) string { return v.Code }, setKey: func(v *productJSON, k string) { v.Code = k },
		check: func(v productJSON) []*domain.FieldError {
			return renameField(domain.CheckProduct(v.domain()), "code", "sku")
		},
		value: func(v productJSON) any { return v.domain() },
	}.routes(s, "products", list(func(ctx context.Context) (any, error) {
		ps, err := st.ListProducts(ctx)
		out := make([]productJSON, len(ps))
		for i, p := range ps {
			out[i] = productOut(p)
		}
		return out, err
	}), anyRole, productWriters)

	resource[domain.Customer]{name: "customer", key: "code",
		get:   st.GetCustomer,
		keyOf: func(v domain.Customer) string { return v.Code }, setKey: func(v *domain.Customer, k string) { v.Code = k },
		check: domain.CheckCustomer, value: func(v domain.Customer) any { return v },
	}.routes(s, "customers", list(func(ctx context.Context) (any, error) { return st.ListCustomers(ctx) }), anyRole, domain.CustomerWriters())

	users := resource[userJSON]{name: "user", key: "username",
		get: func(ctx context.Context, id string) (userJSON, error) {
			u, err := st.GetUser(ctx, id)
			// Badge is the stored hash here: written back unchanged by a PATCH
			// that does not touch it, never shown (MarshalJSON).
			return userJSON{Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role), Badge: u.Badge, Disabled: u.Disabled}, err
		},
		keyOf: func(v userJSON) string { return v.Username }, setKey: func(v *userJSON, k string) { v.Username = k },
		check: func(v userJSON) []*domain.FieldError {
			if v.Password != "" {
				return []*domain.FieldError{{Field: "password", Rule: "is set with PUT /api/v1/users/" + v.Username + "/password, which also ends the user's sessions"}}
			}
			return domain.CheckUser(v.domain())
		},
		value: func(v userJSON) any { return v.domain() },
	}
	// POST /api/v1/users (with a password) and the list are in routes.go.
	s.handle(http.MethodGet, "/api/v1/users/:username", func(c echo.Context) error { return users.read(s, c) }, Authenticated, "one user", adminOnly...)
	s.handle(http.MethodPut, "/api/v1/users/:username", users.update(s, false), Authenticated,
		"replace a user's name, role, badge and disabled flag (audited; disabling ends their sessions; the password has its own route)", adminOnly...)
	s.handle(http.MethodPatch, "/api/v1/users/:username", users.update(s, true), Authenticated,
		"change some of a user's name, role, badge and disabled flag (audited; disabling ends their sessions; the password has its own route)", adminOnly...)
	s.handle(http.MethodPut, "/api/v1/users/:username/password", s.setUserPassword, Authenticated,
		"set or reset a user's password (at least 10 characters); ends all their sessions (audited, without the hash)", adminOnly...)

	s.handle(http.MethodGet, "/api/v1/products/:sku/bom", s.getBOM, Authenticated, "a product's bill of materials", anyRole...)
	s.handle(http.MethodPut, "/api/v1/products/:sku/bom", s.putBOM, Authenticated, "replace a product's bill of materials (audited)", productWriters...)
	s.handle(http.MethodGet, "/api/v1/products/:sku/routing", s.getRouting, Authenticated, "a product's routing", anyRole...)
	s.handle(http.MethodPut, "/api/v1/products/:sku/routing", s.putRouting, Authenticated, "replace a product's routing (audited)", productWriters...)
	s.handle(http.MethodGet, "/api/v1/lines/:id/changeovers", s.getChangeovers, Authenticated,
		"a line's changeover matrix: setup_s from one product family to another", anyRole...)
	s.handle(http.MethodPut, "/api/v1/lines/:id/changeovers", s.putChangeovers, Authenticated,
		"replace a line's changeover matrix (audited); planning uses it instead of the configured changeover for the pairs it lists", productWriters...)
	s.handle(http.MethodGet, "/api/v1/calendars", list(func(ctx context.Context) (any, error) { return st.Calendars(ctx) }),
		Authenticated, "every line's shifts and planned stops", anyRole...)
	s.handle(http.MethodGet, "/api/v1/calendars/:line", s.getCalendar, Authenticated, "a line's shifts and planned stops", anyRole...)
	s.handle(http.MethodPut, "/api/v1/calendars/:line", s.putCalendar, Authenticated,
		"replace a line's shifts and planned stops (audited); planning uses them instead of the configured shifts", structureWriters...)
	s.handle(http.MethodPost, "/api/v1/import/:kind", s.importCSV, Authenticated,
		"import master data from CSV (UTF-8, GB18030 or Latin-1) or XLSX: "+importKindsDoc+"; all-or-nothing unless ?partial=true; per-row error report", importWriters...)
	s.mark(http.MethodPost, "/api/v1/import/:kind", func(r *Route) {
		r.Bodies = []string{"text/csv", "application/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"}
	})
}

func renameField(errs []*domain.FieldError, from, to string) []*domain.FieldError {
	for _, e := range errs {
		if e.Field == from {
			e.Field = to
		}
	}
	return errs
}

type userJSON struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Badge       string `json:"badge"`
	Disabled    bool   `json:"disabled"`
	// Password is never read back; sent in PUT or PATCH it is refused
	// with a pointer to the password route rather than as unknown.
	Password string `json:"password,omitempty"`
}

// MarshalJSON shows whether a user has a badge, never the badge.
func (u userJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Role        string `json:"role"`
		HasBadge    bool   `json:"has_badge"`
		Disabled    bool   `json:"disabled"`
	}{u.Username, u.DisplayName, u.Role, u.Badge != "", u.Disabled})
}

func (u userJSON) domain() domain.User {
	return domain.User{Username: u.Username, DisplayName: u.DisplayName, Role: domain.Role(u.Role), Badge: u.Badge, Disabled: u.Disabled}
}

func (s *Server) product(c echo.Context) (string, error) {
	sku := c.Param("sku")
	_, err := s.opts.Store.GetProduct(c.Request().Context(), sku)
	if errors.Is(err, domain.ErrNotFound) {
		return sku, &Problem{Status: http.StatusNotFound, Field: "sku", Detail: "product " + sku + " does not exist"}
	}
	return sku, err
}

func (s *Server) getBOM(c echo.Context) error {
	sku, err := s.product(c)
	if err != nil {
		return err
	}
	items, err := s.opts.Store.BOM(c.Request().Context(), sku)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, items)
}

// putBOM replaces the bill of materials with the body's list.
func (s *Server) putBOM(c echo.Context) error {
	sku, err := s.product(c)
	if err != nil {
		return err
	}
	var items []domain.BOMItem
	if err := bindJSON(c, &items); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, it := range items {
		if it.Product != "" && it.Product != sku {
			return invalid("["+itoa(int64(i))+"].product", "product must be "+sku+" or left out")
		}
		it.Product = sku
		items[i] = it
		if errs := domain.CheckBOMItem(it); len(errs) > 0 {
			return invalid("["+itoa(int64(i))+"]."+errs[0].Field, errs[0].Field+" "+errs[0].Rule)
		}
		if seen[it.Component] {
			return invalid("["+itoa(int64(i))+"].component", "component "+it.Component+" is listed twice")
		}
		seen[it.Component] = true
	}
	if items == nil {
		items = []domain.BOMItem{}
	}
	if err := s.opts.Store.ReplaceBOM(c.Request().Context(), sku, items, principal(c).Actor()); err != nil {
		return apiError(err)
	}
	return s.getBOM(c)
}

func (s *Server) getRouting(c echo.Context) error {
	sku, err := s.product(c)
	if err != nil {
		return err
	}
	ops, err := s.opts.Store.Routing(c.Request().Context(), sku)
	if err != nil {
		return err
	}
	out := make([]routingOpJSON, len(ops))
	for i, op := range ops {
		out[i] = routingOpJSON{Seq: op.Seq, Name: op.Name, Line: op.LineID, IdealCycleS: op.IdealCycle.Seconds(), SetupS: op.Setup.Seconds(),
			OverlapQty: op.OverlapQty}
	}
	return c.JSON(http.StatusOK, out)
}

// putRouting replaces the routing with the body's operations.
func (s *Server) putRouting(c echo.Context) error {
	sku, err := s.product(c)
	if err != nil {
		return err
	}
	var in []routingOpJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ops := make([]domain.RoutingOp, len(in))
	seen := map[int]bool{}
	for i, r := range in {
		op := domain.RoutingOp{ProductCode: sku, Seq: r.Seq, Name: r.Name, LineID: r.Line, IdealCycle: seconds(r.IdealCycleS), Setup: seconds(r.SetupS),
			OverlapQty: r.OverlapQty}
		if r.OverlapQty != nil && *r.OverlapQty < 0 {
			return invalid("["+itoa(int64(i))+"].overlap_qty", "overlap_qty must not be negative")
		}
		if errs := domain.CheckRoutingOp(op); len(errs) > 0 {
			return invalid("["+itoa(int64(i))+"]."+errs[0].Field, errs[0].Field+" "+errs[0].Rule)
		}
		if seen[op.Seq] {
			return invalid("["+itoa(int64(i))+"].seq", "operation "+itoa(int64(op.Seq))+" is listed twice")
		}
		seen[op.Seq] = true
		ops[i] = op
	}
	if err := s.opts.Store.ReplaceRouting(c.Request().Context(), sku, ops, principal(c).Actor()); err != nil {
		return apiError(err)
	}
	return s.getRouting(c)
}

func (s *Server) getCalendar(c echo.Context) error {
	cal, err := s.opts.Store.Calendar(c.Request().Context(), c.Param("line"))
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "line", Detail: "line " + c.Param("line") + " does not exist"}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cal)
}

// putCalendar replaces a line's shifts and planned stops with the body's.
func (s *Server) putCalendar(c echo.Context) error {
	line := c.Param("line")
	var cal domain.LineCalendar
	if err := bindJSON(c, &cal); err != nil {
		return err
	}
	if cal.Line != "" && cal.Line != line {
		return invalid("line", "line must be "+line+" or left out")
	}
	cal.Line = line
	names := map[string]bool{}
	for i := range cal.Shifts {
		sh := &cal.Shifts[i]
		if sh.Line != "" && sh.Line != line {
			return invalid("shifts["+itoa(int64(i))+"].line", "line must be "+line+" or left out")
		}
		sh.Line = line
		if errs := domain.CheckShift(*sh); len(errs) > 0 {
			return invalid("shifts["+itoa(int64(i))+"]."+errs[0].Field, errs[0].Field+" "+errs[0].Rule)
		}
		if names[sh.Name] {
			return invalid("shifts["+itoa(int64(i))+"].name", "shift "+sh.Name+" is listed twice")
		}
		names[sh.Name] = true
	}
	ids := map[string]bool{}
	for i := range cal.Stops {
		ps := &cal.Stops[i]
		if ps.Line != "" && ps.Line != line {
			return invalid("planned_stops["+itoa(int64(i))+"].line", "line must be "+line+" or left out")
		}
		ps.Line = line
		if errs := domain.CheckPlannedStop(*ps); len(errs) > 0 {
			return invalid("planned_stops["+itoa(int64(i))+"]."+errs[0].Field, errs[0].Field+" "+errs[0].Rule)
		}
		if ids[ps.ID] {
			return invalid("planned_stops["+itoa(int64(i))+"].id", "stop "+ps.ID+" is listed twice")
		}
		ids[ps.ID] = true
	}
	if cal.Shifts == nil {
		cal.Shifts = []domain.Shift{}
	}
	if cal.Stops == nil {
		cal.Stops = []domain.PlannedStop{}
	}
	err := s.opts.Store.ReplaceCalendar(c.Request().Context(), cal, principal(c).Actor())
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "line", Detail: "line " + line + " does not exist"}
	}
	if err != nil {
		return apiError(err)
	}
	return s.getCalendar(c)
}

func (s *Server) getChangeovers(c echo.Context) error {
	line := c.Param("id")
	if _, err := s.opts.Store.GetLine(c.Request().Context(), line); errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "line " + line + " does not exist"}
	} else if err != nil {
		return err
	}
	cs, err := s.opts.Store.Changeovers(c.Request().Context(), line)
	if err != nil {
		return err
	}
	out := make([]changeoverJSON, len(cs))
	for i, co := range cs {
		out[i] = changeoverJSON{From: co.From, To: co.To, SetupS: co.Setup.Seconds()}
	}
	return c.JSON(http.StatusOK, out)
}

// putChangeovers replaces a line's changeover matrix with the body's pairs.
func (s *Server) putChangeovers(c echo.Context) error {
	line := c.Param("id")
	var in []changeoverJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	cs := make([]domain.Changeover, len(in))
	seen := map[[2]string]bool{}
	for i, r := range in {
		co := domain.Changeover{Line: line, From: r.From, To: r.To, Setup: seconds(r.SetupS)}
		if errs := domain.CheckChangeover(co); len(errs) > 0 {
			return invalid("["+itoa(int64(i))+"]."+errs[0].Field, errs[0].Field+" "+errs[0].Rule)
		}
		if seen[[2]string{co.From, co.To}] {
			return invalid("["+itoa(int64(i))+"].to_family", "the changeover from "+co.From+" to "+co.To+" is listed twice")
		}
		seen[[2]string{co.From, co.To}] = true
		cs[i] = co
	}
	err := s.opts.Store.ReplaceChangeovers(c.Request().Context(), line, cs, principal(c).Actor())
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "line " + line + " does not exist"}
	}
	if err != nil {
		return apiError(err)
	}
	return s.getChangeovers(c)
}

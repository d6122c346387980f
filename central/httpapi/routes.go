package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// Access is who may call a route.
type Access int

// Access levels.
const (
	// Open routes need no login: only pages that show a login or scan box,
	// their script, liveness and the API description (see TestAnonymousReads).
	Open Access = iota
	// Public writes authenticate by their body (login, a badge scan).
	Public
	// Authenticated routes need a session or API token, and if the route
	// lists roles, one of them.
	Authenticated
)

// Route is one registered route and its access rule; the list feeds the
// auth middleware and the OpenAPI document.
type Route struct {
	Method  string
	Path    string
	Access  Access
	Roles   []domain.Role // for Authenticated: empty means any role
	Summary string
	// LineScoped routes check a line-scoped API token's (or a badge
	// session's) line themselves; other writes refuse line-scoped tokens.
	// A badge session may use every line-scoped route.
	LineScoped bool
	// Station reads are the ones a badge session (signed in at a station)
	// may make besides the line-scoped writes: a badge is a weak credential
	// and opens nothing else, above all no admin page or route.
	Station bool
	// Kiosk routes admit a kiosk token (or its cookie): the dashboard page,
	// the reads it makes and its stream. A kiosk token opens nothing else.
	Kiosk bool
	// Bodies are the media types a write accepts besides application/json
	// from a browser session (e.g. text/csv for imports); see sameOrigin.
	Bodies []string
}

func (s *Server) handle(method, path string, h echo.HandlerFunc, access Access, summary string, roles ...domain.Role) {
	r := Route{Method: method, Path: path, Access: access, Roles: roles, Summary: summary}
	s.echo.Add(method, path, h)
	s.routes = append(s.routes, r)
	s.routeIndex[method+" "+path] = r
}

// mark changes a registered route's access details.
func (s *Server) mark(method, path string, f func(r *Route)) {
	r, ok := s.routeIndex[method+" "+path]
	if !ok {
		panic("httpapi: mark of unregistered route " + method + " " + path)
	}
	f(&r)
	s.routeIndex[method+" "+path] = r
	for i := range s.routes {
		if s.routes[i].Method == method && s.routes[i].Path == path {
			s.routes[i] = r
		}
	}
}

func (s *Server) lineScoped(method, path string) {
	s.mark(method, path, func(r *Route) { r.LineScoped = true })
}

// stationRead lets a badge session make a read (see Route.Station).
func (s *Server) stationRead(path string) {
	s.mark(http.MethodGet, path, func(r *Route) { r.Station = true })
}

// kiosk lets a kiosk token make a read (see Route.Kiosk).
func (s *Server) kiosk(path string) { s.mark(http.MethodGet, path, func(r *Route) { r.Kiosk = true }) }

// Routes lists every registered route.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

var (
	anyRole      []domain.Role
	planning     = []domain.Role{domain.RolePlanner, domain.RoleAdmin}
	orderDesk    = []domain.Role{domain.RolePlanner, domain.RoleSales, domain.RoleAdmin}
	editors      = []domain.Role{domain.RolePlanner, domain.RoleSupervisor, domain.RoleAdmin}
	floor        = []domain.Role{domain.RoleOperator, domain.RoleSupervisor, domain.RoleAdmin}
	adminOnly    = []domain.Role{domain.RoleAdmin}
	auditReaders = []domain.Role{domain.RoleSupervisor, domain.RoleQuality, domain.RolePlanner, domain.RoleAdmin}
)

// registerRoutes adds everything beyond the dashboard's reads.
func (s *Server) registerRoutes() {
	const (
		get, post, patch, del = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	)
	s.handle(post, "/api/v1/login", s.login, Public, "sign in with username and password; sets the session cookie")
	s.handle(post, "/api/v1/logout", s.logout, Public, "end the session")
	s.handle(get, "/api/v1/me", s.me, Authenticated, "who is signed in", anyRole...)
	s.stationRead("/api/v1/me")
	s.registerI18n() // i18n.go
	s.handle(post, "/api/v1/me/password", s.changeOwnPassword, Authenticated,
		"change your own password with the current one (at least 10 characters); ends your other sessions (audited)", domain.Roles()...)
	s.handle(get, "/api/v1/users", s.listUsers, Authenticated, "list users", adminOnly...)
	s.handle(post, "/api/v1/users", s.createUser, Authenticated, "create a user", adminOnly...)
	s.registerTokens() // tokens.go

	s.handle(get, "/api/v1/orders", s.listOrders, Authenticated, "list orders with filters and paging", anyRole...)
	s.handle(get, "/api/v1/orders/:number", s.getOrder, Authenticated, "an order with work orders and sign-offs", anyRole...)
	s.handle(get, "/api/v1/exports/orders.csv", s.exportOrders("csv"), Authenticated, "orders as CSV, same filters as the list", anyRole...)
	s.handle(get, "/api/v1/exports/orders.xlsx", s.exportOrders("xlsx"), Authenticated, "orders as XLSX, same filters as the list", anyRole...)
	s.handle(get, "/api/v1/exports/work-orders.csv", s.exportWorkOrders("csv"), Authenticated,
		"work orders of the listed orders as CSV, same filters as the order list (line= keeps that line's)", anyRole...)
	s.handle(get, "/api/v1/exports/work-orders.xlsx", s.exportWorkOrders("xlsx"), Authenticated,
		"work orders of the listed orders as XLSX, same filters as the order list (line= keeps that line's)", anyRole...)
	s.handle(post, "/api/v1/orders", s.createOrder, Authenticated, "create a draft order (customer: a customer master code)", orderDesk...)
	s.handle(patch, "/api/v1/orders/:number", s.patchOrder, Authenticated, "change quantity, due date or priority, with a reason", editors...)
	s.handle(del, "/api/v1/orders/:number", s.deleteOrder, Authenticated, "delete a draft order", orderDesk...)
	s.handle(post, "/api/v1/orders/:number/signoff", s.signoff, Authenticated, "sign off one review aspect", s.opts.Review.SignerRoles()...)
	for _, a := range domain.Actions() {
		s.handle(post, "/api/v1/orders/:number/"+string(a), s.transition(a), Authenticated,
			"order lifecycle: "+string(a), domain.ActionRoles(a)...)
	}

	s.handle(get, "/api/v1/audit", s.audit, Authenticated, "audit trail", auditReaders...)

	// The station page is where a badge signs in, so it opens without a
	// session; it shows only the station's id and line until then.
	s.handle(get, "/station/:id", s.stationPage, Open, "operator station page (HTML); a badge scanned there signs in")
	s.handle(get, "/api/v1/stations/:id", s.getStation, Authenticated, "a station and its line", anyRole...)
	s.stationRead("/api/v1/stations/:id")
	s.handle(post, "/api/v1/stations/:id/scan", s.scan, Public, "a scan at a station: badge signs in, work order toggles start/pause/resume, a component lot is loaded for the running work order")
	s.lineScoped(post, "/api/v1/stations/:id/scan")
	s.handle(get, "/api/v1/stations/:id/scans", s.stationScans, Authenticated,
		"scans from the station's fixed scanners (via the edge), newest first, with result (applied, rejected, failed, skipped) and message; limit 1-1000 (50)", anyRole...)
	s.stationRead("/api/v1/stations/:id/scans")
	s.handle(get, "/api/v1/stations/:id/material", s.stationMaterial, Authenticated,
		"what the station's line side holds (lots loaded by scan or transfer), in the order backflush takes them", anyRole...)
	s.stationRead("/api/v1/stations/:id/material")
	s.handle(post, "/api/v1/stations/:id/complete", s.stationComplete, Authenticated, "complete a work order at a station", floor...)
	s.lineScoped(post, "/api/v1/stations/:id/complete")
	s.handle(post, "/api/v1/stations/:id/scrap", s.stationScrap, Authenticated, "record scrapped parts with a reason", floor...)
	s.lineScoped(post, "/api/v1/stations/:id/scrap")
	s.registerStationReports() // station_report.go
	s.registerQuality()        // quality.go

	s.handle(get, "/work-orders/:id/traveler", s.traveler, Authenticated, "printable traveler with the work order's barcode as Code 128 and QR code (HTML)", anyRole...)
	s.handle(get, "/api/openapi.json", s.openapi, Open, "this API as OpenAPI 3")
	s.registerExceptions()    // exceptions.go
	s.registerQuarantine()    // quarantine.go
	s.registerEdges()         // edges.go
	s.registerInventory()     // materials.go
	s.registerPurchasing()    // purchasing.go
	s.registerMasterData()    // masterdata.go, import.go
	s.registerTotals()        // totals.go
	s.registerOEE()           // oee.go
	s.registerStoredReports() // storedreports.go
	s.registerReportPages()   // reportpages.go
	s.registerStatistics()    // statistics.go
	s.registerNotifications() // notifications.go
	s.registerCost()          // cost.go
	s.registerReviews()       // reviews.go
	s.registerOrderDesk()     // orderdesk.go
	s.registerPages()
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

func roleNames(rs []domain.Role) string {
	n := make([]string, len(rs))
	for i, r := range rs {
		n[i] = string(r)
	}
	return strings.Join(n, ", ")
}

// Package httpapi is central's HTTP face: the JSON API, the live stream and
// the supervisor dashboard. It is the only package that imports echo, and it
// must never reach past the Store interface to the database or leak internal
// error text to clients (one error handler turns errors into problem+json).
package httpapi

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/linewise/linewise/central/domain"
	invapi "github.com/linewise/linewise/central/httpapi/inventory"
	purapi "github.com/linewise/linewise/central/httpapi/purchasing"
	"github.com/linewise/linewise/central/live"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/central/throttle"
	"github.com/linewise/linewise/edge/wire"
)

//go:embed web/index.html
var webFS embed.FS

// Store is what the API reads.
type Store interface {
	ListLines(ctx context.Context) ([]domain.LineView, error)
	ListOrders(ctx context.Context) ([]domain.Order, error)
	GetOrder(ctx context.Context, number string) (domain.OrderDetail, error)
	LatestEvents(ctx context.Context, line string, limit int) ([]domain.EventRecord, error)
	OrderStore
	MasterStore
	AccessStore
	AuditStore
	ExceptionStore
	ScanStore
	TotalsStore     // totals.go
	EventQueryStore // events.go
	StationActionStore
	StationReportStore // station_report.go
	QualityStore       // quality.go
	QuarantineStore
	SavedViewStore   // orderdesk.go
	OrderImportStore // orderimport.go
}

// Options configure a Server. Store, Hub and Log are required.
type Options struct {
	Store Store
	Hub   *live.Hub
	Log   *slog.Logger
	Now   func() time.Time // clock for expected-by-now; default time.Now
	// Tick is how often the stream re-sends lines even without events,
	// because expected-by-now moves with time; default 1s.
	Tick time.Duration
	// Coalesce is the least time between two pushes caused by ingest; default 200ms.
	Coalesce time.Duration
	// Ingest, when set, serves POST /api/v1/ingest (see ingest.go) and the
	// edges' HTTPS heartbeat (edges.go).
	Ingest Ingester
	// Edges, when set, serves GET /api/v1/edges (edges.go).
	Edges EdgeLister
	// Metrics, when set, is served at GET /metrics (see metrics.go).
	Metrics *prometheus.Registry
	// Review says which sign-offs approval needs; default
	// domain.DefaultReviewPolicy.
	Review *domain.ReviewPolicy
	// Rush is the rush insertion's rules (rush line, approvers); default
	// domain.DefaultRushRules.
	Rush *domain.RushRules
	// SessionTTL is how long a login lasts; default 12h.
	SessionTTL time.Duration
	// SecureCookies marks session cookies Secure (set it behind HTTPS).
	SecureCookies bool
	// PasswordCost is the bcrypt cost for new passwords; 0 is bcrypt's default.
	PasswordCost int
	// Execution is the execution rules (scan repeat window, overrun
	// tolerance); nil: domain.DefaultExecutionRules.
	Execution *domain.ExecutionRules
	// Throttle limits wrong guesses at sign-in, password change and badge
	// scans (throttle.go); nil: throttle.DefaultConfig on the Now clock.
	// throttle.New(throttle.Config{}, nil) turns it off. Replicas on one
	// PostgreSQL share their counts through throttle.Shared.
	Throttle throttle.Guard
	// Fanout, when set, hears of every Notify and NotifyExceptions (kind
	// PushLines or PushExceptions) so that sibling replicas push too; it
	// must not block.
	Fanout func(kind string)
	// Inventory, when set, serves the materials API (httpapi/inventory,
	// registered in materials.go).
	Inventory invapi.Store
	// Purchasing, when set, serves the purchasing API (httpapi/purchasing,
	// registered in purchasing.go).
	Purchasing purapi.Store
	// EdgeGuard throttles failed edge tokens at /api/v1/ingest and the
	// heartbeat (edgeauth.go); nil: not throttled.
	EdgeGuard *throttle.EdgeGuard
	// Reports configures the OEE reports (oee.go); nil: oee.DefaultConfig,
	// with shifts from master data only.
	Reports *oee.Config
	// Dashboard sets the attainment colours (dashboard.go); nil: DefaultDashboard.
	Dashboard *DashboardConfig
	// Notifications, when set, serves the notification centre
	// (notifications.go).
	Notifications NotificationStore
	// Cost, when set, serves the cost rates and settlement (cost.go).
	Cost CostStore
	// Notifier tells people things (order submitted, report ready); nil:
	// notify.Nop.
	Notifier notify.Notifier
}

// Server serves the API.
type Server struct {
	opts   Options
	echo   *echo.Echo
	notify chan struct{}
	// exNotify asks RunPush for an "exceptions" message (exceptions.go).
	exNotify chan struct{}
	closing  chan struct{}
	once     sync.Once

	routes     []Route
	routeIndex map[string]Route
	dummyHash  func() string // a bcrypt hash to compare against for unknown users
	planner    Planner       // set by EnableSchedule; nil: no reschedule proposals
}

// New builds the router.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.Coalesce <= 0 {
		o.Coalesce = 200 * time.Millisecond
	}
	if o.Review == nil {
		p := domain.DefaultReviewPolicy()
		o.Review = &p
	}
	if o.Rush == nil {
		r := domain.DefaultRushRules()
		o.Rush = &r
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Notifier == nil {
		o.Notifier = notify.Nop{}
	}
	if o.Throttle == nil {
		o.Throttle = throttle.New(throttle.DefaultConfig(), o.Now)
	}
	s := &Server{opts: o, echo: echo.New(), notify: make(chan struct{}, 1), exNotify: make(chan struct{}, 1), closing: make(chan struct{}),
		routeIndex: map[string]Route{}}
	s.dummyHash = sync.OnceValue(func() string { h, _ := domain.HashPassword("no such user", o.PasswordCost); return h })
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(recoverPanics)
	// securityHeaders sets CSP, framing, sniffing, referrer and (behind TLS)
	// HSTS on every response, errors included (security.go).
	e.Use(s.securityHeaders)
	// authenticate enforces the access rule of every route added with
	// s.handle (routes.go), and the same-origin rule of cookie writes;
	// routes added with e.GET/e.POST directly bring their own
	// authentication (ingest) or none (metrics).
	e.Use(s.authenticate)
	// checkParams refuses path and query parameters that are not text
	// (params.go); JSON bodies get the same rules in bindJSON (decode.go).
	e.Use(checkParams)
	// Reads need a user or a token; a kiosk token (a wall screen) may read
	// the dashboard, its lines and exceptions and its stream.
	s.handle(http.MethodGet, "/", s.dashboard, Authenticated, "supervisor dashboard (HTML); ?kiosk=TOKEN signs a wall screen in with a kiosk token", anyRole...)
	s.handle(http.MethodGet, "/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) }, Open, "liveness")
	s.handle(http.MethodGet, "/api/v1/lines", s.lines, Authenticated, "lines with state and active work", anyRole...)
	s.handle(http.MethodGet, "/api/v1/events", s.events, Authenticated, eventsSummary, anyRole...)
	s.handle(http.MethodGet, "/api/v1/stream", s.stream, Authenticated, "server-sent line snapshots", anyRole...)
	s.kiosk("/")
	s.kiosk("/api/v1/lines")
	s.kiosk("/api/v1/stream")
	s.stationRead("/api/v1/lines")
	s.stationRead("/api/v1/stream")
	s.registerRoutes()
	s.registerIngest(e)
	s.registerMetrics(e)
	return s
}

// Handler is the router, for an http.Server or httptest.
func (s *Server) Handler() http.Handler { return s.echo }

// Notify asks for a push of fresh line data soon; it never blocks.
func (s *Server) Notify() {
	s.NotifyLocal(PushLines)
	if s.opts.Fanout != nil {
		s.opts.Fanout(PushLines)
	}
}

// What a push is about (NotifyLocal, Options.Fanout).
const (
	PushLines      = "lines"
	PushExceptions = "exceptions"
)

// NotifyLocal asks for a push to this server's streams only (what another
// replica committed); it never blocks. An unknown kind is ignored.
func (s *Server) NotifyLocal(kind string) {
	ch := s.notify
	switch kind {
	case PushLines:
	case PushExceptions:
		ch = s.exNotify
	default:
		return
	}
	select {
	case ch <- struct{}{}:
	default: // a push is already pending
	}
}

// CloseStreams ends every open event stream, so an http.Server shutdown does
// not wait for them; browsers reconnect elsewhere. Safe to call twice.
func (s *Server) CloseStreams() { s.once.Do(func() { close(s.closing) }) }

// RunPush sends the lines snapshot to the hub every Tick, and after Notify at
// most every Coalesce, until ctx ends; after NotifyExceptions it sends the
// exceptions not yet resolved at once (they change rarely, and a supervisor
// is to hear of one within a second). Run it in its own goroutine.
func (s *Server) RunPush(ctx context.Context) {
	tick := time.NewTicker(s.opts.Tick)
	defer tick.Stop()
	var last time.Time
	var pending <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.exNotify:
			s.pushExceptions(ctx)
			continue
		case <-s.notify:
			if pending != nil {
				continue
			}
			if wait := s.opts.Coalesce - time.Since(last); wait > 0 {
				pending = time.After(wait)
				continue
			}
		case <-pending:
			pending = nil
		}
		last = time.Now()
		if s.opts.Hub.Clients() == 0 {
			continue
		}
		data, err := s.linesJSON(ctx)
		if err != nil {
			s.opts.Log.Warn("live push: reading lines", "err", err)
			continue
		}
		s.opts.Hub.Broadcast(live.Message{Event: "lines", Data: data})
	}
}

// --- JSON shapes ---

type activeJSON struct {
	ID          string `json:"id"`
	Order       string `json:"order"`
	Barcode     string `json:"barcode"`
	Product     string `json:"product"`
	ProductName string `json:"product_name"`
	Status      string `json:"status"`
}

type lineJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Site   string `json:"site,omitempty"`
	State  string `json:"state"`
	Reason string `json:"reason"`
	// ReasonText is the reason as a person reads it (reports.reasons' text,
	// or the reason as sent when it is text); ReasonUnmapped: a bare code
	// nobody mapped, which the dashboard shows as "unmapped code 99".
	ReasonText      string      `json:"reason_text"`
	ReasonUnmapped  bool        `json:"reason_unmapped,omitempty"`
	StateSince      *time.Time  `json:"state_since"`
	LastEventAt     *time.Time  `json:"last_event_at"`
	ActiveWorkOrder *activeJSON `json:"active_work_order"`
	Good            int64       `json:"good"`
	Reject          int64       `json:"reject"`
	PlannedQty      int64       `json:"planned_qty"`
	// OverrunAt is the good count past which the active work order is an
	// overrun (quantity + tolerance); Overrun says it has passed it.
	OverrunAt          int64    `json:"overrun_at,omitempty"`
	Overrun            bool     `json:"overrun,omitempty"`
	ExpectedNow        int64    `json:"expected_now"`
	Attainment         *float64 `json:"attainment"`
	UnattributedGood   int64    `json:"unattributed_good"`
	UnattributedReject int64    `json:"unattributed_reject"`
	// EdgeStalled: the line's edge is up but its events do not commit.
	EdgeStalled *domain.EdgeStall `json:"edge_stalled,omitempty"`
	// ClockSkewMS: a device of the line has its clock off by this much
	// (device minus edge, ms) beyond the edge's tolerance; its events carry
	// the edge's receive time. 0: every clock within tolerance.
	ClockSkewMS int64 `json:"clock_skew_ms"`
}

func (s *Server) buildLines(ctx context.Context) ([]lineJSON, error) {
	views, err := s.opts.Store.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	reasons := s.reports().Reasons
	out := make([]lineJSON, 0, len(views))
	for _, v := range views {
		l := lineJSON{ID: v.ID, Name: v.Name, Site: v.Site, State: v.State, Reason: v.Reason, StateSince: v.StateSince,
			LastEventAt: v.LastEventAt, UnattributedGood: v.UnattributedGood, UnattributedReject: v.UnattributedReject,
			EdgeStalled: v.Stall, ClockSkewMS: v.ClockSkewMS}
		_, l.ReasonText, l.ReasonUnmapped = reasons.Describe(v.Reason)
		if l.State == "" {
			l.State = wire.StateNoData // never reported: we know nothing about the machine
		}
		if a := v.Active; a != nil {
			l.ActiveWorkOrder = &activeJSON{ID: a.WorkOrderID, Order: a.OrderNumber, Barcode: a.Barcode,
				Product: a.ProductCode, ProductName: a.ProductName, Status: string(a.Status)}
			l.Good, l.Reject, l.PlannedQty = a.Good, a.Reject, a.PlannedQty
			if a.PlannedQty > 0 {
				l.OverrunAt, l.Overrun = s.rules().OverrunLimit(a.PlannedQty), s.rules().Overrun(a.PlannedQty, a.Good)
			}
			var p *float64
			l.ExpectedNow, p = a.Progress(now)
			if p != nil {
				r := math.Round(*p*10) / 10
				l.Attainment = &r
			}
		}
		out = append(out, l)
	}
	return out, nil
}

func (s *Server) linesJSON(ctx context.Context) ([]byte, error) {
	ls, err := s.buildLines(ctx)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ls)
}

// --- handlers ---

func (s *Server) dashboard(c echo.Context) error {
	page, err := webFS.ReadFile("web/index.html")
	if err != nil {
		return err
	}
	return htmlPage(c, page)
}

func (s *Server) lines(c echo.Context) error {
	ls, err := s.buildLines(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ls)
}

func (s *Server) events(c echo.Context) error { return s.listEvents(c) } // events.go

// stream is a server-sent event stream of "lines" snapshots and
// "exceptions" lists: one of each at once, then whatever RunPush broadcasts.
func (s *Server) stream(c echo.Context) error {
	ctx := c.Request().Context()
	client := s.opts.Hub.Subscribe() // before the snapshot, so no push is missed
	defer s.opts.Hub.Unsubscribe(client)
	data, err := s.linesJSON(ctx)
	if err != nil {
		return err
	}
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("X-Accel-Buffering", "no") // keep reverse proxies from buffering the stream
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil {
		return nil
	}
	send := func(m live.Message) error {
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.Event, m.Data); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	if err := send(live.Message{Event: "lines", Data: data}); err != nil {
		return nil // client gone
	}
	if ex, err := s.exceptionsJSON(ctx); err != nil {
		s.opts.Log.Warn("stream: reading exceptions", "err", err)
	} else if err := send(live.Message{Event: "exceptions", Data: ex}); err != nil {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closing:
			return nil
		case m, ok := <-client.C():
			if !ok {
				return nil // dropped as too slow; the browser reconnects
			}
			if err := send(m); err != nil {
				return nil
			}
		}
	}
}

// --- errors ---

// Problem is an RFC 9457 problem detail, and an error handlers return.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"` // the request parameter at fault
	// Errors lists every broken rule of a rejected import, by row and field.
	Errors []domain.RowError `json:"errors,omitempty"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

func invalid(field, detail string) error {
	return &Problem{Status: http.StatusBadRequest, Detail: detail, Field: field}
}

// handleError is the one place errors become responses. Anything it does not
// recognise is a 500 whose cause is logged, never shown.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	// Domain errors a handler returned as they came (a field error, a
	// conflict, a missing record) get the same problem as through apiError.
	err = apiError(err)
	var p *Problem
	var he *echo.HTTPError
	switch {
	case errors.As(err, &p):
		cp := *p
		p = &cp
	case errors.As(err, &he):
		p = &Problem{Status: he.Code}
		if msg, ok := he.Message.(string); ok && he.Code < 500 {
			p.Detail = msg
		}
	case errors.Is(err, context.Canceled):
		return // the client went away
	default:
		s.opts.Log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		p = &Problem{Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	if p.Title == "" {
		p.Title = problemTitle(requestLang(c), p.Status) // i18n.go
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	body, _ := json.Marshal(p)
	if c.Request().Method == http.MethodHead {
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		_ = c.NoContent(p.Status)
		return
	}
	if err := c.Blob(p.Status, "application/problem+json", body); err != nil {
		s.opts.Log.Warn("writing error response", "err", err)
	}
}

// recoverPanics turns a handler panic into a logged 500 instead of a dead connection.
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		return next(c)
	}
}

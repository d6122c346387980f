package httpapi

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
	"github.com/linewise/linewise/central/throttle"
)

//go:embed web/station.html web/traveler.html
var pagesFS embed.FS

var stationTmpl = template.Must(template.ParseFS(pagesFS, "web/station.html"))

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) station(c echo.Context) (domain.Station, error) {
	st, err := s.opts.Store.GetStation(c.Request().Context(), c.Param("id"))
	if errors.Is(err, domain.ErrNotFound) {
		return st, &Problem{Status: http.StatusNotFound, Field: "id", Detail: "station " + c.Param("id") + " does not exist"}
	}
	return st, err
}

func (s *Server) stationPage(c echo.Context) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := stationTmpl.Execute(&b, st); err != nil {
		return err
	}
	return htmlPage(c, b.Bytes())
}

func (s *Server) getStation(c echo.Context) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// ScanResult is what a scan did.
type ScanResult struct {
	Action    string            `json:"action"`
	WorkOrder *domain.WorkOrder `json:"work_order,omitempty"`
	Operator  string            `json:"operator,omitempty"`
	Message   string            `json:"message"`
	// Overrun: the work order's good passed its quantity plus the
	// tolerance (OverrunAt); the station warns.
	Overrun   bool  `json:"overrun,omitempty"`
	OverrunAt int64 `json:"overrun_at,omitempty"`
}

// result is a ScanResult about work order w, with its overrun warning.
func (s *Server) result(action string, w *domain.WorkOrder, operator, msg string) ScanResult {
	r := ScanResult{Action: action, WorkOrder: w, Operator: operator, Message: msg}
	if w != nil && w.Quantity > 0 {
		r.OverrunAt = s.rules().OverrunLimit(w.Quantity)
		r.Overrun = s.rules().Overrun(w.Quantity, w.Good)
	}
	return r
}

type scanRequest struct {
	Code     string `json:"code"`
	Operator string `json:"operator"` // badge or username, for fixed scanners with an API token
	// ClientID is made by the sender for each scan: a repeat of it (a
	// retry) is one scan and gets the first's answer.
	ClientID string `json:"client_id"`
}

// actorAt works out who acts at a station: the signed-in user, or for an
// API token the operator it names (by badge or username), recorded as
// "op1 via token:scanner-l1".
func (s *Server) actorAt(c echo.Context, st domain.Station, operator string) (domain.Actor, error) {
	p := principal(c)
	if p == nil {
		return domain.Actor{}, &Problem{Status: http.StatusUnauthorized, Field: "code", Detail: "scan your badge first"}
	}
	if !p.MayUseLine(st.LineID) {
		who := "this token is limited to line " + p.LineScope
		if p.StationID != "" {
			who = "signed in by badge at station " + p.StationID + " of line " + p.LineScope
		}
		return domain.Actor{}, &Problem{Status: http.StatusForbidden, Field: "line",
			Detail: who + "; station " + st.ID + " is on line " + st.LineID}
	}
	if !domain.MayWorkAtStation(p.Role) {
		return domain.Actor{}, &Problem{Status: http.StatusForbidden, Field: "role", Detail: "role " + string(p.Role) + " may not work at a station"}
	}
	a := p.Actor()
	if p.Via == "token" && operator != "" {
		ctx := c.Request().Context()
		u, err := s.opts.Store.UserByBadge(ctx, operator)
		if errors.Is(err, domain.ErrNotFound) {
			u, err = s.opts.Store.GetUser(ctx, operator)
		}
		if errors.Is(err, domain.ErrNotFound) || (err == nil && u.Disabled) {
			return a, invalid("operator", "operator "+operator+" is not a known badge or user")
		}
		if err != nil {
			return a, err
		}
		a = domain.Actor{Name: u.Username + " via " + p.Username, Role: u.Role}
	}
	return a, nil
}

// scan serves POST /api/v1/stations/:id/scan. A badge signs its owner in
// at the station (no prior login: the badge is the credential); anything
// else needs a signed-in operator (or a token) and must be a work order of
// this station's line that is released: it then starts, pauses or resumes.
// A scan that does not apply changes nothing and says why (4xx).
func (s *Server) scan(c echo.Context) error {
	var req scanRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	code := strings.TrimSpace(req.Code)
	if code == "" {
		return invalid("code", "code is required")
	}
	st, err := s.station(c)
	if err != nil {
		return err
	}
	// Guessing badges is guessing passwords (throttle.go): from one address,
	// scans that are neither a badge nor a known work order count as
	// failures, and a locked-out address may not scan at all. A fixed
	// scanner's API token is a credential of its own and is not counted.
	var keys []throttle.Key
	if p := principal(c); p == nil || p.Via != "token" {
		keys = []throttle.Key{throttle.IP(clientIP(c))}
	}
	if err := s.throttled(c, keys...); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if u, err := s.opts.Store.UserByBadge(ctx, code); err == nil {
		if u.Disabled {
			return &Problem{Status: http.StatusForbidden, Field: "code", Detail: "this badge is disabled"}
		}
		if _, err := s.startSession(c, u, st.ID); err != nil {
			return err
		}
		name := u.DisplayName
		if name == "" {
			name = u.Username
		}
		return c.JSON(http.StatusOK, ScanResult{Action: string(domain.ScanLogin), Operator: u.Username,
			Message: i18n.T(requestLang(c), "station.msg.login", "name", name, "station", st.ID)})
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	actor, err := s.actorAt(c, st, req.Operator)
	if err != nil {
		if principal(c) == nil {
			s.failed(c, "scans", keys...) // not a badge, and nobody signed in
		}
		return err
	}
	// A scanner's bounce (the same code again within the window) or a
	// retried request (the same client id) is one scan, not start then
	// pause: the repeat gets the first's answer.
	return s.stationOnce(c, "scan", req.ClientID, code, func() (any, error) {
		return s.scanWorkOrder(c, st, code, actor, keys)
	})
}

// scanWorkOrder toggles the work order a scan names.
func (s *Server) scanWorkOrder(c echo.Context, st domain.Station, code string, actor domain.Actor, keys []throttle.Key) (any, error) {
	ctx := c.Request().Context()
	w, err := s.opts.Store.GetWorkOrder(ctx, code)
	if errors.Is(err, domain.ErrNotFound) && s.opts.Inventory != nil {
		return s.scanLot(c, st, code, actor, keys) // station_lot.go
	}
	if errors.Is(err, domain.ErrNotFound) {
		s.failed(c, "scans", keys...)
		return nil, &Problem{Status: http.StatusNotFound, Field: "code", Detail: "unknown code " + code + ": not a badge or a work order"}
	}
	if err != nil {
		return nil, err
	}
	if err := s.refuseOnHold(c, w, "code"); err != nil {
		return nil, err
	}
	rec, err := s.opts.Store.GetOrderRecord(ctx, w.OrderNumber)
	if err != nil {
		return nil, err
	}
	action, err := domain.DecideScan(st.LineID, w, rec.Status)
	if err != nil {
		return nil, &Problem{Status: http.StatusConflict, Field: "code", Detail: cleanMessage(err)}
	}
	now := s.opts.Now()
	var msg string
	switch action {
	case domain.ScanStart, domain.ScanResume:
		w, err = s.opts.Store.StartWorkOrderAs(ctx, w.ID, now, actor, string(action))
		msg = i18n.T(requestLang(c), "station.msg.start", "wo", w.ID)
		if action == domain.ScanResume {
			msg = i18n.T(requestLang(c), "station.msg.resume", "wo", w.ID)
		}
	case domain.ScanPause:
		w, err = s.opts.Store.StopWorkOrderAs(ctx, w.ID, now, actor, string(action))
		msg = i18n.T(requestLang(c), "station.msg.pause", "wo", w.ID)
	}
	if err != nil {
		if p, ok := apiError(err).(*Problem); ok {
			p.Field = "code"
			return nil, p
		}
		return nil, err
	}
	s.Notify()
	return s.result(string(action), &w, actor.Name, msg), nil
}

type completeRequest struct {
	WorkOrder string `json:"work_order"`
	Operator  string `json:"operator"`
	ClientID  string `json:"client_id"` // a repeat of it is one completion
}

// stationWorkOrder loads a work order named in a station request and checks
// it belongs to the station's line.
func (s *Server) stationWorkOrder(c echo.Context, st domain.Station, id string) (domain.WorkOrder, error) {
	if id == "" {
		return domain.WorkOrder{}, invalid("work_order", "work_order is required")
	}
	w, err := s.opts.Store.GetWorkOrder(c.Request().Context(), id)
	if errors.Is(err, domain.ErrNotFound) {
		return w, &Problem{Status: http.StatusNotFound, Field: "work_order", Detail: "work order " + id + " does not exist"}
	}
	if err != nil {
		return w, err
	}
	if w.LineID != st.LineID {
		return w, &Problem{Status: http.StatusConflict, Field: "work_order",
			Detail: "work order " + id + " runs on line " + w.LineID + ", not on this station's line " + st.LineID}
	}
	return w, nil
}

func (s *Server) stationComplete(c echo.Context) error {
	var req completeRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	st, err := s.station(c)
	if err != nil {
		return err
	}
	actor, err := s.actorAt(c, st, req.Operator)
	if err != nil {
		return err
	}
	return s.stationOnce(c, "complete", req.ClientID, "", func() (any, error) { return s.completeAt(c, st, actor, req.WorkOrder) })
}

func (s *Server) completeAt(c echo.Context, st domain.Station, actor domain.Actor, id string) (any, error) {
	w, err := s.stationWorkOrder(c, st, id)
	if err != nil {
		return nil, err
	}
	if err := s.refuseOnHold(c, w, "work_order"); err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	now := s.opts.Now()
	if w.Status == domain.StatusInProgress {
		if _, err := s.opts.Store.StopWorkOrderAs(ctx, w.ID, now, actor, "stop"); err != nil {
			return nil, apiError(err)
		}
	}
	var orderDone bool
	rec, err := s.opts.Store.ChangeOrder(ctx, w.OrderNumber, actor, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		var err error
		orderDone, err = domain.CompleteWorkOrder(rec, w.ID, actor.Role, now)
		return domain.OrderChange{Action: "complete_work_order"}, err
	})
	if err != nil {
		if p, ok := apiError(err).(*Problem); ok {
			p.Field = "work_order"
			return nil, p
		}
		return nil, err
	}
	for _, x := range rec.WorkOrders {
		if x.ID == w.ID {
			w = x
		}
	}
	msg := i18n.T(requestLang(c), "station.msg.complete", "wo", w.ID)
	if orderDone {
		msg = i18n.T(requestLang(c), "station.msg.order_complete", "wo", w.ID, "order", rec.Number)
	}
	s.Notify()
	return s.result("complete", &w, actor.Name, msg), nil
}

type scrapRequest struct {
	WorkOrder string `json:"work_order"`
	Quantity  int64  `json:"quantity"`
	Reason    string `json:"reason"`
	Operator  string `json:"operator"`
	ClientID  string `json:"client_id"` // a repeat of it books once
}

func (s *Server) stationScrap(c echo.Context) error {
	var req scrapRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Quantity < 1 || req.Quantity > 1_000_000 {
		return invalid("quantity", "quantity must be a whole number from 1 to 1000000")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return invalid("reason", "reason is required")
	}
	st, err := s.station(c)
	if err != nil {
		return err
	}
	actor, err := s.actorAt(c, st, req.Operator)
	if err != nil {
		return err
	}
	return s.stationOnce(c, "scrap", req.ClientID, "", func() (any, error) {
		w, err := s.stationWorkOrder(c, st, req.WorkOrder)
		if err != nil {
			return nil, err
		}
		if err := s.refuseOnHold(c, w, "work_order"); err != nil {
			return nil, err
		}
		switch w.Status {
		case domain.StatusInProgress, domain.StatusPaused, domain.StatusCompleted:
		default:
			return nil, &Problem{Status: http.StatusConflict, Field: "work_order", Detail: "work order " + w.ID + " is " + string(w.Status) + "; scrap is booked on started work"}
		}
		w, err = s.opts.Store.RecordScrap(c.Request().Context(), w.ID, req.Quantity, strings.TrimSpace(req.Reason), actor)
		if err != nil {
			return nil, apiError(err)
		}
		s.Notify()
		return s.result("scrap", &w, actor.Name, i18n.T(requestLang(c), "station.msg.scrap", "n", itoa(req.Quantity), "wo", w.ID)), nil
	})
}

package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/live"
)

// ExceptionStore is what the exception routes need.
type ExceptionStore interface {
	ListExceptions(ctx context.Context, f domain.ExceptionFilter) ([]domain.Exception, error)
	GetException(ctx context.Context, id string) (domain.Exception, error)
	RaiseException(ctx context.Context, x domain.Exception, occurrence string, actor domain.Actor) (domain.Exception, domain.RaiseOutcome, error)
	AcknowledgeException(ctx context.Context, id string, actor domain.Actor, note string) (domain.Exception, error)
	ResolveException(ctx context.Context, id string, actor domain.Actor, note string, at time.Time) (domain.Exception, error)
}

// Who may do what with exceptions. Anyone on the floor may raise material
// short; acknowledging ("I am on it") is the supervisor's; resolving is the
// supervisor's and, for the quality failures they investigate, quality's.
// Planners read them (the list is open, like the dashboard) and act through
// reschedule proposals.
var (
	exceptionRaisers    = []domain.Role{domain.RoleOperator, domain.RoleSupervisor, domain.RoleAdmin}
	exceptionAckers     = []domain.Role{domain.RoleSupervisor, domain.RoleAdmin}
	exceptionResolvers  = []domain.Role{domain.RoleSupervisor, domain.RoleQuality, domain.RoleAdmin}
	exceptionLiveStates = []domain.ExceptionStatus{domain.ExceptionOpen, domain.ExceptionAcknowledged}
)

func (s *Server) registerExceptions() {
	s.handle(http.MethodGet, "/api/v1/exceptions", s.listExceptions, Authenticated,
		"exceptions, newest first (filters: line, status and kind, comma-separated; paging: limit, offset or cursor)", anyRole...)
	s.kiosk("/api/v1/exceptions")
	s.stationRead("/api/v1/exceptions")
	s.handle(http.MethodPost, "/api/v1/exceptions", s.raiseException, Authenticated,
		"raise material_short on a line (or a station's line) by hand; one open per line and work order (audited)", exceptionRaisers...)
	s.lineScoped(http.MethodPost, "/api/v1/exceptions")
	s.handle(http.MethodGet, "/api/v1/exceptions/:id", s.getException, Authenticated,
		"one exception, with its ETag (acknowledge and resolve honour If-Match)", anyRole...)
	s.handle(http.MethodPost, "/api/v1/exceptions/:id/acknowledge", s.changeException(domain.ExceptionAcknowledged), Authenticated,
		"acknowledge an open exception (audited)", exceptionAckers...)
	s.handle(http.MethodPost, "/api/v1/exceptions/:id/resolve", s.changeException(domain.ExceptionResolved), Authenticated,
		"resolve an open or acknowledged exception, with an optional note (audited)", exceptionResolvers...)
}

func (s *Server) listExceptions(c echo.Context) error {
	var f domain.ExceptionFilter
	f.Line = c.QueryParam("line")
	if v := c.QueryParam("status"); v != "" {
		for _, x := range strings.Split(v, ",") {
			st := domain.ExceptionStatus(strings.TrimSpace(x))
			if !st.Valid() {
				return invalid("status", "status "+strconv.Quote(string(st))+" is not one of open, acknowledged, resolved")
			}
			f.Status = append(f.Status, st)
		}
	}
	if v := c.QueryParam("kind"); v != "" {
		for _, x := range strings.Split(v, ",") {
			k := domain.ExceptionKind(strings.TrimSpace(x))
			if !k.Valid() {
				return invalid("kind", "kind "+strconv.Quote(string(k))+" is not one of behind_plan, machine_down, no_data, quality_failure, material_short")
			}
			f.Kind = append(f.Kind, k)
		}
	}
	f.Limit = maxPage
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return invalid("limit", "limit must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalid("offset", "offset must be a whole number, 0 or more")
		}
		f.Offset = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 || domain.TextRule(string(b), maxParamChars) != "" {
			return invalid("cursor", "cursor must be a value from a previous page's X-Next-Cursor")
		}
		f.After = string(b)
	}
	list, err := s.opts.Store.ListExceptions(c.Request().Context(), f)
	if err != nil {
		return err
	}
	nextPage(c, domain.OrderFilter{Limit: f.Limit}, len(list), func() string { return list[len(list)-1].ID })
	return c.JSON(http.StatusOK, list)
}

type raiseExceptionRequest struct {
	Kind      string `json:"kind"`    // only material_short; empty means it
	Line      string `json:"line"`    // or station
	Station   string `json:"station"` // the line is the station's
	WorkOrder string `json:"work_order"`
	Detail    string `json:"detail"`
}

// raiseException serves POST /api/v1/exceptions. The other kinds are
// raised by central from events, so a person cannot fake a machine state.
func (s *Server) raiseException(c echo.Context) error {
	var req raiseExceptionRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := principal(c)
	if req.Kind != "" && req.Kind != string(domain.ExceptionMaterialShort) {
		return invalid("kind", "only material_short is raised by hand; central raises "+strconv.Quote(req.Kind)+" itself from events")
	}
	line := req.Line
	if req.Station != "" {
		st, err := s.opts.Store.GetStation(ctx, req.Station)
		if errors.Is(err, domain.ErrNotFound) {
			return invalid("station", "station "+strconv.Quote(req.Station)+" does not exist")
		} else if err != nil {
			return err
		}
		if line != "" && line != st.LineID {
			return invalid("line", "station "+st.ID+" is on line "+st.LineID+", not "+line)
		}
		line = st.LineID
	}
	if line == "" {
		return invalid("line", "line (or station) is required")
	}
	if _, err := s.opts.Store.GetLine(ctx, line); errors.Is(err, domain.ErrNotFound) {
		return invalid("line", "line "+strconv.Quote(line)+" does not exist")
	} else if err != nil {
		return err
	}
	if p.StationID != "" {
		st, err := s.opts.Store.GetStation(ctx, p.StationID)
		if err != nil {
			return err
		}
		if st.LineID != line {
			return &Problem{Status: http.StatusForbidden, Field: "line",
				Detail: "signed in by badge at station " + st.ID + " of line " + st.LineID + "; raise exceptions for that line"}
		}
	}
	if !p.MayUseLine(line) {
		return &Problem{Status: http.StatusForbidden, Field: "line", Detail: "this token is limited to line " + p.LineScope}
	}
	detail, err := domain.CleanDetail("detail", req.Detail)
	if err != nil {
		return apiError(err)
	}
	if detail == "" {
		return invalid("detail", "detail is required: say which material is short")
	}
	wo := req.WorkOrder
	if wo != "" {
		w, err := s.opts.Store.GetWorkOrder(ctx, wo)
		if errors.Is(err, domain.ErrNotFound) {
			return invalid("work_order", "work order "+strconv.Quote(wo)+" does not exist")
		} else if err != nil {
			return err
		}
		if w.LineID != line {
			return invalid("work_order", "work order "+wo+" runs on line "+w.LineID+", not "+line)
		}
	} else {
		views, err := s.opts.Store.ListLines(ctx)
		if err != nil {
			return err
		}
		for _, v := range views {
			if v.ID == line && v.Active != nil {
				wo = v.Active.WorkOrderID
			}
		}
	}
	now := s.opts.Now().UTC()
	x := domain.Exception{Line: line, WorkOrder: wo, Kind: domain.ExceptionMaterialShort, OpenedAt: now, LastAt: now, Detail: detail}
	got, outcome, err := s.opts.Store.RaiseException(ctx, x, strconv.FormatInt(now.UnixNano(), 10), p.Actor())
	if err != nil {
		return err
	}
	s.NotifyExceptions()
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/exceptions?line="+url.QueryEscape(line))
	if outcome == domain.RaiseCreated {
		return c.JSON(http.StatusCreated, got)
	}
	return c.JSON(http.StatusOK, got) // one was open already: this is a repeat of it
}

type exceptionNote struct {
	Note string `json:"note"`
}

func (s *Server) changeException(to domain.ExceptionStatus) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req exceptionNote
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		note, err := domain.CleanDetail("note", req.Note)
		if err != nil {
			return apiError(err)
		}
		ctx, id, actor := c.Request().Context(), c.Param("id"), principal(c).Actor()
		if ifMatch(c) != "" {
			cur, err := s.opts.Store.GetException(ctx, id)
			if errors.Is(err, domain.ErrNotFound) {
				return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "exception " + strconv.Quote(id) + " does not exist"}
			}
			if err != nil {
				return apiError(err)
			}
			if err := checkMatch(c, domain.ExceptionETag(cur)); err != nil {
				return staleOr(err, "exception "+id)
			}
		}
		var x domain.Exception
		if to == domain.ExceptionAcknowledged {
			x, err = s.opts.Store.AcknowledgeException(ctx, id, actor, note)
		} else {
			x, err = s.opts.Store.ResolveException(ctx, id, actor, note, s.opts.Now().UTC())
		}
		if errors.Is(err, domain.ErrNotFound) {
			return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "exception " + strconv.Quote(id) + " does not exist"}
		}
		if err != nil {
			return apiError(err)
		}
		s.NotifyExceptions()
		setETag(c, domain.ExceptionETag(x))
		return c.JSON(http.StatusOK, x)
	}
}

func (s *Server) getException(c echo.Context) error {
	id := c.Param("id")
	x, err := s.opts.Store.GetException(c.Request().Context(), id)
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "exception " + strconv.Quote(id) + " does not exist"}
	}
	if err != nil {
		return apiError(err)
	}
	setETag(c, domain.ExceptionETag(x))
	return c.JSON(http.StatusOK, x)
}

// NotifyExceptions asks for a push of the exceptions not yet resolved to
// every open stream soon; it never blocks.
func (s *Server) NotifyExceptions() {
	s.NotifyLocal(PushExceptions)
	if s.opts.Fanout != nil {
		s.opts.Fanout(PushExceptions)
	}
}

// exceptionsJSON is the "exceptions" stream message: every exception not
// yet resolved, newest first.
func (s *Server) exceptionsJSON(ctx context.Context) ([]byte, error) {
	list, err := s.opts.Store.ListExceptions(ctx, domain.ExceptionFilter{Status: exceptionLiveStates, Limit: maxPage})
	if err != nil {
		return nil, err
	}
	return json.Marshal(list)
}

// pushExceptions broadcasts the exceptions message.
func (s *Server) pushExceptions(ctx context.Context) {
	if s.opts.Hub.Clients() == 0 {
		return
	}
	data, err := s.exceptionsJSON(ctx)
	if err != nil {
		s.opts.Log.Warn("live push: reading exceptions", "err", err)
		return
	}
	s.opts.Hub.Broadcast(live.Message{Event: "exceptions", Data: data})
}

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
	"github.com/linewise/linewise/central/ingest"
	"github.com/linewise/linewise/central/oee"
	"github.com/linewise/linewise/edge/wire"
)

// Manual reporting at a station: a line without a PLC reports its output
// and its stops by hand. Each report becomes one event of the station's
// own event source and goes through ingest (Ingester.Report), so counts,
// downtime intervals, OEE, settlement and exceptions see it exactly as a
// machine's signal. The store gives a retried report (same client_id) its
// first sequence number, so it is one event however often it is sent.

// StationReportStore records manual reports (central/store).
type StationReportStore interface {
	ClaimStationReport(ctx context.Context, r domain.StationReport, actor domain.Actor) (domain.StationReport, bool, error)
}

func (s *Server) registerStationReports() {
	const get, post = http.MethodGet, http.MethodPost
	s.handle(get, "/api/v1/stations/:id/reasons", s.stationReasons, Authenticated,
		"the stop reasons an operator may choose (reports.reasons): code, text, category, planned", anyRole...)
	s.stationRead("/api/v1/stations/:id/reasons")
	s.handle(post, "/api/v1/stations/:id/output", s.stationOutput, Authenticated,
		"report good and scrapped parts (scrap with a reason) for the running work order by hand; one count event through ingest, once per client_id", floor...)
	s.lineScoped(post, "/api/v1/stations/:id/output")
	s.handle(post, "/api/v1/stations/:id/stop", s.stationStop, Authenticated,
		"report that the line stopped, with a reason from reports.reasons (a planned one is a planned stop, else down: machine_down after exceptions.down_grace); one state event through ingest, once per client_id", floor...)
	s.lineScoped(post, "/api/v1/stations/:id/stop")
	s.handle(post, "/api/v1/stations/:id/stop/end", s.stationStopEnd, Authenticated,
		"report that the line's stop is over (running again with a running work order, else idle); once per client_id", floor...)
	s.lineScoped(post, "/api/v1/stations/:id/stop/end")
}

// StopReason is one choice of the reason tree.
type StopReason struct {
	Code     string `json:"code"`
	Text     string `json:"text"`
	Category string `json:"category"`
	Planned  bool   `json:"planned"`
}

// reasonText is how reason code reads in lang.
func reasonText(r oee.Reason, code, lang string) string {
	if text, _ := r.In(lang); text != "" {
		return text
	}
	return code
}

// stopMessage says what a stop report did, in lang.
func stopMessage(lang, line, state, reason string) string {
	if state == wire.StatePlannedStop {
		return i18n.T(lang, "station.msg.planned_stop", "line", line, "reason", reason)
	}
	return i18n.T(lang, "station.msg.down", "line", line, "reason", reason)
}

// stopReasons lists the reason tree in lang, by category (in the
// configured language's order) and code.
func (s *Server) stopReasons(lang string) []StopReason {
	out := []StopReason{}
	order := map[string]string{} // category in lang -> configured category, the sort key
	for code, r := range s.reports().Reasons {
		_, cat := r.In(lang)
		order[cat] = r.Category
		out = append(out, StopReason{Code: code, Text: reasonText(r, code, lang), Category: cat, Planned: r.Planned})
	}
	sort.Slice(out, func(i, j int) bool {
		if ci, cj := order[out[i].Category], order[out[j].Category]; ci != cj {
			return ci < cj
		}
		return out[i].Code < out[j].Code
	})
	return out
}

func (s *Server) stationReasons(c echo.Context) error {
	if _, err := s.station(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.stopReasons(requestLang(c)))
}

type outputRequest struct {
	WorkOrder string `json:"work_order"`
	Good      int64  `json:"good"`
	Scrap     int64  `json:"scrap"`
	Reason    string `json:"reason"` // why the scrap
	Operator  string `json:"operator"`
	ClientID  string `json:"client_id"` // a repeat of it is one report
}

type stopRequest struct {
	Reason   string `json:"reason"` // a code of reports.reasons
	Operator string `json:"operator"`
	ClientID string `json:"client_id"`
}

// reportAt checks who reports at the station and runs do once per client id.
func (s *Server) reportAt(c echo.Context, kind, operator, clientID string, do func(st domain.Station, actor domain.Actor) (any, error)) error {
	if s.opts.Ingest == nil {
		return &Problem{Status: http.StatusServiceUnavailable, Detail: "manual reporting needs central's ingest, which is not running"}
	}
	st, err := s.station(c)
	if err != nil {
		return err
	}
	actor, err := s.actorAt(c, st, operator)
	if err != nil {
		return err
	}
	if strings.TrimSpace(clientID) == "" {
		return invalid("client_id", "client_id is required: make one per report, and send it again with a retry")
	}
	return s.stationOnce(c, kind, clientID, "", func() (any, error) { return do(st, actor) })
}

// report records r and applies its event through ingest.
func (s *Server) report(c echo.Context, r domain.StationReport, actor domain.Actor, ev wire.Event) error {
	ctx := c.Request().Context()
	r.EdgeID, r.Actor, r.At = domain.StationEdgeID(r.Station), actor.Name, s.opts.Now()
	r, _, err := s.opts.Store.ClaimStationReport(ctx, r, actor)
	if err != nil {
		return err
	}
	// A retry carries the first attempt's sequence number and time, so
	// ingest stores its event once.
	ev.EdgeID, ev.Seq, ev.Line, ev.SourceTime = r.EdgeID, r.Seq, r.Line, r.At
	err = s.opts.Ingest.Report(ctx, r.Line, wire.Batch{EdgeID: r.EdgeID, Events: []wire.Event{ev}})
	if errors.Is(err, ingest.ErrMalformed) {
		return &Problem{Status: http.StatusUnprocessableEntity, Detail: cleanMessage(err)}
	}
	return err
}

func (s *Server) stationOutput(c echo.Context) error {
	var req outputRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if err := domain.CheckOutput(req.Good, req.Scrap, req.Reason); err != nil {
		return apiError(err)
	}
	return s.reportAt(c, "output", req.Operator, req.ClientID, func(st domain.Station, actor domain.Actor) (any, error) {
		w, err := s.stationWorkOrder(c, st, req.WorkOrder)
		if err != nil {
			return nil, err
		}
		if w.Status != domain.StatusInProgress {
			return nil, &Problem{Status: http.StatusConflict, Field: "work_order",
				Detail: i18n.T(requestLang(c), "station.err.not_running", "wo", w.ID, "status", string(w.Status))}
		}
		if err := s.refuseOnHold(c, w, "work_order"); err != nil {
			return nil, err
		}
		r := domain.StationReport{ClientID: strings.TrimSpace(req.ClientID), Station: st.ID, Line: st.LineID, WorkOrder: w.ID,
			Kind: domain.ReportOutput, Good: req.Good, Reject: req.Scrap, Reason: req.Reason}
		ev := wire.Event{Type: wire.TypeCount, Count: &wire.Count{Counter: "manual " + st.ID, Good: req.Good, Reject: req.Scrap}}
		if err := s.report(c, r, actor, ev); err != nil {
			return nil, err
		}
		w, err = s.opts.Store.GetWorkOrder(c.Request().Context(), w.ID)
		if err != nil {
			return nil, err
		}
		msg := i18n.T(requestLang(c), "station.msg.output", "good", itoa(req.Good), "wo", w.ID)
		if req.Scrap > 0 {
			msg = i18n.T(requestLang(c), "station.msg.output_scrap", "good", itoa(req.Good), "scrap", itoa(req.Scrap), "reason", req.Reason, "wo", w.ID)
		}
		s.Notify()
		return s.result("output", &w, actor.Name, msg), nil
	})
}

// lineOf reads the station's line as the dashboard shows it.
func (s *Server) lineOf(c echo.Context, id string) (domain.LineView, error) {
	ls, err := s.opts.Store.ListLines(c.Request().Context())
	if err != nil {
		return domain.LineView{}, err
	}
	for _, l := range ls {
		if l.ID == id {
			return l, nil
		}
	}
	return domain.LineView{}, &Problem{Status: http.StatusNotFound, Field: "id", Detail: "line " + id + " does not exist"}
}

// StopResult is what a stop report did.
type StopResult struct {
	Line    string `json:"line"`
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
}

func stopped(state string) bool { return state == wire.StateDown || state == wire.StatePlannedStop }

func (s *Server) stationStop(c echo.Context) error {
	var req stopRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	code := strings.TrimSpace(req.Reason)
	if code == "" {
		return invalid("reason", "reason is required: choose one of GET /api/v1/stations/{id}/reasons")
	}
	reason, ok := s.reports().Reasons[code]
	if !ok {
		return invalid("reason", "reason "+code+" is not in the reason tree (reports.reasons)")
	}
	return s.reportAt(c, "stop", req.Operator, req.ClientID, func(st domain.Station, actor domain.Actor) (any, error) {
		l, err := s.lineOf(c, st.LineID)
		if err != nil {
			return nil, err
		}
		if stopped(l.State) {
			return nil, &Problem{Status: http.StatusConflict, Field: "reason",
				Detail: i18n.T(requestLang(c), "station.err.already_stopped", "line", l.ID, "state", l.State, "reason", l.Reason)}
		}
		state := wire.StateDown
		if reason.Planned {
			state = wire.StatePlannedStop
		}
		text := reasonText(reason, code, requestLang(c))
		r := domain.StationReport{ClientID: strings.TrimSpace(req.ClientID), Station: st.ID, Line: st.LineID,
			Kind: domain.ReportStop, State: state, Reason: code}
		if l.Active != nil {
			r.WorkOrder = l.Active.WorkOrderID
		}
		ev := wire.Event{Type: wire.TypeState, State: &wire.State{State: state, Reason: code, Raw: "operator " + actor.Name}}
		if err := s.report(c, r, actor, ev); err != nil {
			return nil, err
		}
		s.Notify()
		return StopResult{Line: l.ID, State: state, Reason: code, Message: stopMessage(requestLang(c), l.ID, state, text)}, nil
	})
}

func (s *Server) stationStopEnd(c echo.Context) error {
	var req stopRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	return s.reportAt(c, "stop_end", req.Operator, req.ClientID, func(st domain.Station, actor domain.Actor) (any, error) {
		l, err := s.lineOf(c, st.LineID)
		if err != nil {
			return nil, err
		}
		if !stopped(l.State) {
			return nil, &Problem{Status: http.StatusConflict, Detail: i18n.T(requestLang(c), "station.err.not_stopped", "line", l.ID)}
		}
		state := wire.StateIdle
		r := domain.StationReport{ClientID: strings.TrimSpace(req.ClientID), Station: st.ID, Line: st.LineID, Kind: domain.ReportStopEnd}
		if l.Active != nil && l.Active.Status == domain.StatusInProgress {
			state, r.WorkOrder = wire.StateRunning, l.Active.WorkOrderID
		}
		r.State = state
		ev := wire.Event{Type: wire.TypeState, State: &wire.State{State: state, Raw: "operator " + actor.Name}}
		if err := s.report(c, r, actor, ev); err != nil {
			return nil, err
		}
		s.Notify()
		msg := i18n.T(requestLang(c), "station.msg.idle_again", "line", l.ID)
		if state == wire.StateRunning {
			msg = i18n.T(requestLang(c), "station.msg.running_again", "line", l.ID)
		}
		return StopResult{Line: l.ID, State: state, Message: msg}, nil
	})
}

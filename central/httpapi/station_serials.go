package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
)

// SerialScanResult is what registering serials at a station did.
type SerialScanResult struct {
	ScanResult
	Serials []domain.Serial `json:"serials"`
}

// registerStationSerials adds the station's serial route (with the
// materials API only).
func (s *Server) registerStationSerials() {
	s.handle(http.MethodPost, "/api/v1/stations/:id/serials", s.stationSerials, Authenticated,
		"generate serials at a station for a work order of its line: {work_order, generate: n}; a serial-tracked product's scanned serial goes through /scan (audited)", floor...)
	s.lineScoped(http.MethodPost, "/api/v1/stations/:id/serials")
}

// scanSerial registers a scanned code as the serial of a part of the work
// order running (or paused) on the station's line, when that work order's
// product is serial-tracked and the code carries its prefix. ok is false
// when the code is no serial there (the caller answers "unknown code").
func (s *Server) scanSerial(c echo.Context, st domain.Station, code string, actor domain.Actor) (res any, ok bool, err error) {
	ctx := c.Request().Context()
	views, err := s.opts.Store.ListLines(ctx)
	if err != nil {
		return nil, true, err
	}
	var active *domain.ActiveWork
	for _, v := range views {
		if v.ID == st.LineID {
			active = v.Active
		}
	}
	if active == nil {
		return nil, false, nil
	}
	w, err := s.opts.Store.GetWorkOrder(ctx, active.WorkOrderID)
	if err != nil {
		return nil, true, err
	}
	rec, err := s.opts.Store.GetOrderRecord(ctx, w.OrderNumber)
	if err != nil {
		return nil, true, err
	}
	cfg, err := s.opts.Inventory.SerialConfig(ctx, rec.Order.ProductCode)
	if err != nil || !cfg.Tracked || !strings.HasPrefix(code, cfg.Prefix) || domain.CheckSerial("code", code) != nil {
		return nil, false, nil
	}
	list, err := s.opts.Inventory.RegisterSerials(ctx, w.ID, domain.SerialRequest{Serials: []string{code}, Station: st.ID}, actor)
	if err != nil {
		if p, ok := apiError(err).(*Problem); ok {
			p.Field = "code"
			return nil, true, p
		}
		return nil, true, err
	}
	r := s.result("serial", &w, actor.Name, i18n.T(requestLang(c), "station.msg.serial", "serial", code, "wo", w.ID))
	return SerialScanResult{ScanResult: r, Serials: list}, true, nil
}

type serialsRequest struct {
	WorkOrder string `json:"work_order"`
	Generate  int    `json:"generate"`
	Operator  string `json:"operator"`
	ClientID  string `json:"client_id"` // a repeat of it generates once
}

// stationSerials serves POST /api/v1/stations/:id/serials: new serials
// from the product's sequence for a started work order of the line.
func (s *Server) stationSerials(c echo.Context) error {
	var req serialsRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Generate < 1 || req.Generate > domain.MaxSerialsAtOnce {
		return invalid("generate", "generate must be a whole number from 1 to "+strconv.Itoa(domain.MaxSerialsAtOnce))
	}
	st, err := s.station(c)
	if err != nil {
		return err
	}
	actor, err := s.actorAt(c, st, req.Operator)
	if err != nil {
		return err
	}
	return s.stationOnce(c, "serials", req.ClientID, "", func() (any, error) {
		w, err := s.stationWorkOrder(c, st, req.WorkOrder)
		if err != nil {
			return nil, err
		}
		switch w.Status {
		case domain.StatusInProgress, domain.StatusPaused, domain.StatusCompleted:
		default:
			return nil, &Problem{Status: http.StatusConflict, Field: "work_order", Detail: "work order " + w.ID + " is " + string(w.Status) + "; serials are given to started work"}
		}
		list, err := s.opts.Inventory.RegisterSerials(c.Request().Context(), w.ID, domain.SerialRequest{Generate: req.Generate, Station: st.ID}, actor)
		if err != nil {
			return nil, apiError(err)
		}
		msg := i18n.T(requestLang(c), "station.msg.serials_generated", "n", strconv.Itoa(len(list)), "wo", w.ID,
			"first", list[0].Serial, "last", list[len(list)-1].Serial)
		return SerialScanResult{ScanResult: s.result("serials", &w, actor.Name, msg), Serials: list}, nil
	})
}

package httpapi

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/i18n"
	"github.com/linewise/linewise/edge/wire"
)

// Quality at the station: inspection plans per product (master data,
// set by quality), IPQC/OQC inspections judged by central, quality holds
// that stop a work order's scans and reports until quality releases them,
// and nonconformances with their disposition.

//go:embed web/quality.html
var qualityPage []byte

// QualityStore keeps plans, inspections, holds and nonconformances (central/store).
type QualityStore interface {
	PutInspectionPlan(ctx context.Context, p domain.QCPlan, actor domain.Actor) (domain.QCPlan, error)
	GetInspectionPlan(ctx context.Context, product, kind string) (domain.QCPlan, error)
	ListInspectionPlans(ctx context.Context, product string) ([]domain.QCPlan, error)
	RecordInspection(ctx context.Context, in domain.QCInspection, hold bool, actor domain.Actor) (domain.QCInspection, error)
	ListInspections(ctx context.Context, workOrder string) ([]domain.QCInspection, error)
	OpenHold(ctx context.Context, h domain.Hold, actor domain.Actor) (domain.Hold, error)
	OpenHoldOn(ctx context.Context, workOrder string) (domain.Hold, error)
	ReleaseHold(ctx context.Context, id, note string, actor domain.Actor) (domain.Hold, error)
	ListHolds(ctx context.Context, openOnly bool) ([]domain.Hold, error)
	ListNonconformances(ctx context.Context, openOnly bool) ([]domain.Nonconformance, error)
	Dispose(ctx context.Context, id, disposition, note string, actor domain.Actor) (domain.Nonconformance, error)
}

var (
	qualityRoles   = []domain.Role{domain.RoleQuality, domain.RoleAdmin}
	qualityReaders = []domain.Role{domain.RoleQuality, domain.RoleSupervisor, domain.RolePlanner, domain.RoleManager, domain.RoleAdmin}
	inspectors     = []domain.Role{domain.RoleOperator, domain.RoleSupervisor, domain.RoleQuality, domain.RoleAdmin}
)

func (s *Server) registerQuality() {
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	s.handle(get, "/quality", func(c echo.Context) error { return htmlPage(c, qualityPage) }, Authenticated,
		"quality page (HTML): open holds, nonconformances awaiting disposition, recent inspections", qualityReaders...)
	s.handle(get, "/api/v1/products/:code/inspection-plans", s.listPlans, Authenticated, "a product's IPQC and OQC inspection plans", anyRole...)
	s.handle(put, "/api/v1/products/:code/inspection-plans/:kind", s.putPlan, Authenticated,
		"set a product's ipqc or oqc plan: sample_size, characteristics (name, unit, lower, upper), hold_on_fail (audited)", qualityRoles...)
	s.handle(get, "/api/v1/stations/:id/inspection-plans", s.stationPlans, Authenticated,
		"the inspection plans of a work order's product (?work_order=, of this station's line)", anyRole...)
	s.stationRead("/api/v1/stations/:id/inspection-plans")
	s.handle(post, "/api/v1/stations/:id/inspections", s.stationInspect, Authenticated,
		"enter an IPQC or OQC inspection against the product's plan; central judges pass/fail, a failure opens a nonconformance, a quality_failure exception (a qc event through ingest) and, per the plan, a hold on the work order; once per client_id", inspectors...)
	s.lineScoped(post, "/api/v1/stations/:id/inspections")
	s.handle(get, "/api/v1/quality/inspections", s.listInspections, Authenticated, "inspections, newest first (?work_order=)", qualityReaders...)
	s.handle(get, "/api/v1/quality/holds", s.listHolds, Authenticated, "quality holds, newest first (?status=open|all, default open)", qualityReaders...)
	s.handle(post, "/api/v1/quality/holds", s.openHold, Authenticated, "put a work order, or a lot (then blocked until the release), on quality hold with a reason (audited)", qualityRoles...)
	s.handle(post, "/api/v1/quality/holds/:id/release", s.releaseHold, Authenticated, "release a quality hold with a note (a lot's hold releases the lot; audited)", qualityRoles...)
	s.handle(get, "/api/v1/quality/nonconformances", s.listNCs, Authenticated,
		"nonconformances, newest first (?status=open|all, default open)", qualityReaders...)
	s.handle(post, "/api/v1/quality/nonconformances/:id/disposition", s.dispose, Authenticated,
		"decide a nonconformance: rework, scrap or use_as_is (with a note), recording who decided (audited)", qualityRoles...)
}

// refuseOnHold is the station's answer for a work order on quality hold.
func (s *Server) refuseOnHold(c echo.Context, w domain.WorkOrder, field string) error {
	h, err := s.opts.Store.OpenHoldOn(c.Request().Context(), w.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return &Problem{Status: http.StatusConflict, Field: field,
		Detail: i18n.T(requestLang(c), "station.err.on_hold", "wo", w.ID, "reason", h.Reason)}
}

func (s *Server) listPlans(c echo.Context) error {
	ps, err := s.opts.Store.ListInspectionPlans(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ps)
}

func (s *Server) putPlan(c echo.Context) error {
	var p domain.QCPlan
	if err := bindJSON(c, &p); err != nil {
		return err
	}
	p.Product, p.Kind = c.Param("code"), c.Param("kind")
	if err := p.Validate(); err != nil {
		return apiError(err)
	}
	p, err := s.opts.Store.PutInspectionPlan(c.Request().Context(), p, principal(c).Actor())
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "code", Detail: "product " + c.Param("code") + " does not exist"}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) stationPlans(c echo.Context) error {
	st, err := s.station(c)
	if err != nil {
		return err
	}
	w, err := s.stationWorkOrder(c, st, c.QueryParam("work_order"))
	if err != nil {
		return err
	}
	rec, err := s.opts.Store.GetOrderRecord(c.Request().Context(), w.OrderNumber)
	if err != nil {
		return err
	}
	ps, err := s.opts.Store.ListInspectionPlans(c.Request().Context(), rec.ProductCode)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ps)
}

type inspectRequest struct {
	WorkOrder    string               `json:"work_order"`
	Kind         string               `json:"kind"`
	Measurements []domain.Measurement `json:"measurements"`
	Lot          string               `json:"lot"` // the lot inspected, held with the work order on a failure
	Operator     string               `json:"operator"`
	ClientID     string               `json:"client_id"`
}

// inspectorAt is actorAt for inspections, which quality may enter too.
func (s *Server) inspectorAt(c echo.Context, st domain.Station, operator string) (domain.Actor, error) {
	if p := principal(c); p != nil && p.Role == domain.RoleQuality {
		if !p.MayUseLine(st.LineID) {
			return domain.Actor{}, &Problem{Status: http.StatusForbidden, Field: "line", Detail: "this token is limited to line " + p.LineScope}
		}
		return p.Actor(), nil
	}
	return s.actorAt(c, st, operator)
}

func (s *Server) stationInspect(c echo.Context) error {
	var req inspectRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Kind != domain.InspectIPQC && req.Kind != domain.InspectOQC {
		return invalid("kind", "kind must be ipqc or oqc")
	}
	st, err := s.station(c)
	if err != nil {
		return err
	}
	actor, err := s.inspectorAt(c, st, req.Operator)
	if err != nil {
		return err
	}
	if strings.TrimSpace(req.ClientID) == "" {
		return invalid("client_id", "client_id is required: make one per inspection, and send it again with a retry")
	}
	if req.Lot = strings.TrimSpace(req.Lot); req.Lot != "" {
		if s.opts.Inventory == nil {
			return invalid("lot", "this central keeps no lots")
		}
		if _, err := s.opts.Inventory.GetLot(c.Request().Context(), req.Lot); errors.Is(err, domain.ErrNotFound) {
			return &Problem{Status: http.StatusNotFound, Field: "lot", Detail: "lot " + req.Lot + " does not exist"}
		} else if err != nil {
			return err
		}
	}
	return s.stationOnce(c, "inspection", req.ClientID, "", func() (any, error) {
		ctx := c.Request().Context()
		w, err := s.stationWorkOrder(c, st, req.WorkOrder)
		if err != nil {
			return nil, err
		}
		rec, err := s.opts.Store.GetOrderRecord(ctx, w.OrderNumber)
		if err != nil {
			return nil, err
		}
		plan, err := s.opts.Store.GetInspectionPlan(ctx, rec.ProductCode, req.Kind)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, &Problem{Status: http.StatusConflict, Field: "kind", Detail: "product " + rec.ProductCode + " has no " + req.Kind + " inspection plan"}
		}
		if err != nil {
			return nil, err
		}
		ms, pass, err := plan.Judge(req.Measurements)
		if err != nil {
			return nil, apiError(err)
		}
		in, err := s.opts.Store.RecordInspection(ctx, domain.QCInspection{WorkOrder: w.ID, Line: st.LineID, Station: st.ID, Kind: req.Kind,
			Pass: pass, Measurements: ms, Lot: req.Lot}, plan.HoldOnFail, actor)
		if err != nil {
			if p, ok := apiError(err).(*Problem); ok && p.Status < 500 {
				p.Field = "lot"
				return nil, p
			}
			return nil, err
		}
		// Each characteristic is a qc event through ingest, as a gauge's
		// would be: a failed one opens (or adds to) quality_failure.
		if s.opts.Ingest != nil {
			for i, m := range ms {
				c0 := plan.Characteristics[i]
				v := m.Values[0]
				for _, x := range m.Values {
					if !c0.Within(x) {
						v = x
						break
					}
				}
				r := domain.StationReport{ClientID: strings.TrimSpace(req.ClientID) + "/" + m.Characteristic, Station: st.ID, Line: st.LineID,
					WorkOrder: w.ID, Kind: "qc", Reason: in.ID}
				ev := wire.Event{Type: wire.TypeQC, QC: &wire.QC{Station: st.ID, Unit: w.ID, Characteristic: m.Characteristic,
					Value: v, Lower: c0.Lower, Upper: c0.Upper, Pass: m.Pass}}
				if err := s.report(c, r, actor, ev); err != nil {
					return nil, err
				}
			}
		}
		s.Notify()
		return in, nil
	})
}

func (s *Server) listInspections(c echo.Context) error {
	xs, err := s.opts.Store.ListInspections(c.Request().Context(), c.QueryParam("work_order"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, xs)
}

func openOnly(c echo.Context) (bool, error) {
	switch c.QueryParam("status") {
	case "", "open":
		return true, nil
	case "all":
		return false, nil
	}
	return false, invalid("status", "status must be open or all")
}

func (s *Server) listHolds(c echo.Context) error {
	only, err := openOnly(c)
	if err != nil {
		return err
	}
	hs, err := s.opts.Store.ListHolds(c.Request().Context(), only)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, hs)
}

type holdRequest struct {
	WorkOrder string `json:"work_order"`
	Lot       string `json:"lot"` // instead of work_order: hold (block) a lot
	Reason    string `json:"reason"`
	Note      string `json:"note"`
}

func (s *Server) openHold(c echo.Context) error {
	var req holdRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		return invalid("reason", "reason is required")
	}
	if e := domain.CheckText("reason", req.Reason, 500); e != nil {
		return apiError(e)
	}
	if req.Lot = strings.TrimSpace(req.Lot); req.Lot != "" {
		if req.WorkOrder != "" {
			return invalid("lot", "give work_order or lot, not both")
		}
		h, err := s.opts.Store.OpenHold(c.Request().Context(), domain.Hold{Lot: req.Lot, Reason: req.Reason}, principal(c).Actor())
		if err != nil {
			if p, ok := apiError(err).(*Problem); ok {
				p.Field = "lot"
				return p
			}
			return err
		}
		s.Notify()
		return c.JSON(http.StatusCreated, h)
	}
	w, err := s.opts.Store.GetWorkOrder(c.Request().Context(), req.WorkOrder)
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "work_order", Detail: "work order " + req.WorkOrder + " does not exist"}
	}
	if err != nil {
		return err
	}
	h, err := s.opts.Store.OpenHold(c.Request().Context(), domain.Hold{WorkOrder: w.ID, Line: w.LineID, Reason: req.Reason}, principal(c).Actor())
	if err != nil {
		if p, ok := apiError(err).(*Problem); ok {
			p.Field = "work_order"
			return p
		}
		return err
	}
	s.Notify()
	return c.JSON(http.StatusCreated, h)
}

func (s *Server) releaseHold(c echo.Context) error {
	var req holdRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	req.Note = strings.TrimSpace(req.Note)
	if req.Note == "" {
		return invalid("note", "note is required: say why the work order may go on")
	}
	if e := domain.CheckText("note", req.Note, 500); e != nil {
		return apiError(e)
	}
	h, err := s.opts.Store.ReleaseHold(c.Request().Context(), c.Param("id"), req.Note, principal(c).Actor())
	if err != nil {
		return apiError(err)
	}
	s.Notify()
	return c.JSON(http.StatusOK, h)
}

func (s *Server) listNCs(c echo.Context) error {
	only, err := openOnly(c)
	if err != nil {
		return err
	}
	ns, err := s.opts.Store.ListNonconformances(c.Request().Context(), only)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ns)
}

type dispositionRequest struct {
	Disposition string `json:"disposition"`
	Note        string `json:"note"`
}

func (s *Server) dispose(c echo.Context) error {
	var req dispositionRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	req.Note = strings.TrimSpace(req.Note)
	if err := domain.CheckDisposition(req.Disposition, req.Note); err != nil {
		return apiError(err)
	}
	n, err := s.opts.Store.Dispose(c.Request().Context(), c.Param("id"), req.Disposition, req.Note, principal(c).Actor())
	if err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, n)
}

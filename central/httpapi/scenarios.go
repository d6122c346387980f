package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"

	plansvc "github.com/linewise/linewise/central/planning"
)

// ScenarioPlanner computes scenarios and compares proposals side by side
// (planning.Service); the routes exist when the Planner is one.
type ScenarioPlanner interface {
	Scenario(ctx context.Context, r plansvc.ScenarioRequest) (*plansvc.Proposal, error)
	Compare(ctx context.Context, ids []string) (*plansvc.Comparison, error)
}

type scenarioRequest struct {
	Name     string     `json:"name"`
	Order    string     `json:"order,omitempty"`
	Priority *int       `json:"priority,omitempty"`
	Due      *time.Time `json:"due,omitempty"`
	Line     string     `json:"line,omitempty"`
}

func init() {
	bodySchemas["POST /api/v1/schedule/scenarios"] = schemaOf(reflect.TypeFor[scenarioRequest]())
	queryParams["GET /api/v1/schedule/scenarios"] = []queryParam{
		{"ids", "", "proposal ids to compare, comma-separated; default: every pending proposal"},
	}
}

//go:embed web/scenarios.html
var scenariosPage []byte

func (s *Server) enableScenarios(sp ScenarioPlanner) {
	h := &scenarioHandlers{p: sp, s: s}
	s.handle(http.MethodGet, "/planner/scenarios", func(c echo.Context) error { return htmlPage(c, scenariosPage) }, Authenticated,
		"scenarios page: compute scenarios and compare them side by side with the current plan (HTML)", anyRole...)
	s.handle(http.MethodGet, "/api/v1/schedule/scenarios", h.compare, Authenticated,
		"the current plan's figures beside proposals' (makespan, late orders, weighted tardiness, moved operations, changeovers, overtime)", anyRole...)
	s.handle(http.MethodPost, "/api/v1/schedule/scenarios", h.create, Authenticated,
		"compute a scenario (a rush held to a line, or a plain re-plan) as a pending proposal kept beside the others", planning...)
}

type scenarioHandlers struct {
	p ScenarioPlanner
	s *Server
}

func (h *scenarioHandlers) compare(c echo.Context) error {
	var ids []string
	for _, id := range strings.Split(c.QueryParam("ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > 20 {
		return invalid("ids", "at most 20 proposals at once")
	}
	v, err := h.p.Compare(c.Request().Context(), ids)
	if err != nil {
		return planError(err)
	}
	return c.JSON(http.StatusOK, v)
}

func (h *scenarioHandlers) create(c echo.Context) error {
	var req scenarioRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if len(req.Name) > 200 {
		return invalid("name", "must be at most 200 characters")
	}
	p, err := h.p.Scenario(c.Request().Context(), plansvc.ScenarioRequest{Name: req.Name, Order: req.Order,
		Priority: req.Priority, Due: req.Due, Line: req.Line})
	if err != nil {
		return planError(err)
	}
	// A rush scenario is a rush request of the planner's: management
	// decides it (rush.go).
	if rs, ok := h.s.opts.Store.(RushStore); ok && p.Kind == domain.ProposalRush {
		a := actor(c)
		if err := rs.CreateRushRequest(c.Request().Context(), domain.RushRequest{ProposalID: p.ID, Order: req.Order, RequestedBy: a.Name,
			RequestedRole: a.Role, RequestedAt: h.s.opts.Now().UTC(), Reason: req.Name, Line: req.Line}); err != nil {
			return apiError(err)
		}
	}
	return c.JSON(http.StatusCreated, p)
}

package httpapi

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	plansvc "github.com/linewise/linewise/central/planning"
)

//go:embed web/planner.html
var plannerPage []byte

// Planner is the rescheduler the schedule routes use (planning.Service).
type Planner interface {
	Current(ctx context.Context) (*plansvc.ScheduleView, error)
	Propose(ctx context.Context, r plansvc.Request) (*plansvc.Proposal, error)
	Rush(ctx context.Context, order string, priority *int, due *time.Time) (*plansvc.Proposal, error)
	Get(ctx context.Context, id string) (*plansvc.Proposal, error)
	List(ctx context.Context, status string) ([]*plansvc.Proposal, error)
	Approve(ctx context.Context, id string, by domain.Actor) (*plansvc.Proposal, error)
	Reject(ctx context.Context, id string, by domain.Actor) (*plansvc.Proposal, error)
	// OrderChanged proposes a reschedule after an order's quantity or due
	// date changed; nil when there is nothing to propose.
	OrderChanged(ctx context.Context, number, what string) (*plansvc.Proposal, error)
}

// EnableSchedule adds the planner page and the schedule API. Call it once,
// after New and before serving. Reads are open like the dashboard's; every
// write needs the planner or admin role.
func (s *Server) EnableSchedule(p Planner) {
	const get, post = http.MethodGet, http.MethodPost
	h := &scheduleHandlers{p: p}
	s.planner = p // PATCH /api/v1/orders/:number asks it for a proposal (orders.go)
	s.handle(get, "/planner", func(c echo.Context) error { return htmlPage(c, plannerPage) }, Authenticated,
		"planner page: Gantt per line and pending proposals (HTML)", anyRole...)
	s.handle(get, "/api/v1/schedule", h.current, Authenticated, "the current plan per line, Gantt-ready, with order summaries", anyRole...)
	s.handle(get, "/api/v1/schedule/proposals", h.list, Authenticated, "schedule proposals, newest first (?status=pending|approved|rejected)", anyRole...)
	s.handle(post, "/api/v1/schedule/proposals", h.propose, Authenticated, "compute a reschedule proposal with its diff", planning...)
	s.handle(get, "/api/v1/schedule/proposals/:id", h.get, Authenticated, "a proposal: its plan and diff against the current plan", anyRole...)
	s.handle(post, "/api/v1/schedule/proposals/:id/approve", h.approve, Authenticated, "make a proposal the current plan", planning...)
	s.handle(post, "/api/v1/schedule/proposals/:id/reject", h.reject, Authenticated, "reject a proposal; nothing changes", planning...)
	s.enableRush(p) // rush.go
	if sp, ok := p.(ScenarioPlanner); ok {
		s.enableScenarios(sp)
	}
}

type scheduleHandlers struct{ p Planner }

// planError maps planning errors: an unplannable request is a 422 that
// names the order and step; the rest as every handler does.
func planError(err error) error {
	var ue *plansvc.UnplannableError
	if errors.As(err, &ue) {
		return &Problem{Status: http.StatusUnprocessableEntity, Title: "Cannot be planned", Detail: ue.Error()}
	}
	return apiError(err)
}

func actor(c echo.Context) domain.Actor {
	if p := principal(c); p != nil {
		return p.Actor()
	}
	return domain.Actor{Name: "anonymous"}
}

func (h *scheduleHandlers) current(c echo.Context) error {
	v, err := h.p.Current(c.Request().Context())
	if err != nil {
		return planError(err)
	}
	return c.JSON(http.StatusOK, v)
}

func (h *scheduleHandlers) list(c echo.Context) error {
	status := c.QueryParam("status")
	switch status {
	case "", domain.ProposalPending, domain.ProposalApproved, domain.ProposalRejected:
	default:
		return invalid("status", "status must be pending, approved or rejected")
	}
	ps, err := h.p.List(c.Request().Context(), status)
	if err != nil {
		return planError(err)
	}
	return c.JSON(http.StatusOK, ps)
}

type proposeRequest struct {
	Reason string `json:"reason"`
	Kind   string `json:"kind"` // manual (default) or order_changed
}

func (h *scheduleHandlers) propose(c echo.Context) error {
	var req proposeRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	switch req.Kind {
	case "", domain.ProposalManual, domain.ProposalOrderChange:
	default:
		return invalid("kind", "kind must be manual or order_changed")
	}
	p, err := h.p.Propose(c.Request().Context(), plansvc.Request{Kind: req.Kind, Reason: req.Reason})
	if err != nil {
		return planError(err)
	}
	return c.JSON(http.StatusCreated, p)
}

func (h *scheduleHandlers) get(c echo.Context) error {
	p, err := h.p.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return planError(err)
	}
	setETag(c, proposalETag(p))
	return c.JSON(http.StatusOK, p)
}

// proposalETag changes when a proposal is decided, superseded or goes
// stale (another plan approved since it was computed).
func proposalETag(p *plansvc.Proposal) string {
	return domain.HashETag(struct {
		ID, Status, By string
		Stale          bool
		Base           int64
	}{p.ID, p.Status, p.SupersededBy, p.Stale, p.BaseVersion})
}

// decide approves or rejects a proposal; with If-Match, only the version
// the planner looked at.
func (h *scheduleHandlers) decide(c echo.Context, do func(ctx context.Context, id string, a domain.Actor) (*plansvc.Proposal, error)) error {
	ctx, id := c.Request().Context(), c.Param("id")
	if ifMatch(c) != "" {
		cur, err := h.p.Get(ctx, id)
		if err != nil {
			return planError(err)
		}
		if err := checkMatch(c, proposalETag(cur)); err != nil {
			return staleOr(err, "proposal "+id)
		}
	}
	p, err := do(ctx, id, actor(c))
	if err != nil {
		return planError(err)
	}
	setETag(c, proposalETag(p))
	return c.JSON(http.StatusOK, p)
}

// approve approves a proposal; a rush is management's to approve, at
// POST /api/v1/rush/{id}/approve.
func (h *scheduleHandlers) approve(c echo.Context) error {
	p, err := h.p.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return planError(err)
	}
	if p.Kind == domain.ProposalRush {
		return &Problem{Status: http.StatusForbidden, Field: "role",
			Detail: "a rush insertion is approved by management, not by the one who asked: POST /api/v1/rush/" + p.ID + "/approve"}
	}
	return h.decide(c, h.p.Approve)
}

func (h *scheduleHandlers) reject(c echo.Context) error { return h.decide(c, h.p.Reject) }

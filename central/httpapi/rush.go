package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	plansvc "github.com/linewise/linewise/central/planning"
)

// RushStore keeps who asked for a rush insertion and management's decision
// (central/store implements it).
type RushStore interface {
	CreateRushRequest(ctx context.Context, r domain.RushRequest) error
	GetRushRequest(ctx context.Context, proposalID string) (domain.RushRequest, error)
	ListRushRequests(ctx context.Context, status string, limit int) ([]domain.RushRequest, error)
	RejectRushRequest(ctx context.Context, proposalID string, by domain.Actor, comment string) (domain.RushRequest, error)
}

// rushApprover approves a proposal with the approver's comment
// (planning.Service).
type rushApprover interface {
	ApproveWithComment(ctx context.Context, id string, by domain.Actor, comment string) (*plansvc.Proposal, error)
}

func init() {
	bodySchemas["POST /api/v1/orders/:number/rush"] = schemaOf(reflect.TypeFor[rushRequestBody]())
	bodySchemas["POST /api/v1/rush/:id/approve"] = schemaOf(reflect.TypeFor[rushDecisionBody]())
	bodySchemas["POST /api/v1/rush/:id/reject"] = schemaOf(reflect.TypeFor[rushDecisionBody]())
	responseSchemas["GET /api/v1/rush"] = schemaOf(reflect.TypeFor[[]rushView]())
	responseSchemas["GET /api/v1/rush/:id"] = schemaOf(reflect.TypeFor[rushView]())
	queryParams["GET /api/v1/rush"] = []queryParam{{"status", "", "pending (default), approved or rejected"}}
}

// rushRequesters ask for rush insertions: sales for their customers,
// planners for the plant.
var rushRequesters = []domain.Role{domain.RolePlanner, domain.RoleSales, domain.RoleAdmin}

// enableRush adds the rush routes beside the schedule's (EnableSchedule).
func (s *Server) enableRush(p Planner) {
	rs, ok := s.opts.Store.(RushStore)
	if !ok {
		return
	}
	h := &rushHandlers{s: s, p: p, rs: rs}
	approvers := s.opts.Rush.ApproverRoles()
	s.handle(http.MethodPost, "/api/v1/orders/:number/rush", h.request, Authenticated,
		"ask for a rush insertion of an order (new priority and due date, a reason; rush_line: on the rush line, for a grade-A customer's small order): a pending proposal with its impact report, decided by management", rushRequesters...)
	s.handle(http.MethodGet, "/api/v1/rush", h.list, Authenticated,
		"rush requests with their impact report (?status=pending|approved|rejected; default pending): the orders that slip, by how much, their customers and grades", anyRole...)
	s.handle(http.MethodGet, "/api/v1/rush/:id", h.get, Authenticated, "one rush request with its impact report", anyRole...)
	s.handle(http.MethodPost, "/api/v1/rush/:id/approve", h.approve, Authenticated,
		"approve a rush insertion (management, not the one who asked): the plan changes, the order's priority and due date change (audited) and management is told", approvers...)
	s.handle(http.MethodPost, "/api/v1/rush/:id/reject", h.reject, Authenticated,
		"reject a rush insertion with a comment (management, not the one who asked); the plan stays", approvers...)
}

type rushHandlers struct {
	s  *Server
	p  Planner
	rs RushStore
}

type rushRequestBody struct {
	Priority *int       `json:"priority"`
	Due      *time.Time `json:"due"`
	Reason   string     `json:"reason"`
	// RushLine holds the order to the configured rush line (rush.line).
	RushLine bool `json:"rush_line"`
}

// slipImpact is one order the rush makes later.
type slipImpact struct {
	plansvc.OrderSlip
	Customer      string `json:"customer"`
	CustomerName  string `json:"customer_name"`
	CustomerGrade string `json:"customer_grade"`
	Product       string `json:"product"`
}

// rushView is a rush request as the approver sees it.
type rushView struct {
	domain.RushRequest
	RushOrder      domain.Order `json:"rush_order"`
	PriorityBefore int          `json:"priority_before"`
	PriorityAfter  *int         `json:"priority_after"`
	DueBefore      *time.Time   `json:"due_before"`
	DueAfter       *time.Time   `json:"due_after"`
	// Proposal is the plan change's status (pending, approved, expired…);
	// Stale: another plan was approved since it was computed.
	Proposal    string       `json:"proposal_status"`
	Stale       bool         `json:"stale"`
	Slips       []slipImpact `json:"slips"`
	NewlyLate   []string     `json:"newly_late"`
	LateBefore  int          `json:"late_before"`
	LateAfter   int          `json:"late_after"`
	Moved       int          `json:"moved_operations"`
	LineChanges int          `json:"line_changes"`
}

func (h *rushHandlers) request(c echo.Context) error {
	var req rushRequestBody
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if e := domain.CheckText("reason", req.Reason, 500); e != nil {
		return apiError(e)
	}
	ctx, number := c.Request().Context(), c.Param("number")
	a := actor(c)
	var prop *plansvc.Proposal
	var err error
	line := ""
	if req.RushLine {
		o, err := h.s.opts.Store.GetOrderRecord(ctx, number)
		if err != nil {
			return apiError(err)
		}
		rules := h.s.opts.Rush
		if err := rules.CheckRushLine(o.Order); err != nil {
			return apiError(err)
		}
		sp, ok := h.p.(ScenarioPlanner)
		if !ok {
			return &Problem{Status: http.StatusConflict, Field: "rush_line", Detail: "this planner cannot hold an order to a line"}
		}
		line = rules.Line
		prop, err = sp.Scenario(ctx, plansvc.ScenarioRequest{Name: "rush " + number + " on the rush line " + line, Order: number,
			Priority: req.Priority, Due: req.Due, Line: line})
		if err != nil {
			return planError(err)
		}
	} else if prop, err = h.p.Rush(ctx, number, req.Priority, req.Due); err != nil {
		return planError(err)
	}
	r := domain.RushRequest{ProposalID: prop.ID, Order: number, RequestedBy: a.Name, RequestedRole: a.Role, RequestedAt: h.s.opts.Now().UTC(),
		Reason: req.Reason, Line: line}
	if err := h.rs.CreateRushRequest(ctx, r); err != nil {
		return apiError(err)
	}
	r.Status = domain.RushPending
	return c.JSON(http.StatusCreated, struct {
		*plansvc.Proposal
		Request domain.RushRequest `json:"request"`
	}{prop, r})
}

func (h *rushHandlers) list(c echo.Context) error {
	status := c.QueryParam("status")
	switch status {
	case "":
		status = domain.RushPending
	case domain.RushPending, domain.RushApproved, domain.RushRejected:
	default:
		return invalid("status", "status must be pending, approved or rejected")
	}
	ctx := c.Request().Context()
	rs, err := h.rs.ListRushRequests(ctx, status, 50)
	if err != nil {
		return err
	}
	out := []rushView{}
	for _, r := range rs {
		v, err := h.view(ctx, r)
		if err != nil {
			return planError(err)
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, out)
}

func (h *rushHandlers) get(c echo.Context) error {
	ctx := c.Request().Context()
	r, err := h.rs.GetRushRequest(ctx, c.Param("id"))
	if err != nil {
		return apiError(err)
	}
	v, err := h.view(ctx, r)
	if err != nil {
		return planError(err)
	}
	return c.JSON(http.StatusOK, v)
}

// view joins a request with its proposal's impact and the customers of the
// orders it slips.
func (h *rushHandlers) view(ctx context.Context, r domain.RushRequest) (rushView, error) {
	v := rushView{RushRequest: r, Slips: []slipImpact{}, NewlyLate: []string{}}
	o, err := h.s.opts.Store.GetOrderRecord(ctx, r.Order)
	if err != nil {
		return v, err
	}
	v.RushOrder, v.PriorityBefore, v.DueBefore = o.Order, o.Priority, o.Due
	p, err := h.p.Get(ctx, r.ProposalID)
	if errors.Is(err, domain.ErrNotFound) {
		v.Proposal = "gone" // the proposal was removed: nothing to approve
		return v, nil
	}
	if err != nil {
		return v, err
	}
	if p.Rush != nil {
		v.PriorityAfter, v.DueAfter = p.Rush.Priority, p.Rush.Due
	}
	v.Proposal, v.Stale = p.Status, p.Stale
	v.LateBefore, v.LateAfter, v.Moved = p.Diff.LateBefore, p.Diff.LateAfter, len(p.Diff.Moved)
	for _, m := range p.Diff.Moved {
		if m.FromLine != m.ToLine {
			v.LineChanges++
		}
	}
	v.NewlyLate = append(v.NewlyLate, p.Diff.DueDatesLost...)
	for _, sl := range p.Diff.Slips {
		if sl.Order == r.Order {
			continue
		}
		si := slipImpact{OrderSlip: sl}
		if so, err := h.s.opts.Store.GetOrderRecord(ctx, sl.Order); err == nil {
			si.Customer, si.CustomerName, si.CustomerGrade, si.Product = so.Customer, so.CustomerName, so.CustomerGrade, so.ProductCode
		}
		v.Slips = append(v.Slips, si)
	}
	return v, nil
}

type rushDecisionBody struct {
	Comment string `json:"comment"`
}

// decision reads the body and the request and checks the caller may decide it.
func (h *rushHandlers) decision(c echo.Context, needComment bool) (domain.RushRequest, string, error) {
	var body rushDecisionBody
	if err := bindJSON(c, &body); err != nil {
		return domain.RushRequest{}, "", err
	}
	if e := domain.CheckText("comment", body.Comment, 500); e != nil {
		return domain.RushRequest{}, "", apiError(e)
	}
	if needComment && strings.TrimSpace(body.Comment) == "" {
		return domain.RushRequest{}, "", invalid("comment", "a rejection needs a comment saying why")
	}
	r, err := h.rs.GetRushRequest(c.Request().Context(), c.Param("id"))
	if err != nil {
		return r, "", apiError(err)
	}
	if err := h.s.opts.Rush.CheckApprover(actor(c), r); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return r, "", &Problem{Status: http.StatusConflict, Field: "approver", Detail: cleanMessage(err)}
		}
		return r, "", apiError(err)
	}
	return r, body.Comment, nil
}

func (h *rushHandlers) approve(c echo.Context) error {
	r, comment, err := h.decision(c, false)
	if err != nil {
		return err
	}
	ctx, a := c.Request().Context(), actor(c)
	before, err := h.view(ctx, r)
	if err != nil {
		return planError(err)
	}
	ap, ok := h.p.(rushApprover)
	if !ok {
		return &Problem{Status: http.StatusConflict, Detail: "this planner cannot approve a rush"}
	}
	if _, err := ap.ApproveWithComment(ctx, r.ProposalID, a, comment); err != nil {
		return planError(err)
	}
	h.s.Notify()
	r, err = h.rs.GetRushRequest(ctx, r.ProposalID)
	if err != nil {
		return err
	}
	h.tell(ctx, before, r, a)
	v, err := h.view(ctx, r)
	if err != nil {
		return planError(err)
	}
	v.PriorityBefore, v.DueBefore = before.PriorityBefore, before.DueBefore
	return c.JSON(http.StatusOK, v)
}

// tell reports an approved rush to management, the planners and the one
// who asked: what changed on the order and how many orders slip.
func (h *rushHandlers) tell(ctx context.Context, v rushView, r domain.RushRequest, by domain.Actor) {
	prio := strconv.Itoa(v.PriorityBefore)
	if v.PriorityAfter != nil {
		prio += " → " + strconv.Itoa(*v.PriorityAfter)
	}
	due := "—"
	if v.DueBefore != nil {
		due = v.DueBefore.UTC().Format(time.RFC3339)
	}
	if v.DueAfter != nil {
		due += " → " + v.DueAfter.UTC().Format(time.RFC3339)
	}
	slips := strconv.Itoa(len(v.Slips))
	roles := append([]domain.Role{domain.RolePlanner}, h.s.opts.Rush.Approvers...)
	n := notify.Notice{Key: "rush:" + r.ProposalID + ":approved", Kind: "rush_approved", Severity: notify.SeverityInfo,
		TitleKey: "notify.rush_approved", Vars: map[string]string{"order": r.Order, "by": by.Name, "asked": r.RequestedBy, "priority": prio, "due": due, "slips": slips},
		Title: fmt.Sprintf("Rush insertion of order %s approved by %s (asked by %s): priority %s, due %s; %s orders slip", r.Order, by.Name, r.RequestedBy, prio, due, slips),
		Body:  r.Comment, Link: "/reviews", Roles: roles, Users: []string{r.RequestedBy}, At: h.s.opts.Now()}
	if err := h.s.opts.Notifier.Notify(ctx, n); err != nil {
		h.s.opts.Log.Warn("rush approved: notice not stored", "order", r.Order, "err", err)
	}
}

func (h *rushHandlers) reject(c echo.Context) error {
	r, comment, err := h.decision(c, true)
	if err != nil {
		return err
	}
	ctx, a := c.Request().Context(), actor(c)
	if _, err := h.p.Reject(ctx, r.ProposalID, a); err != nil {
		return planError(err)
	}
	if r, err = h.rs.RejectRushRequest(ctx, r.ProposalID, a, comment); err != nil {
		return apiError(err)
	}
	n := notify.Notice{Key: "rush:" + r.ProposalID + ":rejected", Kind: "rush_rejected", Severity: notify.SeverityInfo,
		TitleKey: "notify.rush_rejected", Vars: map[string]string{"order": r.Order, "by": a.Name, "comment": comment},
		Title: fmt.Sprintf("Rush insertion of order %s rejected by %s: %s", r.Order, a.Name, comment), Link: "/reviews",
		Users: []string{r.RequestedBy}, At: h.s.opts.Now()}
	if err := h.s.opts.Notifier.Notify(ctx, n); err != nil {
		h.s.opts.Log.Warn("rush rejected: notice not stored", "order", r.Order, "err", err)
	}
	v, err := h.view(ctx, r)
	if err != nil {
		return planError(err)
	}
	return c.JSON(http.StatusOK, v)
}

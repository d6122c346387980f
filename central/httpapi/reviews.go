package httpapi

import (
	"context"
	_ "embed"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
)

// CostEstimator prices an order before it is made: the standard cost of
// its quantity (store/costing implements it beside CostStore).
type CostEstimator interface {
	EstimateCost(ctx context.Context, number string) (domain.CostSheet, error)
}

//go:embed web/reviews.html
var reviewsPage []byte

// capacityWindow is how far ahead a reviewer sees the lines' load.
const capacityWindow = 7 * 24 * time.Hour

// registerReviews adds the review board: the reviewer's queue and a
// reviewer's rejection (signing is POST /api/v1/orders/:number/signoff).
func (s *Server) registerReviews() {
	signers := s.opts.Review.SignerRoles()
	s.handle(http.MethodGet, "/reviews", func(c echo.Context) error { return htmlPage(c, reviewsPage) }, Authenticated,
		"review board page (HTML): the orders waiting for your sign-off with their facts; sign or reject", reviewPageRoles(signers)...)
	s.handle(http.MethodGet, "/api/v1/reviews", s.reviewQueue, Authenticated,
		"orders under review waiting for a sign-off your role gives, with the facts: material availability, the lines' capacity load, the cost estimate", signers...)
	s.handle(http.MethodPost, "/api/v1/reviews/:number/reject", s.reviewReject, Authenticated,
		"reject an order under review from a sign-off your role gives, with a comment (audited)", signers...)
}

// checkTechnicalChecklist: the technical sign-off confirms drawings, BOM
// and routing, each by name.
func checkTechnicalChecklist(kind domain.SignoffKind, confirmed map[string]bool) error {
	for k := range confirmed {
		if !slices.Contains(domain.TechnicalChecklist(), k) {
			return invalid("confirmed."+k, "confirmed takes drawings, bom and routing")
		}
	}
	if kind != domain.SignoffTechnical {
		if len(confirmed) > 0 {
			return invalid("confirmed", "only the technical sign-off confirms drawings, bom and routing")
		}
		return nil
	}
	for _, k := range domain.TechnicalChecklist() {
		if !confirmed[k] {
			return invalid("confirmed."+k, "technical coordination confirms drawings, bom and routing: "+k+" is not confirmed")
		}
	}
	return nil
}

type reviewWait struct {
	Kind domain.SignoffKind `json:"kind"`
	// Blocked says why it cannot be signed yet (technical coordination first).
	Blocked string     `json:"blocked,omitempty"`
	Since   *time.Time `json:"since"`
}

type lineLoad struct {
	Line string `json:"line"`
	Step int    `json:"step"`
	// NeedHours: what this order needs of the line (cycle × quantity + setup).
	NeedHours float64 `json:"need_h"`
	// PlannedHours: the line's planned work in the next WindowHours.
	PlannedHours float64 `json:"planned_h"`
	WindowHours  float64 `json:"window_h"`
	LoadPct      float64 `json:"load_pct"`
	WithOrderPct float64 `json:"with_order_pct"`
}

type costEstimate struct {
	Currency string        `json:"currency"`
	Material money.Amount  `json:"material"`
	Labour   money.Amount  `json:"labour"`
	Machine  money.Amount  `json:"machine"`
	Total    money.Amount  `json:"total"`
	Unit     money.Amount  `json:"unit"`
	Price    *money.Amount `json:"price"`   // per unit, when priced in the plant's currency
	Revenue  *money.Amount `json:"revenue"` // price × quantity
	Margin   *money.Amount `json:"margin"`  // revenue − total
	Missing  []string      `json:"missing"`
}

type reviewFacts struct {
	Material *domain.Availability `json:"material"`
	Capacity []lineLoad           `json:"capacity"`
	Cost     *costEstimate        `json:"cost"`
}

type reviewItem struct {
	domain.Order
	Coordination bool                 `json:"coordination"`
	SubmittedAt  *time.Time           `json:"submitted_at"`
	Required     []domain.SignoffKind `json:"required"`
	Signed       []domain.Signoff     `json:"signed"`
	// Mine: what the caller's role may sign of what is still missing.
	Mine  []reviewWait `json:"mine"`
	Facts reviewFacts  `json:"facts"`
}

// reviewQueue serves GET /api/v1/reviews.
func (s *Server) reviewQueue(c echo.Context) error {
	ctx, p := c.Request().Context(), principal(c)
	pol := s.opts.Review
	orders, err := s.opts.Store.SearchOrders(ctx, domain.OrderFilter{Status: []domain.OrderStatus{domain.StatusUnderReview}, Limit: 200})
	if err != nil {
		return err
	}
	var plan []planLine
	planRead := false
	out := []reviewItem{}
	for _, o := range orders {
		rec, err := s.opts.Store.GetOrderRecord(ctx, o.Number)
		if err != nil {
			return apiError(err)
		}
		var mine []reviewWait
		submitted := s.submittedAt(ctx, o.Number)
		for _, k := range pol.Pending(rec) {
			if !pol.CanSign(p.Role, k) {
				continue
			}
			w := reviewWait{Kind: k, Blocked: pol.Blocked(rec, k)}
			if submitted != nil && w.Blocked == "" {
				since := pol.WaitingSince(rec, k, *submitted)
				w.Since = &since
			}
			mine = append(mine, w)
		}
		if len(mine) == 0 {
			continue
		}
		it := reviewItem{Order: rec.Order, Coordination: pol.Coordinated(rec.OrderType), SubmittedAt: submitted,
			Required: pol.RequiredFor(rec.OrderType), Signed: []domain.Signoff{}, Mine: mine}
		for _, so := range rec.Signoffs {
			if so.Round == rec.ReviewRound {
				it.Signed = append(it.Signed, so)
			}
		}
		if s.opts.Inventory != nil {
			if av, err := s.opts.Inventory.Availability(ctx, o.Number); err == nil {
				it.Facts.Material = &av
			} else {
				s.opts.Log.Warn("review queue: availability", "order", o.Number, "err", err)
			}
		}
		if !planRead {
			plan, planRead = s.planLoads(ctx), true
		}
		it.Facts.Capacity = capacityOf(rec, plan)
		if ce, ok := s.opts.Cost.(CostEstimator); ok {
			if cs, err := ce.EstimateCost(ctx, o.Number); err == nil {
				it.Facts.Cost = estimateOf(cs, rec.Order)
			} else {
				s.opts.Log.Warn("review queue: cost estimate", "order", o.Number, "err", err)
			}
		}
		out = append(out, it)
	}
	return c.JSON(http.StatusOK, out)
}

// submittedAt is when the order was last submitted, from its audit trail.
func (s *Server) submittedAt(ctx context.Context, number string) *time.Time {
	es, err := s.opts.Store.ListAudit(ctx, domain.AuditFilter{Entity: "order", EntityID: number, Limit: 200})
	if err != nil {
		return nil
	}
	at, ok := domain.LastSubmit(es)
	if !ok {
		return nil
	}
	return &at
}

type planLine struct {
	line  string
	hours float64
}

// planLoads sums each line's planned work in the window ahead from the
// current plan (nil without a planner).
func (s *Server) planLoads(ctx context.Context) []planLine {
	if s.planner == nil {
		return nil
	}
	v, err := s.planner.Current(ctx)
	if err != nil {
		s.opts.Log.Warn("review queue: current plan", "err", err)
		return nil
	}
	from := s.opts.Now()
	to := from.Add(capacityWindow)
	var out []planLine
	for _, l := range v.Lines {
		var h float64
		for _, op := range l.Ops {
			a, b := op.SetupStart, op.End
			if a.IsZero() || op.Start.Before(a) {
				a = op.Start
			}
			if a.Before(from) {
				a = from
			}
			if b.After(to) {
				b = to
			}
			if b.After(a) {
				h += b.Sub(a).Hours()
			}
		}
		out = append(out, planLine{line: l.Line, hours: h})
	}
	return out
}

// capacityOf is the order's need on each routing line against the line's
// load in the window.
func capacityOf(rec domain.OrderRecord, plan []planLine) []lineLoad {
	out := []lineLoad{}
	win := capacityWindow.Hours()
	for _, op := range rec.Routing {
		need := (time.Duration(rec.Quantity)*op.IdealCycle + op.Setup).Hours()
		l := lineLoad{Line: op.LineID, Step: op.Seq, NeedHours: round1(need), WindowHours: win}
		for _, p := range plan {
			if p.line == op.LineID {
				l.PlannedHours = round1(p.hours)
			}
		}
		l.LoadPct = round1(l.PlannedHours / win * 100)
		l.WithOrderPct = round1((l.PlannedHours + need) / win * 100)
		out = append(out, l)
	}
	return out
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

// estimateOf takes the standard cost of the order's quantity from the
// estimate's cost sheet.
func estimateOf(cs domain.CostSheet, o domain.Order) *costEstimate {
	e := &costEstimate{Currency: cs.Currency, Material: cs.Standard.Material, Labour: cs.Standard.Labour, Machine: cs.Standard.Machine,
		Total: cs.Standard.Total, Unit: cs.StandardUnit, Missing: append([]string{}, cs.Missing...)}
	if o.Price != nil && o.Currency == cs.Currency {
		pr := *o.Price
		rev := money.MulDiv(pr, o.Quantity, 1)
		m := rev - e.Total
		e.Price, e.Revenue, e.Margin = &pr, &rev, &m
	}
	return e
}

type reviewRejectRequest struct {
	Kind    string `json:"kind"`
	Comment string `json:"comment"`
}

// reviewReject serves POST /api/v1/reviews/:number/reject: a reviewer who
// may sign kind on the order rejects it with a comment; the order goes to
// rejected (sales or planning revise it), audited as reject:<kind>.
func (s *Server) reviewReject(c echo.Context) error {
	var req reviewRejectRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	kind := domain.SignoffKind(req.Kind)
	if !kind.Valid() {
		return invalid("kind", "kind must be one of technical, process, material, capacity, quality, cost")
	}
	if strings.TrimSpace(req.Comment) == "" {
		return invalid("comment", "a rejection needs a comment saying why")
	}
	if e := domain.CheckText("comment", req.Comment, 2000); e != nil {
		return apiError(e)
	}
	p := principal(c)
	now := s.opts.Now()
	number := c.Param("number")
	rec, err := s.opts.Store.ChangeOrder(c.Request().Context(), number, p.Actor(),
		func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			if err := checkMatch(c, domain.OrderETag(*rec)); err != nil {
				return domain.OrderChange{}, err
			}
			if err := s.opts.Review.CheckSignoffFor(p.Role, kind, *rec); err != nil {
				return domain.OrderChange{}, err
			}
			t := domain.Transition{Action: domain.ActionReject, From: domain.StatusUnderReview, To: domain.StatusRejected}
			if err := domain.ApplyTransition(rec, t, now); err != nil {
				return domain.OrderChange{}, err
			}
			return domain.OrderChange{Action: "reject:" + string(kind), Reason: req.Comment}, nil
		})
	if err != nil {
		return staleOr(err, "order "+number)
	}
	s.Notify()
	return orderChanged(c, rec)
}

// reviewPageRoles: the reviewers, and the roles that ask for or decide
// rush insertions (the page's rush part).
func reviewPageRoles(signers []domain.Role) []domain.Role {
	out := slices.Clone(signers)
	for _, r := range []domain.Role{domain.RoleSales, domain.RolePlanner, domain.RoleManager, domain.RoleAdmin} {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

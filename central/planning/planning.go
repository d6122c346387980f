// Package planning is central's rescheduler: it builds a schedule.Problem
// from the stored open work (orders that are scheduled, released or running),
// line states and calendars, runs the scheduler within a time budget, and
// keeps the result as a proposal with its diff against the current plan. A
// proposal becomes the plan only when a planner approves it; approving a
// proposal computed against a plan that has since been replaced is a
// conflict. Line breakdowns and lines falling behind plan propose a
// reschedule on their own (at most one pending per line).
//
// It must never import echo or database/sql, read the wall clock other than
// through Options.Now, or change the plan without an approval.
package planning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/schedule"
	"github.com/linewise/linewise/central/schedule/check"
)

// Store is what planning reads and writes.
type Store interface {
	PlanningWork(ctx context.Context) ([]domain.PlanWork, error)
	ListLines(ctx context.Context) ([]domain.LineView, error)
	GetOrder(ctx context.Context, number string) (domain.OrderDetail, error)
	CurrentPlan(ctx context.Context) (domain.CurrentPlan, bool, error)
	CreateProposal(ctx context.Context, p domain.PlanProposal) (domain.PlanProposal, error)
	GetProposal(ctx context.Context, id string) (domain.PlanProposal, error)
	ListProposals(ctx context.Context, status string, limit int) ([]domain.PlanProposal, error)
	HasPendingProposal(ctx context.Context, line string, kinds ...string) (bool, error)
	// ExpireProposals marks the proposals pending since before before expired.
	ExpireProposals(ctx context.Context, before, at time.Time) (int, error)
	ApproveProposal(ctx context.Context, a domain.PlanApproval) (int64, error)
	RejectProposal(ctx context.Context, id string, by domain.Actor, at time.Time) error
	// Calendars and sites are master data: a line's shifts there replace
	// the configured ones (in its site's time zone), its planned stops add
	// to the configured ones.
	Calendars(ctx context.Context) ([]domain.LineCalendar, error)
	ListSites(ctx context.Context) ([]domain.Site, error)
	// Changeovers are master data too: a line's matrix (family to family)
	// replaces the configured changeover for the pairs it lists.
	Changeovers(ctx context.Context, line string) ([]domain.Changeover, error)
}

// ErrUnplannable marks a request the scheduler cannot plan (an operation no
// line can run, a product without a cycle time, ...).
var ErrUnplannable = errors.New("cannot be planned")

// UnplannableError lists every reason, each naming its order and step.
type UnplannableError struct{ Problems []string }

func (e *UnplannableError) Error() string { return strings.Join(e.Problems, "; ") }

// Unwrap makes it an ErrUnplannable.
func (e *UnplannableError) Unwrap() error { return ErrUnplannable }

// Options build a Service. Store is required.
type Options struct {
	Config Config
	Store  Store
	Log    *slog.Logger
	Now    func() time.Time // default time.Now
	// Materials, if set, says when open work's material arrives; an
	// operation is then planned to start no earlier.
	Materials MaterialTimes
}

// MaterialTimes says when the components of open work are there (from the
// inventory's availability and the open purchase orders' expected
// arrivals), so that no operation is planned to start before them.
type MaterialTimes interface {
	// MaterialReady returns, per work order id, when its material is all
	// there; work it leaves out needs nothing that is missing.
	MaterialReady(ctx context.Context, work []domain.PlanWork, now time.Time) (map[string]time.Time, error)
}

// Service plans. It is safe for concurrent use; scheduler runs are
// serialised so two proposals do not compete for the CPU.
type Service struct {
	cfg   Config
	st    Store
	log   *slog.Logger
	now   func() time.Time
	loc   *time.Location
	solve sync.Mutex

	materials MaterialTimes

	poke chan struct{}
	mu   sync.Mutex
	seen map[string]lineSeen // trigger state per line
}

// New validates the configuration; nothing runs until Run.
func New(o Options) (*Service, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	o.Config = o.Config.withDefaults()
	if o.Store == nil {
		return nil, errors.New("planning: a store is required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	loc, _ := time.LoadLocation(o.Config.Timezone) // validated
	return &Service{cfg: o.Config, st: o.Store, log: o.Log, now: o.Now, loc: loc, poke: make(chan struct{}, 1), materials: o.Materials,
		seen: map[string]lineSeen{}}, nil
}

// Request asks for a proposal.
type Request struct {
	Kind   string // domain.Proposal*; default manual
	Reason string // shown to the planner; default from Kind
	Line   string // the line an automatic proposal is about
	rush   *rushSpec
}

// Proposal is a stored proposal as the API shows it.
type Proposal struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Reason      string     `json:"reason"`
	Line        string     `json:"line,omitempty"`
	Status      string     `json:"status"`
	Stale       bool       `json:"stale"` // another plan was approved since it was computed
	BaseVersion int64      `json:"base_version"`
	Rush        *RushView  `json:"rush,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	// SupersededBy names the newer proposal that replaced it (status superseded).
	SupersededBy string        `json:"superseded_by,omitempty"`
	Diff         DiffView      `json:"diff"`
	Schedule     *ScheduleView `json:"schedule,omitempty"`
	// AppliedVersion is the plan version an approval made it.
	AppliedVersion int64 `json:"applied_version,omitempty"`
}

// RushView is what a rush proposal changes on its order when approved.
type RushView struct {
	Order    string     `json:"order"`
	Priority *int       `json:"priority"`
	Due      *time.Time `json:"due"`
}

// current returns the current plan document and version; before the first
// approval it is the work orders' own planned times, version 0.
func (s *Service) current(ctx context.Context, work []domain.PlanWork, now time.Time) (*planDoc, int64, string, error) {
	cp, ok, err := s.st.CurrentPlan(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	if !ok {
		return baseline(now, work), 0, "", nil
	}
	d, err := decodeDoc(cp.Plan)
	if err != nil {
		return nil, 0, "", err
	}
	return d, cp.Version, cp.ProposalID, nil
}

// Current is the plan in force, ready to draw.
func (s *Service) Current(ctx context.Context) (*ScheduleView, error) {
	now := s.now().UTC()
	work, err := s.st.PlanningWork(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := s.st.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	d, version, pid, err := s.current(ctx, work, now)
	if err != nil {
		return nil, err
	}
	// Frozen is what a re-plan now would keep: the same rules, no solving.
	mc, err := s.masterCalendars(ctx, lines)
	if err != nil {
		return nil, err
	}
	b := s.build(now, work, lines, mc, d.plan(), nil)
	frozen := map[[2]any]bool{}
	for _, f := range b.p.Frozen {
		if w := b.work(f.Order, f.Step); w != nil {
			frozen[[2]any{f.Order, w.OperationSeq}] = true
		}
	}
	// Tentative is what is planned for orders not released yet: release
	// firms it.
	tentative := map[string]bool{}
	for _, w := range work {
		if w.Tentative {
			tentative[w.WorkOrderID] = true
		}
	}
	v := s.view(d, lines, now, func(op docOp) bool { return frozen[[2]any{op.Order, op.Seq}] },
		func(op docOp) bool { return tentative[op.WorkOrder] })
	v.Version, v.ProposalID, v.Source = version, pid, "approved"
	if version == 0 {
		v.Source = "work_orders"
	}
	return v, nil
}

// Propose computes a plan from the stored state and keeps it as a pending
// proposal with its diff against the current plan.
func (s *Service) Propose(ctx context.Context, r Request) (*Proposal, error) {
	if r.Kind == "" {
		r.Kind = domain.ProposalManual
	}
	if r.Reason == "" {
		r.Reason = strings.ReplaceAll(r.Kind, "_", " ")
	}
	if len(r.Reason) > 200 {
		return nil, domain.Invalid("reason", "must be at most 200 characters")
	}
	s.solve.Lock()
	defer s.solve.Unlock()
	now := s.now().UTC()
	if err := s.expire(ctx, now); err != nil {
		return nil, err
	}
	work, err := s.st.PlanningWork(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := s.st.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	cur, version, _, err := s.current(ctx, work, now)
	if err != nil {
		return nil, err
	}
	if r.rush != nil {
		found := false
		for _, w := range work {
			found = found || w.OrderNumber == r.rush.Order
		}
		if !found {
			return nil, fmt.Errorf("planning: order %s has no open work orders to plan (release it first): %w", r.rush.Order, domain.ErrConflict)
		}
	}
	mc, err := s.masterCalendars(ctx, lines)
	if err != nil {
		return nil, err
	}
	var arrivals map[string]time.Time
	if s.materials != nil {
		if arrivals, err = s.materials.MaterialReady(ctx, work, now); err != nil {
			return nil, fmt.Errorf("planning: material arrivals: %w", err)
		}
	}
	b := s.build(now, work, lines, mc, cur.plan(), r.rush)
	b.materialBounds(arrivals)
	if r.rush != nil && r.rush.Line != "" && b.rushOnLine == 0 {
		return nil, domain.Invalid("line", "line %s is eligible for no operation of order %s", r.rush.Line, r.rush.Order)
	}
	if len(b.p.Orders) == 0 {
		return nil, fmt.Errorf("planning: there is no open work to plan: %w", domain.ErrConflict)
	}
	pl, err := s.run(ctx, b, cur, r.rush == nil)
	if err != nil {
		return nil, err
	}
	doc := fromPlan(b, pl)
	if r.rush != nil {
		doc.RushLine = r.rush.Line
	}
	diff := diffDocs(cur, doc)
	planJSON, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	diffJSON, err := json.Marshal(diff)
	if err != nil {
		return nil, err
	}
	p := domain.PlanProposal{Kind: r.Kind, Reason: r.Reason, LineID: r.Line, BaseVersion: version, CreatedAt: now,
		Plan: planJSON, Diff: diffJSON}
	if r.rush != nil {
		p.RushOrder, p.RushPriority, p.RushDue = r.rush.Order, r.rush.Priority, r.rush.Due
	}
	stored, err := s.st.CreateProposal(ctx, p)
	if err != nil {
		return nil, err
	}
	s.log.Info("schedule proposal computed", "proposal", stored.ID, "kind", r.Kind, "reason", r.Reason,
		"moved", len(diff.Moved), "slips", len(diff.Slips), "late", diff.LateAfter, "rule", pl.Rule, "iterations", pl.Iterations)
	return s.present(stored, lines, version, now, true)
}

// run validates and solves b, warm-started from the current plan unless the
// request changes priorities (a rush), and checks the result independently.
func (s *Service) run(ctx context.Context, b *built, cur *planDoc, warm bool) (*schedule.Plan, error) {
	if err := schedule.Validate(b.p); err != nil {
		var out []string
		for _, m := range problems(err) {
			out = append(out, b.explain(m))
		}
		return nil, &UnplannableError{Problems: out}
	}
	opt := schedule.Options{Budget: s.cfg.Budget, MaxIterations: s.cfg.MaxIterations, Seed: s.cfg.Seed}
	if warm && len(cur.Ops) > 0 {
		opt.Initial = indexPlan(b, cur)
	}
	pl, err := schedule.Solve(ctx, b.p, opt)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		var out []string
		for _, m := range problems(err) {
			out = append(out, b.explain(m))
		}
		return nil, &UnplannableError{Problems: out}
	}
	if err := check.Check(b.p, pl); err != nil {
		return nil, fmt.Errorf("planning: the scheduler produced an infeasible plan: %w", err)
	}
	return pl, nil
}

// indexPlan maps a (order, operation seq) plan onto b's step indexes.
func indexPlan(b *built, d *planDoc) *schedule.Plan {
	pl := &schedule.Plan{}
	for _, op := range d.Ops {
		for i, w := range b.steps[op.Order] {
			if w.OperationSeq == op.Seq {
				pl.Ops = append(pl.Ops, schedule.PlannedOp{Order: op.Order, Step: i + 1, Line: op.Line,
					SetupStart: op.SetupStart, Start: op.Start, End: op.End})
			}
		}
	}
	return pl
}

// Rush proposes inserting an order with a new priority (0-9) and, if due is
// set, due date. Nothing changes until the proposal is approved.
func (s *Service) Rush(ctx context.Context, order string, priority *int, due *time.Time) (*Proposal, error) {
	if priority == nil && due == nil {
		return nil, domain.Invalid("priority", "priority or due is required")
	}
	if priority != nil && (*priority < 0 || *priority > 9) {
		return nil, domain.Invalid("priority", "must be from 0 (normal) to 9 (most urgent)")
	}
	o, err := s.st.GetOrder(ctx, order)
	if err != nil {
		return nil, err
	}
	switch o.Status {
	case domain.StatusScheduled, domain.StatusReleased, domain.StatusInProgress, domain.StatusPaused:
	default:
		return nil, fmt.Errorf("planning: order %s is %s; only scheduled, released or running orders can be rushed: %w",
			order, o.Status, domain.ErrConflict)
	}
	if due != nil {
		d := due.UTC()
		due = &d
	}
	return s.Propose(ctx, Request{Kind: domain.ProposalRush, Reason: "rush " + order,
		rush: &rushSpec{Order: order, Priority: priority, Due: due}})
}

// expire marks the proposals pending longer than ProposalTTL expired.
func (s *Service) expire(ctx context.Context, now time.Time) error {
	n, err := s.st.ExpireProposals(ctx, now.Add(-s.cfg.ProposalTTL), now)
	if n > 0 {
		s.log.Info("schedule proposals expired", "count", n, "ttl", s.cfg.ProposalTTL)
	}
	return err
}

// Get returns a proposal with its diff and plan.
func (s *Service) Get(ctx context.Context, id string) (*Proposal, error) {
	if err := s.expire(ctx, s.now().UTC()); err != nil {
		return nil, err
	}
	p, err := s.st.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	lines, err := s.st.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	return s.present(p, lines, version, s.now().UTC(), true)
}

// List returns proposals with the status ("" for all), newest first, without
// their plans.
func (s *Service) List(ctx context.Context, status string) ([]*Proposal, error) {
	if err := s.expire(ctx, s.now().UTC()); err != nil {
		return nil, err
	}
	ps, err := s.st.ListProposals(ctx, status, 50)
	if err != nil {
		return nil, err
	}
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	out := []*Proposal{}
	for _, p := range ps {
		v, err := s.present(p, nil, version, time.Time{}, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) version(ctx context.Context) (int64, error) {
	cp, ok, err := s.st.CurrentPlan(ctx)
	if err != nil || !ok {
		return 0, err
	}
	return cp.Version, nil
}

func (s *Service) present(p domain.PlanProposal, lines []domain.LineView, version int64, now time.Time, withPlan bool) (*Proposal, error) {
	v := &Proposal{ID: p.ID, Kind: p.Kind, Reason: p.Reason, Line: p.LineID, Status: p.Status, BaseVersion: p.BaseVersion,
		Stale: p.Status == domain.ProposalPending && p.BaseVersion != version, CreatedAt: p.CreatedAt, DecidedAt: p.DecidedAt,
		DecidedBy: p.DecidedBy, SupersededBy: p.SupersededBy}
	if p.RushOrder != "" {
		v.Rush = &RushView{Order: p.RushOrder, Priority: p.RushPriority, Due: p.RushDue}
	}
	if err := json.Unmarshal(p.Diff, &v.Diff); err != nil {
		return nil, fmt.Errorf("planning: proposal %s: decode diff: %w", p.ID, err)
	}
	if withPlan {
		d, err := decodeDoc(p.Plan)
		if err != nil {
			return nil, err
		}
		v.Schedule = s.view(d, lines, now, func(op docOp) bool { return op.Frozen }, func(op docOp) bool { return op.Tentative })
		v.Schedule.Version, v.Schedule.ProposalID, v.Schedule.Source = p.BaseVersion, p.ID, "proposal"
	}
	return v, nil
}

// Approve makes a pending proposal the current plan (its work orders' lines
// and planned times, a rush's priority and due date), audited against by.
// domain.ErrConflict if it is not pending or another plan was approved after
// it was computed.
func (s *Service) Approve(ctx context.Context, id string, by domain.Actor) (*Proposal, error) {
	return s.ApproveWithComment(ctx, id, by, "")
}

// ApproveWithComment is Approve with the approver's comment, which a rush
// proposal's request and audit entry keep.
func (s *Service) ApproveWithComment(ctx context.Context, id string, by domain.Actor, comment string) (*Proposal, error) {
	if err := s.expire(ctx, s.now().UTC()); err != nil {
		return nil, err
	}
	p, err := s.st.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Status != domain.ProposalPending {
		why := ""
		switch {
		case p.Status == domain.ProposalSuperseded && p.SupersededBy != "":
			why = " by " + p.SupersededBy + "; review that one"
		case p.Status == domain.ProposalExpired:
			why = " (pending longer than " + s.cfg.ProposalTTL.String() + "); ask for a new one"
		}
		return nil, fmt.Errorf("planning: proposal %s is %s%s: %w", id, p.Status, why, domain.ErrConflict)
	}
	d, err := decodeDoc(p.Plan)
	if err != nil {
		return nil, err
	}
	a := domain.PlanApproval{ProposalID: id, By: by, At: s.now().UTC(), Comment: comment}
	for _, op := range d.Ops {
		a.WorkOrders = append(a.WorkOrders, domain.WorkOrderPlan{WorkOrderID: op.WorkOrder, LineID: op.Line, Start: op.Start, End: op.End,
			Tentative: op.Tentative})
	}
	version, err := s.st.ApproveProposal(ctx, a)
	if err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return nil, fmt.Errorf("planning: proposal %s cannot be approved: the plan changed since it was computed, or it was decided: %w", id, domain.ErrConflict)
		}
		return nil, err
	}
	s.log.Info("schedule proposal approved", "proposal", id, "by", by.Name, "version", version)
	out, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	out.AppliedVersion = version
	return out, nil
}

// Reject marks a pending proposal rejected; the plan does not change.
func (s *Service) Reject(ctx context.Context, id string, by domain.Actor) (*Proposal, error) {
	if err := s.st.RejectProposal(ctx, id, by, s.now().UTC()); err != nil {
		return nil, err
	}
	s.log.Info("schedule proposal rejected", "proposal", id, "by", by.Name)
	return s.Get(ctx, id)
}

package planning

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/schedule"
)

// Scenarios: a planner keeps several proposals side by side ("insert the
// rush on L1" against "insert it on L3") and compares them by the same
// figures; each stays an ordinary pending proposal that can be approved
// or rejected, and none supersedes another.

// Figures are what plans are compared by.
type Figures struct {
	MakespanS          float64 `json:"makespan_s"` // from the plan's now to its last end
	LateOrders         int     `json:"late_orders"`
	WeightedTardinessH float64 `json:"weighted_tardiness_h"`
	MovedOps           int     `json:"moved_ops"`    // against the current plan
	LineChanges        int     `json:"line_changes"` // of those, to another line
	ChangeoverS        float64 `json:"changeover_s"` // total setup time
	// OvertimeS is planned work outside the lines' shift calendars as
	// they stand now (the scheduler plans inside them, so it is non-zero
	// only when a calendar changed after the plan was made).
	OvertimeS float64 `json:"overtime_s"`
}

// ScenarioRequest asks for a scenario: a rush of Order (new priority and
// due date, optional), held to Line where it is eligible (optional).
type ScenarioRequest struct {
	Name     string
	Order    string
	Priority *int
	Due      *time.Time
	Line     string
}

// ScenarioView is one scenario in a comparison.
type ScenarioView struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Status  string    `json:"status"`
	Stale   bool      `json:"stale"`
	Rush    *RushView `json:"rush,omitempty"`
	Line    string    `json:"line,omitempty"` // the rush's line, if held to one
	Figures Figures   `json:"figures"`
}

// Comparison is the current plan's figures beside each scenario's.
type Comparison struct {
	Current   Figures        `json:"current"`
	Version   int64          `json:"version"`
	Scenarios []ScenarioView `json:"scenarios"`
}

// Scenario computes a scenario as a pending proposal.
func (s *Service) Scenario(ctx context.Context, r ScenarioRequest) (*Proposal, error) {
	if strings.TrimSpace(r.Name) == "" {
		return nil, domain.Invalid("name", "a scenario needs a name")
	}
	if r.Order == "" {
		if r.Line != "" || r.Priority != nil || r.Due != nil {
			return nil, domain.Invalid("order", "line, priority and due need the order they apply to")
		}
		return s.Propose(ctx, Request{Kind: domain.ProposalManual, Reason: r.Name})
	}
	if r.Due != nil {
		d := r.Due.UTC()
		r.Due = &d
	}
	if r.Priority != nil && (*r.Priority < 0 || *r.Priority > 9) {
		return nil, domain.Invalid("priority", "must be from 0 (normal) to 9 (most urgent)")
	}
	o, err := s.st.GetOrder(ctx, r.Order)
	if err != nil {
		return nil, err
	}
	switch o.Status {
	case domain.StatusScheduled, domain.StatusReleased, domain.StatusInProgress, domain.StatusPaused:
	default:
		return nil, fmt.Errorf("planning: order %s is %s; only scheduled, released or running orders can be rushed: %w",
			r.Order, o.Status, domain.ErrConflict)
	}
	return s.Propose(ctx, Request{Kind: domain.ProposalRush, Reason: r.Name,
		rush: &rushSpec{Order: r.Order, Priority: r.Priority, Due: r.Due, Line: r.Line}})
}

// Compare returns the figures of the current plan and of the proposals
// ids (all pending ones when ids is empty), in the order asked.
func (s *Service) Compare(ctx context.Context, ids []string) (*Comparison, error) {
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
	mc, err := s.masterCalendars(ctx, lines)
	if err != nil {
		return nil, err
	}
	cur, version, _, err := s.current(ctx, work, now)
	if err != nil {
		return nil, err
	}
	out := &Comparison{Version: version, Scenarios: []ScenarioView{}}
	out.Current = s.figures(cur, nil, now, mc)
	var ps []domain.PlanProposal
	if len(ids) == 0 {
		if ps, err = s.st.ListProposals(ctx, domain.ProposalPending, 50); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		p, err := s.st.GetProposal(ctx, id)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		d, err := decodeDoc(p.Plan)
		if err != nil {
			return nil, err
		}
		var diff DiffView
		if err := json.Unmarshal(p.Diff, &diff); err != nil {
			return nil, fmt.Errorf("planning: proposal %s: decode diff: %w", p.ID, err)
		}
		v := ScenarioView{ID: p.ID, Name: p.Reason, Kind: p.Kind, Status: p.Status,
			Stale: p.Status == domain.ProposalPending && p.BaseVersion != version, Figures: s.figures(d, &diff, now, mc)}
		if p.RushOrder != "" {
			v.Rush = &RushView{Order: p.RushOrder, Priority: p.RushPriority, Due: p.RushDue}
			v.Line = d.RushLine
		}
		out.Scenarios = append(out.Scenarios, v)
	}
	return out, nil
}

// figures of plan d; diff (against the current plan) gives what moved.
func (s *Service) figures(d *planDoc, diff *DiffView, now time.Time, mc masterCalendars) Figures {
	f := Figures{MakespanS: secs(d.Score.Makespan), LateOrders: d.Score.LateOrders,
		WeightedTardinessH: d.Score.WeightedTardiness, ChangeoverS: secs(d.Score.TotalSetup)}
	if d.Score == (schedule.Score{}) { // a baseline document has no score: count
		var last time.Time
		for _, op := range d.Ops {
			f.ChangeoverS += secs(op.Start.Sub(op.SetupStart))
			if op.End.After(last) {
				last = op.End
			}
		}
		if !last.IsZero() {
			f.MakespanS = secs(last.Sub(d.Now))
		}
		for _, o := range d.Orders {
			if o.Due != nil && o.Completion.After(*o.Due) {
				f.LateOrders++
			}
		}
	}
	if diff != nil {
		f.MovedOps = len(diff.Moved)
		for _, m := range diff.Moved {
			if m.FromLine != m.ToLine {
				f.LineChanges++
			}
		}
	}
	cals := map[string][]window{}
	for _, op := range d.Ops {
		cal, ok := cals[op.Line]
		if !ok {
			for _, w := range s.calendar(op.Line, now, mc) {
				cal = append(cal, window{w.Start, w.End})
			}
			cals[op.Line] = cal
		}
		if cal == nil {
			continue // around the clock
		}
		if !ok {
			cal = mergeWindows(cal)
			cals[op.Line] = cal
		}
		f.OvertimeS += secs(outside(op.SetupStart, op.End, cal))
	}
	return f
}

type window struct{ start, end time.Time }

// outside is how much of [a, b) lies in none of the (sorted, disjoint)
// windows.
func outside(a, b time.Time, ws []window) time.Duration {
	in := time.Duration(0)
	for _, w := range ws {
		lo, hi := a, b
		if w.start.After(lo) {
			lo = w.start
		}
		if w.end.Before(hi) {
			hi = w.end
		}
		if hi.After(lo) {
			in += hi.Sub(lo)
		}
	}
	return max(0, b.Sub(a)-in)
}

func mergeWindows(ws []window) []window {
	sort.Slice(ws, func(i, j int) bool { return ws[i].start.Before(ws[j].start) })
	var out []window
	for _, w := range ws {
		if n := len(out); n > 0 && !w.start.After(out[n-1].end) {
			if w.end.After(out[n-1].end) {
				out[n-1].end = w.end
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

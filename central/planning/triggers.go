package planning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// lineSeen is what the trigger loop remembers about a line.
type lineSeen struct {
	downSince time.Time // the down state already proposed for
	lastAuto  time.Time // when the last automatic proposal was made
}

// Poke asks the trigger loop to look at the lines now (ingest calls it when
// events arrive); it never blocks.
func (s *Service) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Run watches line states every Poll (and on Poke) until ctx ends, and
// proposes a reschedule when a line goes down or falls behind plan: at most
// one pending automatic proposal per line, and none within Cooldown of the
// last. Run it in its own goroutine when Config.Auto is on.
//
// Several central replicas each run it; the pending-proposal check makes a
// duplicate unlikely but not impossible (two replicas may propose for the
// same breakdown at the same instant; the planner rejects one).
func (s *Service) Run(ctx context.Context) {
	if !s.cfg.Auto {
		return
	}
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.poke:
		}
		if _, err := s.CheckTriggers(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("planning triggers", "err", err)
		}
	}
}

// trigger is a reason to propose for a line.
type trigger struct {
	line, kind, reason string
	downSince          time.Time
}

// CheckTriggers looks at the lines once and proposes where needed; it returns
// the proposals made. Unplannable states are logged, not returned: the
// planner sees them when asking for a proposal.
func (s *Service) CheckTriggers(ctx context.Context) ([]*Proposal, error) {
	lines, err := s.st.ListLines(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var ts []trigger
	s.mu.Lock()
	for _, l := range lines {
		seen := s.seen[l.ID]
		if l.State != "down" {
			seen.downSince = time.Time{}
			s.seen[l.ID] = seen
		}
		switch {
		case l.State == "down":
			since := now
			if l.StateSince != nil {
				since = *l.StateSince
			}
			if !seen.downSince.Equal(since) {
				reason := "line " + l.ID + " down"
				if l.Reason != "" {
					reason += " (" + l.Reason + ")"
				}
				ts = append(ts, trigger{line: l.ID, kind: domain.ProposalLineDown, reason: reason, downSince: since})
			}
		case l.Active != nil && l.Active.Status == domain.StatusInProgress && l.Active.PlannedStart != nil:
			a := l.Active
			exp, pct := a.Progress(now)
			if pct != nil && exp > s.cfg.BehindMinExpected && *pct < s.cfg.BehindAttainment {
				ts = append(ts, trigger{line: l.ID, kind: domain.ProposalBehindPlan,
					reason: fmt.Sprintf("behind plan on line %s: %s at %.0f%% of %d expected", l.ID, a.WorkOrderID, *pct, exp)})
			}
		}
	}
	s.mu.Unlock()
	var out []*Proposal
	for _, t := range ts {
		s.mu.Lock()
		seen := s.seen[t.line]
		cool := !seen.lastAuto.IsZero() && now.Sub(seen.lastAuto) < s.cfg.Cooldown && t.kind != domain.ProposalLineDown
		s.mu.Unlock()
		if cool {
			continue
		}
		// Expired proposals block nothing; a new breakdown always gets its
		// proposal (it supersedes the pending one of the line).
		if err := s.expire(ctx, now); err != nil {
			return out, err
		}
		pending := false
		if t.kind != domain.ProposalLineDown {
			var err error
			if pending, err = s.st.HasPendingProposal(ctx, t.line, domain.ProposalLineDown, domain.ProposalBehindPlan); err != nil {
				return out, err
			}
		}
		mark := func() {
			s.mu.Lock()
			seen := s.seen[t.line]
			seen.lastAuto = now
			if t.kind == domain.ProposalLineDown {
				seen.downSince = t.downSince
			}
			s.seen[t.line] = seen
			s.mu.Unlock()
		}
		if pending {
			mark()
			continue
		}
		p, err := s.Propose(ctx, Request{Kind: t.kind, Reason: t.reason, Line: t.line})
		if errors.Is(err, ErrUnplannable) || errors.Is(err, domain.ErrConflict) {
			s.log.Warn("automatic reschedule not possible", "line", t.line, "reason", t.reason, "err", err)
			mark()
			continue
		}
		if err != nil {
			return out, err
		}
		mark()
		out = append(out, p)
	}
	return out, nil
}

// OrderChanged proposes a reschedule after an order's quantity or due date
// changed (what says how, for the planner), like the line triggers do for
// breakdowns: only with Config.Auto, only for an order whose work is
// planned (scheduled, released, running or paused), and through Propose,
// so the proposal shows what moves and which orders become late, and
// changes nothing until a planner approves it. It returns nil and no error
// when there is nothing to propose. Each change makes its own proposal; a
// pending one from an earlier change goes stale once another is approved.
func (s *Service) OrderChanged(ctx context.Context, number, what string) (*Proposal, error) {
	if !s.cfg.Auto {
		return nil, nil
	}
	o, err := s.st.GetOrder(ctx, number)
	if err != nil {
		return nil, err
	}
	switch o.Status {
	case domain.StatusScheduled, domain.StatusReleased, domain.StatusInProgress, domain.StatusPaused:
	default:
		return nil, nil // not in the plan yet, or no longer
	}
	planned := false
	for _, w := range o.WorkOrders {
		switch w.Status {
		case domain.StatusCompleted, domain.StatusClosed, domain.StatusCancelled:
		default:
			planned = true
		}
	}
	if !planned {
		return nil, nil // no open work orders: nothing of it is scheduled
	}
	reason := "order " + number + " changed"
	if what != "" {
		reason += ": " + what
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	p, err := s.Propose(ctx, Request{Kind: domain.ProposalOrderChange, Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("planning: reschedule after order %s changed: %w", number, err)
	}
	return p, nil
}

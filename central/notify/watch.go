package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/linewise/linewise/central/domain"
)

// Watcher returns the notices due at now about things that wait for
// someone; a notice it returns again is not stored again (same Key).
type Watcher func(ctx context.Context, now time.Time) ([]Notice, error)

// ExceptionSource lists exceptions (the store).
type ExceptionSource interface {
	ListExceptions(ctx context.Context, f domain.ExceptionFilter) ([]domain.Exception, error)
}

// watchExceptions tells exception_roles about every exception that opens,
// whichever way it was raised (a rule, ingest's quarantine, a station, the
// API, another replica), and escalate_to about one still open (not
// acknowledged) escalate_after after it opened. Each notice's key makes it
// once per exception, across restarts and replicas.
func (s *Service) watchExceptions(ctx context.Context) error {
	open, err := s.exc.ListExceptions(ctx, domain.ExceptionFilter{Status: []domain.ExceptionStatus{domain.ExceptionOpen, domain.ExceptionAcknowledged}, Limit: 500})
	if err != nil {
		return err
	}
	now := s.now()
	for _, x := range open {
		vars := map[string]string{"line": x.Line, "kind": string(x.Kind), "work_order": x.WorkOrder, "detail": x.Detail}
		link := "/?exception=" + x.ID
		title := fmt.Sprintf("%s on line %s", x.Kind, x.Line)
		if x.WorkOrder != "" {
			title += " (" + x.WorkOrder + ")"
		}
		if err := s.Notify(ctx, Notice{Key: "exception:" + x.ID + ":opened", Kind: KindExceptionOpened, Severity: string(x.Kind.Severity()),
			TitleKey: "notify.exception_opened", Vars: vars, Title: title, Body: x.Detail, Link: link, Line: x.Line,
			Roles: s.cfg.ExceptionRoles, At: x.OpenedAt}); err != nil {
			return err
		}
		if x.Status == domain.ExceptionOpen && s.cfg.EscalateAfter > 0 && now.Sub(x.OpenedAt) >= s.cfg.EscalateAfter {
			ev := map[string]string{"line": x.Line, "kind": string(x.Kind), "work_order": x.WorkOrder, "detail": x.Detail,
				"minutes": fmt.Sprint(int(now.Sub(x.OpenedAt).Minutes()))}
			if err := s.Notify(ctx, Notice{Key: "exception:" + x.ID + ":escalated", Kind: KindExceptionEscalated, Severity: SeverityCritical,
				TitleKey: "notify.exception_escalated", Vars: ev,
				Title: fmt.Sprintf("unacknowledged for %s min: %s", ev["minutes"], title), Body: x.Detail, Link: link, Line: x.Line,
				Roles: s.cfg.EscalateTo}); err != nil {
				return err
			}
		}
	}
	return nil
}

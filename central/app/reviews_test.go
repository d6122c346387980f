package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
)

// TestReviewEscalatesOnce: a sign-off still missing 24 h after the order
// was submitted (the default review.escalation) tells the managers once,
// however many rounds pass; before that, nobody of the next level hears.
func TestReviewEscalatesOnce(t *testing.T) {
	e := newExcEnv(t)
	ctx := context.Background()
	planner := domain.Actor{Name: "plan", Role: domain.RolePlanner}
	o, err := e.a.store.CreateDraftOrder(ctx, domain.Order{Number: "PO-9101", ProductCode: "BRK-100", Quantity: 40}, planner)
	if err != nil {
		t.Fatal(err)
	}
	change := func(a domain.Actor, fn func(rec *domain.OrderRecord) error) {
		t.Helper()
		if _, err := e.a.store.ChangeOrder(ctx, o.Number, a, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			return domain.OrderChange{Action: "submit"}, fn(rec)
		}); err != nil {
			t.Fatal(err)
		}
	}
	change(planner, func(rec *domain.OrderRecord) error {
		tr, err := domain.Authorize(planner.Role, domain.ActionSubmit, rec.Status)
		if err != nil {
			return err
		}
		return domain.ApplyTransition(rec, tr, e.clock.Now())
	})
	escalations := func() []notify.Notification {
		t.Helper()
		e.a.Notify().Step(ctx)
		p, err := e.a.note.store.ListNotifications(ctx, notify.Filter{User: "mgr"})
		if err != nil {
			t.Fatal(err)
		}
		var out []notify.Notification
		for _, n := range p.Items {
			if strings.Contains(n.Title, "PO-9101") {
				out = append(out, n)
			}
		}
		return out
	}
	e.clock.Set(e.clock.Now().Add(23 * time.Hour))
	if got := escalations(); len(got) != 0 {
		t.Fatalf("manager told after 23 h: %+v", got)
	}
	e.clock.Set(e.clock.Now().Add(time.Hour + time.Minute))
	escalations()
	got := escalations()
	if len(got) != 1 || got[0].TitleKey != "notify.review_escalated" || got[0].Severity != notify.SeverityWarning ||
		!strings.Contains(got[0].Title, "material, capacity, quality sign-off has waited 24.0 h") || got[0].Link != "/reviews" {
		t.Fatalf("manager's escalations after 24 h: %+v", got)
	}
}

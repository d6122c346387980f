package app

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/store"
	"github.com/linewise/linewise/edge/wire"
)

// TestNotifiedWhenLineGoesDownAndEscalated: a whole central; a machine
// signal opens machine_down, the supervisor is told (once, however many
// rounds pass); unacknowledged for 15 minutes it escalates to the admin;
// an order submitted for review tells the reviewers.
func TestNotifiedWhenLineGoesDownAndEscalated(t *testing.T) {
	e := newExcEnv(t)
	ctx := context.Background()
	down := e.start.Add(10 * time.Second)
	e.send(stateAt(down, wire.StateDown, "E42 jam at infeed"))
	e.clock.Set(down.Add(2*time.Minute + time.Second))
	xs := e.until("machine_down", domain.ExceptionMachineDown, func(xs []domain.Exception) bool { return len(xs) > 0 })
	page := func(user string) notify.Page {
		t.Helper()
		e.a.Notify().Step(ctx)
		p, err := e.a.note.store.ListNotifications(ctx, notify.Filter{User: user})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	page("super") // a second round below adds nothing
	p := page("super")
	if p.Unread != 1 || p.Items[0].Kind != notify.KindExceptionOpened || p.Items[0].Title != "machine_down on line L1 (WO-1001-10)" ||
		p.Items[0].Body != xs[0].Detail || p.Items[0].Severity != "critical" {
		t.Fatalf("supervisor's notifications: %+v", p)
	}
	if p := page("op1"); p.Unread != 0 {
		t.Errorf("operator told: %+v", p)
	}
	if p := page("admin"); p.Unread != 0 {
		t.Errorf("admin told before escalation: %+v", p)
	}
	e.clock.Set(down.Add(15*time.Minute + time.Second))
	if p := page("admin"); p.Unread != 1 || p.Items[0].Kind != notify.KindExceptionEscalated || !strings.Contains(p.Items[0].Title, "unacknowledged for 15 min") {
		t.Fatalf("admin after 15 min: %+v", p)
	}

	// An order submitted for review waits for the reviewers.
	planner := domain.Actor{Name: "plan", Role: domain.RolePlanner}
	o, err := e.a.store.CreateDraftOrder(ctx, domain.Order{Number: "PO-9001", ProductCode: "BRK-100", Quantity: 40}, planner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.store.ChangeOrder(ctx, o.Number, planner, func(rec *domain.OrderRecord) (domain.OrderChange, error) {
		tr, err := domain.Authorize(planner.Role, domain.ActionSubmit, rec.Status)
		if err != nil {
			return domain.OrderChange{}, err
		}
		return domain.OrderChange{Action: string(domain.ActionSubmit)}, domain.ApplyTransition(rec, tr, e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"super", "qa", "plan"} {
		p := page(u)
		found := false
		for _, n := range p.Items {
			found = found || (n.Kind == notify.KindApprovalWaiting && strings.Contains(n.Title, "PO-9001"))
		}
		if !found {
			t.Errorf("%s not told that PO-9001 waits for review: %+v", u, p.Items)
		}
	}
}

// TestNotifiedWhenReportStored: a stored day report tells the supervisor
// (once), a revision of it again.
func TestNotifiedWhenReportStored(t *testing.T) {
	e := newExcEnv(t)
	ctx := context.Background()
	date := e.clock.Now().UTC().Format(time.DateOnly)
	for rev := 1; rev <= 2; rev++ {
		if _, err := e.a.store.InsertStoredReport(ctx, store.StoredReport{Kind: "day", Date: date, Revision: rev, From: e.clock.Now(), To: e.clock.Now(),
			GeneratedAt: e.clock.Now(), Reason: "late counts", Hash: strconv.Itoa(rev), Content: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
		e.a.Notify().Step(ctx)
		e.a.Notify().Step(ctx)
		p, err := e.a.note.store.ListNotifications(ctx, notify.Filter{User: "super"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range p.Items {
			if n.Kind == notify.KindReportReady {
				got = append(got, n.Title)
			}
		}
		if len(got) != rev || !strings.HasPrefix(got[0], "daily report "+date) {
			t.Fatalf("after revision %d: %q", rev, got)
		}
	}
}

package app

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
	"github.com/linewise/linewise/central/store/notifications"
)

// notifyRunner is the notification service and its delivery loop.
type notifyRunner struct {
	svc    *notify.Service
	store  *notifications.Store
	cancel context.CancelFunc
	done   chan struct{}
}

// newNotify builds the notification service on the store (before the API,
// which serves its routes); startNotify starts its loop.
func (a *App) newNotify() error {
	a.note.store = notifications.New(a.store.Handle())
	svc, err := notify.New(notify.Options{Config: a.cfg.Notify, Store: a.note.store, Log: a.base.With("component", "notify"),
		Now: a.cfg.ExceptionsNow, Exceptions: a.store, Watchers: []notify.Watcher{a.reviewWaiting, a.proposalsWaiting, a.reportsReady, a.reviewsOverdue},
		Enclose: a.reportEnclosure})
	if err != nil {
		return fmt.Errorf("central: %w", err)
	}
	a.note.svc = svc
	return nil
}

func (a *App) startNotify() {
	// Rounds, watchers and escalations are the leader's (deliveries are
	// leased anyway).
	a.lead.job("notify", a.note.svc.Run)
}

// stop ends the loop and waits for it; idempotent.
func (r *notifyRunner) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

// poke asks for a round now (an exception changed); safe before start.
func (r *notifyRunner) poke() {
	if r.svc != nil {
		r.svc.Poke()
	}
}

// Notifier is how any part of central tells people something: in the
// app's notification centre and by the configured e-mail and webhooks.
func (a *App) Notifier() notify.Notifier {
	if a.note.svc == nil {
		return notify.Nop{}
	}
	return a.note.svc
}

// Notify gives tests the notification service.
func (a *App) Notify() *notify.Service { return a.note.svc }

// reviewers are those an order under review waits for: who signs off and
// who approves (admins see everything anyway and are not told).
func reviewers(pol domain.ReviewPolicy, orderType string) []domain.Role {
	var rs []domain.Role
	var signers []domain.Role
	for _, k := range pol.RequiredFor(orderType) {
		signers = append(signers, pol.SignersOf(k)...)
	}
	for _, r := range append(signers, domain.ActionRoles(domain.ActionApprove)...) {
		if r != domain.RoleAdmin && !slices.Contains(rs, r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// reviewWaiting: each submission of an order (its review round) tells the
// reviewers once.
func (a *App) reviewWaiting(ctx context.Context, _ time.Time) ([]notify.Notice, error) {
	orders, err := a.store.SearchOrders(ctx, domain.OrderFilter{Status: []domain.OrderStatus{domain.StatusUnderReview}, Limit: 500})
	if err != nil {
		return nil, err
	}
	var out []notify.Notice
	for _, o := range orders {
		round := strconv.Itoa(o.ReviewRound)
		out = append(out, notify.Notice{Key: "order:" + o.Number + ":review:" + round, Kind: notify.KindApprovalWaiting,
			Severity: notify.SeverityInfo, TitleKey: "notify.review_waiting",
			Vars:  map[string]string{"order": o.Number, "product": o.ProductCode, "quantity": strconv.FormatInt(o.Quantity, 10)},
			Title: fmt.Sprintf("order %s (%d × %s) waits for review", o.Number, o.Quantity, o.ProductCode),
			Link:  "/reviews", Roles: reviewers(a.cfg.Review, o.OrderType)})
	}
	return out, nil
}

// proposalsWaiting: a reschedule or rush proposal waiting for approval
// tells planners and managers once.
func (a *App) proposalsWaiting(ctx context.Context, _ time.Time) ([]notify.Notice, error) {
	ps, err := a.store.ListProposals(ctx, "pending", 50)
	if err != nil {
		return nil, err
	}
	var out []notify.Notice
	for _, p := range ps {
		title := fmt.Sprintf("%s proposal waits for approval: %s", p.Kind, p.Reason)
		vars := map[string]string{"kind": p.Kind, "reason": p.Reason, "order": p.RushOrder}
		key, link := "notify.proposal_waiting", "/planner"
		if p.RushOrder != "" {
			title, key = fmt.Sprintf("rush insertion of order %s waits for approval", p.RushOrder), "notify.rush_waiting"
			link = "/reviews" // where management approves it
		}
		out = append(out, notify.Notice{Key: "proposal:" + p.ID, Kind: notify.KindApprovalWaiting, Severity: notify.SeverityInfo,
			TitleKey: key, Vars: vars, Title: title, Line: p.LineID, Link: link,
			Roles: []domain.Role{domain.RolePlanner, domain.RoleManager}, At: p.CreatedAt})
	}
	return out, nil
}

// NotificationStore gives tests the notifications' store.
func (a *App) NotificationStore() *notifications.Store { return a.note.store }

// reportsReady: each stored shift or day report, and each later revision
// of one, tells managers and supervisors once (and whoever the routes for
// report_ready say, by e-mail or webhook). It looks at the plant days
// around now (yesterday to tomorrow in UTC covers every time zone).
func (a *App) reportsReady(ctx context.Context, now time.Time) ([]notify.Notice, error) {
	day := now.UTC()
	rs, err := a.store.StoredReports(ctx, day.AddDate(0, 0, -1).Format(time.DateOnly), day.AddDate(0, 0, 1).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	var out []notify.Notice
	for _, r := range rs {
		name := r.Date
		what := "daily report " + r.Date
		link := "/api/v1/reports/daily.xlsx?date=" + url.QueryEscape(r.Date)
		if r.Kind != "day" {
			name += " " + r.Shift
			what = "shift report " + r.Date + " " + r.Shift
			link = "/api/v1/reports/stored/" + url.PathEscape(r.Kind) + "/" + url.PathEscape(r.Date) + "?shift=" + url.QueryEscape(r.Shift)
		}
		title := what + " is ready"
		if r.Revision > 1 {
			name += " (" + strconv.Itoa(r.Revision) + ")"
			title = fmt.Sprintf("%s revised (revision %d): %s", what, r.Revision, r.Reason)
		}
		out = append(out, notify.Notice{Key: fmt.Sprintf("report:%s:%s:%s:%d", r.Kind, r.Date, r.Shift, r.Revision), Kind: notify.KindReportReady,
			Severity: notify.SeverityInfo, TitleKey: "notify.report_ready", Vars: map[string]string{"name": name, "kind": r.Kind, "date": r.Date, "shift": r.Shift, "revision": strconv.Itoa(r.Revision)},
			Title: title, Link: link, Roles: []domain.Role{domain.RoleManager, domain.RoleSupervisor}, At: r.GeneratedAt})
	}
	return out, nil
}

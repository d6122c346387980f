package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/notify"
)

// reviewsOverdue escalates sign-offs that wait too long: each configured
// level (review.escalation) tells its roles once per order, review round,
// sign-off and level (the notice's key), however often it is evaluated.
func (a *App) reviewsOverdue(ctx context.Context, now time.Time) ([]notify.Notice, error) {
	pol := a.cfg.Review
	if len(pol.Escalation) == 0 {
		return nil, nil
	}
	orders, err := a.store.SearchOrders(ctx, domain.OrderFilter{Status: []domain.OrderStatus{domain.StatusUnderReview}, Limit: 500})
	if err != nil {
		return nil, err
	}
	var out []notify.Notice
	for _, o := range orders {
		rec, err := a.store.GetOrderRecord(ctx, o.Number)
		if err != nil {
			return nil, err
		}
		es, err := a.store.ListAudit(ctx, domain.AuditFilter{Entity: "order", EntityID: o.Number, Limit: 200})
		if err != nil {
			return nil, err
		}
		submitted, ok := domain.LastSubmit(es)
		if !ok {
			continue
		}
		// One notice per level and start of the wait: the sign-offs that
		// began waiting together escalate together.
		type group struct {
			level int
			since time.Time
		}
		var order []group
		kinds := map[group][]string{}
		waited := map[group]time.Duration{}
		roles := map[group][]domain.Role{}
		for _, e := range pol.Escalations(rec, submitted, now) {
			g := group{e.Level, e.Since}
			if _, ok := kinds[g]; !ok {
				order = append(order, g)
			}
			kinds[g] = append(kinds[g], string(e.Kind))
			waited[g], roles[g] = e.Waiting, e.Roles
		}
		for _, g := range order {
			hours := strconv.FormatFloat(waited[g].Hours(), 'f', 1, 64)
			level, what := strconv.Itoa(g.level), strings.Join(kinds[g], ", ")
			out = append(out, notify.Notice{
				Key:  fmt.Sprintf("order:%s:review:%d:escalated:%d:%d", o.Number, rec.ReviewRound, g.level, g.since.Unix()),
				Kind: "review_escalated", Severity: notify.SeverityWarning, TitleKey: "notify.review_escalated",
				Vars:  map[string]string{"order": o.Number, "kind": what, "hours": hours, "level": level},
				Title: fmt.Sprintf("Order %s: the %s sign-off has waited %s h (escalation level %s)", o.Number, what, hours, level),
				Body:  "Waiting since " + g.since.UTC().Format(time.RFC3339) + ".",
				Link:  "/reviews", Roles: roles[g], At: now})
		}
	}
	return out, nil
}

package httpapi

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

//go:embed web/order.html
var orderPage []byte

func (s *Server) registerOrderDetail() {
	s.handle(http.MethodGet, "/orders/:number", func(c echo.Context) error { return htmlPage(c, orderPage) }, Authenticated,
		"an order's page (HTML): its facts, work orders, sign-offs and timeline; change request, submit, cancel; prints on A4", anyRole...)
	s.handle(http.MethodGet, "/api/v1/orders/:number/timeline", s.orderTimeline, Authenticated,
		"an order's history, oldest first: every status change, review sign-off and change (with what changed and why) of the order and its work orders from the audit trail, and the exceptions on its work orders", anyRole...)
}

// timelineItem is one thing that happened to an order.
type timelineItem struct {
	At time.Time `json:"at"`
	// Kind is "audit" (an audited change) or "exception".
	Kind      string `json:"kind"`
	Actor     string `json:"actor"`
	ActorName string `json:"actor_name,omitempty"`
	Role      string `json:"role,omitempty"`
	Entity    string `json:"entity"` // order, work_order, exception
	EntityID  string `json:"entity_id"`
	// Action is the audit action (create, submit, signoff:material, edit,
	// cancel, start, …) or for an exception opened, acknowledged, resolved.
	Action  string        `json:"action"`
	Reason  string        `json:"reason,omitempty"`
	Changes []fieldChange `json:"changes,omitempty"`
	// For exceptions: its kind, line and detail.
	ExceptionKind string `json:"exception_kind,omitempty"`
	Line          string `json:"line,omitempty"`
	Detail        string `json:"detail,omitempty"`
}

// fieldChange is one field an edit changed, as JSON values.
type fieldChange struct {
	Field string          `json:"field"`
	From  json.RawMessage `json:"from"`
	To    json.RawMessage `json:"to"`
}

// timelineFields are the fields whose changes the timeline spells out.
var timelineFields = []string{"status", "quantity", "due", "priority"}

func changesOf(before, after json.RawMessage) []fieldChange {
	var b, a map[string]json.RawMessage
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return nil
	}
	var out []fieldChange
	for _, f := range timelineFields {
		from, ok1 := b[f]
		to, ok2 := a[f]
		if ok1 && ok2 && string(from) != string(to) {
			out = append(out, fieldChange{Field: f, From: from, To: to})
		}
	}
	return out
}

func (s *Server) orderTimeline(c echo.Context) error {
	ctx := c.Request().Context()
	number := c.Param("number")
	rec, err := s.opts.Store.GetOrderRecord(ctx, number)
	if err != nil {
		if p := apiError(err); p != err {
			return &Problem{Status: http.StatusNotFound, Detail: "order " + strconv.Quote(number) + " does not exist"}
		}
		return err
	}
	names := map[string]string{}
	if us, err := s.opts.Store.ListUsers(ctx); err == nil {
		for _, u := range us {
			names[u.Username] = u.DisplayName
		}
	}
	out := []timelineItem{}
	add := func(entity, id string) error {
		list, err := s.opts.Store.ListAudit(ctx, domain.AuditFilter{Entity: entity, EntityID: id, Limit: maxPage})
		if err != nil {
			return err
		}
		for _, a := range list {
			out = append(out, timelineItem{At: a.At, Kind: "audit", Actor: a.Actor, ActorName: names[a.Actor], Role: string(a.Role),
				Entity: a.Entity, EntityID: a.EntityID, Action: a.Action, Reason: a.Reason, Changes: changesOf(a.Before, a.After)})
		}
		return nil
	}
	if err := add("order", rec.Number); err != nil {
		return err
	}
	lines := []string{}
	wos := map[string]bool{}
	for _, w := range rec.WorkOrders {
		if err := add("work_order", w.ID); err != nil {
			return err
		}
		wos[w.ID] = true
		if !slices.Contains(lines, w.LineID) {
			lines = append(lines, w.LineID)
		}
	}
	for _, line := range lines {
		list, err := s.opts.Store.ListExceptions(ctx, domain.ExceptionFilter{Line: line, Limit: maxPage})
		if err != nil {
			return err
		}
		for _, x := range list {
			if !wos[x.WorkOrder] {
				continue
			}
			item := timelineItem{Kind: "exception", Entity: "exception", EntityID: x.ID, ExceptionKind: string(x.Kind), Line: x.Line, Detail: x.Detail}
			opened := item
			opened.At, opened.Action, opened.Actor = x.OpenedAt, "opened", x.RaisedBy
			out = append(out, opened)
			if x.AcknowledgedAt != nil {
				ack := item
				ack.At, ack.Action, ack.Actor = *x.AcknowledgedAt, "acknowledged", x.AcknowledgedBy
				out = append(out, ack)
			}
			if x.ResolvedAt != nil {
				res := item
				res.At, res.Action, res.Actor, res.Reason = *x.ResolvedAt, "resolved", x.ResolvedBy, x.Resolution
				out = append(out, res)
			}
		}
	}
	for i := range out {
		if out[i].ActorName == "" {
			out[i].ActorName = names[out[i].Actor]
		}
	}
	slices.SortStableFunc(out, func(a, b timelineItem) int { return a.At.Compare(b.At) })
	return c.JSON(http.StatusOK, out)
}

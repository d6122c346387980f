package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/money"
)

// OrderStore is what the order, station and traveler handlers need.
type OrderStore interface {
	SearchOrders(ctx context.Context, f domain.OrderFilter) ([]domain.Order, error)
	SearchOrderDetails(ctx context.Context, f domain.OrderFilter) ([]domain.OrderDetail, error)
	GetOrderRecord(ctx context.Context, number string) (domain.OrderRecord, error)
	CreateDraftOrder(ctx context.Context, o domain.Order, actor domain.Actor) (domain.Order, error)
	ChangeOrder(ctx context.Context, number string, actor domain.Actor,
		fn func(rec *domain.OrderRecord) (domain.OrderChange, error)) (domain.OrderRecord, error)
	DeleteOrder(ctx context.Context, number string, actor domain.Actor, check func(domain.OrderRecord) error) error
	GetWorkOrder(ctx context.Context, id string) (domain.WorkOrder, error)
	GetStation(ctx context.Context, id string) (domain.Station, error)
	StartWorkOrderAs(ctx context.Context, id string, at time.Time, actor domain.Actor, action string) (domain.WorkOrder, error)
	StopWorkOrderAs(ctx context.Context, id string, at time.Time, actor domain.Actor, action string) (domain.WorkOrder, error)
	RecordScrap(ctx context.Context, workOrder string, qty int64, reason string, actor domain.Actor) (domain.WorkOrder, error)
}

const maxPage = 1000

// parseTime accepts RFC 3339 or a date (midnight UTC), from
// domain.MinTime to before domain.MaxTime.
func parseTime(field, v string) (*time.Time, error) {
	t, rule := timeValue(v)
	if rule != "" {
		return nil, invalid(field, field+" "+rule)
	}
	return &t, nil
}

// timeValue is parseTime's value, or the rule v breaks.
func timeValue(v string) (time.Time, string) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse("2006-01-02", v); err != nil {
			return t, "must be an RFC 3339 time (2026-03-02T06:00:00Z) or a date (2026-03-02)"
		}
	}
	return t, domain.TimeRule(t)
}

// orderFilter reads the list filters shared by the JSON list and the exports.
func orderFilter(c echo.Context) (domain.OrderFilter, error) {
	var f domain.OrderFilter
	if v := c.QueryParam("status"); v != "" {
		for _, st := range strings.Split(v, ",") {
			s := domain.OrderStatus(strings.TrimSpace(st))
			if !s.Valid() {
				return f, invalid("status", "status "+strconv.Quote(string(s))+" is not a lifecycle state")
			}
			f.Status = append(f.Status, s)
		}
	}
	f.Product, f.Line, f.Query, f.Customer = c.QueryParam("product"), c.QueryParam("line"), c.QueryParam("q"), c.QueryParam("customer")
	var err error
	if v := c.QueryParam("due_from"); v != "" {
		if f.DueFrom, err = parseTime("due_from", v); err != nil {
			return f, err
		}
	}
	if v := c.QueryParam("due_to"); v != "" {
		if f.DueTo, err = parseTime("due_to", v); err != nil {
			return f, err
		}
	}
	f.Limit = maxPage
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return f, invalid("limit", "limit must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, invalid("offset", "offset must be a whole number, 0 or more")
		}
		f.Offset = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 || domain.TextRule(string(b), maxParamChars) != "" {
			return f, invalid("cursor", "cursor must be a value from a previous page's X-Next-Cursor")
		}
		f.After = string(b)
	}
	return f, nil
}

// listOrders keeps the original response shape (a JSON array); the next
// page, when there may be one, is in X-Next-Cursor and a Link header.
func (s *Server) listOrders(c echo.Context) error {
	f, err := orderFilter(c)
	if err != nil {
		return err
	}
	list, err := s.opts.Store.SearchOrders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	nextPage(c, f, len(list), func() string { return list[len(list)-1].Number })
	return c.JSON(http.StatusOK, list)
}

// csvSafe defuses spreadsheet formula injection in free text.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) getOrder(c echo.Context) error {
	number := c.Param("number")
	rec, err := s.opts.Store.GetOrderRecord(c.Request().Context(), number)
	if err != nil {
		if p := apiError(err); p != err {
			return &Problem{Status: http.StatusNotFound, Detail: "order " + strconv.Quote(number) + " does not exist"}
		}
		return err
	}
	st, err := s.opts.Store.OrderSettlement(c.Request().Context(), number)
	if err != nil {
		return err
	}
	setETag(c, domain.OrderETag(rec))
	return c.JSON(http.StatusOK, orderWithSettlement{OrderRecord: rec, Operations: domain.Yields(rec.WorkOrders), Settlement: st})
}

// orderWithSettlement is GET /api/v1/orders/:number: the order record,
// each operation's good, reject and yield (the order's good is its last
// operation's), and its settlement (live roll-up while open, frozen once
// closed).
type orderWithSettlement struct {
	domain.OrderRecord
	Operations []domain.OperationYield `json:"operations"`
	Settlement domain.Settlement       `json:"settlement"`
}

// orderChanged answers a change with the order and its new ETag.
func orderChanged(c echo.Context, rec domain.OrderRecord) error {
	setETag(c, domain.OrderETag(rec))
	return c.JSON(http.StatusOK, rec)
}

type createOrderRequest struct {
	Number      string `json:"number"`
	Product     string `json:"product"`
	Quantity    int64  `json:"quantity"`
	Unit        string `json:"unit"`
	Due         string `json:"due"`
	Priority    int    `json:"priority"`
	CustomerRef string `json:"customer_ref"`
	// Customer is a customer master code (GET /api/v1/customers).
	Customer  string `json:"customer"`
	OrderType string `json:"order_type"`
	Site      string `json:"site"`
	// Price is the unit price as a decimal string ("12.50") in Currency
	// (ISO 4217); both or neither.
	Price    *money.Amount `json:"price"`
	Currency string        `json:"currency"`
}

func (s *Server) createOrder(c echo.Context) error {
	var req createOrderRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	o := domain.Order{Number: req.Number, ProductCode: req.Product, Quantity: req.Quantity, Unit: req.Unit,
		Priority: req.Priority, CustomerRef: req.CustomerRef, Customer: req.Customer, OrderType: req.OrderType, Site: req.Site,
		Price: req.Price, Currency: req.Currency}
	if err := checkPrice(o.Price, o.Currency); err != nil {
		return err
	}
	if req.Due != "" {
		due, err := parseTime("due", req.Due)
		if err != nil {
			return err
		}
		o.Due = due
	}
	if err := domain.ValidateNewOrder(o); err != nil {
		return apiError(err)
	}
	if err := s.checkWork(c.Request().Context(), o.ProductCode, o.Quantity); err != nil {
		return err
	}
	created, err := s.opts.Store.CreateDraftOrder(c.Request().Context(), o, principal(c).Actor())
	if err != nil {
		if p := apiError(err); p != err {
			if pr, ok := p.(*Problem); ok && pr.Status == http.StatusConflict {
				pr.Field = "number"
			}
			return p
		}
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/orders/"+url.PathEscape(created.Number))
	return c.JSON(http.StatusCreated, created)
}

// checkWork refuses a quantity whose work on the product's slowest
// operation planning could not add up (domain.CheckWork). An unknown
// product is left to the store, which names it.
func (s *Server) checkWork(ctx context.Context, product string, quantity int64) error {
	p, err := s.opts.Store.GetProduct(ctx, product)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ops, err := s.opts.Store.Routing(ctx, product)
	if err != nil {
		return err
	}
	if e := domain.CheckWork("quantity", quantity, longestCycle(ops, p.IdealCycle)); e != nil {
		return apiError(e)
	}
	return nil
}

// longestCycle is the slowest operation's ideal cycle, else fallback.
func longestCycle(ops []domain.RoutingOp, fallback time.Duration) time.Duration {
	longest := fallback
	for _, op := range ops {
		longest = max(longest, op.IdealCycle)
	}
	return longest
}

type transitionRequest struct {
	Reason  string `json:"reason"`
	Comment string `json:"comment"`
}

// transition serves POST /api/v1/orders/:number/<action>. The route admits
// every role that may take the action from some state; domain.Authorize
// decides for the order's actual state.
func (s *Server) transition(action domain.Action) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req transitionRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		reason := strings.TrimSpace(req.Reason + " " + req.Comment)
		if (action == domain.ActionReject || action == domain.ActionCancel) && reason == "" {
			return invalid("reason", "reason is required to "+string(action)+" an order")
		}
		ctx := c.Request().Context()
		p := principal(c)
		number := c.Param("number")
		now := s.opts.Now()
		checkInFn := true
		switch action {
		case domain.ActionPause, domain.ActionComplete, domain.ActionCancel:
			// Close open runs first so counts stop being attributed; the
			// transition itself then checks nothing runs any more. A pause
			// marks what it stopped, for the order's resume.
			rec, err := s.opts.Store.GetOrderRecord(ctx, number)
			if err != nil {
				return apiError(err)
			}
			if err := checkMatch(c, domain.OrderETag(rec)); err != nil {
				return staleOr(err, "order "+number)
			}
			checkInFn = false // stopping the runs changes the version
			if _, err := domain.Authorize(p.Role, action, rec.Status); err != nil {
				return apiError(err)
			}
			stop := "stop"
			if action == domain.ActionPause {
				stop = domain.ActionPauseOrder
			}
			for _, w := range rec.WorkOrders {
				if w.Status == domain.StatusInProgress {
					if _, err := s.opts.Store.StopWorkOrderAs(ctx, w.ID, now, p.Actor(), stop); err != nil {
						return apiError(err)
					}
				}
			}
		case domain.ActionResume:
			if done, err := s.resumeOrder(c, number, now); done || err != nil {
				return err
			}
		}
		rec, err := s.opts.Store.ChangeOrder(ctx, number, p.Actor(), func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			if checkInFn {
				if err := checkMatch(c, domain.OrderETag(*rec)); err != nil {
					return domain.OrderChange{}, err
				}
			}
			t, err := domain.Authorize(p.Role, action, rec.Status)
			if err != nil {
				return domain.OrderChange{}, err
			}
			if action == domain.ActionApprove {
				if err := s.opts.Review.CheckApprovalFor(rec.OrderType, rec.ReviewRound, rec.Signoffs); err != nil {
					return domain.OrderChange{}, err
				}
			}
			if err := domain.ApplyTransition(rec, t, now); err != nil {
				return domain.OrderChange{}, err
			}
			return domain.OrderChange{Action: string(action), Reason: reason}, nil
		})
		if err != nil {
			return staleOr(err, "order "+number)
		}
		s.Notify()
		return orderChanged(c, rec)
	}
}

// resumeOrder resumes a paused order by starting again the work orders
// its pause stopped (each audited as resume; the first moves the order
// to in progress). done is false when its pause stopped none, and the
// order's own transition does the resume.
func (s *Server) resumeOrder(c echo.Context, number string, now time.Time) (done bool, err error) {
	ctx := c.Request().Context()
	p := principal(c)
	rec, err := s.opts.Store.GetOrderRecord(ctx, number)
	if err != nil {
		return true, apiError(err)
	}
	if err := checkMatch(c, domain.OrderETag(rec)); err != nil {
		return true, staleOr(err, "order "+number)
	}
	if _, err := domain.Authorize(p.Role, domain.ActionResume, rec.Status); err != nil {
		return true, apiError(err)
	}
	var ids []string
	for _, w := range rec.WorkOrders {
		if w.PausedByOrder && w.Status == domain.StatusPaused {
			ids = append(ids, w.ID)
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	for _, id := range ids {
		if _, err := s.opts.Store.StartWorkOrderAs(ctx, id, now, p.Actor(), string(domain.ActionResume)); err != nil {
			return true, apiError(err)
		}
	}
	rec, err = s.opts.Store.GetOrderRecord(ctx, number)
	if err != nil {
		return true, err
	}
	s.Notify()
	return true, orderChanged(c, rec)
}

type signoffRequest struct {
	Kind    string `json:"kind"`
	Comment string `json:"comment"`
	// Confirmed is technical coordination's checklist: drawings, bom and
	// routing must each be true for the technical sign-off.
	Confirmed map[string]bool `json:"confirmed"`
}

func (s *Server) signoff(c echo.Context) error {
	var req signoffRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	kind := domain.SignoffKind(req.Kind)
	if !kind.Valid() {
		return invalid("kind", "kind must be one of technical, process, material, capacity, quality, cost")
	}
	if err := checkTechnicalChecklist(kind, req.Confirmed); err != nil { // reviews.go
		return err
	}
	if kind == domain.SignoffMaterial {
		if err := s.checkMaterialSignoff(c, c.Param("number"), req.Comment); err != nil { // materials.go
			return err
		}
	}
	p := principal(c)
	now := s.opts.Now()
	rec, err := s.opts.Store.ChangeOrder(c.Request().Context(), c.Param("number"), p.Actor(),
		func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			if err := checkMatch(c, domain.OrderETag(*rec)); err != nil {
				return domain.OrderChange{}, err
			}
			if err := s.opts.Review.CheckSignoffFor(p.Role, kind, *rec); err != nil {
				return domain.OrderChange{}, err
			}
			if kind == domain.SignoffTechnical && len(rec.Routing) == 0 {
				return domain.OrderChange{}, &Problem{Status: http.StatusConflict, Field: "confirmed.routing",
					Detail: "product " + rec.ProductCode + " has no routing in master data: enter it before confirming technical coordination"}
			}
			rec.Signoffs = append(rec.Signoffs, domain.Signoff{Kind: kind, Round: rec.ReviewRound, By: p.Username,
				Role: p.Role, At: now, Comment: req.Comment})
			return domain.OrderChange{Action: "signoff:" + string(kind), Reason: req.Comment}, nil
		})
	if err != nil {
		return staleOr(err, "order "+c.Param("number"))
	}
	return orderChanged(c, rec)
}

type patchOrderRequest struct {
	Quantity *int64  `json:"quantity"`
	Due      *string `json:"due"`
	Priority *int    `json:"priority"`
	Reason   string  `json:"reason"`
}

func (s *Server) patchOrder(c echo.Context) error {
	var req patchOrderRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Quantity == nil && req.Due == nil && req.Priority == nil {
		return invalid("quantity", "send quantity, due or priority (or several)")
	}
	if req.Priority != nil && (*req.Priority < 0 || *req.Priority > 9) {
		return invalid("priority", "priority must be from 0 (normal) to 9 (most urgent)")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return invalid("reason", "reason is required for a change")
	}
	if req.Quantity != nil {
		if e := domain.CheckQuantity("quantity", *req.Quantity); e != nil {
			return apiError(e)
		}
	}
	var due *time.Time
	if req.Due != nil {
		var err error
		if due, err = parseTime("due", *req.Due); err != nil {
			return err
		}
	}
	p := principal(c)
	var what []string
	rec, err := s.opts.Store.ChangeOrder(c.Request().Context(), c.Param("number"), p.Actor(),
		func(rec *domain.OrderRecord) (domain.OrderChange, error) {
			what = what[:0] // ChangeOrder may call again
			if err := checkMatch(c, domain.OrderETag(*rec)); err != nil {
				return domain.OrderChange{}, err
			}
			if req.Quantity != nil && *req.Quantity != rec.Quantity {
				if !domain.Editable(rec.Status, "quantity") {
					return domain.OrderChange{}, &Problem{Status: http.StatusConflict, Field: "quantity",
						Detail: "quantity cannot change once the order is " + string(rec.Status)}
				}
				if e := domain.CheckWork("quantity", *req.Quantity, longestCycle(rec.Routing, 0)); e != nil {
					return domain.OrderChange{}, e
				}
				what = append(what, "quantity "+itoa(rec.Quantity)+" → "+itoa(*req.Quantity))
				rec.Quantity = *req.Quantity
				// Work not started yet is cut to the new quantity, so a
				// reschedule plans what will really be made.
				for i, w := range rec.WorkOrders {
					if w.ActualStart == nil && (w.Status == domain.StatusScheduled || w.Status == domain.StatusReleased) {
						rec.WorkOrders[i].Quantity = *req.Quantity
					}
				}
			}
			if due != nil {
				if !domain.Editable(rec.Status, "due") {
					return domain.OrderChange{}, &Problem{Status: http.StatusConflict, Field: "due",
						Detail: "due cannot change once the order is " + string(rec.Status)}
				}
				if rec.Due == nil || !rec.Due.Equal(*due) {
					old := "none"
					if rec.Due != nil {
						old = rec.Due.UTC().Format(time.RFC3339)
					}
					what = append(what, "due "+old+" → "+due.UTC().Format(time.RFC3339))
				}
				rec.Due = due
			}
			if req.Priority != nil && *req.Priority != rec.Priority {
				if !domain.Editable(rec.Status, "priority") {
					return domain.OrderChange{}, &Problem{Status: http.StatusConflict, Field: "priority",
						Detail: "priority cannot change once the order is " + string(rec.Status)}
				}
				what = append(what, "priority "+strconv.Itoa(rec.Priority)+" → "+strconv.Itoa(*req.Priority))
				rec.Priority = *req.Priority
			}
			return domain.OrderChange{Action: "edit", Reason: req.Reason}, nil
		})
	if err != nil {
		return staleOr(err, "order "+c.Param("number"))
	}
	if s.planner != nil && len(what) > 0 {
		// The change is committed whatever planning makes of it: a failed
		// proposal is logged, and the planner can still ask for one.
		prop, err := s.planner.OrderChanged(c.Request().Context(), rec.Number, strings.Join(what, ", "))
		switch {
		case err != nil:
			s.opts.Log.Warn("no reschedule proposal after an order change", "order", rec.Number, "err", err)
		case prop != nil:
			c.Response().Header().Set("X-Reschedule-Proposal", prop.ID)
			c.Response().Header().Add("Link", `</api/v1/schedule/proposals/`+url.PathEscape(prop.ID)+`>; rel="reschedule-proposal"`)
		}
	}
	return orderChanged(c, rec)
}

func (s *Server) deleteOrder(c echo.Context) error {
	err := s.opts.Store.DeleteOrder(c.Request().Context(), c.Param("number"), principal(c).Actor(),
		func(rec domain.OrderRecord) error {
			if err := checkMatch(c, domain.OrderETag(rec)); err != nil {
				return err
			}
			if rec.Status != domain.StatusDraft {
				return &Problem{Status: http.StatusConflict, Field: "status",
					Detail: "only a draft can be deleted; this order is " + string(rec.Status) + " (cancel it instead)"}
			}
			return nil
		})
	if err != nil {
		return staleOr(err, "order "+c.Param("number"))
	}
	return c.NoContent(http.StatusNoContent)
}

// checkPrice: a price needs its currency and a currency its price; a price
// is not negative.
func checkPrice(p *money.Amount, currency string) error {
	switch {
	case p == nil && currency != "":
		return invalid("price", "price is required with currency")
	case p == nil:
		return nil
	case currency == "":
		return invalid("currency", "currency is required with price (ISO 4217, e.g. CNY)")
	case *p < 0:
		return invalid("price", "price must not be negative")
	}
	if err := money.ValidCurrency(currency); err != nil {
		return invalid("currency", "currency "+err.Error())
	}
	return nil
}

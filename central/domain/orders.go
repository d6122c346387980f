package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Order types.
const (
	OrderTypeStandard = "standard"
	OrderTypeRework   = "rework"
	OrderTypeSample   = "sample"
	// OrderTypeSpecial is a special (non-standard, 非标) order: its
	// review starts with technical coordination (ReviewPolicy.Coordination).
	OrderTypeSpecial = "special"
)

// OrderTypes lists the accepted order types.
func OrderTypes() []string {
	return []string{OrderTypeStandard, OrderTypeRework, OrderTypeSample, OrderTypeSpecial}
}

// FieldError is a rule broken by one named field of a request.
type FieldError struct {
	Field string
	Rule  string
	// Conflict marks a value another record already holds (a badge): the
	// request is fine in itself but collides with the data (HTTP 409).
	Conflict bool
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Rule }

// Unwrap makes every field error an ErrInvalid, or ErrConflict if it is one.
func (e *FieldError) Unwrap() error {
	if e.Conflict {
		return ErrConflict
	}
	return ErrInvalid
}

// Invalid builds a *FieldError.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...)}
}

var numberRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

// ValidNumber checks an order number, work order id or similar code: 1-40
// letters, digits, '.', '_' or '-', starting with a letter or digit (so it is
// safe in a URL path and on a Code 128 barcode).
func ValidNumber(field, n string) error {
	if !numberRE.MatchString(n) {
		return Invalid(field, "must be 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

// ValidateNewOrder checks a draft before it is stored; number may be empty
// (the store assigns one).
func ValidateNewOrder(o Order) error {
	if o.Number != "" {
		if err := ValidNumber("number", o.Number); err != nil {
			return err
		}
	}
	if strings.TrimSpace(o.ProductCode) == "" {
		return Invalid("product", "is required")
	}
	if e := CheckText("product", o.ProductCode, 40); e != nil {
		return e
	}
	if e := CheckQuantity("quantity", o.Quantity); e != nil {
		return e
	}
	if o.Priority < 0 || o.Priority > 9 {
		return Invalid("priority", "must be from 0 (normal) to 9 (most urgent)")
	}
	if o.OrderType != "" && !slices.Contains(OrderTypes(), o.OrderType) {
		return Invalid("order_type", "must be one of %s", strings.Join(OrderTypes(), ", "))
	}
	for _, f := range []struct{ name, v string }{{"unit", o.Unit}, {"customer_ref", o.CustomerRef}, {"site", o.Site}} {
		if e := CheckText(f.name, f.v, 100); e != nil {
			return e
		}
	}
	if o.Customer != "" {
		if err := ValidNumber("customer", o.Customer); err != nil {
			return err
		}
	}
	if o.Due != nil {
		if e := CheckTime("due", *o.Due); e != nil {
			return e
		}
	}
	return nil
}

// OrderFilter narrows an order list. Zero values do not filter.
type OrderFilter struct {
	Status  []OrderStatus
	Product string
	Line    string // orders with a work order (or a routing operation) on it
	DueFrom *time.Time
	DueTo   *time.Time
	Query   string // substring of number, product, product name, customer ref, customer code or name
	// Customer keeps the orders of one customer (its code).
	Customer string
	After    string // keyset cursor: numbers greater than this
	Offset   int
	Limit    int // 0: no limit
}

// RoutingOp is one operation of a product's routing.
type RoutingOp struct {
	ProductCode string        `json:"product"`
	Seq         int           `json:"seq"`
	Name        string        `json:"name"`
	LineID      string        `json:"line"`
	IdealCycle  time.Duration `json:"-"`
	Setup       time.Duration `json:"-"`
	// OverlapQty, when set, is how many good parts the operation before
	// this one must have made before it may start (ExecutionRules).
	OverlapQty *int64 `json:"-"`
}

// Station is where an operator scans, on one line.
type Station struct {
	ID     string `json:"id"`
	LineID string `json:"line"`
	Name   string `json:"name"`
}

// OrderRecord is everything a change to an order may look at or touch: the
// order, its work orders and sign-offs, and (read-only) its product's routing.
type OrderRecord struct {
	OrderDetail
	Signoffs []Signoff   `json:"signoffs"`
	Routing  []RoutingOp `json:"-"`
}

// WorkOrderID is the id (and barcode) of operation seq of an order: order
// number PO-1001, seq 10 → WO-1001-10.
func WorkOrderID(orderNumber string, seq int) string {
	return fmt.Sprintf("WO-%s-%d", strings.TrimPrefix(orderNumber, "PO-"), seq)
}

// CutWorkOrders makes one work order per routing operation, for release.
func CutWorkOrders(o Order, routing []RoutingOp) ([]WorkOrder, error) {
	if len(routing) == 0 {
		return nil, Invalid("product", "product %s has no routing, so no work orders can be released", o.ProductCode)
	}
	out := make([]WorkOrder, 0, len(routing))
	for _, op := range routing {
		id := WorkOrderID(o.Number, op.Seq)
		out = append(out, WorkOrder{ID: id, OrderNumber: o.Number, OperationSeq: op.Seq, LineID: op.LineID,
			Barcode: id, Quantity: o.Quantity, Status: StatusReleased})
	}
	return out, nil
}

// OrderChange is what a change to an order reports for its audit entry.
type OrderChange struct {
	Action string // e.g. "approve", "edit"
	Reason string // why, when the rule asks for one
}

func terminal(s OrderStatus) bool {
	return s == StatusCompleted || s == StatusClosed || s == StatusCancelled
}

// ApplyTransition moves rec along t at time at, with its effects on work
// orders: release cuts one per routing operation (or releases the ones
// already planned); complete and cancel finish every open work order.
// Pause, complete and cancel need every work order stopped first (their
// runs closed), so counts stop being attributed before the status moves.
func ApplyTransition(rec *OrderRecord, t Transition, at time.Time) error {
	if rec.Status != t.From {
		return fmt.Errorf("order %s is %s, not %s: %w", rec.Number, rec.Status, t.From, ErrConflict)
	}
	switch t.Action {
	case ActionSubmit:
		rec.ReviewRound++
	case ActionRelease:
		if len(rec.WorkOrders) == 0 {
			wos, err := CutWorkOrders(rec.Order, rec.Routing)
			if err != nil {
				return err
			}
			rec.WorkOrders = wos
		}
		for i := range rec.WorkOrders {
			if w := &rec.WorkOrders[i]; !terminal(w.Status) && w.Status != StatusInProgress && w.Status != StatusPaused {
				w.Status = StatusReleased
			}
		}
	case ActionPause, ActionComplete, ActionCancel:
		for i := range rec.WorkOrders {
			w := &rec.WorkOrders[i]
			if w.Status == StatusInProgress {
				return fmt.Errorf("work order %s is still running: %w", w.ID, ErrConflict)
			}
			if terminal(w.Status) || t.Action == ActionPause {
				continue
			}
			if t.Action == ActionComplete {
				w.Status = StatusCompleted
				if w.ActualEnd == nil {
					end := at
					w.ActualEnd = &end
				}
			} else {
				w.Status = StatusCancelled
			}
		}
	}
	rec.Status = t.To
	return nil
}

// CompleteWorkOrder marks one stopped work order completed at at; when every
// work order of the order is then finished, the order completes too, if role
// may complete it. It reports whether the order completed.
func CompleteWorkOrder(rec *OrderRecord, id string, role Role, at time.Time) (orderCompleted bool, err error) {
	idx := slices.IndexFunc(rec.WorkOrders, func(w WorkOrder) bool { return w.ID == id })
	if idx < 0 {
		return false, fmt.Errorf("work order %s is not part of order %s: %w", id, rec.Number, ErrNotFound)
	}
	w := &rec.WorkOrders[idx]
	switch w.Status {
	case StatusPaused:
	case StatusInProgress:
		return false, fmt.Errorf("work order %s is still running: %w", id, ErrConflict)
	default:
		return false, fmt.Errorf("work order %s is %s; only a started work order can be completed: %w", id, w.Status, ErrConflict)
	}
	w.Status = StatusCompleted
	end := at
	w.ActualEnd = &end
	if slices.ContainsFunc(rec.WorkOrders, func(w WorkOrder) bool { return !terminal(w.Status) }) {
		return false, nil
	}
	if rec.Status != StatusInProgress && rec.Status != StatusPaused {
		return false, nil
	}
	if !Allowed(role, rec.Status, StatusCompleted) {
		return false, fmt.Errorf("role %s may not complete order %s: %w", role, rec.Number, ErrForbidden)
	}
	rec.Status = StatusCompleted
	return true, nil
}

// SignoffRoles lists every role that may sign some aspect.
func SignoffRoles() []Role {
	var out []Role
	for _, r := range Roles() {
		for _, k := range SignoffKinds() {
			if CanSignOff(r, k) && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// ActionRoles lists every role that may take action from some status.
func ActionRoles(a Action) []Role {
	var out []Role
	for _, r := range Roles() {
		for _, t := range lifecycle {
			if t.Action == a && slices.Contains(t.Roles, r) && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

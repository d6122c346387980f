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
)

// OrderTypes lists the accepted order types.
func OrderTypes() []string { return []string{OrderTypeStandard, OrderTypeRework, OrderTypeSample} }

// FieldError is a rule broken by one named field of a request.
type FieldError struct {
	Field string
	Rule  string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Rule }

// Unwrap makes every field error an ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

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
	if o.Quantity <= 0 {
		return Invalid("quantity", "must be a whole number greater than 0")
	}
	if o.Priority < 0 || o.Priority > 9 {
		return Invalid("priority", "must be from 0 (normal) to 9 (most urgent)")
	}
	if o.OrderType != "" && !slices.Contains(OrderTypes(), o.OrderType) {
		return Invalid("order_type", "must be one of %s", strings.Join(OrderTypes(), ", "))
	}
	for _, f := range []struct{ name, v string }{{"unit", o.Unit}, {"customer_ref", o.CustomerRef}, {"site", o.Site}} {
		if len(f.v) > 100 {
			return Invalid(f.name, "must be at most 100 characters")
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
	Query   string // substring of number, product, product name or customer ref
	After   string // keyset cursor: numbers greater than this
	Offset  int
	Limit   int // 0: no limit
}

// RoutingOp is one operation of a product's routing.
type RoutingOp struct {
	ProductCode string        `json:"product"`
	Seq         int           `json:"seq"`
	Name        string        `json:"name"`
	LineID      string        `json:"line"`
	IdealCycle  time.Duration `json:"-"`
	Setup       time.Duration `json:"-"`
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

// Package domain holds central's vocabulary — lines, products, production
// orders, work orders — and the plan-versus-actual arithmetic on them.
//
// It is plain Go: it must never import echo, database/sql or any transport,
// so every other central package can depend on it and it on none of them.
package domain

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/linewise/linewise/central/money"
)

// Sentinel errors the storage and HTTP layers agree on.
var (
	// ErrNotFound: the named order, work order or line does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request contradicts the current state (for example a
	// work order is started on a line that already runs another one).
	ErrConflict = errors.New("conflict")
)

// OrderStatus is a production order's (or work order's) lifecycle state.
type OrderStatus string

// Lifecycle states: draft → under_review → approved | rejected → scheduled →
// released → in_progress ⇄ paused → completed → closed; cancelled before completion.
const (
	StatusDraft       OrderStatus = "draft"
	StatusUnderReview OrderStatus = "under_review"
	StatusApproved    OrderStatus = "approved"
	StatusRejected    OrderStatus = "rejected"
	StatusScheduled   OrderStatus = "scheduled"
	StatusReleased    OrderStatus = "released"
	StatusInProgress  OrderStatus = "in_progress"
	StatusPaused      OrderStatus = "paused"
	StatusCompleted   OrderStatus = "completed"
	StatusClosed      OrderStatus = "closed"
	StatusCancelled   OrderStatus = "cancelled"
)

// Line is a work center that an edge reports for.
type Line struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Site string `json:"site,omitempty"` // "" when the line belongs to no site
}

// Product is a material that orders make.
type Product struct {
	Code       string        `json:"code"`
	Name       string        `json:"name"`
	Unit       string        `json:"unit"`
	IdealCycle time.Duration `json:"-"`
	// Family groups products that follow one another on a line without a
	// changeover; "" is a family of its own, the product's code (FamilyOf).
	Family string `json:"family"`
}

// FamilyOf is the changeover family p plans as: its Family, else its code.
func (p Product) FamilyOf() string {
	if p.Family != "" {
		return p.Family
	}
	return p.Code
}

// Order is a production order.
type Order struct {
	Number      string      `json:"number"`
	ProductCode string      `json:"product"`
	ProductName string      `json:"product_name"`
	Quantity    int64       `json:"quantity"`
	Due         *time.Time  `json:"due"`
	Priority    int         `json:"priority"`
	Status      OrderStatus `json:"status"`
	Good        int64       `json:"good"`   // sum over its work orders
	Reject      int64       `json:"reject"` // sum over its work orders
	Unit        string      `json:"unit"`
	CustomerRef string      `json:"customer_ref"`
	// Customer is the customer master's code ("" for orders without one);
	// CustomerName and CustomerGrade are read from the master.
	Customer      string `json:"customer"`
	CustomerName  string `json:"customer_name,omitempty"`
	CustomerGrade string `json:"customer_grade,omitempty"`
	OrderType     string `json:"order_type"`
	Site          string `json:"site"`
	// ReviewRound counts submissions; sign-offs count only in the current one.
	ReviewRound int `json:"review_round"`
	// Price is the unit price the customer pays, in Currency (ISO 4217);
	// nil: not priced. The cost settlement's margin uses it.
	Price     *money.Amount `json:"price,omitempty"`
	Currency  string        `json:"currency,omitempty"`
	CreatedAt *time.Time    `json:"created_at,omitempty"`
	UpdatedAt *time.Time    `json:"updated_at,omitempty"`
}

// WorkOrder is one operation of one order on one line.
type WorkOrder struct {
	ID           string      `json:"id"`
	OrderNumber  string      `json:"order"`
	OperationSeq int         `json:"operation_seq"`
	LineID       string      `json:"line"`
	Barcode      string      `json:"barcode"`
	Quantity     int64       `json:"quantity"`
	PlannedStart *time.Time  `json:"planned_start"`
	PlannedEnd   *time.Time  `json:"planned_end"`
	ActualStart  *time.Time  `json:"actual_start"`
	ActualEnd    *time.Time  `json:"actual_end"`
	Status       OrderStatus `json:"status"`
	Good         int64       `json:"good"`
	Reject       int64       `json:"reject"`
	// PausedByOrder: an order-level pause stopped it, so the order's
	// resume starts it again.
	PausedByOrder bool `json:"paused_by_order,omitempty"`
}

// OrderDetail is an order with its work orders in operation order.
type OrderDetail struct {
	Order
	WorkOrders []WorkOrder `json:"work_orders"`
}

// ActiveWork is what a line is working on now, with what plan math needs.
type ActiveWork struct {
	WorkOrderID  string
	OrderNumber  string
	Barcode      string
	ProductCode  string
	ProductName  string
	Status       OrderStatus
	PlannedQty   int64
	PlannedStart *time.Time
	IdealCycle   time.Duration
	Good         int64
	Reject       int64
}

// LineView is a line with its last known machine state and active work.
type LineView struct {
	Line
	// State is a wire state (running, idle, ...) or "" when the line never reported.
	State       string
	Reason      string
	StateSince  *time.Time
	LastEventAt *time.Time
	Active      *ActiveWork // nil when nothing runs or is paused on the line
	// Unattributed parts were counted while no work order ran on the line.
	UnattributedGood   int64
	UnattributedReject int64
	// Stall, when set, is the line's edge being stalled: its counts here
	// lag behind the machine (central/liveness).
	Stall *EdgeStall
	// ClockSkewMS is how far a device of the line has its clock off, in
	// milliseconds (device minus edge), as the line's latest event reports;
	// 0 while every device is within the edge's tolerance. The edge then
	// stamps that device's events with its own receive time.
	ClockSkewMS int64
}

// EdgeStall is an edge whose backlog waits while nothing new commits: it
// is up (its heartbeats arrive) but its events do not.
type EdgeStall struct {
	Edge string `json:"edge"`
	// Since: no new event from the edge committed since then.
	Since          time.Time `json:"since"`
	OutboxDepth    int64     `json:"outbox_depth"`
	OldestUnackedS float64   `json:"oldest_unacked_s"`
}

// EventRecord is a stored raw event as received from an edge.
type EventRecord struct {
	EdgeID      string          `json:"edge_id"`
	Seq         uint64          `json:"seq"`
	LineID      string          `json:"line"`
	Type        string          `json:"type"`
	SourceTime  time.Time       `json:"ts"`
	ReceivedAt  time.Time       `json:"received_at"`
	WorkOrderID *string         `json:"work_order"`
	Payload     json.RawMessage `json:"payload"`
}

// ExpectedByNow is how many parts the plan expects by now: one per ideal
// cycle since plannedStart, 0 before it, never more than qty. A zero cycle
// time or quantity expects nothing (there is no rate to plan with).
func ExpectedByNow(plannedStart time.Time, idealCycle time.Duration, qty int64, now time.Time) int64 {
	if idealCycle <= 0 || qty <= 0 || plannedStart.IsZero() || !now.After(plannedStart) {
		return 0
	}
	n := int64(now.Sub(plannedStart) / idealCycle)
	if n > qty {
		return qty
	}
	return n
}

// Attainment is good as a percentage of expected, or nil when nothing is
// expected yet (a percentage of zero is meaningless, not 0 or 100).
func Attainment(good, expected int64) *float64 {
	if expected <= 0 {
		return nil
	}
	p := float64(good) / float64(expected) * 100
	return &p
}

// EdgeStatus is what central knows of an edge's liveness: whether it is
// online (its status says so and it spoke within the grace), when central
// last heard from it (a batch, a heartbeat, a status), and what it reported
// of itself.
type EdgeStatus struct {
	ID     string   `json:"id"`
	Lines  []string `json:"lines"`
	Online bool     `json:"online"`
	// Reported is the status the edge last published or posted: online,
	// offline (its shutdown or its MQTT Last Will), "" when none yet.
	Reported  string     `json:"status,omitempty"`
	LastSeen  *time.Time `json:"last_seen"`               // nil: not heard from since central started
	Since     *time.Time `json:"offline_since,omitempty"` // when offline: since when (its will, its last word, or central's start)
	Version   string     `json:"version,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	// Stalled: heartbeats arrive but its backlog waits while nothing new
	// commits (then Online is false); Stall says since when and how much.
	Stalled bool       `json:"stalled"`
	Stall   *EdgeStall `json:"stall,omitempty"`
	// The backlog its last heartbeat reported (absent: none reported) and
	// when central last committed a new event of it.
	OutboxDepth    *int64     `json:"outbox_depth,omitempty"`
	OldestUnackedS *float64   `json:"oldest_unacked_s,omitempty"`
	LastCommit     *time.Time `json:"last_commit,omitempty"`
}

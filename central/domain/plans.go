package domain

import (
	"encoding/json"
	"time"
)

// Proposal statuses: a proposal is computed pending and becomes the plan only
// when a planner approves it.
const (
	ProposalPending  = "pending"
	ProposalApproved = "approved"
	ProposalRejected = "rejected"
	// ProposalSuperseded: a newer proposal about the same line replaced
	// it while it was pending; it can no longer be approved.
	ProposalSuperseded = "superseded"
	// ProposalExpired: it stayed pending longer than planning.proposal_ttl;
	// it can no longer be approved.
	ProposalExpired = "expired"
)

// Proposal kinds: why a plan was computed.
const (
	ProposalManual      = "manual"
	ProposalLineDown    = "line_down"
	ProposalBehindPlan  = "behind_plan"
	ProposalOrderChange = "order_changed"
	ProposalRush        = "rush"
)

// PlanWork is one open work order with everything planning needs about it,
// its order and its product (one row of the planning input).
type PlanWork struct {
	WorkOrderID  string
	OrderNumber  string
	OperationSeq int
	LineID       string
	Quantity     int64
	Good         int64
	Status       OrderStatus
	PlannedStart *time.Time
	PlannedEnd   *time.Time
	ActualStart  *time.Time
	OrderStatus  OrderStatus
	Due          *time.Time
	Priority     int
	ProductCode  string
	ProductName  string
	Family       string        // the product's changeover family (Product.FamilyOf)
	IdealCycle   time.Duration // the routing operation's, else the product's
	Setup        time.Duration // the routing operation's fixed setup
	// Tentative: the order is scheduled and has no work orders yet; this is
	// a routing operation with the id release will give its work order.
	Tentative bool
}

// PlanProposal is a computed plan waiting for (or past) a planner's decision.
// Plan and Diff are documents owned by the planning package; the store keeps
// them as they are.
type PlanProposal struct {
	ID     string
	Kind   string
	Reason string
	LineID string // the line an automatic proposal is about, else ""
	// A rush proposal sets the order's priority and due date when approved.
	RushOrder    string
	RushPriority *int
	RushDue      *time.Time
	// BaseVersion is the current plan's version the proposal was computed
	// against; approving it after another plan was approved is a conflict.
	BaseVersion int64
	Status      string
	CreatedAt   time.Time
	DecidedAt   *time.Time
	DecidedBy   string
	// SupersededBy names the proposal that superseded it.
	SupersededBy string
	Plan         json.RawMessage
	Diff         json.RawMessage
}

// CurrentPlan is the approved plan in force.
type CurrentPlan struct {
	Version    int64
	ProposalID string
	AppliedAt  time.Time
	Plan       json.RawMessage
}

// WorkOrderPlan is where and when one work order is planned.
type WorkOrderPlan struct {
	WorkOrderID string
	LineID      string
	Start, End  time.Time
	// Tentative: planned for a scheduled order before release; its work
	// order may not exist yet (then nothing is written).
	Tentative bool
}

// PlanApproval is everything approving a proposal changes, in one transaction.
type PlanApproval struct {
	ProposalID string
	By         Actor
	At         time.Time
	WorkOrders []WorkOrderPlan
	// Comment is the approver's word on a rush (its request's comment).
	Comment string
}

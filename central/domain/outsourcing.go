package domain

import (
	"slices"
	"time"
)

// Outsourcing (外协, issue #13): one operation of one production order done
// by a supplier under a subcontract purchase order. The plant's documents
// require company management to approve it; the components go to a stock
// location per supplier, and the part made there comes back as a lot of
// the order's product, made by the operation's work order, so genealogy
// runs through it like any other operation.

// SubcontractMode says when a routing operation is outsourced.
type SubcontractMode string

// Subcontract modes.
const (
	SubcontractAlways   SubcontractMode = "always"    // every order's operation goes out
	SubcontractPerOrder SubcontractMode = "per_order" // chosen per order (a saturated line)
)

// SubcontractOp marks a routing operation as subcontracted, with the
// supplier it goes to by default.
type SubcontractOp struct {
	Product  string          `json:"product"`
	Seq      int             `json:"seq"`
	Mode     SubcontractMode `json:"mode"`
	Supplier string          `json:"supplier,omitempty"`
}

// SubcontractStatus is where an outsourced operation stands.
type SubcontractStatus string

// Subcontract statuses: requested → approved (the subcontract purchase
// order exists) → at_supplier (components sent) → received (all sent came
// back) → closed (all inspected); rejected by management; cancelled
// before anything was sent.
const (
	SubRequested  SubcontractStatus = "requested"
	SubApproved   SubcontractStatus = "approved"
	SubRejected   SubcontractStatus = "rejected"
	SubAtSupplier SubcontractStatus = "at_supplier"
	SubReceived   SubcontractStatus = "received"
	SubClosed     SubcontractStatus = "closed"
)

// SubcontractStatuses lists them.
func SubcontractStatuses() []SubcontractStatus {
	return []SubcontractStatus{SubRequested, SubApproved, SubRejected, SubAtSupplier, SubReceived, SubClosed}
}

// SubcontractLot is a lot that went to the supplier or came back.
type SubcontractLot struct {
	Lot      string    `json:"lot"`
	Material string    `json:"material"`
	Quantity Qty       `json:"quantity"`
	Unit     string    `json:"unit"`
	From     string    `json:"from,omitempty"` // sent: where it was taken from
	Status   string    `json:"status,omitempty"`
	At       time.Time `json:"at"`
}

// Subcontract is one outsourced operation. Sent, Received, Inspected and
// Accepted count the order's parts (the work order's unit); AtSupplier is
// Sent − Received.
type Subcontract struct {
	ID           string            `json:"id"`
	WorkOrder    string            `json:"work_order"`
	Order        string            `json:"order"`
	OperationSeq int               `json:"operation_seq"`
	Product      string            `json:"product"`
	Supplier     string            `json:"supplier"`
	Quantity     int64             `json:"quantity"`
	Status       SubcontractStatus `json:"status"`
	Reason       string            `json:"reason,omitempty"`
	RequestedBy  string            `json:"requested_by"`
	RequestedAt  time.Time         `json:"requested_at"`
	ApprovedBy   string            `json:"approved_by,omitempty"`
	ApprovedAt   *time.Time        `json:"approved_at,omitempty"`
	PO           string            `json:"purchase_order,omitempty"`
	Location     string            `json:"location,omitempty"` // the supplier's stock location
	LeadTimeDays int               `json:"lead_time_days"`
	// ExpectedAt: when the parts are due back (first shipment + the
	// supplier's lead time; before that, approval + lead time). The
	// scheduler starts the next operation no earlier.
	ExpectedAt *time.Time       `json:"expected_at,omitempty"`
	NextWork   string           `json:"next_work_order,omitempty"`
	Sent       int64            `json:"sent"`
	AtSupplier int64            `json:"at_supplier"`
	Received   int64            `json:"received"`
	Inspected  int64            `json:"inspected"`
	Accepted   int64            `json:"accepted"`
	Shipped    []SubcontractLot `json:"shipped"`
	Returned   []SubcontractLot `json:"returned"`
}

// Who asks for outsourcing and who approves it: planners and buyers see a
// saturated line or a missing capability; management signs.
var (
	subRequesters = []Role{RolePlanner, RoleBuyer, RoleManager, RoleAdmin}
	subApprovers  = []Role{RoleManager, RoleAdmin}
)

// SubcontractRequesters may mark operations and ask for outsourcing.
func SubcontractRequesters() []Role { return slices.Clone(subRequesters) }

// SubcontractApprovers may approve or reject outsourcing (never their own request).
func SubcontractApprovers() []Role { return slices.Clone(subApprovers) }

// PurchaseAlert is one of purchasing's alerts on one work order it puts
// at risk (WorkOrder and Line empty when it puts none at risk). Key names
// what is wrong (the purchase order line, the receipt, the supplier, the
// subcontract), so the same condition is raised once.
type PurchaseAlert struct {
	Kind      ExceptionKind
	Line      string
	WorkOrder string
	Key       string
	Detail    string
}

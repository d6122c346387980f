package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MovementType is what a ledger entry records.
type MovementType string

// Movement types. Each says which of from/to it uses.
const (
	MoveReceipt    MovementType = "receipt"    // into to, from a supplier; creates the lot
	MoveIssue      MovementType = "issue"      // out of from, to a work order
	MoveReturn     MovementType = "return"     // into to, back from a work order
	MoveTransfer   MovementType = "transfer"   // from → to
	MoveAdjustment MovementType = "adjustment" // at location, signed, with a reason
	MoveScrap      MovementType = "scrap"      // out of from, with a reason
	MoveFGReceipt  MovementType = "fg_receipt" // into to, produced by a work order; creates the lot
	MoveShipment   MovementType = "shipment"   // out of from, against an order
)

// MovementTypes lists every type.
func MovementTypes() []MovementType {
	return []MovementType{MoveReceipt, MoveIssue, MoveReturn, MoveTransfer, MoveAdjustment, MoveScrap, MoveFGReceipt, MoveShipment}
}

// Who may book movements: warehouse staff every kind; supervisors the
// ones production makes (issue, return, scrap, finished goods); counting
// differences (adjustments) only warehouse and admin.
var (
	warehouseMovers  = []Role{RoleWarehouse, RoleAdmin}
	productionMovers = []Role{RoleWarehouse, RoleSupervisor, RoleAdmin}
)

// MovementRoles lists the roles that may book a movement of type t.
func MovementRoles(t MovementType) []Role {
	switch t {
	case MoveIssue, MoveReturn, MoveScrap, MoveFGReceipt:
		return slices.Clone(productionMovers)
	}
	return slices.Clone(warehouseMovers)
}

// LotDeciders may release, block or quarantine a lot.
func LotDeciders() []Role { return []Role{RoleQuality, RoleAdmin} }

// LevelKeepers may set safety stock, reorder points and maxima.
func LevelKeepers() []Role { return []Role{RoleWarehouse, RolePlanner, RoleAdmin} }

// StockKeepers may edit locations and unit conversions.
func StockKeepers() []Role { return []Role{RoleWarehouse, RoleAdmin} }

// MovementRequest is one movement as asked for. Quantity is in Unit (""
// the material's base unit); for an adjustment it is signed and Location
// names the balance, for the other types it is positive and From/To name
// the balances (see the type constants).
type MovementRequest struct {
	Type      MovementType `json:"-"`
	Lot       string       `json:"lot"`
	Quantity  Qty          `json:"quantity"`
	Unit      string       `json:"unit,omitempty"`
	From      string       `json:"from,omitempty"`
	To        string       `json:"to,omitempty"`
	Location  string       `json:"location,omitempty"`
	WorkOrder string       `json:"work_order,omitempty"`
	Order     string       `json:"order,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	// ClientID, when set, makes a retry safe: the same id from the same
	// user or token is the same movement (answered again, not booked again).
	ClientID string `json:"client_id,omitempty"`
	// Receipt only: the material of a new lot, the supplier's lot number.
	Material    string `json:"material,omitempty"`
	SupplierLot string `json:"supplier_lot,omitempty"`
	// Receipt and finished goods: when the new lot expires.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// CheckMovement checks a request's shape: which fields its type needs and
// forbids. Stock, statuses and references are the store's to check.
func CheckMovement(m MovementRequest) error {
	if !slices.Contains(MovementTypes(), m.Type) {
		return Invalid("type", "must be one of %s", joinTypes())
	}
	if err := ValidNumber("lot", m.Lot); err != nil {
		return err
	}
	if m.Type == MoveAdjustment {
		if m.Quantity == 0 || m.Quantity > MaxStock || m.Quantity < -MaxStock {
			return Invalid("quantity", "must be a number other than 0 (negative takes stock away), at most %d in size", int64(MaxQuantity))
		}
	} else if m.Quantity <= 0 || m.Quantity > MaxStock {
		return Invalid("quantity", "must be a number above 0 and at most %d", int64(MaxQuantity))
	}
	if m.Unit != "" {
		if err := CheckUnit("unit", m.Unit); err != nil {
			return err
		}
	}
	need := map[MovementType][]string{
		MoveReceipt:    {"to"},
		MoveIssue:      {"from", "work_order"},
		MoveReturn:     {"to", "work_order"},
		MoveTransfer:   {"from", "to"},
		MoveAdjustment: {"location", "reason"},
		MoveScrap:      {"from", "reason"},
		MoveFGReceipt:  {"to", "work_order"},
		MoveShipment:   {"from", "order"},
	}[m.Type]
	fields := map[string]string{"from": m.From, "to": m.To, "location": m.Location, "work_order": m.WorkOrder,
		"order": m.Order, "reason": m.Reason, "material": m.Material, "supplier_lot": m.SupplierLot}
	allowed := append(slices.Clone(need), "reason")
	switch m.Type {
	case MoveReceipt:
		allowed = append(allowed, "material", "supplier_lot")
	case MoveScrap:
		allowed = append(allowed, "work_order")
	}
	for _, f := range need {
		if strings.TrimSpace(fields[f]) == "" {
			return Invalid(f, "is required for a %s", m.Type)
		}
	}
	for _, f := range []string{"from", "to", "location", "work_order", "order", "material", "supplier_lot"} {
		if fields[f] == "" {
			continue
		}
		if !slices.Contains(allowed, f) {
			return Invalid(f, "is not used by a %s", m.Type)
		}
		if f == "supplier_lot" {
			if e := CheckText(f, fields[f], 80); e != nil {
				return e
			}
			continue
		}
		if err := ValidNumber(f, fields[f]); err != nil {
			return err
		}
	}
	if e := CheckText("reason", m.Reason, 500); e != nil {
		return e
	}
	if e := CheckText("client_id", m.ClientID, 100); e != nil {
		return e
	}
	if m.Type == MoveTransfer && m.From == m.To {
		return Invalid("to", "must differ from from")
	}
	if m.ExpiresAt != nil {
		if m.Type != MoveReceipt && m.Type != MoveFGReceipt {
			return Invalid("expires_at", "is only for a receipt or fg_receipt")
		}
		if e := CheckTime("expires_at", *m.ExpiresAt); e != nil {
			return e
		}
	}
	return nil
}

func joinTypes() string {
	var s []string
	for _, t := range MovementTypes() {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}

// Movement is a ledger entry. Quantity is positive, in the material's base
// unit; From is the balance it lowered, To the one it raised.
type Movement struct {
	ID              string       `json:"id"`
	Type            MovementType `json:"type"`
	Material        string       `json:"material"`
	Lot             string       `json:"lot"`
	From            string       `json:"from,omitempty"`
	To              string       `json:"to,omitempty"`
	Quantity        Qty          `json:"quantity"`
	Unit            string       `json:"unit"`
	EnteredQuantity Qty          `json:"entered_quantity"`
	EnteredUnit     string       `json:"entered_unit"`
	WorkOrder       string       `json:"work_order,omitempty"`
	Order           string       `json:"order,omitempty"`
	Reason          string       `json:"reason,omitempty"`
	// Negative: the movement took a balance below zero, where the
	// location allows it. Someone should look.
	Negative bool      `json:"negative"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Role     Role      `json:"role"`
	ClientID string    `json:"client_id,omitempty"`
	// Replayed: this answer is the earlier movement of the same client_id.
	Replayed bool `json:"replayed,omitempty"`
}

// MovementFilter narrows the ledger; zero values do not filter. Location
// matches either side. After is the id of the last entry of the previous
// page (newest first).
type MovementFilter struct {
	Type      MovementType
	Material  string
	Lot       string
	Location  string
	WorkOrder string
	Order     string
	From, To  *time.Time // [From, To)
	After     string
	Limit     int
}

// Balance is the stock of one lot at one location.
type Balance struct {
	Material  string     `json:"material"`
	Lot       string     `json:"lot"`
	Location  string     `json:"location"`
	Quantity  Qty        `json:"quantity"`
	Unit      string     `json:"unit"`
	LotStatus LotStatus  `json:"lot_status"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Cursor is the balance's key for paging a stock list: "lot/location"
// (lot and location ids cannot contain '/').
func (b Balance) Cursor() string { return b.Lot + "/" + b.Location }

// StockFilter narrows a stock query; zero values do not filter. Zero
// balances are left out unless WithZero. After is the previous page's
// last "lot/location".
type StockFilter struct {
	Material, Lot, Location string
	WithZero                bool
	After                   string
	Limit                   int
}

// InsufficientStockError refuses taking more than a balance holds where
// the location does not allow negative stock. It is a conflict with the
// state: the same request may pass once stock arrives.
type InsufficientStockError struct {
	Lot, Location, Unit string
	OnHand, Wanted      Qty
}

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("lot %s has %s %s at %s; %s %s wanted, and %s does not allow negative stock",
		e.Lot, e.OnHand, e.Unit, e.Location, e.Wanted, e.Unit, e.Location)
}

// Unwrap makes it a conflict on the quantity.
func (e *InsufficientStockError) Unwrap() error {
	return &FieldError{Field: "quantity", Rule: e.Error(), Conflict: true}
}

// TraceNode is one lot in a genealogy tree. Backward, its children are the
// component lots its producing work order consumed; forward, they are the
// lots made by the work orders that consumed it (a work order that has made
// no lot yet appears with Lot ""). Quantity is how much of the lower lot
// went into the upper one (the root's: its received or produced quantity),
// in the lower lot's unit; FirstAt/LastAt when it was issued.
type TraceNode struct {
	// Serial: the trace was asked for this serial (the root is its lot, or
	// its work order before the lot was booked).
	Serial      string     `json:"serial,omitempty"`
	Lot         string     `json:"lot"`
	Material    string     `json:"material"`
	Unit        string     `json:"unit"`
	Status      LotStatus  `json:"status,omitempty"`
	SupplierLot string     `json:"supplier_lot,omitempty"`
	Quantity    Qty        `json:"quantity"`
	WorkOrder   string     `json:"work_order,omitempty"` // the work order that made this lot
	Order       string     `json:"order,omitempty"`
	Line        string     `json:"line,omitempty"`
	ReceivedAt  *time.Time `json:"received_at,omitempty"`
	ProducedAt  *time.Time `json:"produced_at,omitempty"`
	FirstAt     *time.Time `json:"first_issued_at,omitempty"`
	LastAt      *time.Time `json:"last_issued_at,omitempty"`
	// Shipments (forward only): where this lot left the plant.
	Shipments []Shipment `json:"shipments,omitempty"`
	// Cycle: the lot already appears above itself on this branch; it is
	// not expanded again.
	Cycle    bool        `json:"cycle,omitempty"`
	Children []TraceNode `json:"children"`
}

// Shipment is a lot's quantity shipped against an order.
type Shipment struct {
	Order       string    `json:"order"`
	CustomerRef string    `json:"customer_ref,omitempty"`
	Quantity    Qty       `json:"quantity"`
	At          time.Time `json:"at"`
}

// MaxTraceDepth bounds a genealogy tree's depth (levels of semi-finished
// products); deeper branches are not expanded.
const MaxTraceDepth = 50

// LotFilter narrows a list of lots; zero values do not filter. After is
// the last id of the previous page.
type LotFilter struct {
	Material string
	Status   LotStatus
	// SupplierLot: the lots received under this supplier's lot number.
	SupplierLot string
	After       string
	Limit       int
}

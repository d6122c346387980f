package domain

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Purchasing (issue #13): suppliers and what each may supply, purchase
// orders with approval limits per role, and the document a supplier reads.

// SupplierStatus says whether a supplier may be ordered from.
type SupplierStatus string

// Supplier statuses: an approved supplier and one on probation may be
// ordered from (probation is watched: its scorecard decides); a blocked one
// may not.
const (
	SupplierApproved  SupplierStatus = "approved"
	SupplierProbation SupplierStatus = "probation"
	SupplierBlocked   SupplierStatus = "blocked"
)

// SupplierStatuses lists every status.
func SupplierStatuses() []SupplierStatus {
	return []SupplierStatus{SupplierApproved, SupplierProbation, SupplierBlocked}
}

// Contact is a person at a supplier.
type Contact struct {
	Name  string `json:"name"`
	Role  string `json:"role,omitempty"` // sales, quality, logistics…
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Supplier is one entry of the supplier file (供应商档案).
type Supplier struct {
	Code      string         `json:"code"`
	Name      string         `json:"name"`
	Status    SupplierStatus `json:"status"`
	Contacts  []Contact      `json:"contacts"`
	Address   string         `json:"address,omitempty"`
	Notes     string         `json:"notes,omitempty"`
	CreatedAt *time.Time     `json:"created_at,omitempty"`
	UpdatedAt *time.Time     `json:"updated_at,omitempty"`
	// Items are the materials and services it may supply (on reads of one).
	Items []SupplierItem `json:"items,omitempty"`
}

// Orderable reports whether purchase orders may go to the supplier.
func (s Supplier) Orderable() bool {
	return s.Status == SupplierApproved || s.Status == SupplierProbation
}

// CheckSupplier returns the first rule s breaks.
func CheckSupplier(s Supplier) error {
	errs := code(nil, "code", s.Code)
	errs = required(errs, "name", s.Name)
	errs = maxLen(errs, "name", s.Name, 100)
	errs = maxLen(errs, "address", s.Address, 300)
	errs = maxLen(errs, "notes", s.Notes, 1000)
	if !slices.Contains(SupplierStatuses(), s.Status) {
		errs = append(errs, &FieldError{Field: "status", Rule: "must be one of approved, probation, blocked"})
	}
	if len(s.Contacts) > 20 {
		errs = append(errs, &FieldError{Field: "contacts", Rule: "must list at most 20 contacts"})
	}
	for i, c := range s.Contacts {
		f := fmt.Sprintf("contacts[%d]", i)
		errs = required(errs, f+".name", c.Name)
		errs = maxLen(errs, f+".name", c.Name, 100)
		errs = maxLen(errs, f+".role", c.Role, 40)
		errs = maxLen(errs, f+".email", c.Email, 200)
		errs = maxLen(errs, f+".phone", c.Phone, 40)
		if c.Email != "" && !strings.Contains(c.Email, "@") {
			errs = append(errs, &FieldError{Field: f + ".email", Rule: "must be an e-mail address"})
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// SupplierItem is a material (or service: a product of the master data too)
// a supplier may supply, with its terms. Price is per base unit of the
// material in Currency, valid from ValidFrom to ValidTo (dates, inclusive;
// empty is open). An order quantity is at least MOQ and a multiple of
// Multiple (0: any).
type SupplierItem struct {
	Supplier     string `json:"supplier"`
	Material     string `json:"material"`
	Unit         string `json:"unit,omitempty"` // the material's base unit (reads)
	LeadTimeDays int    `json:"lead_time_days"`
	Price        Money  `json:"price"`
	Currency     string `json:"currency"`
	ValidFrom    string `json:"valid_from,omitempty"`
	ValidTo      string `json:"valid_to,omitempty"`
	MOQ          Qty    `json:"moq"`
	Multiple     Qty    `json:"multiple"`
	// Preferred: requisitions for the material go to this supplier first.
	Preferred bool `json:"preferred"`
}

// CheckSupplierItem checks one item's terms (the i-th of a list).
func CheckSupplierItem(field string, it SupplierItem) error {
	if err := ValidNumber(field+".material", it.Material); err != nil {
		return err
	}
	if it.LeadTimeDays < 0 || it.LeadTimeDays > 730 {
		return Invalid(field+".lead_time_days", "must be a whole number of days from 0 to 730")
	}
	if err := CheckCurrency(field+".currency", it.Currency); err != nil {
		return err
	}
	if it.Price < 0 {
		return Invalid(field+".price", "must not be negative")
	}
	for _, d := range []struct{ f, v string }{{"valid_from", it.ValidFrom}, {"valid_to", it.ValidTo}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return Invalid(field+"."+d.f, "must be a date like 2026-03-02")
		}
	}
	if it.ValidFrom != "" && it.ValidTo != "" && it.ValidTo < it.ValidFrom {
		return Invalid(field+".valid_to", "must not be before valid_from %s", it.ValidFrom)
	}
	if it.MOQ < 0 || it.MOQ > MaxStock {
		return Invalid(field+".moq", "must be from 0 to %d", int64(MaxQuantity))
	}
	if it.Multiple < 0 || it.Multiple > MaxStock {
		return Invalid(field+".multiple", "must be from 0 to %d", int64(MaxQuantity))
	}
	return nil
}

// ValidOn reports whether the item's price is valid on day (a date).
func (it SupplierItem) ValidOn(day string) bool {
	return (it.ValidFrom == "" || it.ValidFrom <= day) && (it.ValidTo == "" || day <= it.ValidTo)
}

// RoundOrder raises need to the item's MOQ and then to its multiple.
func (it SupplierItem) RoundOrder(need Qty) Qty {
	q := max(need, it.MOQ)
	if it.Multiple > 0 && q%it.Multiple != 0 {
		q = (q/it.Multiple + 1) * it.Multiple
	}
	return q
}

// CheckCurrency checks an ISO 4217-like code: three capital letters.
func CheckCurrency(field, c string) error {
	if len(c) != 3 || strings.ToUpper(c) != c || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return Invalid(field, "must be a three-letter currency code like CNY")
	}
	return nil
}

// POStatus is where a purchase order stands.
type POStatus string

// Purchase order statuses: draft → approved → sent → partially_received →
// received → closed; cancelled from draft, approved or sent (nothing
// received yet).
const (
	PODraft             POStatus = "draft"
	POApproved          POStatus = "approved"
	POSent              POStatus = "sent"
	POPartiallyReceived POStatus = "partially_received"
	POReceived          POStatus = "received"
	POClosed            POStatus = "closed"
	POCancelled         POStatus = "cancelled"
)

// POAction is a step a person takes on a purchase order.
type POAction string

// Purchase order actions.
const (
	POActApprove POAction = "approve"
	POActSend    POAction = "send"
	POActClose   POAction = "close"
	POActCancel  POAction = "cancel"
)

// POActions lists the actions.
func POActions() []POAction { return []POAction{POActApprove, POActSend, POActClose, POActCancel} }

// Who does what with purchase orders: buyers (and planners, who turn
// requisitions into them) write drafts; approval is by role within the
// configured limits; buyers send, close and cancel.
var (
	poWriters   = []Role{RoleBuyer, RolePlanner, RoleAdmin}
	poApprovers = []Role{RoleBuyer, RoleManager, RoleAdmin}
	poHandlers  = []Role{RoleBuyer, RoleManager, RoleAdmin}
	supKeepers  = []Role{RoleBuyer, RoleManager, RoleAdmin}
)

// POWriters may create and edit draft purchase orders.
func POWriters() []Role { return slices.Clone(poWriters) }

// SupplierKeepers may keep the supplier file.
func SupplierKeepers() []Role { return slices.Clone(supKeepers) }

// POActionRoles lists who may take action (approval also needs a limit).
func POActionRoles(a POAction) []Role {
	if a == POActApprove {
		return slices.Clone(poApprovers)
	}
	return slices.Clone(poHandlers)
}

// NextPOStatus is where action takes a purchase order in status from, or
// a conflict naming why not.
func NextPOStatus(number string, from POStatus, a POAction) (POStatus, error) {
	bad := func(allowed string) error {
		return &FieldError{Field: "status", Conflict: true,
			Rule: fmt.Sprintf("purchase order %s is %s; %s needs it %s", number, from, a, allowed)}
	}
	switch a {
	case POActApprove:
		if from != PODraft {
			return "", bad("draft")
		}
		return POApproved, nil
	case POActSend:
		if from != POApproved {
			return "", bad("approved")
		}
		return POSent, nil
	case POActClose:
		if from != POReceived && from != POPartiallyReceived {
			return "", bad("received or partially_received (cancel one with nothing received)")
		}
		return POClosed, nil
	case POActCancel:
		if from != PODraft && from != POApproved && from != POSent {
			return "", bad("draft, approved or sent with nothing received (close a partly received one)")
		}
		return POCancelled, nil
	}
	return "", Invalid("action", "must be one of approve, send, close, cancel")
}

// PurchaseOrder is an order to a supplier.
type PurchaseOrder struct {
	Number     string     `json:"number"`
	Supplier   string     `json:"supplier"`
	Status     POStatus   `json:"status"`
	Currency   string     `json:"currency"`
	Notes      string     `json:"notes,omitempty"`
	Lines      []POLine   `json:"lines"`
	Total      Money      `json:"total"`
	CreatedBy  string     `json:"created_by,omitempty"`
	ApprovedBy string     `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	// Subcontract marks an outsourcing order (an operation done by the supplier).
	Subcontract bool `json:"subcontract,omitempty"`
}

// POLine is one material of a purchase order, in its base unit.
type POLine struct {
	Line     int    `json:"line"`
	Material string `json:"material"`
	Unit     string `json:"unit,omitempty"`
	Quantity Qty    `json:"quantity"`
	Price    Money  `json:"price"`
	Amount   Money  `json:"amount"`
	// DueDate is when it is wanted; ConfirmedDate when the supplier
	// promised it (dates). Lateness counts from the confirmed date.
	DueDate       string `json:"due_date"`
	ConfirmedDate string `json:"confirmed_date,omitempty"`
	Received      Qty    `json:"received"`
	// Closed: nothing more is received on this line (short-closed or the
	// order closed or cancelled).
	Closed bool `json:"closed"`
	// Requisition is the purchase requisition it came from, if any.
	Requisition string `json:"requisition,omitempty"`
}

// CheckPurchaseOrder checks a draft's shape (supplier terms are the store's).
func CheckPurchaseOrder(po PurchaseOrder) error {
	if err := ValidNumber("number", po.Number); err != nil {
		return err
	}
	if err := ValidNumber("supplier", po.Supplier); err != nil {
		return err
	}
	if po.Currency != "" {
		if err := CheckCurrency("currency", po.Currency); err != nil {
			return err
		}
	}
	if e := CheckText("notes", po.Notes, 1000); e != nil {
		return e
	}
	if len(po.Lines) == 0 {
		return Invalid("lines", "must list at least one material")
	}
	if len(po.Lines) > 500 {
		return Invalid("lines", "must list at most 500 lines")
	}
	for i, l := range po.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if err := ValidNumber(f+".material", l.Material); err != nil {
			return err
		}
		if l.Quantity <= 0 || l.Quantity > MaxStock {
			return Invalid(f+".quantity", "must be above 0 and at most %d", int64(MaxQuantity))
		}
		if l.Price < 0 {
			return Invalid(f+".price", "must not be negative")
		}
		if _, err := time.Parse(time.DateOnly, l.DueDate); err != nil {
			return Invalid(f+".due_date", "must be a date like 2026-03-02")
		}
		if l.ConfirmedDate != "" {
			if _, err := time.Parse(time.DateOnly, l.ConfirmedDate); err != nil {
				return Invalid(f+".confirmed_date", "must be a date like 2026-03-02")
			}
		}
	}
	return nil
}

// ApprovalLimitError refuses approving a purchase order above the
// approver's limit; it names the limit and who may approve instead.
type ApprovalLimitError struct {
	Number, Role, Currency string
	Total, Limit           Money
	Unlimited              bool // the role has no limit configured at all
	Higher                 []string
}

func (e *ApprovalLimitError) Error() string {
	if e.Unlimited {
		return fmt.Sprintf("role %s has no approval limit in purchasing.approval_limits, so it may not approve purchase order %s (%s %s); roles that may: %s",
			e.Role, e.Number, e.Total, e.Currency, strings.Join(e.Higher, ", "))
	}
	return fmt.Sprintf("purchase order %s totals %s %s, above role %s's approval limit of %s %s; roles that may approve it: %s",
		e.Number, e.Total, e.Currency, e.Role, e.Limit, e.Currency, strings.Join(e.Higher, ", "))
}

// Unwrap makes it a forbidden error (403, field role).
func (e *ApprovalLimitError) Unwrap() error { return ErrForbidden }

// PurchasingRules is the purchasing configuration (YAML purchasing.*).
type PurchasingRules struct {
	// Currency is the plant's currency; approval limits are in it.
	Currency string `yaml:"currency"`
	// ApprovalLimits: per role, the largest purchase order total it may
	// approve, in Currency, or "unlimited". A role not listed may not approve.
	ApprovalLimits map[string]string `yaml:"approval_limits"`
	// ExchangeRates: per other currency, how many units of Currency one unit
	// of it is worth ("7.2"); a purchase order in a currency not listed
	// cannot be approved.
	ExchangeRates map[string]string `yaml:"exchange_rates"`
	// ReceiptTolerancePct: a line may be received up to this percentage over
	// its ordered quantity.
	ReceiptTolerancePct float64 `yaml:"receipt_tolerance_pct"`
}

// DefaultPurchasingRules: CNY; a buyer approves up to 50,000, a manager
// any amount; 5 % over-receipt.
func DefaultPurchasingRules() PurchasingRules {
	return PurchasingRules{Currency: "CNY", ApprovalLimits: map[string]string{"buyer": "50000", "manager": "unlimited"},
		ExchangeRates: map[string]string{}, ReceiptTolerancePct: 5}
}

// Validate reports every problem as a field error whose field is the key
// under purchasing (approval_limits.buyer), for the config loader to place.
func (r PurchasingRules) Validate() []*FieldError {
	var errs []*FieldError
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Field: key, Rule: fmt.Sprintf(format, args...)})
	}
	if err := CheckCurrency("currency", r.Currency); err != nil {
		bad("currency", "%q must be a three-letter currency code like CNY", r.Currency)
	}
	for _, role := range slices.Sorted(maps.Keys(r.ApprovalLimits)) {
		v := r.ApprovalLimits[role]
		if !Role(role).Valid() {
			bad("approval_limits."+role, "%q is not a role", role)
			continue
		}
		if v == "unlimited" {
			continue
		}
		if _, err := ParseMoney(v); err != nil {
			bad("approval_limits."+role, "%q %v, or \"unlimited\"", v, err)
		}
	}
	for _, cur := range slices.Sorted(maps.Keys(r.ExchangeRates)) {
		v := r.ExchangeRates[cur]
		if err := CheckCurrency("", cur); err != nil {
			bad("exchange_rates."+cur, "%q is not a three-letter currency code", cur)
			continue
		}
		if m, err := ParseMoney(v); err != nil || m == 0 {
			bad("exchange_rates."+cur, "%q must be a rate above 0 with at most 4 decimals", v)
		}
	}
	if r.ReceiptTolerancePct < 0 || r.ReceiptTolerancePct > 100 {
		bad("receipt_tolerance_pct", "%v must be a percentage from 0 to 100", r.ReceiptTolerancePct)
	}
	return errs
}

// CheckApproval decides whether role may approve po (Total in
// po.Currency): nil, or an ApprovalLimitError, or a conflict when the
// currency has no exchange rate.
func (r PurchasingRules) CheckApproval(role Role, po PurchaseOrder) error {
	total := po.Total
	if po.Currency != r.Currency {
		rate, err := ParseMoney(r.ExchangeRates[po.Currency])
		if err != nil || rate == 0 {
			return &FieldError{Field: "currency", Conflict: true, Rule: fmt.Sprintf(
				"purchase order %s is in %s, which has no rate to %s in purchasing.exchange_rates; its total cannot be held against an approval limit",
				po.Number, po.Currency, r.Currency)}
		}
		total = total.Convert(rate)
	}
	limit, unlimited, ok := r.limit(role)
	if ok && (unlimited || total <= limit) {
		return nil
	}
	var higher []string
	for _, rl := range Roles() {
		if l, u, ok := r.limit(rl); ok && (u || total <= l) {
			higher = append(higher, string(rl))
		}
	}
	if len(higher) == 0 {
		higher = []string{"none (raise a limit in purchasing.approval_limits)"}
	}
	return &ApprovalLimitError{Number: po.Number, Role: string(role), Currency: r.Currency, Total: total, Limit: limit, Unlimited: !ok, Higher: higher}
}

func (r PurchasingRules) limit(role Role) (limit Money, unlimited, ok bool) {
	v, ok := r.ApprovalLimits[string(role)]
	if !ok {
		return 0, false, false
	}
	if v == "unlimited" {
		return 0, true, true
	}
	m, err := ParseMoney(v)
	return m, false, err == nil
}

// ReceiveLimit is the most that may be received on a line of qty.
func (r PurchasingRules) ReceiveLimit(qty Qty) Qty {
	return qty + Qty(float64(qty)*r.ReceiptTolerancePct/100)
}

// Incoming inspection (IQC, 原材料质量检验): a material's inspection plan
// lists the characteristics to measure on a sample of each received lot.

// Characteristic is one measured property with its specification limits
// (Lower..Upper: within is conforming) and its physical bounds
// (PhysicalMin..PhysicalMax: outside cannot be a real measurement, a typo
// or a broken gauge, and is refused).
type Characteristic struct {
	Name        string  `json:"name"`
	Unit        string  `json:"unit"`
	Lower       float64 `json:"lower"`
	Upper       float64 `json:"upper"`
	PhysicalMin float64 `json:"physical_min"`
	PhysicalMax float64 `json:"physical_max"`
}

// InspectionPlan is a material's incoming inspection: Required sends every
// receipt of it to quarantine with a pending inspection; SampleSize values
// are measured per characteristic.
type InspectionPlan struct {
	Material        string           `json:"material"`
	Required        bool             `json:"required"`
	SampleSize      int              `json:"sample_size"`
	Characteristics []Characteristic `json:"characteristics"`
}

// CheckInspectionPlan checks a plan's shape.
func CheckInspectionPlan(p InspectionPlan) error {
	if p.SampleSize < 0 || p.SampleSize > 200 {
		return Invalid("sample_size", "must be from 0 to 200")
	}
	if p.Required && len(p.Characteristics) > 0 && p.SampleSize < 1 {
		return Invalid("sample_size", "must be at least 1 when characteristics are measured")
	}
	if len(p.Characteristics) > 50 {
		return Invalid("characteristics", "must list at most 50")
	}
	seen := map[string]bool{}
	for i, c := range p.Characteristics {
		f := fmt.Sprintf("characteristics[%d]", i)
		if strings.TrimSpace(c.Name) == "" {
			return Invalid(f+".name", "is required")
		}
		if e := CheckText(f+".name", c.Name, 80); e != nil {
			return e
		}
		if e := CheckText(f+".unit", c.Unit, 16); e != nil {
			return e
		}
		if seen[c.Name] {
			return Invalid(f+".name", "%q is listed twice", c.Name)
		}
		seen[c.Name] = true
		for _, v := range []struct {
			n string
			x float64
		}{{"lower", c.Lower}, {"upper", c.Upper}, {"physical_min", c.PhysicalMin}, {"physical_max", c.PhysicalMax}} {
			if math.IsNaN(v.x) || math.IsInf(v.x, 0) || math.Abs(v.x) > 1e12 {
				return Invalid(f+"."+v.n, "must be a finite number")
			}
		}
		if c.Lower > c.Upper {
			return Invalid(f+".upper", "must not be below lower %g", c.Lower)
		}
		if c.PhysicalMin > c.Lower || c.PhysicalMax < c.Upper {
			return Invalid(f+".physical_min", "physical bounds %g..%g must contain the limits %g..%g", c.PhysicalMin, c.PhysicalMax, c.Lower, c.Upper)
		}
	}
	return nil
}

// InspectionDecision is what quality decides on a received lot.
type InspectionDecision string

// Decisions: accept releases the lot to stock; accept_with_deviation too,
// with the reason recorded (让步接收); reject blocks it and opens a return
// to the supplier.
const (
	InspectAccept    InspectionDecision = "accept"
	InspectDeviation InspectionDecision = "accept_with_deviation"
	InspectReject    InspectionDecision = "reject"
)

// InspectionResult is the values measured of one characteristic.
type InspectionResult struct {
	Characteristic string    `json:"characteristic"`
	Values         []float64 `json:"values"`
	// Out is how many values fall outside the limits (computed).
	Out int `json:"out"`
}

// Receipt is a goods receipt against a purchase order line.
type Receipt struct {
	ID          string     `json:"id"`
	PO          string     `json:"purchase_order"`
	Line        int        `json:"line"`
	Supplier    string     `json:"supplier"`
	Material    string     `json:"material"`
	Unit        string     `json:"unit"`
	Lot         string     `json:"lot"`
	SupplierLot string     `json:"supplier_lot,omitempty"`
	Quantity    Qty        `json:"quantity"`
	Location    string     `json:"location"`
	Movement    string     `json:"movement"`
	At          time.Time  `json:"at"`
	Actor       string     `json:"actor"`
	OnTime      bool       `json:"on_time"`     // on or before the confirmed (else due) date
	PromisedBy  string     `json:"promised_by"` // that date
	Price       Money      `json:"price"`       // the line's price
	Inspection  string     `json:"inspection"`  // none, pending, accept, accept_with_deviation, reject
	InspectedAt *time.Time `json:"inspected_at,omitempty"`
}

// Inspection is quality's record of one received lot.
type Inspection struct {
	ID         string             `json:"id"`
	Receipt    string             `json:"receipt"`
	Lot        string             `json:"lot"`
	Material   string             `json:"material"`
	Supplier   string             `json:"supplier"`
	SampleSize int                `json:"sample_size"`
	Results    []InspectionResult `json:"results"`
	Decision   InspectionDecision `json:"decision"`
	Reason     string             `json:"reason,omitempty"`
	Inspector  string             `json:"inspector"`
	At         time.Time          `json:"at"`
	Return     string             `json:"return,omitempty"` // the supplier return a reject opened
}

// SupplierReturn is rejected material going back to its supplier.
type SupplierReturn struct {
	ID       string    `json:"id"`
	Receipt  string    `json:"receipt"`
	PO       string    `json:"purchase_order"`
	Supplier string    `json:"supplier"`
	Lot      string    `json:"lot"`
	Material string    `json:"material"`
	Quantity Qty       `json:"quantity"`
	Reason   string    `json:"reason"`
	Status   string    `json:"status"` // open, shipped
	At       time.Time `json:"at"`
}

// Who receives and who inspects.
var (
	receivers  = []Role{RoleWarehouse, RoleAdmin}
	inspectors = []Role{RoleQuality, RoleAdmin}
)

// Receivers may book goods receipts.
func Receivers() []Role { return slices.Clone(receivers) }

// Inspectors may keep inspection plans and record inspections.
func Inspectors() []Role { return slices.Clone(inspectors) }

// Proposal is what requirements planning (MRP) proposes: a purchase
// requisition for a bought material, or a production order for an
// in-house semi-finished product. Quantities in the material's base unit;
// dates are days (UTC).
type Proposal struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"` // purchase, production
	Material string `json:"material"`
	Unit     string `json:"unit"`
	Quantity Qty    `json:"quantity"`
	NeedDate string `json:"need_date"` // when it must be there
	OrderBy  string `json:"order_by"`  // need date − lead time, not before today
	Supplier string `json:"supplier,omitempty"`
	Price    Money  `json:"price"`
	Currency string `json:"currency,omitempty"`
	// Reason: "net requirement", "reorder point" (stock would end below it).
	Reason   string    `json:"reason"`
	Orders   []string  `json:"orders"`
	Status   string    `json:"status"` // open, converted, dismissed
	PO       string    `json:"purchase_order,omitempty"`
	POLine   int       `json:"purchase_order_line,omitempty"`
	RunAt    time.Time `json:"run_at"`
	LateRisk bool      `json:"late_risk"` // the order-by date was already past
}

// MRPRoles may run requirements planning and convert its requisitions.
func MRPRoles() []Role { return []Role{RolePlanner, RoleBuyer, RoleAdmin} }

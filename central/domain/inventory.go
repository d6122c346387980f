package domain

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Materials (issue #12): stock lives in lots at locations; every change of
// stock is a movement in an append-only ledger, and the balances per lot
// and location change only in the same transaction as their movement.

// LocationKind says what a location is for.
type LocationKind string

// Location kinds.
const (
	LocWarehouse  LocationKind = "warehouse"  // a bin or area of a warehouse
	LocLineSide   LocationKind = "line_side"  // beside one line; material there is ready to consume
	LocQuarantine LocationKind = "quarantine" // held stock, received here into quarantine status
	// LocSubcontractor is stock at a supplier doing outsourced work (one
	// per supplier, made when components are first sent there); it is
	// not usable for production here.
	LocSubcontractor LocationKind = "subcontractor"
)

// LocationKinds lists every kind.
func LocationKinds() []LocationKind {
	return []LocationKind{LocWarehouse, LocLineSide, LocQuarantine, LocSubcontractor}
}

// Location is a place stock is kept.
type Location struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Kind      LocationKind `json:"kind"`
	Warehouse string       `json:"warehouse"`      // grouping, e.g. "WH1"; free text
	LineID    string       `json:"line,omitempty"` // line_side only
	// AllowNegative lets a balance here go below zero (booked after the
	// fact); every movement that does so is flagged negative.
	AllowNegative bool       `json:"allow_negative"`
	Disabled      bool       `json:"disabled"`
	CreatedAt     *time.Time `json:"created_at,omitempty"`
	UpdatedAt     *time.Time `json:"updated_at,omitempty"`
}

// CheckLocation returns the first rule l breaks (the line's existence is the store's).
func CheckLocation(l Location) error {
	errs := code(nil, "id", l.ID)
	errs = required(errs, "name", l.Name)
	errs = maxLen(errs, "name", l.Name, 100)
	errs = maxLen(errs, "warehouse", l.Warehouse, 40)
	if !slices.Contains(LocationKinds(), l.Kind) {
		errs = append(errs, &FieldError{Field: "kind", Rule: "must be one of warehouse, line_side, quarantine, subcontractor"})
	}
	switch {
	case l.Kind == LocLineSide && l.LineID == "":
		errs = append(errs, &FieldError{Field: "line", Rule: "is required for a line_side location"})
	case l.Kind != LocLineSide && l.LineID != "":
		errs = append(errs, &FieldError{Field: "line", Rule: "is only for a line_side location"})
	case l.LineID != "":
		errs = code(errs, "line", l.LineID)
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// LotStatus is what may be done with a lot.
type LotStatus string

// Lot statuses. Only a released lot may be issued to production or
// shipped; quality moves lots between quarantine, released and blocked;
// a lot whose stock is all consumed becomes consumed (and released again
// if stock comes back, by a return).
const (
	LotQuarantine LotStatus = "quarantine"
	LotReleased   LotStatus = "released"
	LotBlocked    LotStatus = "blocked"
	LotConsumed   LotStatus = "consumed"
)

// Lot is a quantity of one material with one history.
type Lot struct {
	ID          string     `json:"id"`
	Material    string     `json:"material"`
	Unit        string     `json:"unit"` // the material's base unit
	SupplierLot string     `json:"supplier_lot,omitempty"`
	WorkOrderID string     `json:"work_order,omitempty"` // the work order that produced it
	Quantity    Qty        `json:"quantity"`             // received or produced into it
	OnHand      Qty        `json:"on_hand"`              // sum of its balances
	Status      LotStatus  `json:"status"`
	ReceivedAt  *time.Time `json:"received_at,omitempty"`
	ProducedAt  *time.Time `json:"produced_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// LotStatusChange is quality's decision on a lot.
type LotStatusChange struct {
	Status LotStatus `json:"status"`
	Reason string    `json:"reason"`
}

// CheckLotStatusChange allows quarantine, released and blocked (consumed
// follows from stock, not from a decision) and requires a reason to block.
func CheckLotStatusChange(c LotStatusChange) error {
	switch c.Status {
	case LotQuarantine, LotReleased, LotBlocked:
	default:
		return Invalid("status", "must be quarantine, released or blocked")
	}
	if c.Status == LotBlocked && strings.TrimSpace(c.Reason) == "" {
		return Invalid("reason", "is required to block a lot")
	}
	if e := CheckText("reason", c.Reason, 500); e != nil {
		return e
	}
	return nil
}

// UnitConversion says 1 Unit of a material is Factor of its base unit.
type UnitConversion struct {
	Unit   string  `json:"unit"`
	Factor float64 `json:"factor"`
}

// CheckUnit checks a unit's name.
func CheckUnit(field, u string) error {
	if u == "" {
		return Invalid(field, "is required")
	}
	if e := CheckText(field, u, 16); e != nil {
		return e
	}
	if strings.TrimSpace(u) != u {
		return Invalid(field, "must not start or end with spaces")
	}
	return nil
}

// CheckConversions checks a material's conversions (base is its base unit).
func CheckConversions(base string, cs []UnitConversion) error {
	seen := map[string]bool{}
	for i, c := range cs {
		f := fmt.Sprintf("[%d]", i)
		if err := CheckUnit(f+".unit", c.Unit); err != nil {
			return err
		}
		if c.Unit == base {
			return Invalid(f+".unit", "%q is the material's base unit, which needs no conversion", c.Unit)
		}
		if seen[c.Unit] {
			return Invalid(f+".unit", "%q is listed twice", c.Unit)
		}
		seen[c.Unit] = true
		if !(c.Factor > 0 && c.Factor <= 1e9) {
			return Invalid(f+".factor", "must be a number above 0 and at most 1e9 (base units in one %s)", c.Unit)
		}
	}
	return nil
}

// MissingConversionError refuses a quantity in a unit the material has no
// conversion for; it names the conversion to add.
type MissingConversionError struct {
	Material, Unit, Base string
}

func (e *MissingConversionError) Error() string {
	return fmt.Sprintf("material %s has no conversion from %q to its base unit %q; add one (PUT /api/v1/materials/%s/units) or enter the quantity in %s",
		e.Material, e.Unit, e.Base, e.Material, e.Base)
}

// Unwrap makes it a field error of "unit".
func (e *MissingConversionError) Unwrap() error { return &FieldError{Field: "unit", Rule: e.Error()} }

// Convert turns q in unit into the base unit, rounded to a thousandth.
func Convert(material, base string, q Qty, unit string, cs []UnitConversion) (Qty, error) {
	if unit == "" || unit == base {
		return q, nil
	}
	for _, c := range cs {
		if c.Unit == unit {
			v := float64(q) * c.Factor
			if v > float64(MaxStock) {
				return 0, Invalid("quantity", "is too large: %s %s is more than %s %s", q, unit, MaxStock, base)
			}
			return Qty(math.Round(v)), nil
		}
	}
	return 0, &MissingConversionError{Material: material, Unit: unit, Base: base}
}

// CycleCount is a count of one location (盘点): what was found per lot.
// Without Post it only shows the differences; with Post each difference
// is booked as an adjustment with the reason, all or nothing. Expected, when
// given, is the book quantity the counter's sheet showed: if stock moved
// since, the count is refused rather than booked against the wrong figure.
// Lots at the location that are not listed are reported, not touched.
type CycleCount struct {
	Lines  []CountLine `json:"lines"`
	Reason string      `json:"reason"`
	Post   bool        `json:"post"`
}

// CountLine is one lot's counted quantity, in the material's base unit.
type CountLine struct {
	Lot      string `json:"lot"`
	Counted  Qty    `json:"counted"`
	Expected *Qty   `json:"expected,omitempty"`
}

// CountResult is a count's differences (and, when posted, the movements).
type CountResult struct {
	Location   string            `json:"location"`
	Posted     bool              `json:"posted"`
	Lines      []CountDifference `json:"lines"`
	NotCounted []Balance         `json:"not_counted"`
}

// CountDifference is book vs counted for one lot.
type CountDifference struct {
	Lot        string `json:"lot"`
	Material   string `json:"material"`
	Unit       string `json:"unit"`
	Book       Qty    `json:"book"`
	Counted    Qty    `json:"counted"`
	Difference Qty    `json:"difference"`
	Movement   string `json:"movement,omitempty"` // the adjustment booked
}

// CheckCycleCount checks a count's shape.
func CheckCycleCount(c CycleCount) error {
	if len(c.Lines) == 0 {
		return Invalid("lines", "must list at least one counted lot")
	}
	if len(c.Lines) > 1000 {
		return Invalid("lines", "must list at most 1000 lots; count in parts")
	}
	seen := map[string]bool{}
	for i, l := range c.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if err := ValidNumber(f+".lot", l.Lot); err != nil {
			return err
		}
		if seen[l.Lot] {
			return Invalid(f+".lot", "lot %s is listed twice", l.Lot)
		}
		seen[l.Lot] = true
		if l.Counted < 0 || l.Counted > MaxStock {
			return Invalid(f+".counted", "must be from 0 to %d", int64(MaxQuantity))
		}
	}
	if c.Post && strings.TrimSpace(c.Reason) == "" {
		return Invalid("reason", "is required to post a count")
	}
	if e := CheckText("reason", c.Reason, 400); e != nil {
		return e
	}
	return nil
}

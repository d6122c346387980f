package domain

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// Site is a plant; lines belong to one.
type Site struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Timezone string `json:"timezone"` // IANA name; "" is UTC
}

// Shift is a working window of a line, "HH:MM" to "HH:MM", on the days
// Days names (see ParseWeekdays; "" is every day). An end not after the
// start crosses midnight ("00:00"-"00:00" is the whole day); such a shift
// belongs to the day it starts on, so "22:00"-"06:00" on "Mon-Fri" runs
// from Monday night into Saturday morning.
type Shift struct {
	Line  string `json:"line"`
	Name  string `json:"name"`
	Start string `json:"start"`
	End   string `json:"end"`
	Days  string `json:"days"`
}

// PlannedStop takes working time out of a line's calendar.
type PlannedStop struct {
	ID     string    `json:"id"`
	Line   string    `json:"line"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
}

// LineCalendar is a line's shifts and planned stops. A line without shifts
// works the planning configuration's shifts.
type LineCalendar struct {
	Line   string        `json:"line"`
	Shifts []Shift       `json:"shifts"`
	Stops  []PlannedStop `json:"planned_stops"`
}

// Changeover is the setup a line needs between a product of family From
// and one of family To (families: Product.FamilyOf).
type Changeover struct {
	Line  string        `json:"line"`
	From  string        `json:"from_family"`
	To    string        `json:"to_family"`
	Setup time.Duration `json:"-"` // setup_s on the wire
}

// BOMItem is one component of a product's bill of materials: Quantity of
// Component per one unit of Product.
type BOMItem struct {
	Product   string  `json:"product"`
	Component string  `json:"component"`
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	// Consumption is how the component is consumed: "" (backflush, the
	// default: from the line side with the counts) or "manual" (issued by a
	// lot scan at the station or a movement; never backflushed).
	Consumption string `json:"consumption,omitempty"`
}

// BOM line consumption modes.
const (
	ConsumeBackflush = "backflush"
	ConsumeManual    = "manual"
)

// NormalizeConsumption stores backflush as "" (the default).
func NormalizeConsumption(c string) string {
	c = strings.TrimSpace(strings.ToLower(c))
	if c == ConsumeBackflush {
		return ""
	}
	return c
}

// Field errors of master data are collected, not returned at the first:
// an import reports every broken rule of every row.

func required(errs []*FieldError, field, v string) []*FieldError {
	if strings.TrimSpace(v) == "" {
		return append(errs, &FieldError{Field: field, Rule: "is required"})
	}
	return errs
}

func code(errs []*FieldError, field, v string) []*FieldError {
	if v == "" {
		return append(errs, &FieldError{Field: field, Rule: "is required"})
	}
	if err := ValidNumber(field, v); err != nil {
		return append(errs, err.(*FieldError))
	}
	return errs
}

// maxLen checks v as text (TextRule) of at most n characters.
func maxLen(errs []*FieldError, field, v string, n int) []*FieldError {
	if e := CheckText(field, v, n); e != nil {
		return append(errs, e)
	}
	return errs
}

// duration checks a cycle, setup or changeover time against MaxDuration.
func duration(errs []*FieldError, field string, d time.Duration) []*FieldError {
	if d > MaxDuration {
		return append(errs, &FieldError{Field: field, Rule: fmt.Sprintf("must be at most %g seconds (%s)", MaxDuration.Seconds(), MaxDuration)})
	}
	return errs
}

var hmRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// CheckSite lists every rule s breaks.
func CheckSite(s Site) []*FieldError {
	errs := code(nil, "id", s.ID)
	errs = required(errs, "name", s.Name)
	errs = maxLen(errs, "name", s.Name, 100)
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil || strings.Contains(s.Timezone, "..") {
			errs = append(errs, &FieldError{Field: "timezone", Rule: fmt.Sprintf("%q is not an IANA time zone", s.Timezone)})
		}
	}
	return errs
}

// CheckLine lists every rule l breaks (the site's existence is the store's).
func CheckLine(l Line) []*FieldError {
	errs := code(nil, "id", l.ID)
	errs = required(errs, "name", l.Name)
	errs = maxLen(errs, "name", l.Name, 100)
	if l.Site != "" {
		errs = code(errs, "site", l.Site)
	}
	return errs
}

// CheckStation lists every rule st breaks.
func CheckStation(st Station) []*FieldError {
	errs := code(nil, "id", st.ID)
	errs = code(errs, "line", st.LineID)
	return maxLen(errs, "name", st.Name, 100)
}

// CheckShift lists every rule sh breaks.
func CheckShift(sh Shift) []*FieldError {
	errs := code(nil, "line", sh.Line)
	errs = code(errs, "name", sh.Name)
	for _, f := range []struct{ name, v string }{{"start", sh.Start}, {"end", sh.End}} {
		if !hmRE.MatchString(f.v) {
			errs = append(errs, &FieldError{Field: f.name, Rule: fmt.Sprintf("%q is not a time of day HH:MM (00:00-23:59)", f.v)})
		}
	}
	if _, err := ParseWeekdays(sh.Days); err != nil {
		errs = append(errs, &FieldError{Field: "days", Rule: err.Error() + "; e.g. Mon-Fri or Mon,Wed,Fri; empty is every day"})
	}
	return errs
}

// CheckPlannedStop lists every rule ps breaks.
func CheckPlannedStop(ps PlannedStop) []*FieldError {
	errs := code(nil, "id", ps.ID)
	errs = code(errs, "line", ps.Line)
	if ps.Start.IsZero() {
		errs = append(errs, &FieldError{Field: "start", Rule: "is required"})
	} else if e := CheckTime("start", ps.Start); e != nil {
		errs = append(errs, e)
	}
	if ps.End.IsZero() {
		errs = append(errs, &FieldError{Field: "end", Rule: "is required"})
	} else if e := CheckTime("end", ps.End); e != nil {
		errs = append(errs, e)
	} else if !ps.Start.IsZero() && !ps.End.After(ps.Start) {
		errs = append(errs, &FieldError{Field: "end", Rule: "must be after start"})
	}
	return maxLen(errs, "reason", ps.Reason, 200)
}

// CheckProduct lists every rule p breaks.
func CheckProduct(p Product) []*FieldError {
	errs := code(nil, "code", p.Code)
	errs = required(errs, "name", p.Name)
	errs = maxLen(errs, "name", p.Name, 100)
	errs = required(errs, "unit", p.Unit)
	errs = maxLen(errs, "unit", p.Unit, 20)
	if p.IdealCycle < 0 {
		errs = append(errs, &FieldError{Field: "ideal_cycle_s", Rule: "must not be negative"})
	}
	errs = duration(errs, "ideal_cycle_s", p.IdealCycle)
	if p.Family != "" {
		errs = code(errs, "family", p.Family)
	}
	return errs
}

// CheckChangeover lists every rule c breaks (the line's existence is the store's).
func CheckChangeover(c Changeover) []*FieldError {
	errs := code(nil, "line", c.Line)
	errs = code(errs, "from_family", c.From)
	errs = code(errs, "to_family", c.To)
	if c.From != "" && c.From == c.To {
		errs = append(errs, &FieldError{Field: "to_family", Rule: "must differ from from_family (a family follows itself without a changeover)"})
	}
	if c.Setup < 0 {
		errs = append(errs, &FieldError{Field: "setup_s", Rule: "must not be negative"})
	}
	return duration(errs, "setup_s", c.Setup)
}

// CheckBOMItem lists every rule b breaks (components must exist: the store's).
func CheckBOMItem(b BOMItem) []*FieldError {
	errs := code(nil, "product", b.Product)
	errs = code(errs, "component", b.Component)
	if b.Product != "" && b.Product == b.Component {
		errs = append(errs, &FieldError{Field: "component", Rule: "a product cannot be its own component"})
	}
	if !(b.Quantity > 0) || math.IsInf(b.Quantity, 0) || b.Quantity > MaxQuantity {
		errs = append(errs, &FieldError{Field: "quantity", Rule: fmt.Sprintf("must be a number greater than 0 and at most %d", MaxQuantity)})
	}
	if c := NormalizeConsumption(b.Consumption); c != "" && c != ConsumeManual {
		errs = append(errs, &FieldError{Field: "consumption", Rule: "must be backflush or manual"})
	}
	return maxLen(errs, "unit", b.Unit, 20)
}

// CheckRoutingOp lists every rule op breaks.
func CheckRoutingOp(op RoutingOp) []*FieldError {
	errs := code(nil, "product", op.ProductCode)
	if op.Seq < 1 || op.Seq > 9999 {
		errs = append(errs, &FieldError{Field: "seq", Rule: "must be a whole number from 1 to 9999"})
	}
	errs = maxLen(errs, "name", op.Name, 100)
	errs = code(errs, "line", op.LineID)
	if op.IdealCycle <= 0 {
		errs = append(errs, &FieldError{Field: "ideal_cycle_s", Rule: "must be greater than 0 (the scheduler plans with it)"})
	}
	if op.Setup < 0 {
		errs = append(errs, &FieldError{Field: "setup_s", Rule: "must not be negative"})
	}
	errs = duration(errs, "ideal_cycle_s", op.IdealCycle)
	return duration(errs, "setup_s", op.Setup)
}

// CheckUser lists every rule u breaks (the password is checked where it is set).
func CheckUser(u User) []*FieldError {
	errs := code(nil, "username", u.Username)
	errs = maxLen(errs, "display_name", u.DisplayName, 100)
	if !u.Role.Valid() {
		names := make([]string, 0, len(Roles()))
		for _, r := range Roles() {
			names = append(names, string(r))
		}
		errs = append(errs, &FieldError{Field: "role", Rule: "must be one of " + strings.Join(names, ", ")})
	}
	if u.Badge != "" && !IsBadgeHash(u.Badge) { // a hash is a badge kept as it was
		errs = code(errs, "badge", u.Badge)
	}
	return errs
}

// SaveMode says whether a master-data write creates, updates or either.
type SaveMode int

// Save modes: create fails with ErrConflict if the record exists, update
// with ErrNotFound if it does not; upsert (imports) does whichever applies.
const (
	SaveCreate SaveMode = iota
	SaveUpdate
	SaveUpsert
)

// ImportRow is one parsed row of an import: its line number in the file
// (the header is row 1), the record, and what parsing already found wrong.
type ImportRow struct {
	Row    int
	Value  any // Site, Line, Station, Shift, PlannedStop, Product, BOMItem, RoutingOp, Changeover or User
	Errors []*FieldError
}

// RowError is one broken rule of one row of an import.
type RowError struct {
	Row   int    `json:"row"`
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// ImportReport says what an import did: with any error and not partial,
// nothing was written.
type ImportReport struct {
	Kind    string     `json:"kind"`
	Rows    int        `json:"rows"`
	Created int        `json:"created"`
	Updated int        `json:"updated"`
	Partial bool       `json:"partial"`
	Errors  []RowError `json:"errors"`
	// Conflict: some row was refused by the state of the data rather than
	// its own content (it would disable the last enabled admin).
	Conflict bool `json:"-"`
}

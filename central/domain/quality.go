package domain

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// QCInspection kinds: in-process (IPQC) and final (OQC).
const (
	InspectIPQC = "ipqc"
	InspectOQC  = "oqc"
)

// QCCharacteristic is one thing an inspection plan measures, with its limits
// (either may be absent: a one-sided limit).
type QCCharacteristic struct {
	Name  string   `json:"name"`
	Unit  string   `json:"unit,omitempty"`
	Lower *float64 `json:"lower,omitempty"`
	Upper *float64 `json:"upper,omitempty"`
}

// Within reports whether v meets the characteristic's limits.
func (c QCCharacteristic) Within(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && (c.Lower == nil || v >= *c.Lower) && (c.Upper == nil || v <= *c.Upper)
}

// Limits reads the limits as "9.9..10.1", "≥ 9.9" or "≤ 10.1".
func (c QCCharacteristic) Limits() string {
	f := func(p *float64) string { return fmt.Sprintf("%g", *p) }
	switch {
	case c.Lower != nil && c.Upper != nil:
		return f(c.Lower) + ".." + f(c.Upper)
	case c.Lower != nil:
		return "≥ " + f(c.Lower)
	case c.Upper != nil:
		return "≤ " + f(c.Upper)
	}
	return "no limits"
}

// QCPlan is what a product's IPQC or OQC inspection measures: each
// characteristic on SampleSize units. HoldOnFail puts the work order on
// quality hold when an inspection fails.
type QCPlan struct {
	Product         string             `json:"product"`
	Kind            string             `json:"kind"`
	SampleSize      int                `json:"sample_size"`
	Characteristics []QCCharacteristic `json:"characteristics"`
	HoldOnFail      bool               `json:"hold_on_fail"`
	UpdatedBy       string             `json:"updated_by,omitempty"`
	UpdatedAt       time.Time          `json:"updated_at,omitzero"`
}

// Validate checks a plan.
func (p QCPlan) Validate() error {
	if p.Kind != InspectIPQC && p.Kind != InspectOQC {
		return Invalid("kind", "must be ipqc or oqc")
	}
	if p.SampleSize < 1 || p.SampleSize > 100 {
		return Invalid("sample_size", "must be from 1 to 100")
	}
	if len(p.Characteristics) == 0 || len(p.Characteristics) > 50 {
		return Invalid("characteristics", "list 1 to 50 characteristics")
	}
	seen := map[string]bool{}
	for i, c := range p.Characteristics {
		field := fmt.Sprintf("characteristics[%d]", i)
		if strings.TrimSpace(c.Name) == "" {
			return Invalid(field+".name", "is required")
		}
		if e := CheckText(field+".name", c.Name, 80); e != nil {
			return e
		}
		if seen[c.Name] {
			return Invalid(field+".name", "%q is listed twice", c.Name)
		}
		seen[c.Name] = true
		if c.Lower == nil && c.Upper == nil {
			return Invalid(field, "needs a lower or an upper limit")
		}
		for _, l := range []*float64{c.Lower, c.Upper} {
			if l != nil && (math.IsNaN(*l) || math.IsInf(*l, 0)) {
				return Invalid(field, "limits must be finite numbers")
			}
		}
		if c.Lower != nil && c.Upper != nil && *c.Lower > *c.Upper {
			return Invalid(field+".lower", "is above upper")
		}
	}
	return nil
}

// Measurement is one characteristic's values on the sample.
type Measurement struct {
	Characteristic string    `json:"characteristic"`
	Values         []float64 `json:"values"`
	Limits         string    `json:"limits,omitempty"`
	Failed         int       `json:"failed"` // values outside the limits (server-computed)
	Pass           bool      `json:"pass"`
}

// QCInspection is one IPQC or OQC inspection of a work order.
type QCInspection struct {
	ID           string        `json:"id"`
	WorkOrder    string        `json:"work_order"`
	Line         string        `json:"line"`
	Station      string        `json:"station"`
	Kind         string        `json:"kind"`
	Pass         bool          `json:"pass"`
	Measurements []Measurement `json:"measurements"`
	Inspector    string        `json:"inspector"`
	At           time.Time     `json:"at"`
	Hold         string        `json:"hold,omitempty"`           // the hold the failure opened
	NC           string        `json:"nonconformance,omitempty"` // the nonconformance the failure opened
	// Lot is the lot inspected, if any; a failure that holds puts it on
	// hold too (LotHold).
	Lot     string `json:"lot,omitempty"`
	LotHold string `json:"lot_hold,omitempty"`
}

// Judge computes the measurements' pass or fail against the plan: every
// characteristic of the plan must be measured on exactly SampleSize units,
// and nothing else. The inspection passes when every value is within its
// limits.
func (p QCPlan) Judge(in []Measurement) ([]Measurement, bool, error) {
	byName := map[string]Measurement{}
	for i, m := range in {
		if _, dup := byName[m.Characteristic]; dup {
			return nil, false, Invalid(fmt.Sprintf("measurements[%d].characteristic", i), "%q is measured twice", m.Characteristic)
		}
		byName[m.Characteristic] = m
	}
	out := make([]Measurement, 0, len(p.Characteristics))
	pass := true
	for _, c := range p.Characteristics {
		m, ok := byName[c.Name]
		if !ok {
			return nil, false, Invalid("measurements", "%s is not measured (the plan asks for %d values)", c.Name, p.SampleSize)
		}
		delete(byName, c.Name)
		if len(m.Values) != p.SampleSize {
			return nil, false, Invalid("measurements", "%s has %d values; the sample size is %d", c.Name, len(m.Values), p.SampleSize)
		}
		m.Limits, m.Failed = c.Limits(), 0
		for _, v := range m.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, false, Invalid("measurements", "%s: values must be finite numbers", c.Name)
			}
			if !c.Within(v) {
				m.Failed++
			}
		}
		m.Pass = m.Failed == 0
		pass = pass && m.Pass
		out = append(out, m)
	}
	for name := range byName {
		return nil, false, Invalid("measurements", "%s is not in the %s plan of %s", name, p.Kind, p.Product)
	}
	return out, pass, nil
}

// Hold is a quality hold on a work order or on a lot: while it is open,
// the work order's scans and reports at the station are refused, or the
// lot is blocked (it cannot be loaded or issued), until quality releases it.
type Hold struct {
	ID          string     `json:"id"`
	WorkOrder   string     `json:"work_order"` // "" for a lot's hold
	Lot         string     `json:"lot,omitempty"`
	Line        string     `json:"line"`
	Reason      string     `json:"reason"`
	Inspection  string     `json:"inspection,omitempty"`
	OpenedBy    string     `json:"opened_by"`
	OpenedAt    time.Time  `json:"opened_at"`
	ReleasedBy  string     `json:"released_by,omitempty"`
	ReleasedAt  *time.Time `json:"released_at,omitempty"`
	ReleaseNote string     `json:"release_note,omitempty"`
}

// Dispositions of a nonconformance.
const (
	DispositionRework = "rework"
	DispositionScrap  = "scrap"
	DispositionUseAs  = "use_as_is"
)

// Nonconformance is a nonconforming finding and what was decided about it.
type Nonconformance struct {
	ID          string     `json:"id"`
	WorkOrder   string     `json:"work_order"`
	Line        string     `json:"line"`
	Inspection  string     `json:"inspection,omitempty"`
	Description string     `json:"description"`
	Quantity    int64      `json:"quantity"`
	OpenedBy    string     `json:"opened_by"`
	OpenedAt    time.Time  `json:"opened_at"`
	Disposition string     `json:"disposition,omitempty"`
	Note        string     `json:"note,omitempty"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

// CheckDisposition validates a disposition decision.
func CheckDisposition(d, note string) error {
	switch d {
	case DispositionRework, DispositionScrap, DispositionUseAs:
	default:
		return Invalid("disposition", "must be rework, scrap or use_as_is")
	}
	if d == DispositionUseAs && strings.TrimSpace(note) == "" {
		return Invalid("note", "use as is needs a note saying why (a concession)")
	}
	if e := CheckText("note", note, 500); e != nil {
		return e
	}
	return nil
}

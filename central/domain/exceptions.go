package domain

import (
	"fmt"
	"strings"
	"time"
)

// ExceptionKind is what went wrong on a line.
type ExceptionKind string

// Exception kinds. Most are raised by central from events and time;
// material_short is raised by a person.
const (
	ExceptionBehindPlan     ExceptionKind = "behind_plan"
	ExceptionMachineDown    ExceptionKind = "machine_down"
	ExceptionNoData         ExceptionKind = "no_data"
	ExceptionQualityFailure ExceptionKind = "quality_failure"
	ExceptionMaterialShort  ExceptionKind = "material_short"
	// ExceptionQuarantinedEvent: central (or an edge) refused an impossible
	// event; it was kept with its reason and changed no count.
	ExceptionQuarantinedEvent ExceptionKind = "quarantined_event"
	// ExceptionEdgeStalled: an edge's backlog grows while nothing commits.
	ExceptionEdgeStalled ExceptionKind = "edge_stalled"
	// ExceptionCounterAmbiguous: a falling counter could be a wrap or a
	// reset; the conservative count was taken and a person must confirm.
	ExceptionCounterAmbiguous ExceptionKind = "counter_ambiguous"
	// ExceptionClockSkew: a device's clock is off by more than the tolerance.
	ExceptionClockSkew ExceptionKind = "clock_skew"
	// ExceptionOverrun: a work order's output passed its quantity plus tolerance.
	ExceptionOverrun ExceptionKind = "overrun"
	// Purchasing's alerts (issue #13), raised from purchasing's state with
	// the work orders they put at risk: a purchase order line past its
	// confirmed (else due) date without receipt; a received lot rejected by
	// incoming inspection; a supplier below the scorecard thresholds; an
	// outsourced operation past its due-back date.
	ExceptionLatePurchase    ExceptionKind = "late_purchase"
	ExceptionReceiptRejected ExceptionKind = "receipt_rejected"
	ExceptionSupplierBelow   ExceptionKind = "supplier_below"
	ExceptionSubcontractLate ExceptionKind = "subcontract_late"
)

// ExceptionKinds lists every kind.
func ExceptionKinds() []ExceptionKind {
	return []ExceptionKind{ExceptionBehindPlan, ExceptionMachineDown, ExceptionNoData, ExceptionQualityFailure, ExceptionMaterialShort,
		ExceptionQuarantinedEvent, ExceptionEdgeStalled, ExceptionCounterAmbiguous, ExceptionClockSkew, ExceptionOverrun,
		ExceptionLatePurchase, ExceptionReceiptRejected, ExceptionSupplierBelow, ExceptionSubcontractLate}
}

// Valid reports a known kind.
func (k ExceptionKind) Valid() bool {
	for _, x := range ExceptionKinds() {
		if k == x {
			return true
		}
	}
	return false
}

// Severity of an exception: critical stops the line, warning does not (yet).
type Severity string

// Severities.
const (
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Severity is the kind's severity: a stopped line and material that is not
// there are critical; the rest need attention before they become so.
func (k ExceptionKind) Severity() Severity {
	switch k {
	case ExceptionMachineDown, ExceptionMaterialShort, ExceptionEdgeStalled:
		return SeverityCritical
	}
	return SeverityWarning
}

// ExceptionStatus is where an exception stands: open → acknowledged →
// resolved (open → resolved directly too).
type ExceptionStatus string

// Exception statuses.
const (
	ExceptionOpen         ExceptionStatus = "open"
	ExceptionAcknowledged ExceptionStatus = "acknowledged"
	ExceptionResolved     ExceptionStatus = "resolved"
)

// Valid reports a known status.
func (s ExceptionStatus) Valid() bool {
	return s == ExceptionOpen || s == ExceptionAcknowledged || s == ExceptionResolved
}

// SystemActor is who raises and auto-resolves exceptions from events.
const SystemActor = "system"

// Exception is one problem on a line that someone must know about. At most
// one per (line, kind, work order) is not resolved at a time; a repeat of
// the same problem while it is adds to Occurrences instead of a new one.
type Exception struct {
	ID        string          `json:"id"`
	Line      string          `json:"line"`
	WorkOrder string          `json:"work_order"` // "" when nothing ran on the line
	Kind      ExceptionKind   `json:"kind"`
	Severity  Severity        `json:"severity"`
	Status    ExceptionStatus `json:"status"`
	// OpenedAt is when the problem began, by source time (the down state's
	// start, the QC event's time), not when central noticed.
	OpenedAt time.Time `json:"opened_at"`
	// LastAt is the latest occurrence's source time.
	LastAt      time.Time `json:"last_at"`
	Occurrences int       `json:"occurrences"`
	Detail      string    `json:"detail"`
	RaisedBy    string    `json:"raised_by"` // "system" or a username

	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	Resolution     string     `json:"resolution,omitempty"`
}

// ExceptionFilter narrows a list of exceptions; zero values do not filter.
// The list is newest first; After is the ID of the last one of the previous
// page.
type ExceptionFilter struct {
	Line   string
	Status []ExceptionStatus
	Kind   []ExceptionKind
	Limit  int
	Offset int
	After  string
}

// RaiseOutcome says what raising did.
type RaiseOutcome int

// Raise outcomes.
const (
	// RaiseUnchanged: an exception already covers this occurrence (a
	// resent event, a condition already raised or resolved by hand).
	RaiseUnchanged RaiseOutcome = iota
	// RaiseCreated: a new exception was opened.
	RaiseCreated
	// RaiseRepeated: the open one for (line, kind, work order) counted one
	// more occurrence.
	RaiseRepeated
)

// Transition checks that an exception in status from may go to to.
func (x Exception) Transition(to ExceptionStatus) error {
	switch {
	case x.Status == ExceptionResolved:
		return fmt.Errorf("exception %s is already resolved: %w", x.ID, ErrConflict)
	case to == ExceptionAcknowledged && x.Status != ExceptionOpen:
		return fmt.Errorf("exception %s is already %s: %w", x.ID, x.Status, ErrConflict)
	case to != ExceptionAcknowledged && to != ExceptionResolved:
		return fmt.Errorf("exception %s cannot become %s: %w", x.ID, to, ErrConflict)
	}
	return nil
}

// MaxExceptionDetail bounds the detail text people type.
const MaxExceptionDetail = 500

// CleanDetail trims a detail and checks its length.
func CleanDetail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if e := CheckText(field, s, MaxExceptionDetail); e != nil {
		return "", e
	}
	return s, nil
}

// Progress is the plan math of a line's active work at now: the parts the
// plan expects by now and the attainment (nil while nothing is expected).
// The dashboard, the rescheduler's triggers and behind_plan exceptions all
// use it, so they agree on what "behind" means.
func (a *ActiveWork) Progress(now time.Time) (expected int64, attainment *float64) {
	if a == nil {
		return 0, nil
	}
	if a.PlannedStart != nil {
		expected = ExpectedByNow(*a.PlannedStart, a.IdealCycle, a.PlannedQty, now)
	}
	return expected, Attainment(a.Good, expected)
}

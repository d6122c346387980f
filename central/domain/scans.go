package domain

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// ScanComplete is the action a fixed scanner may ask for besides the toggle.
const ScanComplete ScanAction = "complete"

// StationRoles are the roles that may work at a station (scan, complete, scrap).
func StationRoles() []Role { return []Role{RoleOperator, RoleSupervisor, RoleAdmin} }

// MayWorkAtStation reports whether role may work at a station.
func MayWorkAtStation(r Role) bool { return slices.Contains(StationRoles(), r) }

// DecideScanAction is DecideScan for a scanner that may say what it means:
// with want empty it toggles (DecideScan); with start, pause, resume or
// complete it does that or explains, as an ErrConflict, why it cannot.
// start on a paused work order resumes it. Any other want (a material lot,
// a serial) is ErrInvalid: central does not apply those yet.
func DecideScanAction(stationLine string, w WorkOrder, order OrderStatus, want ScanAction) (ScanAction, error) {
	toggle, err := DecideScan(stationLine, w, order)
	if err != nil || want == "" {
		return toggle, err
	}
	switch want {
	case ScanStart:
		if w.Status == StatusInProgress {
			return "", fmt.Errorf("work order %s is already in progress: %w", w.ID, ErrConflict)
		}
		return toggle, nil // start, or resume a paused one
	case ScanPause:
		if w.Status != StatusInProgress {
			return "", fmt.Errorf("work order %s is %s, not in progress: it cannot be paused: %w", w.ID, w.Status, ErrConflict)
		}
	case ScanResume:
		if w.Status != StatusPaused {
			return "", fmt.Errorf("work order %s is %s, not paused: it cannot be resumed: %w", w.ID, w.Status, ErrConflict)
		}
	case ScanComplete:
		if w.Status != StatusInProgress && w.Status != StatusPaused {
			return "", fmt.Errorf("work order %s is %s; only a started work order can be completed: %w", w.ID, w.Status, ErrConflict)
		}
	default:
		return "", fmt.Errorf("scan action %q is not applied by central (start, pause, resume or complete): %w", want, ErrInvalid)
	}
	return want, nil
}

// ScanOutcome says what became of a scan event.
type ScanOutcome string

// Scan outcomes.
const (
	// ScanApplied: it changed what it says (a sign-in, a work order).
	ScanApplied ScanOutcome = "applied"
	// ScanRejected: it could not apply (unknown code, another line's work
	// order, not released, ...); nothing changed and Message says why.
	ScanRejected ScanOutcome = "rejected"
	// ScanFailed: applying it kept failing for a reason that is not the
	// scan's (the database); it was given up so later scans are not held up.
	ScanFailed ScanOutcome = "failed"
	// ScanSkipped: stored before central applied scans; never applied late.
	ScanSkipped ScanOutcome = "skipped"
	// ScanRepeat: the same code at the same station within the scan
	// repeat window after an applied scan (a scanner's bounce): one
	// action, the first's result stands, nothing changed.
	ScanRepeat ScanOutcome = "repeat"
)

// PendingScan is a stored scan event not yet applied.
type PendingScan struct {
	EdgeID     string
	Seq        uint64
	Line       string // the event's line
	SourceTime time.Time
	Station    string
	Operator   string // badge or username the scanner sent, may be empty
	Code       string
	Action     string // what the scanner says it means, may be empty
}

// ScanRecord is what a scan event did, as listed per station.
type ScanRecord struct {
	EdgeID    string      `json:"edge_id"`
	Seq       uint64      `json:"seq"`
	Line      string      `json:"line"`
	Station   string      `json:"station"`
	Code      string      `json:"code"`
	Operator  string      `json:"operator,omitempty"`  // as sent by the scanner
	Requested string      `json:"requested,omitempty"` // the action the scanner asked for
	At        time.Time   `json:"at"`                  // the scan's source time
	Result    ScanOutcome `json:"result"`
	Action    string      `json:"action,omitempty"` // what it did: login, start, pause, resume, complete
	WorkOrder string      `json:"work_order,omitempty"`
	Actor     string      `json:"actor,omitempty"` // who the change is audited against
	Message   string      `json:"message"`
	AppliedAt time.Time   `json:"applied_at"`
}

// ScanTx is the store inside the one transaction that applies a scan and
// records it: everything read sees, and everything written commits or rolls
// back with, the scan's own record.
type ScanTx interface {
	Station(id string) (Station, error)
	UserByBadge(badge string) (User, error)
	User(username string) (User, error)
	// StationOperator is who signed in at station by badge scan and is
	// still signed in at time at; ErrNotFound if nobody.
	StationOperator(station string, at time.Time) (string, error)
	SignInAtStation(station, username string, at, until time.Time) error
	WorkOrder(id string) (WorkOrder, error)
	OrderRecord(number string) (OrderRecord, error)
	// LastAppliedScan is the latest scan applied at station with code and
	// the same requested action whose source time is in [from, to]; ok
	// false if none.
	LastAppliedScan(station, code, requested string, from, to time.Time) (rec ScanRecord, ok bool, err error)
	// LastRunBoundary is the latest start or end of a run on line (zero
	// if none): a scan's run must not begin before it.
	LastRunBoundary(line string) (time.Time, error)
	StartWorkOrder(id string, at time.Time, actor Actor, action, reason string) (WorkOrder, error)
	StopWorkOrder(id string, at time.Time, actor Actor, action, reason string) (WorkOrder, error)
	ChangeOrder(number string, actor Actor, fn func(rec *OrderRecord) (OrderChange, error)) (OrderRecord, error)
	// OtherCode offers a code that is no badge and no work order (or one
	// the scanner says is a lot or a serial) to the materials: a component
	// lot loaded for the work order running on the line, or a serial of its
	// part. ok false: nothing took it.
	OtherCode(c ScanCode) (rec ScanRecord, ok bool, err error)
}

// ScanCode is a fixed scanner's code for OtherCode: where, what the scanner
// said it is (Action: "", "lot" or "serial"), when and on whose behalf.
type ScanCode struct {
	Station, Line, Code, Action string
	At                          time.Time
	Actor                       Actor
}

// ScanRejection reports whether err means the scan itself cannot apply (so
// it is recorded as rejected) rather than that applying it failed.
func ScanRejection(err error) bool {
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrForbidden)
}

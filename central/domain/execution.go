package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ActionPauseOrder is the audit action of a work order stopped by its
// order's pause; the order's resume starts exactly those again.
const ActionPauseOrder = "pause_order"

// ErrStale: the caller's If-Match names a version of the resource that is
// no longer the stored one (someone changed it meanwhile); HTTP 412.
var ErrStale = errors.New("changed since you read it")

// ExecutionRules are the shop-floor rules a plant expects when work is
// executed; the yaml tags are the keys under "execution". A routing
// operation's overlap_qty overrides OverlapQuantity for that operation.
type ExecutionRules struct {
	// ScanRepeatWindow: the same code scanned again at the same station
	// within this time is one action (a scanner bounce); the repeat gets
	// the first's answer. Zero turns it off (client ids still apply).
	ScanRepeatWindow time.Duration `yaml:"scan_repeat_window"`
	// OverlapQuantity: how many good parts the previous operation of an
	// order must have reported before the next may start. 0: it must have
	// started.
	OverlapQuantity int64 `yaml:"overlap_quantity"`
	// OverrunTolerancePct: good output past quantity × (1 + this/100)
	// opens an overrun exception and warns at the station.
	OverrunTolerancePct float64 `yaml:"overrun_tolerance_pct"`
}

// DefaultExecutionRules: a 2 s bounce window, an operation starts once its
// predecessor has started, overrun past 5 %.
func DefaultExecutionRules() ExecutionRules {
	return ExecutionRules{ScanRepeatWindow: 2 * time.Second, OverlapQuantity: 0, OverrunTolerancePct: 5}
}

// Validate reports every problem at once, each with its key under prefix
// ("execution").
func (r ExecutionRules) Validate(prefix string) error {
	var errs []error
	if r.ScanRepeatWindow < 0 || r.ScanRepeatWindow > time.Minute {
		errs = append(errs, fmt.Errorf("%s.scan_repeat_window: %v must be from 0 to 1m", prefix, r.ScanRepeatWindow))
	}
	if r.OverlapQuantity < 0 {
		errs = append(errs, fmt.Errorf("%s.overlap_quantity: %d must not be negative", prefix, r.OverlapQuantity))
	}
	if r.OverrunTolerancePct < 0 || r.OverrunTolerancePct > 1000 {
		errs = append(errs, fmt.Errorf("%s.overrun_tolerance_pct: %v must be a percentage from 0 to 1000", prefix, r.OverrunTolerancePct))
	}
	return errors.Join(errs...)
}

// OverrunLimit is the most good output of quantity that is not an overrun.
func (r ExecutionRules) OverrunLimit(quantity int64) int64 {
	return quantity + int64(float64(quantity)*r.OverrunTolerancePct/100)
}

// Overrun reports whether good passed the work order's quantity plus tolerance.
func (r ExecutionRules) Overrun(quantity, good int64) bool {
	return quantity > 0 && good > r.OverrunLimit(quantity)
}

// CheckPredecessor says whether work order id of rec may start for the
// first time: the operation before it (by sequence) must have started, or
// have reported overlap good parts when overlap > 0 (the routing
// operation's overlap_qty, else the rules' default). A work order already
// started (resumed after a pause) is not checked. ErrConflict names what
// is missing.
func CheckPredecessor(rec OrderRecord, id string, overlap int64) error {
	i := slices.IndexFunc(rec.WorkOrders, func(w WorkOrder) bool { return w.ID == id })
	if i < 0 {
		return fmt.Errorf("work order %s is not part of order %s: %w", id, rec.Number, ErrNotFound)
	}
	w := rec.WorkOrders[i]
	if w.ActualStart != nil {
		return nil
	}
	var prev *WorkOrder
	for j := range rec.WorkOrders {
		p := &rec.WorkOrders[j]
		if p.OperationSeq < w.OperationSeq && p.Status != StatusCancelled && (prev == nil || p.OperationSeq > prev.OperationSeq) {
			prev = p
		}
	}
	if prev == nil {
		return nil
	}
	if prev.ActualStart == nil {
		return fmt.Errorf("operation %d (%s) cannot start before operation %d (%s) has started: %w",
			w.OperationSeq, w.ID, prev.OperationSeq, prev.ID, ErrConflict)
	}
	if overlap > 0 && prev.Good < overlap && prev.Status != StatusCompleted {
		return fmt.Errorf("operation %d (%s) may start once operation %d (%s) has made %d good (it has %d): %w",
			w.OperationSeq, w.ID, prev.OperationSeq, prev.ID, overlap, prev.Good, ErrConflict)
	}
	return nil
}

// OperationYield is one operation's output within its order.
type OperationYield struct {
	Seq       int      `json:"seq"`
	WorkOrder string   `json:"work_order"`
	Good      int64    `json:"good"`
	Reject    int64    `json:"reject"`
	YieldPct  *float64 `json:"yield_pct"` // good / (good + reject), nil before any part
}

// Yields lists each operation's good, reject and yield, in operation order.
func Yields(wos []WorkOrder) []OperationYield {
	out := make([]OperationYield, 0, len(wos))
	for _, w := range wos {
		y := OperationYield{Seq: w.OperationSeq, WorkOrder: w.ID, Good: w.Good, Reject: w.Reject}
		if t := w.Good + w.Reject; t > 0 {
			p := float64(w.Good) / float64(t) * 100
			y.YieldPct = &p
		}
		out = append(out, y)
	}
	return out
}

// OrderETag is the version of an order as If-Match compares it: what a
// person editing it decides on (its fields, status, review round, sign-offs
// and its work orders' status, quantity and plan), not the counts that
// move with every part made.
func OrderETag(rec OrderRecord) string {
	type wo struct {
		ID, Status       string
		Qty              int64
		Line             string
		PStart, PEnd     *time.Time
		ActStart, ActEnd *time.Time
	}
	v := struct {
		Number, Status, Unit, Customer, Type, Site string
		Qty                                        int64
		Due                                        *time.Time
		Priority, Round, Signoffs                  int
		Updated                                    *time.Time
		WOs                                        []wo
	}{rec.Number, string(rec.Status), rec.Unit, rec.CustomerRef, rec.OrderType, rec.Site, rec.Quantity, rec.Due,
		rec.Priority, rec.ReviewRound, len(rec.Signoffs), rec.UpdatedAt, nil}
	for _, w := range rec.WorkOrders {
		v.WOs = append(v.WOs, wo{w.ID, string(w.Status), w.Quantity, w.LineID, w.PlannedStart, w.PlannedEnd, w.ActualStart, w.ActualEnd})
	}
	return HashETag(v)
}

// HashETag is a strong entity tag ("..." quoted) of v's JSON.
func HashETag(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// MatchETag reports whether an If-Match header value allows a change of
// the resource whose current tag is current: empty (not sent) and "*"
// allow it, else one of its comma-separated tags must equal current
// (a weak W/ prefix is ignored).
func MatchETag(ifMatch, current string) bool {
	if ifMatch == "" {
		return true
	}
	for _, t := range splitTags(ifMatch) {
		if t == "*" || t == current {
			return true
		}
	}
	return false
}

func splitTags(h string) []string {
	var out []string
	start := 0
	inQuote := false
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] == '"' {
			inQuote = !inQuote
		}
		if i == len(h) || (h[i] == ',' && !inQuote) {
			t := trimSpace(h[start:i])
			if len(t) > 2 && t[:2] == "W/" {
				t = t[2:]
			}
			if t != "" {
				out = append(out, t)
			}
			start = i + 1
		}
	}
	return out
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// StationAction is an action from a station (scan, complete, scrap) kept
// under its client id, so a repeat answers as the first did.
type StationAction struct {
	Station  string
	ClientID string
	Kind     string // scan, complete, scrap
	Code     string // what was scanned (scan), for the bounce window
	Status   int    // HTTP status of the answer; 0 while it is carried out
	Response []byte // the answer's body
	At       time.Time
}

// ExceptionETag is an exception's entity tag: it changes with its status
// and with every new occurrence, so an acknowledge or resolve sent with
// If-Match is refused once someone else has acted or the problem repeated.
func ExceptionETag(x Exception) string {
	return HashETag(struct {
		ID, Status string
		Occ        int
		Last       time.Time
	}{x.ID, string(x.Status), x.Occurrences, x.LastAt})
}

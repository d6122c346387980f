package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// More sentinel errors, for the rules below.
var (
	// ErrForbidden: the actor's role may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: a value breaks a rule (the error names the field).
	ErrInvalid = errors.New("invalid")
)

// Role is what a user or API token may do.
type Role string

// Roles.
const (
	RoleOperator   Role = "operator"
	RoleSupervisor Role = "supervisor"
	RolePlanner    Role = "planner"
	RoleQuality    Role = "quality"
	// RoleWarehouse books stock movements and keeps locations (materials).
	RoleWarehouse Role = "warehouse"
	// RoleBuyer keeps suppliers and purchase orders (purchasing).
	RoleBuyer Role = "buyer"
	// RoleSales enters customers' orders and asks for rush insertions.
	RoleSales Role = "sales"
	// RoleManager is plant management: approves rush insertions, outsourcing
	// and purchases above a buyer's limit.
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

// Roles lists every role.
func Roles() []Role {
	return []Role{RoleOperator, RoleSupervisor, RolePlanner, RoleQuality, RoleWarehouse, RoleBuyer, RoleSales, RoleManager, RoleAdmin}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Statuses lists every order status in lifecycle order.
func Statuses() []OrderStatus {
	return []OrderStatus{StatusDraft, StatusUnderReview, StatusApproved, StatusRejected, StatusScheduled,
		StatusReleased, StatusInProgress, StatusPaused, StatusCompleted, StatusClosed, StatusCancelled}
}

// Valid reports whether s is a known status.
func (s OrderStatus) Valid() bool { return slices.Contains(Statuses(), s) }

// Action names a lifecycle transition as the API spells it.
type Action string

// Actions.
const (
	ActionSubmit   Action = "submit"
	ActionApprove  Action = "approve"
	ActionReject   Action = "reject"
	ActionRevise   Action = "revise" // a rejected order goes back to draft to be fixed
	ActionSchedule Action = "schedule"
	ActionRelease  Action = "release"
	ActionStart    Action = "start"
	ActionPause    Action = "pause"
	ActionResume   Action = "resume"
	ActionComplete Action = "complete"
	ActionClose    Action = "close"
	ActionCancel   Action = "cancel"
)

// Transition is one edge of the order lifecycle and the roles that may take it.
type Transition struct {
	Action Action
	From   OrderStatus
	To     OrderStatus
	Roles  []Role
}

var (
	planners    = []Role{RolePlanner, RoleAdmin}
	orderDesk   = []Role{RolePlanner, RoleSales, RoleAdmin} // enter, submit and withdraw customers' orders
	cancelDesk  = []Role{RolePlanner, RoleSales, RoleSupervisor, RoleAdmin}
	reviewers   = []Role{RoleSupervisor, RoleAdmin}
	rejecters   = []Role{RoleSupervisor, RoleQuality, RoleAdmin}
	releasers   = []Role{RolePlanner, RoleSupervisor, RoleAdmin}
	shopFloor   = []Role{RoleOperator, RoleSupervisor, RoleAdmin}
	closers     = []Role{RoleSupervisor, RoleQuality, RoleAdmin}
	cancelEarly = []Role{RolePlanner, RoleSupervisor, RoleAdmin}
	cancelLate  = []Role{RoleSupervisor, RoleAdmin}
)

// lifecycle is the whole transition table with its role matrix. Admin is
// listed explicitly on every row so the table reads without exceptions.
// Planners may cancel what has not reached the floor; once released only a
// supervisor (or admin) may, because work may already be staged.
var lifecycle = []Transition{
	{ActionSubmit, StatusDraft, StatusUnderReview, orderDesk},
	{ActionApprove, StatusUnderReview, StatusApproved, reviewers},
	{ActionReject, StatusUnderReview, StatusRejected, rejecters},
	{ActionRevise, StatusRejected, StatusDraft, orderDesk},
	{ActionSchedule, StatusApproved, StatusScheduled, planners},
	{ActionRelease, StatusScheduled, StatusReleased, releasers},
	{ActionStart, StatusReleased, StatusInProgress, shopFloor},
	{ActionPause, StatusInProgress, StatusPaused, shopFloor},
	{ActionResume, StatusPaused, StatusInProgress, shopFloor},
	{ActionComplete, StatusInProgress, StatusCompleted, shopFloor},
	{ActionComplete, StatusPaused, StatusCompleted, shopFloor},
	{ActionClose, StatusCompleted, StatusClosed, closers},
	{ActionCancel, StatusDraft, StatusCancelled, cancelDesk},
	{ActionCancel, StatusUnderReview, StatusCancelled, cancelDesk},
	{ActionCancel, StatusApproved, StatusCancelled, cancelEarly},
	{ActionCancel, StatusRejected, StatusCancelled, cancelDesk},
	{ActionCancel, StatusScheduled, StatusCancelled, cancelEarly},
	{ActionCancel, StatusReleased, StatusCancelled, cancelLate},
	{ActionCancel, StatusInProgress, StatusCancelled, cancelLate},
	{ActionCancel, StatusPaused, StatusCancelled, cancelLate},
}

// Lifecycle returns a copy of the transition table.
func Lifecycle() []Transition {
	out := make([]Transition, len(lifecycle))
	for i, t := range lifecycle {
		t.Roles = slices.Clone(t.Roles)
		out[i] = t
	}
	return out
}

// Actions lists the distinct actions in table order.
func Actions() []Action {
	var out []Action
	for _, t := range lifecycle {
		if !slices.Contains(out, t.Action) {
			out = append(out, t.Action)
		}
	}
	return out
}

// Allowed reports whether role may move an order from one status to another.
// A pair that is not in the table is allowed to nobody.
func Allowed(role Role, from, to OrderStatus) bool {
	for _, t := range lifecycle {
		if t.From == from && t.To == to {
			return slices.Contains(t.Roles, role)
		}
	}
	return false
}

// Next returns the transition an action takes from a status. It fails with
// ErrConflict when the action does not apply there, and with ErrInvalid when
// the action is unknown.
func Next(action Action, from OrderStatus) (Transition, error) {
	known := false
	var froms []string
	for _, t := range lifecycle {
		if t.Action != action {
			continue
		}
		known = true
		if t.From == from {
			return t, nil
		}
		froms = append(froms, string(t.From))
	}
	if !known {
		return Transition{}, fmt.Errorf("unknown action %q: %w", action, ErrInvalid)
	}
	return Transition{}, fmt.Errorf("cannot %s an order that is %s (only from %s): %w",
		action, from, strings.Join(froms, ", "), ErrConflict)
}

// Authorize finds the transition for action from status and checks role may
// take it: ErrConflict if it does not apply, ErrForbidden if role may not.
func Authorize(role Role, action Action, from OrderStatus) (Transition, error) {
	t, err := Next(action, from)
	if err != nil {
		return t, err
	}
	if !Allowed(role, t.From, t.To) {
		return t, fmt.Errorf("role %s may not %s an order (%s → %s): %w", role, action, t.From, t.To, ErrForbidden)
	}
	return t, nil
}

// Editable reports whether an order's quantity, due date or priority may
// still be changed in status s. Quantity is fixed once work orders exist
// (release), because they were cut for it; the due date and the priority
// may move until completion.
func Editable(s OrderStatus, field string) bool {
	switch s {
	case StatusDraft, StatusUnderReview, StatusApproved, StatusRejected, StatusScheduled:
		return true
	case StatusReleased, StatusInProgress, StatusPaused:
		return field == "due" || field == "priority"
	}
	return false
}

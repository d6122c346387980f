package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SignoffKind is one aspect a review signs off.
type SignoffKind string

// Review aspects. Material, capacity and quality are what every order
// needs by default; technical (drawings, BOM and routing confirmed: the
// technical coordination of a special order), process and cost are there
// for order types whose review the configuration asks for them.
const (
	SignoffTechnical SignoffKind = "technical"
	SignoffProcess   SignoffKind = "process"
	SignoffMaterial  SignoffKind = "material"
	SignoffCapacity  SignoffKind = "capacity"
	SignoffQuality   SignoffKind = "quality"
	SignoffCost      SignoffKind = "cost"
)

// SignoffKinds lists every aspect.
func SignoffKinds() []SignoffKind {
	return []SignoffKind{SignoffTechnical, SignoffProcess, SignoffMaterial, SignoffCapacity, SignoffQuality, SignoffCost}
}

// Valid reports whether k is a known aspect.
func (k SignoffKind) Valid() bool { return slices.Contains(SignoffKinds(), k) }

// signoffRoles says who may sign which aspect by default: material
// availability and capacity are planning questions, quality is quality's,
// technical coordination and the process are the planners' (process
// engineering), cost is management's. The configuration may change them
// (ReviewPolicy.Roles).
var signoffRoles = map[SignoffKind][]Role{
	SignoffTechnical: {RolePlanner, RoleAdmin},
	SignoffProcess:   {RolePlanner, RoleAdmin},
	SignoffMaterial:  {RolePlanner, RoleSupervisor, RoleAdmin},
	SignoffCapacity:  {RolePlanner, RoleSupervisor, RoleAdmin},
	SignoffQuality:   {RoleQuality, RoleAdmin},
	SignoffCost:      {RoleManager, RoleAdmin},
}

// DefaultSignoffRoles is who may sign kind when the configuration does
// not say.
func DefaultSignoffRoles(kind SignoffKind) []Role { return slices.Clone(signoffRoles[kind]) }

// CanSignOff reports whether role may sign aspect kind.
func CanSignOff(role Role, kind SignoffKind) bool { return slices.Contains(signoffRoles[kind], role) }

// Signoff is one reviewer's agreement on one aspect of an order, in one
// review round (a resubmitted order starts a new round and needs new ones).
type Signoff struct {
	Kind    SignoffKind `json:"kind"`
	Round   int         `json:"round"`
	By      string      `json:"by"`
	Role    Role        `json:"role"`
	At      time.Time   `json:"at"`
	Comment string      `json:"comment"`
}

// DefaultReviewPolicy requires material, capacity and quality of every
// order, and technical coordination first of a special order.
func DefaultReviewPolicy() ReviewPolicy {
	return ReviewPolicy{Required: []SignoffKind{SignoffMaterial, SignoffCapacity, SignoffQuality},
		Coordination: []string{OrderTypeSpecial},
		Escalation:   []EscalationLevel{{After: 24 * time.Hour, Roles: []Role{RoleManager}}}}
}

// MissingSignoffError says which required sign-offs an approval lacks.
type MissingSignoffError struct {
	Missing []SignoffKind
}

func (e *MissingSignoffError) Error() string {
	names := make([]string, len(e.Missing))
	for i, k := range e.Missing {
		names[i] = string(k)
	}
	return fmt.Sprintf("approval needs the %s sign-off", strings.Join(names, ", "))
}

// Unwrap makes a missing sign-off a conflict with the order's state.
func (e *MissingSignoffError) Unwrap() error { return ErrConflict }

// CheckApproval returns a *MissingSignoffError naming every required aspect
// not signed in the given round, or nil.
func (p ReviewPolicy) CheckApproval(round int, signoffs []Signoff) error {
	var missing []SignoffKind
	for _, k := range p.Required {
		if !slices.ContainsFunc(signoffs, func(s Signoff) bool { return s.Kind == k && s.Round == round }) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return &MissingSignoffError{Missing: missing}
	}
	return nil
}

// CheckSignoff checks, with the default roles, role may sign kind on an order in status now, and that
// the aspect is not yet signed in this round.
func CheckSignoff(role Role, kind SignoffKind, status OrderStatus, round int, existing []Signoff) error {
	if !kind.Valid() {
		return fmt.Errorf("unknown sign-off %q (one of material, capacity, quality): %w", kind, ErrInvalid)
	}
	if status != StatusUnderReview {
		return fmt.Errorf("sign-offs are given under review, and the order is %s: %w", status, ErrConflict)
	}
	if !CanSignOff(role, kind) {
		return fmt.Errorf("role %s may not sign off %s: %w", role, kind, ErrForbidden)
	}
	for _, s := range existing {
		if s.Kind == kind && s.Round == round {
			return fmt.Errorf("%s was already signed off by %s: %w", kind, s.By, ErrConflict)
		}
	}
	return nil
}

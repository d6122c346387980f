package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SignoffKind is one aspect a review signs off.
type SignoffKind string

// Review aspects.
const (
	SignoffMaterial SignoffKind = "material"
	SignoffCapacity SignoffKind = "capacity"
	SignoffQuality  SignoffKind = "quality"
)

// SignoffKinds lists every aspect.
func SignoffKinds() []SignoffKind {
	return []SignoffKind{SignoffMaterial, SignoffCapacity, SignoffQuality}
}

// Valid reports whether k is a known aspect.
func (k SignoffKind) Valid() bool { return slices.Contains(SignoffKinds(), k) }

// signoffRoles says who may sign which aspect: material availability and
// capacity are planning questions, quality is quality's.
var signoffRoles = map[SignoffKind][]Role{
	SignoffMaterial: {RolePlanner, RoleSupervisor, RoleAdmin},
	SignoffCapacity: {RolePlanner, RoleSupervisor, RoleAdmin},
	SignoffQuality:  {RoleQuality, RoleAdmin},
}

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

// ReviewPolicy says which sign-offs approval needs.
type ReviewPolicy struct {
	Required []SignoffKind
}

// DefaultReviewPolicy requires every aspect.
func DefaultReviewPolicy() ReviewPolicy { return ReviewPolicy{Required: SignoffKinds()} }

// Validate checks the policy names known aspects.
func (p ReviewPolicy) Validate() error {
	for _, k := range p.Required {
		if !k.Valid() {
			return fmt.Errorf("review policy: unknown sign-off %q: %w", k, ErrInvalid)
		}
	}
	return nil
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

// CheckSignoff checks role may sign kind on an order in status now, and that
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

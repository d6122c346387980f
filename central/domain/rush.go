package domain

import (
	"fmt"
	"slices"
	"time"
)

// Rush request statuses.
const (
	RushPending  = "pending"
	RushApproved = "approved"
	RushRejected = "rejected"
)

// RushRequest is someone's request to insert an order as a rush (紧急插单):
// the rush proposal it belongs to, who asked and why, and management's
// decision.
type RushRequest struct {
	ProposalID    string     `json:"proposal"`
	Order         string     `json:"order"`
	RequestedBy   string     `json:"requested_by"`
	RequestedRole Role       `json:"requested_role"`
	RequestedAt   time.Time  `json:"requested_at"`
	Reason        string     `json:"reason"`
	Line          string     `json:"rush_line,omitempty"` // held to the rush line
	Status        string     `json:"status"`
	DecidedBy     string     `json:"decided_by,omitempty"`
	DecidedRole   Role       `json:"decided_role,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	Comment       string     `json:"comment,omitempty"`
}

// RushRules is central's `rush:` configuration.
type RushRules struct {
	// Line is the designated rush line (专线): a grade-A customer's order
	// of at most MaxQuantity may be held to it. Empty: there is none.
	Line        string `yaml:"line"`
	MaxQuantity int64  `yaml:"max_quantity"`
	// Approvers are the management roles that approve a rush (admin
	// always may); never the one who asked for it.
	Approvers []Role `yaml:"approvers"`
}

// DefaultRushRules: managers approve; no rush line.
func DefaultRushRules() RushRules { return RushRules{Approvers: []Role{RoleManager}, MaxQuantity: 500} }

// Validate reports every problem, each naming its key under rush.
func (r RushRules) Validate() []*FieldError {
	var out []*FieldError
	if r.Line != "" {
		if err := ValidNumber("line", r.Line); err != nil {
			out = append(out, err.(*FieldError))
		}
	}
	if r.MaxQuantity < 0 {
		out = append(out, &FieldError{Field: "max_quantity", Rule: "must not be negative"})
	}
	if len(r.Approvers) == 0 {
		out = append(out, &FieldError{Field: "approvers", Rule: "name at least one management role"})
	}
	for i, a := range r.Approvers {
		if !a.Valid() {
			out = append(out, &FieldError{Field: fmt.Sprintf("approvers[%d]", i), Rule: fmt.Sprintf("unknown role %q", a)})
		}
	}
	return out
}

// ApproverRoles lists who may approve a rush (admin included).
func (r RushRules) ApproverRoles() []Role {
	out := slices.Clone(r.Approvers)
	if !slices.Contains(out, RoleAdmin) {
		out = append(out, RoleAdmin)
	}
	return out
}

// CheckApprover says why by may not decide req: not a management role
// (ErrForbidden), the one who asked (ErrConflict), or decided already.
func (r RushRules) CheckApprover(by Actor, req RushRequest) error {
	if !slices.Contains(r.ApproverRoles(), by.Role) {
		return fmt.Errorf("a rush insertion is decided by management (%v), not by role %s: %w", r.Approvers, by.Role, ErrForbidden)
	}
	if by.Name == req.RequestedBy {
		return fmt.Errorf("%s asked for the rush insertion of order %s and may not decide it: another manager must: %w", by.Name, req.Order, ErrConflict)
	}
	if req.Status != RushPending {
		return fmt.Errorf("the rush insertion of order %s was %s by %s: %w", req.Order, req.Status, req.DecidedBy, ErrConflict)
	}
	return nil
}

// CheckRushLine says why o may not go on the rush line: there is none, the
// customer is not grade A, or the order is not small enough.
func (r RushRules) CheckRushLine(o Order) error {
	switch {
	case r.Line == "":
		return &FieldError{Field: "rush_line", Rule: "no rush line is configured (rush.line)", Conflict: true}
	case o.CustomerGrade != GradeA:
		who := "no customer"
		if o.Customer != "" {
			who = "customer " + o.Customer + " of grade " + o.CustomerGrade
		}
		return &FieldError{Field: "rush_line", Rule: fmt.Sprintf("only a grade-A customer's order may go on the rush line %s; order %s is for %s", r.Line, o.Number, who), Conflict: true}
	case o.Quantity > r.MaxQuantity:
		return &FieldError{Field: "rush_line", Rule: fmt.Sprintf("order %s is %d, more than the rush line's %d (rush.max_quantity)", o.Number, o.Quantity, r.MaxQuantity), Conflict: true}
	}
	return nil
}

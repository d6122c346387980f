package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReviewPolicy says which sign-offs an order's approval needs, per order
// type, who signs each, which order types go through technical
// coordination before the other reviews, and whom a sign-off that waits
// too long is escalated to. It is central's `review:` configuration.
type ReviewPolicy struct {
	// Required is what an order of a type not in ByType needs.
	Required []SignoffKind `yaml:"required"`
	// ByType: order type → the sign-offs it needs (instead of Required).
	ByType map[string][]SignoffKind `yaml:"by_type"`
	// Roles: sign-off → the roles that may sign it (instead of the
	// default); admin may always sign.
	Roles map[SignoffKind][]Role `yaml:"roles"`
	// Coordination lists the order types (special orders) that need the
	// technical sign-off — drawings, BOM and routing confirmed — before
	// any other sign-off is given.
	Coordination []string `yaml:"coordination"`
	// Escalation: a sign-off still missing this long after the order was
	// submitted notifies these roles; each level once per review round.
	Escalation []EscalationLevel `yaml:"escalation"`
}

// EscalationLevel is one step up: after this long, tell these roles.
type EscalationLevel struct {
	After time.Duration `yaml:"after"`
	Roles []Role        `yaml:"roles"`
}

// Validate reports every problem, each naming its key under review.
func (p ReviewPolicy) Validate() []*FieldError {
	var out []*FieldError
	kinds := func(field string, ks []SignoffKind) {
		for i, k := range ks {
			if !k.Valid() {
				out = append(out, Invalid(fmt.Sprintf("%s[%d]", field, i), "unknown sign-off %q (one of %s)", k, kindNames()).(*FieldError))
			}
		}
	}
	kinds("required", p.Required)
	for t, ks := range p.ByType {
		if !slices.Contains(OrderTypes(), t) {
			out = append(out, Invalid("by_type."+t, "unknown order type (one of %s)", strings.Join(OrderTypes(), ", ")).(*FieldError))
		}
		kinds("by_type."+t, ks)
	}
	for k, rs := range p.Roles {
		if !k.Valid() {
			out = append(out, Invalid("roles."+string(k), "unknown sign-off (one of %s)", kindNames()).(*FieldError))
		}
		for i, r := range rs {
			if !r.Valid() {
				out = append(out, Invalid(fmt.Sprintf("roles.%s[%d]", k, i), "unknown role %q", r).(*FieldError))
			}
		}
	}
	for i, t := range p.Coordination {
		if !slices.Contains(OrderTypes(), t) {
			out = append(out, Invalid(fmt.Sprintf("coordination[%d]", i), "unknown order type %q (one of %s)", t, strings.Join(OrderTypes(), ", ")).(*FieldError))
		}
	}
	var last time.Duration
	for i, l := range p.Escalation {
		if l.After <= last {
			out = append(out, Invalid(fmt.Sprintf("escalation[%d].after", i), "must be longer than the level before (and than 0)").(*FieldError))
		}
		last = max(last, l.After)
		if len(l.Roles) == 0 {
			out = append(out, Invalid(fmt.Sprintf("escalation[%d].roles", i), "name at least one role").(*FieldError))
		}
		for j, r := range l.Roles {
			if !r.Valid() {
				out = append(out, Invalid(fmt.Sprintf("escalation[%d].roles[%d]", i, j), "unknown role %q", r).(*FieldError))
			}
		}
	}
	return out
}

func kindNames() string {
	var s []string
	for _, k := range SignoffKinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// Coordinated reports whether orders of this type go through technical
// coordination first.
func (p ReviewPolicy) Coordinated(orderType string) bool {
	return slices.Contains(p.Coordination, normType(orderType))
}

func normType(t string) string {
	if t == "" {
		return OrderTypeStandard
	}
	return t
}

// RequiredFor lists the sign-offs an order of this type needs, technical
// first when it goes through coordination.
func (p ReviewPolicy) RequiredFor(orderType string) []SignoffKind {
	ks, ok := p.ByType[normType(orderType)]
	if !ok {
		ks = p.Required
	}
	out := slices.Clone(ks)
	if p.Coordinated(orderType) {
		out = slices.DeleteFunc(out, func(k SignoffKind) bool { return k == SignoffTechnical })
		out = append([]SignoffKind{SignoffTechnical}, out...)
	}
	return out
}

// SignersOf lists the roles that may sign kind (admin always).
func (p ReviewPolicy) SignersOf(kind SignoffKind) []Role {
	rs, ok := p.Roles[kind]
	if !ok {
		return DefaultSignoffRoles(kind)
	}
	rs = slices.Clone(rs)
	if !slices.Contains(rs, RoleAdmin) {
		rs = append(rs, RoleAdmin)
	}
	return rs
}

// CanSign reports whether role may sign kind under this policy.
func (p ReviewPolicy) CanSign(role Role, kind SignoffKind) bool {
	return slices.Contains(p.SignersOf(kind), role)
}

// SignerRoles lists every role that may sign some aspect the policy uses.
func (p ReviewPolicy) SignerRoles() []Role {
	var out []Role
	for _, r := range Roles() {
		for _, k := range SignoffKinds() {
			if p.CanSign(r, k) && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Signed reports whether kind is signed in round.
func Signed(signoffs []Signoff, kind SignoffKind, round int) bool {
	return slices.ContainsFunc(signoffs, func(s Signoff) bool { return s.Kind == kind && s.Round == round })
}

// Pending lists the sign-offs rec still needs in its current round.
func (p ReviewPolicy) Pending(rec OrderRecord) []SignoffKind {
	var out []SignoffKind
	for _, k := range p.RequiredFor(rec.OrderType) {
		if !Signed(rec.Signoffs, k, rec.ReviewRound) {
			out = append(out, k)
		}
	}
	return out
}

// Blocked says why kind cannot be signed yet on rec ("" when it can): a
// special order's other reviews wait for its technical coordination.
func (p ReviewPolicy) Blocked(rec OrderRecord, kind SignoffKind) string {
	if kind != SignoffTechnical && p.Coordinated(rec.OrderType) && !Signed(rec.Signoffs, SignoffTechnical, rec.ReviewRound) {
		return fmt.Sprintf("order %s is a %s order: technical coordination (drawings, BOM and routing confirmed) comes first", rec.Number, normType(rec.OrderType))
	}
	return ""
}

// CheckSignoffFor checks role may sign kind on rec now: the order is under
// review, its type needs kind, the role signs it, coordination came first
// and kind is not yet signed this round.
func (p ReviewPolicy) CheckSignoffFor(role Role, kind SignoffKind, rec OrderRecord) error {
	if !kind.Valid() {
		return Invalid("kind", "unknown sign-off %q (one of %s)", kind, kindNames())
	}
	if rec.Status != StatusUnderReview {
		return fmt.Errorf("sign-offs are given under review, and the order is %s: %w", rec.Status, ErrConflict)
	}
	if !slices.Contains(p.RequiredFor(rec.OrderType), kind) {
		return fmt.Errorf("a %s order's review has no %s sign-off: %w", normType(rec.OrderType), kind, ErrConflict)
	}
	if !p.CanSign(role, kind) {
		return fmt.Errorf("role %s may not sign off %s: %w", role, kind, ErrForbidden)
	}
	if why := p.Blocked(rec, kind); why != "" {
		return fmt.Errorf("%s: %w", why, ErrConflict)
	}
	for _, s := range rec.Signoffs {
		if s.Kind == kind && s.Round == rec.ReviewRound {
			return fmt.Errorf("%s was already signed off by %s: %w", kind, s.By, ErrConflict)
		}
	}
	return nil
}

// CheckApprovalFor returns a *MissingSignoffError naming every sign-off an
// order of this type still needs in round, or nil.
func (p ReviewPolicy) CheckApprovalFor(orderType string, round int, signoffs []Signoff) error {
	return ReviewPolicy{Required: p.RequiredFor(orderType)}.CheckApproval(round, signoffs)
}

// TechnicalChecklist is what technical coordination confirms.
func TechnicalChecklist() []string { return []string{"drawings", "bom", "routing"} }

// LastSubmit finds when an order was last submitted for review in its
// audit entries (any order).
func LastSubmit(entries []AuditEntry) (time.Time, bool) {
	var at time.Time
	for _, e := range entries {
		if e.Action == string(ActionSubmit) && e.At.After(at) {
			at = e.At
		}
	}
	return at, !at.IsZero()
}

// WaitingSince is when kind began to wait on rec: its submission, or for
// a sign-off behind technical coordination, when coordination was signed.
func (p ReviewPolicy) WaitingSince(rec OrderRecord, kind SignoffKind, submitted time.Time) time.Time {
	if kind != SignoffTechnical && p.Coordinated(rec.OrderType) {
		for _, s := range rec.Signoffs {
			if s.Kind == SignoffTechnical && s.Round == rec.ReviewRound && s.At.After(submitted) {
				return s.At
			}
		}
	}
	return submitted
}

// Escalation is one overdue sign-off at one level.
type Escalation struct {
	Kind    SignoffKind
	Level   int // 1-based
	Roles   []Role
	Since   time.Time
	Waiting time.Duration
}

// Escalations lists, for every sign-off rec still waits for (and may be
// given now), each escalation level it has reached at now.
func (p ReviewPolicy) Escalations(rec OrderRecord, submitted, now time.Time) []Escalation {
	if rec.Status != StatusUnderReview {
		return nil
	}
	var out []Escalation
	for _, k := range p.Pending(rec) {
		if p.Blocked(rec, k) != "" {
			continue
		}
		since := p.WaitingSince(rec, k, submitted)
		for i, l := range p.Escalation {
			if w := now.Sub(since); w >= l.After {
				out = append(out, Escalation{Kind: k, Level: i + 1, Roles: l.Roles, Since: since, Waiting: w})
			}
		}
	}
	return out
}

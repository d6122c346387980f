package domain

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReviewPolicyByTypeAndValidate(t *testing.T) {
	p := DefaultReviewPolicy()
	if got := p.RequiredFor(""); !slices.Equal(got, []SignoffKind{SignoffMaterial, SignoffCapacity, SignoffQuality}) {
		t.Errorf("standard order needs %v", got)
	}
	if got := p.RequiredFor(OrderTypeSpecial); !slices.Equal(got, []SignoffKind{SignoffTechnical, SignoffMaterial, SignoffCapacity, SignoffQuality}) {
		t.Errorf("special order needs %v (technical first)", got)
	}
	p.Roles = map[SignoffKind][]Role{SignoffCost: {RoleSales}}
	if !p.CanSign(RoleSales, SignoffCost) || !p.CanSign(RoleAdmin, SignoffCost) || p.CanSign(RoleManager, SignoffCost) {
		t.Error("configured cost signers")
	}
	bad := ReviewPolicy{Required: []SignoffKind{"colour"}, ByType: map[string][]SignoffKind{"bespoke": nil},
		Roles: map[SignoffKind][]Role{SignoffCost: {"boss"}}, Coordination: []string{"odd"},
		Escalation: []EscalationLevel{{After: time.Hour, Roles: []Role{RoleManager}}, {After: time.Hour}}}
	var fields []string
	for _, fe := range bad.Validate() {
		fields = append(fields, fe.Field)
	}
	want := []string{"required[0]", "by_type.bespoke", "roles.cost[0]", "coordination[0]", "escalation[1].after", "escalation[1].roles"}
	if !slices.Equal(fields, want) {
		t.Errorf("problems %v, want %v", fields, want)
	}
	if errs := DefaultReviewPolicy().Validate(); len(errs) != 0 {
		t.Errorf("default policy: %v", errs)
	}
	// Escalation: the others of a special order wait from coordination on.
	sub := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	rec := OrderRecord{OrderDetail: OrderDetail{Order: Order{Number: "S", OrderType: OrderTypeSpecial, Status: StatusUnderReview, ReviewRound: 1}}}
	pol := DefaultReviewPolicy()
	es := pol.Escalations(rec, sub, sub.Add(25*time.Hour))
	if len(es) != 1 || es[0].Kind != SignoffTechnical || es[0].Level != 1 {
		t.Fatalf("escalations %+v (only technical may be signed yet)", es)
	}
	rec.Signoffs = []Signoff{{Kind: SignoffTechnical, Round: 1, At: sub.Add(20 * time.Hour)}}
	if es := pol.Escalations(rec, sub, sub.Add(25*time.Hour)); len(es) != 0 {
		t.Fatalf("escalated 5 h after coordination: %+v", es)
	}
	if es := pol.Escalations(rec, sub, sub.Add(44*time.Hour)); len(es) != 3 || !strings.Contains(string(es[0].Kind), "material") {
		t.Fatalf("escalations 24 h after coordination: %+v", es)
	}
}

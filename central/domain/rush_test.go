package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRushRules(t *testing.T) {
	r := RushRules{Line: "L9", MaxQuantity: 100, Approvers: []Role{RoleManager}}
	small := Order{Number: "PO-1", Quantity: 80, Customer: "ACME", CustomerGrade: GradeA}
	if err := r.CheckRushLine(small); err != nil {
		t.Errorf("small grade-A order: %v", err)
	}
	for _, c := range []struct {
		o    Order
		rule string
	}{
		{Order{Number: "PO-2", Quantity: 80, Customer: "BETA", CustomerGrade: GradeB}, "customer BETA of grade B"},
		{Order{Number: "PO-3", Quantity: 80}, "for no customer"},
		{Order{Number: "PO-4", Quantity: 101, Customer: "ACME", CustomerGrade: GradeA}, "order PO-4 is 101, more than the rush line's 100"},
	} {
		err := r.CheckRushLine(c.o)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "rush_line" || !fe.Conflict || !strings.Contains(fe.Rule, c.rule) {
			t.Errorf("%s: %v, want a conflict naming %q", c.o.Number, err, c.rule)
		}
	}
	if err := (RushRules{}).CheckRushLine(small); err == nil || !strings.Contains(err.Error(), "no rush line") {
		t.Errorf("without a rush line: %v", err)
	}
	req := RushRequest{Order: "PO-1", RequestedBy: "sally", Status: RushPending}
	if err := r.CheckApprover(Actor{Name: "mia", Role: RoleManager}, req); err != nil {
		t.Errorf("a manager approves: %v", err)
	}
	if err := r.CheckApprover(Actor{Name: "pat", Role: RolePlanner}, req); !errors.Is(err, ErrForbidden) {
		t.Errorf("a planner: %v", err)
	}
	req.RequestedBy = "mia"
	if err := r.CheckApprover(Actor{Name: "mia", Role: RoleManager}, req); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "mia asked for") {
		t.Errorf("one's own: %v", err)
	}
	if !slices.Contains(r.ApproverRoles(), RoleAdmin) {
		t.Error("admin may approve")
	}
	bad := RushRules{Line: "bad line", MaxQuantity: -1, Approvers: []Role{"boss"}}
	var fields []string
	for _, fe := range bad.Validate() {
		fields = append(fields, fe.Field)
	}
	if !slices.Equal(fields, []string{"line", "max_quantity", "approvers[0]"}) {
		t.Errorf("problems %v", fields)
	}
	if errs := DefaultRushRules().Validate(); len(errs) != 0 {
		t.Errorf("defaults: %v", errs)
	}
}

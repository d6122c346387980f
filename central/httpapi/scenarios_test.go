package httpapi_test

import (
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/planning"
)

// A planner keeps two ways of inserting the rush order PO-1004 side by
// side — held to L1, or wherever the scheduler likes — and compares them
// with the current plan by the same figures, which are the proposals' own.
func TestScenariosSideBySide(t *testing.T) {
	e := newPlannerEnv(t)
	var a, b planning.Proposal
	if code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/scenarios",
		map[string]any{"name": "PO-1004 first, on L1", "order": "PO-1004", "priority": 9, "line": "L1"}, &a); code != 201 {
		t.Fatalf("scenario on L1: %d %s", code, body)
	}
	if code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/scenarios",
		map[string]any{"name": "PO-1004 first, anywhere", "order": "PO-1004", "priority": 9}, &b); code != 201 {
		t.Fatalf("scenario anywhere: %d %s", code, body)
	}
	if code, body := e.call(t, domain.RolePlanner, "POST", "/api/v1/schedule/scenarios",
		map[string]any{"name": "on a line it cannot use", "order": "PO-1004", "line": "L9"}, nil); code != 400 || !strings.Contains(body, `"line"`) {
		t.Fatalf("scenario on L9: %d %s", code, body)
	}
	if code, _ := e.call(t, domain.RoleOperator, "POST", "/api/v1/schedule/scenarios", map[string]any{"name": "x"}, nil); code != 403 {
		t.Fatalf("an operator computes a scenario: %d", code)
	}

	var cmp planning.Comparison
	if code, body := e.call(t, domain.RoleOperator, "GET", "/api/v1/schedule/scenarios?ids="+a.ID+","+b.ID, nil, &cmp); code != 200 {
		t.Fatalf("compare: %d %s", code, body)
	}
	if len(cmp.Scenarios) != 2 || cmp.Scenarios[0].ID != a.ID || cmp.Scenarios[1].ID != b.ID {
		t.Fatalf("comparison %+v", cmp)
	}
	if s := cmp.Scenarios[0]; s.Name != "PO-1004 first, on L1" || s.Line != "L1" || s.Status != domain.ProposalPending || s.Rush == nil || s.Rush.Order != "PO-1004" {
		t.Fatalf("first scenario %+v", s)
	}
	if s := cmp.Scenarios[1]; s.Line != "" || s.Status != domain.ProposalPending {
		t.Fatalf("second scenario %+v (the first must not supersede it)", s)
	}
	for i, id := range []string{a.ID, b.ID} {
		var p planning.Proposal
		if code, body := e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule/proposals/"+id, nil, &p); code != 200 {
			t.Fatalf("proposal %s: %d %s", id, code, body)
		}
		f := cmp.Scenarios[i].Figures
		lineChanges := 0
		for _, m := range p.Diff.Moved {
			if m.FromLine != m.ToLine {
				lineChanges++
			}
		}
		sc := p.Schedule.Score
		if f.MovedOps != len(p.Diff.Moved) || f.LineChanges != lineChanges || f.LateOrders != sc.LateOrders ||
			f.WeightedTardinessH != sc.WeightedTardinessHours || f.ChangeoverS != sc.TotalSetup || f.MakespanS != sc.Makespan || f.OvertimeS != 0 {
			t.Errorf("%s figures %+v, its proposal: %d moved, %d to another line, score %+v", id, f, len(p.Diff.Moved), lineChanges, *sc)
		}
		if id == a.ID {
			for _, l := range p.Schedule.Lines {
				for _, op := range l.Ops {
					if op.Order == "PO-1004" && op.Line != "L1" && strings.HasSuffix(op.WorkOrder, "-10") {
						t.Errorf("held to L1, PO-1004's %s runs on %s", op.WorkOrder, op.Line)
					}
				}
			}
		}
	}
	if cmp.Current.MakespanS <= 0 {
		t.Errorf("current plan figures %+v", cmp.Current)
	}
	// without ids: every pending proposal, both among them
	var all planning.Comparison
	if code, body := e.call(t, domain.RolePlanner, "GET", "/api/v1/schedule/scenarios", nil, &all); code != 200 || len(all.Scenarios) < 2 {
		t.Fatalf("compare all pending: %d %s", code, body)
	}
}

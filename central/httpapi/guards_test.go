package httpapi

import (
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// TestLastAdminOverAPI: the env's only admin cannot disable or demote
// itself (409, naming the field), by PATCH, PUT or CSV import; once
// another admin is enabled it can.
func TestLastAdminOverAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.as[domain.RoleAdmin]
	res, body := e.do(admin, "PATCH", "/api/v1/users/admin", map[string]any{"disabled": true})
	p := e.problem(res, body, 409, "disabled")
	if !strings.Contains(p.Detail, "cannot disable admin, the last enabled admin") {
		t.Errorf("detail %q", p.Detail)
	}
	res, body = e.do(admin, "PATCH", "/api/v1/users/admin", map[string]any{"role": "planner"})
	e.problem(res, body, 409, "role")
	res, body = e.do(admin, "PUT", "/api/v1/users/admin", map[string]any{"role": "admin", "disabled": true})
	e.problem(res, body, 409, "disabled")
	res, body = e.raw(admin, "POST", "/api/v1/import/users", "text/csv", "username,role,disabled\nadmin,admin,true\n")
	p = e.problem(res, body, 409, "disabled")
	if len(p.Errors) != 1 || p.Errors[0].Row != 2 || !strings.Contains(p.Errors[0].Rule, "last enabled admin") {
		t.Errorf("import problem: %s", body)
	}
	// Still signed in and still admin.
	if res, body := e.do(admin, "GET", "/api/v1/users", nil); res.StatusCode != 200 {
		t.Fatalf("admin after the refusals: %d %s", res.StatusCode, body)
	}

	// Another admin first, then the change is fine.
	res, body = e.do(admin, "PATCH", "/api/v1/users/quality", map[string]any{"role": "admin"})
	if res.StatusCode != 200 {
		t.Fatalf("promote quality: %d %s", res.StatusCode, body)
	}
	res, body = e.do(admin, "PATCH", "/api/v1/users/admin", map[string]any{"disabled": true})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"disabled":true`) {
		t.Fatalf("disable with another admin: %d %s", res.StatusCode, body)
	}
}

// TestBOMCycleOverAPI: PUT of a BOM and the bom import refuse a cycle
// through other products, naming the path.
func TestBOMCycleOverAPI(t *testing.T) {
	e := newEnv(t)
	planner := e.as[domain.RolePlanner]
	res, body := e.do(planner, "POST", "/api/v1/products", map[string]any{"code": "R", "name": "R", "unit": "pcs", "ideal_cycle_s": 1})
	if res.StatusCode != 201 {
		t.Fatalf("product R: %d %s", res.StatusCode, body)
	}
	for _, b := range []struct{ sku, component string }{{"P", "Q"}, {"Q", "R"}} {
		res, body := e.do(planner, "PUT", "/api/v1/products/"+b.sku+"/bom", []map[string]any{{"component": b.component, "quantity": 1}})
		if res.StatusCode != 200 {
			t.Fatalf("bom %s: %d %s", b.sku, res.StatusCode, body)
		}
	}
	res, body = e.do(planner, "PUT", "/api/v1/products/R/bom", []map[string]any{{"component": "P", "quantity": 2}})
	p := e.problem(res, body, 400, "component")
	if !strings.Contains(p.Detail, "R → P → Q → R") {
		t.Errorf("detail %q does not name the path", p.Detail)
	}
	res, body = e.raw(planner, "POST", "/api/v1/import/bom", "text/csv", "product,component,quantity\nR,Q,1\n")
	p = e.problem(res, body, 422, "component")
	if len(p.Errors) != 1 || p.Errors[0].Row != 2 || !strings.Contains(p.Errors[0].Rule, "R → Q → R") {
		t.Errorf("import problem: %s", body)
	}
	res, body = e.do(planner, "GET", "/api/v1/products/R/bom", nil)
	if res.StatusCode != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("R's BOM after the refusals: %d %s", res.StatusCode, body)
	}
}

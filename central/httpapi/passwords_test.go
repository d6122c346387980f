package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// login signs username in on a fresh client and fails the test otherwise.
func (e *env) login(username, password string) *http.Client {
	e.t.Helper()
	c := e.client()
	if res, body := e.do(c, "POST", "/api/v1/login", map[string]string{"username": username, "password": password}); res.StatusCode != 200 {
		e.t.Fatalf("login %s: %d %s", username, res.StatusCode, body)
	}
	return c
}

// signedIn reports whether c's session still works.
func (e *env) signedIn(c *http.Client) bool {
	e.t.Helper()
	res, _ := e.do(c, "GET", "/api/v1/me", nil)
	return res.StatusCode == 200
}

func (e *env) passwordAudits(username string) []domain.AuditEntry {
	e.t.Helper()
	res, body := e.do(e.as[domain.RoleAdmin], "GET", "/api/v1/audit?entity=user:"+username, nil)
	var entries []domain.AuditEntry
	if res.StatusCode != 200 || json.Unmarshal(body, &entries) != nil {
		e.t.Fatalf("audit: %d %s", res.StatusCode, body)
	}
	if strings.Contains(string(body), "$2a$") || strings.Contains(string(body), "-password") {
		e.t.Errorf("a password or its hash is in the audit trail: %s", body)
	}
	var out []domain.AuditEntry
	for _, a := range entries {
		if a.Action == "set_password" {
			out = append(out, a)
		}
	}
	return out
}

// TestAdminSetsPassword: an admin resets a user's password; the user's
// sessions (two browsers) end, the old password fails, the new one works,
// and the change is audited without the hash. Rules and refusals name the
// field.
func TestAdminSetsPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.as[domain.RoleAdmin]
	other := e.login("planner", "planner-password")
	path := "/api/v1/users/planner/password"

	res, body := e.do(admin, "PUT", path, map[string]string{"password": "short"})
	p := e.problem(res, body, 400, "password")
	if !strings.Contains(p.Detail, "10 characters") {
		t.Errorf("detail %q does not state the rule", p.Detail)
	}
	res, body = e.do(admin, "PUT", path, map[string]string{})
	e.problem(res, body, 400, "password")
	res, body = e.do(admin, "PUT", path, map[string]string{"password": "long-enough-pw", "colour": "red"})
	e.problem(res, body, 400, "colour")
	res, body = e.do(admin, "PUT", "/api/v1/users/ghost/password", map[string]string{"password": "long-enough-pw"})
	e.problem(res, body, 404, "username")
	res, body = e.do(e.as[domain.RoleSupervisor], "PUT", path, map[string]string{"password": "long-enough-pw"})
	e.problem(res, body, 403, "role")
	res, body = e.do(e.as[domain.RolePlanner], "PUT", path, map[string]string{"password": "long-enough-pw"})
	e.problem(res, body, 403, "role")
	if !e.signedIn(e.as[domain.RolePlanner]) || !e.signedIn(other) {
		t.Fatal("a refused change ended sessions")
	}
	// PATCH does not take a password; it says where to send it.
	res, body = e.do(admin, "PATCH", "/api/v1/users/planner", map[string]string{"password": "long-enough-pw"})
	p = e.problem(res, body, 400, "password")
	if !strings.Contains(p.Detail, "/api/v1/users/planner/password") {
		t.Errorf("PATCH with a password: %q", p.Detail)
	}

	res, body = e.do(admin, "PUT", path, map[string]string{"password": "new-planner-pw"})
	if res.StatusCode != 204 {
		t.Fatalf("set password: %d %s", res.StatusCode, body)
	}
	if e.signedIn(e.as[domain.RolePlanner]) || e.signedIn(other) {
		t.Error("the planner's old sessions still work after the reset")
	}
	if !e.signedIn(admin) {
		t.Error("the admin's own session ended")
	}
	res, body = e.do(nil, "POST", "/api/v1/login", map[string]string{"username": "planner", "password": "planner-password"})
	e.problem(res, body, 401, "password")
	e.login("planner", "new-planner-pw")
	if a := e.passwordAudits("planner"); len(a) != 1 || a[0].Actor != "admin" {
		t.Errorf("audit: %+v", a)
	}

	// An admin resetting their own password stays signed in on this
	// browser (a fresh session); their other sessions end.
	admin2 := e.login("admin", "admin-password")
	res, body = e.do(admin, "PUT", "/api/v1/users/admin/password", map[string]string{"password": "new-admin-pw"})
	if res.StatusCode != 204 {
		t.Fatalf("own reset: %d %s", res.StatusCode, body)
	}
	if !e.signedIn(admin) || e.signedIn(admin2) {
		t.Errorf("after an own reset: this browser %v (want true), the other %v (want false)", e.signedIn(admin), e.signedIn(admin2))
	}

	// A user imported without a password (badge only) gets one and signs in.
	res, body = e.raw(admin, "POST", "/api/v1/import/users", "text/csv", "username,role,badge\nop9,operator,B-9\n")
	if res.StatusCode != 200 {
		t.Fatalf("import: %d %s", res.StatusCode, body)
	}
	if res, body = e.do(admin, "PUT", "/api/v1/users/op9/password", map[string]string{"password": "op9-password"}); res.StatusCode != 204 {
		t.Fatalf("set op9: %d %s", res.StatusCode, body)
	}
	e.login("op9", "op9-password")
}

// TestChangeOwnPassword: any signed-in user changes their own password
// with the current one; their other sessions end, this one goes on.
func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t)
	op := e.as[domain.RoleOperator]
	other := e.login("operator", "operator-password")
	path := "/api/v1/me/password"

	for _, c := range []struct {
		body   map[string]string
		status int
		field  string
	}{
		{map[string]string{"new_password": "long-enough-pw"}, 400, "current_password"},
		{map[string]string{"current_password": "wrong-password", "new_password": "long-enough-pw"}, 403, "current_password"},
		{map[string]string{"current_password": "operator-password"}, 400, "new_password"},
		{map[string]string{"current_password": "operator-password", "new_password": "short"}, 400, "new_password"},
		{map[string]string{"current_password": "operator-password", "new_password": "operator-password"}, 400, "new_password"},
		{map[string]string{"current_password": "operator-password", "password": "long-enough-pw"}, 400, "password"},
	} {
		res, body := e.do(op, "POST", path, c.body)
		e.problem(res, body, c.status, c.field)
	}
	res, body := e.do(nil, "POST", path, map[string]string{"current_password": "operator-password", "new_password": "long-enough-pw"})
	e.problem(res, body, 401, "")
	if !e.signedIn(op) || !e.signedIn(other) {
		t.Fatal("a refused change ended sessions")
	}

	res, body = e.do(op, "POST", path, map[string]string{"current_password": "operator-password", "new_password": "my-new-password"})
	var me domain.Principal
	if res.StatusCode != 200 || json.Unmarshal(body, &me) != nil || me.Username != "operator" {
		t.Fatalf("change: %d %s", res.StatusCode, body)
	}
	if !e.signedIn(op) {
		t.Error("the session that made the change ended")
	}
	if e.signedIn(other) {
		t.Error("the user's other session still works")
	}
	res, body = e.do(nil, "POST", "/api/v1/login", map[string]string{"username": "operator", "password": "operator-password"})
	e.problem(res, body, 401, "password")
	e.login("operator", "my-new-password")
	if a := e.passwordAudits("operator"); len(a) != 1 || a[0].Actor != "operator" {
		t.Errorf("audit: %+v", a)
	}

	// Every role may change its own password.
	for _, r := range domain.Roles() {
		if r == domain.RoleOperator {
			continue
		}
		res, body := e.do(e.as[r], "POST", path, map[string]string{"current_password": string(r) + "-password", "new_password": string(r) + "-changed-pw"})
		if res.StatusCode != 200 {
			t.Errorf("%s: %d %s", r, res.StatusCode, body)
		}
	}

	// A badge session at a station may not (the badge is not the password).
	badge := e.client()
	if res, body := e.do(badge, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": "B-1001"}); res.StatusCode != 200 {
		t.Fatalf("badge scan: %d %s", res.StatusCode, body)
	}
	res, body = e.do(badge, "POST", path, map[string]string{"current_password": "my-new-password", "new_password": "badge-try-pw"})
	e.problem(res, body, 403, "role")

	// An API token has no password to change.
	res, body = e.do(e.as[domain.RoleAdmin], "POST", "/api/v1/tokens", map[string]string{"name": "erp", "role": "planner"})
	var tok struct {
		Token string `json:"token"`
	}
	if res.StatusCode != 201 || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("token: %d %s", res.StatusCode, body)
	}
	res, body = e.do(nil, "POST", path, map[string]string{"current_password": "x", "new_password": "long-enough-pw"}, "Authorization", "Bearer "+tok.Token)
	e.problem(res, body, 403, "current_password")
}

// TestDisablingEndsSessions: PATCH disabled=true ends the user's sessions,
// so enabling the user again does not bring an old cookie back.
func TestDisablingEndsSessions(t *testing.T) {
	e := newEnv(t)
	admin, q := e.as[domain.RoleAdmin], e.as[domain.RoleQuality]
	if res, body := e.do(admin, "PATCH", "/api/v1/users/quality", map[string]any{"disabled": true}); res.StatusCode != 200 {
		t.Fatalf("disable: %d %s", res.StatusCode, body)
	}
	if e.signedIn(q) {
		t.Error("a disabled user's session works")
	}
	if res, body := e.do(admin, "PATCH", "/api/v1/users/quality", map[string]any{"disabled": false}); res.StatusCode != 200 {
		t.Fatalf("enable: %d %s", res.StatusCode, body)
	}
	if e.signedIn(q) {
		t.Error("enabling the user brought the old session back")
	}
	e.login("quality", "quality-password")
}

// TestOpenAPIDescribesPasswordBodies: the password routes document their
// fields and roles, so a client need not guess current_password.
func TestOpenAPIDescribesPasswordBodies(t *testing.T) {
	e := newEnv(t)
	res, body := e.do(nil, "GET", "/api/openapi.json", nil)
	var doc struct {
		Paths map[string]map[string]struct {
			Roles       []string `json:"x-roles"`
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Required []string `json:"required"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &doc) != nil {
		t.Fatalf("openapi: %d", res.StatusCode)
	}
	for _, c := range []struct{ path, method, required, roles string }{
		{"/api/v1/users/{username}/password", "put", "password", "admin"},
		{"/api/v1/me/password", "post", "current_password,new_password", "operator,supervisor,planner,quality,warehouse,buyer,sales,manager,admin"},
	} {
		op := doc.Paths[c.path][c.method]
		got := strings.Join(op.RequestBody.Content["application/json"].Schema.Required, ",")
		if got != c.required || strings.Join(op.Roles, ",") != c.roles {
			t.Errorf("%s %s: required %q roles %v; want %q and %s", c.method, c.path, got, op.Roles, c.required, c.roles)
		}
	}
}

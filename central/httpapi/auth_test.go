package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

func TestAuthRules(t *testing.T) {
	e := newEnv(t)
	// Only the sign-in surfaces, liveness and the API description are open
	// (TestAnonymousReads walks every route).
	for _, p := range []string{"/healthz", "/api/openapi.json", "/station/ST-L1", "/login"} {
		if res, body := e.do(nil, "GET", p, nil); res.StatusCode != 200 {
			t.Errorf("GET %s without login: %d %s", p, res.StatusCode, body)
		}
	}
	for _, p := range []string{"/", "/api/v1/lines", "/api/v1/orders", "/api/v1/events?line=L1"} {
		res, body := e.do(nil, "GET", p, nil)
		e.problem(res, body, 401, "")
	}
	// Writes and other reads need a login.
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/orders"}, {"PATCH", "/api/v1/orders/X"}, {"DELETE", "/api/v1/orders/X"},
		{"POST", "/api/v1/orders/X/submit"}, {"POST", "/api/v1/orders/X/signoff"}, {"GET", "/api/v1/audit"},
		{"GET", "/api/v1/me"}, {"POST", "/api/v1/users"}, {"POST", "/api/v1/stations/ST-L1/complete"},
	} {
		res, body := e.do(nil, c.method, c.path, map[string]any{})
		p := e.problem(res, body, 401, "")
		if p.Detail == "" || res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: %+v", c.method, c.path, p)
		}
	}
	// Roles: the operator may not create orders or read the audit trail.
	res, body := e.do(e.as[domain.RoleOperator], "POST", "/api/v1/orders", map[string]any{"product": "P", "quantity": 1})
	e.problem(res, body, 403, "role")
	res, body = e.do(e.as[domain.RoleOperator], "GET", "/api/v1/audit", nil)
	e.problem(res, body, 403, "role")
	res, body = e.do(e.as[domain.RolePlanner], "POST", "/api/v1/users", map[string]any{})
	e.problem(res, body, 403, "role")

	// Login: wrong password, unknown user, and the cookie's attributes.
	res, body = e.do(nil, "POST", "/api/v1/login", map[string]string{"username": "planner", "password": "nope"})
	e.problem(res, body, 401, "password")
	res, body = e.do(nil, "POST", "/api/v1/login", map[string]string{"username": "ghost", "password": "nope"})
	e.problem(res, body, 401, "password")
	res, body = e.do(nil, "POST", "/api/v1/login", map[string]string{"username": "planner"})
	e.problem(res, body, 400, "password")
	c := e.client()
	res, body = e.do(c, "POST", "/api/v1/login", map[string]string{"username": "planner", "password": "planner-password"})
	if res.StatusCode != 200 {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	var ck *http.Cookie
	for _, x := range res.Cookies() {
		if x.Name == SessionCookie {
			ck = x
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || len(ck.Value) < 40 {
		t.Fatalf("cookie %+v", ck)
	}
	if res, body := e.do(c, "GET", "/api/v1/me", nil); res.StatusCode != 200 || !strings.Contains(string(body), `"role":"planner"`) {
		t.Errorf("me: %d %s", res.StatusCode, body)
	}
	if res, _ := e.do(c, "POST", "/api/v1/logout", nil); res.StatusCode != 204 {
		t.Errorf("logout: %d", res.StatusCode)
	}
	// The old cookie no longer works even if replayed.
	res, body = e.do(nil, "GET", "/api/v1/me", nil, "Cookie", SessionCookie+"="+ck.Value)
	e.problem(res, body, 401, "")

	// Admin creates a user who can then sign in.
	res, body = e.do(e.as[domain.RoleAdmin], "POST", "/api/v1/users", map[string]string{"username": "op2", "role": "operator", "password": "short"})
	e.problem(res, body, 400, "password")
	res, body = e.do(e.as[domain.RoleAdmin], "POST", "/api/v1/users", map[string]string{"username": "op2", "role": "boss", "password": "long-enough-pw"})
	e.problem(res, body, 400, "role")
	res, body = e.do(e.as[domain.RoleAdmin], "POST", "/api/v1/users", map[string]string{"username": "op2", "role": "operator", "password": "long-enough-pw", "badge": "B-2"})
	if res.StatusCode != 201 || strings.Contains(string(body), "hash") {
		t.Fatalf("create user: %d %s", res.StatusCode, body)
	}
	res, body = e.do(e.as[domain.RoleAdmin], "POST", "/api/v1/users", map[string]string{"username": "op3", "role": "operator", "password": "long-enough-pw", "badge": "B-2"})
	e.problem(res, body, 409, "username")
	if res, body := e.do(nil, "POST", "/api/v1/login", map[string]string{"username": "op2", "password": "long-enough-pw"}); res.StatusCode != 200 {
		t.Errorf("new user login: %d %s", res.StatusCode, body)
	}
	res, body = e.do(e.as[domain.RoleAdmin], "GET", "/api/v1/audit?entity=user&actor=admin", nil)
	var entries []domain.AuditEntry
	if res.StatusCode != 200 || json.Unmarshal(body, &entries) != nil || len(entries) != 1 || entries[0].EntityID != "op2" {
		t.Errorf("user audit: %d %s", res.StatusCode, body)
	}
	if strings.Contains(string(body), "$2a$") {
		t.Error("password hash leaked into the audit trail")
	}
	res, body = e.do(e.as[domain.RoleAdmin], "GET", "/api/v1/audit?from=yesterday", nil)
	e.problem(res, body, 400, "from")
}

// TestWriteRoutesDeclareRoles keeps the access table honest: every write
// that is not a login-like public route names the roles that may call it.
func TestWriteRoutesDeclareRoles(t *testing.T) {
	e := newEnv(t)
	for _, r := range e.api.Routes() {
		if !isWrite(r.Method) {
			continue
		}
		switch r.Access {
		case Authenticated:
			if len(r.Roles) == 0 {
				t.Errorf("%s %s is a write without roles", r.Method, r.Path)
			}
		case Public:
			if !strings.HasSuffix(r.Path, "/login") && !strings.HasSuffix(r.Path, "/logout") && !strings.HasSuffix(r.Path, "/scan") {
				t.Errorf("%s %s is a public write", r.Method, r.Path)
			}
		default:
			t.Errorf("%s %s is an open write", r.Method, r.Path)
		}
	}
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	e := newEnv(t)
	res, body := e.do(nil, "GET", "/api/openapi.json", nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &doc) != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %d %s", res.StatusCode, body)
	}
	n := 0
	for _, r := range e.api.EchoRoutes() {
		if r[0] == "echo_route_not_found" {
			continue
		}
		p, _ := openAPIPath(r[1])
		if _, ok := doc.Paths[p][strings.ToLower(r[0])]; !ok {
			t.Errorf("%s %s is not in the OpenAPI document", r[0], r[1])
		}
		n++
	}
	if n < 20 {
		t.Errorf("only %d routes", n)
	}
	if roles := doc.Paths["/api/v1/orders/{number}/approve"]["post"]["x-roles"]; roles == nil {
		t.Error("approve does not document its roles")
	}
}

func TestCode128(t *testing.T) {
	for v, w := range code128Widths {
		sum := 0
		for _, c := range w {
			sum += int(c - '0')
		}
		want := 11
		if v == code128Stop {
			want = 13
		}
		if sum != want {
			t.Errorf("value %d: %s is %d modules, want %d", v, w, sum, want)
		}
	}
	vals, err := code128B("PJJ123C")
	if err != nil || len(vals) != 10 || vals[0] != code128StartB || vals[8] != 55 || vals[9] != code128Stop {
		t.Errorf("PJJ123C = %v %v; want start B, 7 data, checksum 55, stop", vals, err)
	}
	svg, err := Code128SVG("WO-1001-10", 2, 80)
	if err != nil || !strings.HasPrefix(svg, "<svg") || strings.Count(svg, "<rect") != 1+3*(10+3)+1 {
		t.Errorf("svg: %v %d rects", err, strings.Count(svg, "<rect"))
	}
	if _, err := Code128SVG("é", 2, 80); err == nil {
		t.Error("non-ASCII accepted")
	}
}

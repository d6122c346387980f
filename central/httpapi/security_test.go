package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// noRedirects is a client that shows redirects instead of following them.
func noRedirects(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// badgeAt signs a fresh browser in by scanning badge at station.
func (e *env) badgeAt(station, badge string) *http.Client {
	e.t.Helper()
	c := e.client()
	res, body := e.do(c, "POST", "/api/v1/stations/"+station+"/scan", map[string]string{"code": badge})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"action":"login"`) {
		e.t.Fatalf("badge %s at %s: %d %s", badge, station, res.StatusCode, body)
	}
	return c
}

// TestAttackBadgeIsNoAdminCredential: an admin's badge, scanned at a
// station, signs in a station session that cannot read users or the
// audit trail, open the admin pages or act as admin; badge codes appear
// in no response: not in events (they show the operator's name), not in
// the user list, not in the audit trail.
func TestAttackBadgeIsNoAdminCredential(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		h, _ := domain.HashPassword("boss-password", 4)
		if err := e.st.CreateUser(ctx, domain.User{Username: "boss", DisplayName: "Big Boss", Role: domain.RoleAdmin,
			PasswordHash: h, Badge: "B-ADMIN-7"}, domain.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		// A fixed scanner reports both badges, as code and as operator.
		if _, err := e.st.ApplyBatch(ctx, wire.Batch{Version: wire.Version, EdgeID: "e1", Events: []wire.Event{
			{EdgeID: "e1", Seq: 1, Line: "L1", Type: wire.TypeScan, SourceTime: e.now, Scan: &wire.Scan{Station: "ST-L1", Code: "B-1001"}},
			{EdgeID: "e1", Seq: 2, Line: "L1", Type: wire.TypeScan, SourceTime: e.now.Add(time.Second),
				Scan: &wire.Scan{Station: "ST-L1", Code: "WO-X", Operator: "B-ADMIN-7"}},
		}}); err != nil {
			t.Fatal(err)
		}
		// Anonymous: no events at all.
		res, body := e.do(nil, "GET", "/api/v1/events?line=L1", nil)
		e.problem(res, body, 401, "")
		// Signed in: the operator's name, never the code.
		res, body = e.do(e.as[domain.RoleSupervisor], "GET", "/api/v1/events?line=L1", nil)
		if res.StatusCode != 200 || strings.Contains(string(body), "B-1001") || strings.Contains(string(body), "B-ADMIN-7") ||
			strings.Contains(string(body), domain.BadgeHashPrefix) {
			t.Fatalf("events show a badge: %d %s", res.StatusCode, body)
		}
		if !strings.Contains(string(body), "The operator") || !strings.Contains(string(body), "Big Boss") {
			t.Errorf("events do not name the operators: %s", body)
		}
		// Stored as a keyed hash, not the code.
		u, err := e.st.GetUser(ctx, "boss")
		if err != nil || !domain.IsBadgeHash(u.Badge) || strings.Contains(u.Badge, "B-ADMIN") {
			t.Errorf("stored badge %q (%v)", u.Badge, err)
		}
		// The user list, one user and the audit trail say only that there is one.
		for _, p := range []string{"/api/v1/users", "/api/v1/users/boss", "/api/v1/audit?entity=user"} {
			res, body := e.do(e.as[domain.RoleAdmin], "GET", p, nil)
			if res.StatusCode != 200 || strings.Contains(string(body), "B-ADMIN-7") || strings.Contains(string(body), domain.BadgeHashPrefix) {
				t.Errorf("GET %s shows a badge: %d %s", p, res.StatusCode, body)
			}
		}
		res, body = e.do(e.as[domain.RoleAdmin], "GET", "/api/v1/users/boss", nil)
		if !strings.Contains(string(body), `"has_badge":true`) {
			t.Errorf("user: %s", body)
		}
		// Giving another user the same badge is refused without naming it.
		res, body = e.do(e.as[domain.RoleAdmin], "PATCH", "/api/v1/users/planner", map[string]any{"badge": "B-ADMIN-7"})
		if p := e.problem(res, body, 409, "badge"); strings.Contains(string(body), "B-ADMIN-7") || strings.Contains(string(body), domain.BadgeHashPrefix) {
			t.Errorf("badge conflict shows the badge: %+v", p)
		}
		res, body = e.raw(e.as[domain.RoleAdmin], "POST", "/api/v1/import/users", "text/csv", "username,role,badge\nop9,operator,B-ADMIN-7\n")
		if res.StatusCode < 400 || strings.Contains(string(body), "B-ADMIN-7") || strings.Contains(string(body), domain.BadgeHashPrefix) {
			t.Errorf("import with a taken badge: %d %s", res.StatusCode, body)
		}

		// The attack: scan the admin's badge at a station, then use the session.
		station := e.badgeAt("ST-L1", "B-ADMIN-7")
		for _, p := range []string{"/api/v1/users", "/api/v1/audit", "/api/v1/tokens", "/api/v1/orders"} {
			res, body := e.do(station, "GET", p, nil)
			e.problem(res, body, 403, "role")
		}
		res, body = e.do(station, "POST", "/api/v1/users", map[string]string{"username": "mallory", "role": "admin", "password": "long-enough-pw"})
		e.problem(res, body, 403, "role")
		res, body = e.do(station, "POST", "/api/v1/tokens", map[string]string{"name": "mine", "role": "admin"})
		e.problem(res, body, 403, "role")
		// Pages: a browser is sent to sign in with a password.
		for _, p := range []string{"/audit", "/", "/work-orders/WO-1/traveler"} {
			res, _ := e.do(noRedirects(station), "GET", p, nil, "Accept", "text/html", "Sec-Fetch-Mode", "navigate")
			if res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
				t.Errorf("GET %s with a badge session: %d to %q, want 303 to /login", p, res.StatusCode, res.Header.Get("Location"))
			}
		}
		// What a station needs still works.
		for _, p := range []string{"/api/v1/me", "/api/v1/lines", "/api/v1/stations/ST-L1", "/api/v1/exceptions"} {
			if res, body := e.do(station, "GET", p, nil); res.StatusCode != 200 {
				t.Errorf("GET %s with a badge session: %d %s", p, res.StatusCode, body)
			}
		}
		if _, err := e.st.GetUser(ctx, "mallory"); err == nil {
			t.Error("the badge session created a user")
		}
		// A disabled badge is refused without repeating the code.
		if err := e.st.SaveMaster(ctx, domain.User{Username: "boss", DisplayName: "Big Boss", Role: domain.RoleAdmin, Badge: u.Badge, Disabled: true},
			domain.SaveUpdate, domain.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		res, body = e.do(e.client(), "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": "B-ADMIN-7"})
		if res.StatusCode != 403 || strings.Contains(string(body), "B-ADMIN-7") {
			t.Errorf("disabled badge: %d %s", res.StatusCode, body)
		}
	})
}

// TestAttackBadgeOnAnotherLine: an operator signed in by badge at L1's
// station cannot scan, scrap or complete work orders of line L2 through
// L2's station; nothing changes.
func TestAttackBadgeOnAnotherLine(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		n := e.draft("Q") // routed over L2
		e.force(n, domain.StatusReleased)
		wo := domain.WorkOrderID(n, 10)
		op := e.badgeAt("ST-L1", "B-1001")
		res, body := e.do(op, "POST", "/api/v1/stations/ST-L2/scan", map[string]string{"code": wo})
		e.problem(res, body, 403, "line")
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L2/scrap", map[string]any{"work_order": wo, "quantity": 3, "reason": "dent"})
		e.problem(res, body, 403, "line")
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L2/complete", map[string]any{"work_order": wo})
		e.problem(res, body, 403, "line")
		res, body = e.do(op, "POST", "/api/v1/exceptions", map[string]any{"station": "ST-L2", "kind": "material_short"})
		if res.StatusCode != 403 {
			t.Errorf("raise at ST-L2: %d %s", res.StatusCode, body)
		}
		rec := e.order(n)
		if rec.WorkOrders[0].Status != domain.StatusReleased || rec.WorkOrders[0].Reject != 0 {
			t.Errorf("work order changed: %+v", rec.WorkOrders[0])
		}
		// Its own line still works.
		own := e.draft("P")
		e.force(own, domain.StatusReleased)
		res, body = e.do(op, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": domain.WorkOrderID(own, 10)})
		if res.StatusCode != 200 {
			t.Errorf("scan on its own line: %d %s", res.StatusCode, body)
		}
	})
}

// TestAttackCSRF: a page on another origin (or another site of the same
// host) makes the admin's browser post a JSON body as text/plain to create
// an admin; every variant is refused and no user appears. The same call
// from the app's own pages, and with an API token, works.
func TestAttackCSRF(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		admin := e.as[domain.RoleAdmin]
		body := `{"username":"mallory","role":"admin","password":"long-enough-pw"}`
		send := func(header ...string) (*http.Response, []byte) {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/users", strings.NewReader(body))
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			res, err := admin.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, b
		}
		for _, tc := range []struct {
			name   string
			header []string
			status int
			field  string
		}{
			{"form from another origin", []string{"Content-Type", "text/plain", "Origin", "http://evil.example"}, 403, "Origin"},
			{"form from another port", []string{"Content-Type", "text/plain", "Origin", "http://127.0.0.1:1"}, 403, "Origin"},
			{"same-site page", []string{"Content-Type", "text/plain", "Sec-Fetch-Site", "same-site", "Origin", e.srv.URL}, 403, "Origin"},
			{"opaque origin", []string{"Content-Type", "application/json", "Origin", "null"}, 403, "Origin"},
			{"no origin at all", []string{"Content-Type", "application/json"}, 403, "Origin"},
			{"text/plain from our origin", []string{"Content-Type", "text/plain", "Origin", e.srv.URL}, 415, "Content-Type"},
			{"form post from our origin", []string{"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin"}, 415, "Content-Type"},
		} {
			res, b := send(tc.header...)
			e.problem(res, b, tc.status, tc.field)
		}
		if res, _ := e.do(admin, "GET", "/api/v1/users/mallory", nil); res.StatusCode != 404 {
			t.Fatalf("mallory exists after the attacks: %d", res.StatusCode)
		}
		// Sign-in from another origin is refused too (login CSRF).
		res, b := e.do(e.client(), "POST", "/api/v1/login", map[string]string{"username": "admin", "password": "admin-password"}, "Origin", "http://evil.example")
		e.problem(res, b, 403, "Origin")
		// The app's own page.
		res, b = send("Content-Type", "application/json", "Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin")
		if res.StatusCode != 201 {
			t.Fatalf("same-origin create: %d %s", res.StatusCode, b)
		}
		// A script with an API token sends no Origin and needs none.
		tok := e.token(domain.TokenAPI, "admin", "")
		res, b = e.do(nil, "POST", "/api/v1/users", map[string]string{"username": "robot", "role": "planner", "password": "long-enough-pw"},
			"Authorization", "Bearer "+tok, "Origin", "")
		if res.StatusCode != 201 {
			t.Fatalf("token create: %d %s", res.StatusCode, b)
		}
	})
}

// TestAttackOpenRedirect: a link to /login whose next= leads off-site
// (tab, newline, backslash, double slash, scheme) is answered with /login
// without it; a local path is served as it is.
func TestAttackOpenRedirect(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		c := noRedirects(e.client())
		for _, next := range []string{"/%09/evil.example", "/%0a/evil.example", "//evil.example", "/%5Cevil.example", `\/evil.example`,
			"https://evil.example/", "%2F%2Fevil.example", "/%0d%0a/evil.example", "javascript:alert(1)", ""} {
			res, body := e.do(c, "GET", "/login?next="+next, nil)
			if res.StatusCode != 303 || res.Header.Get("Location") != "/login" {
				t.Errorf("next=%s: %d %q %.80s", next, res.StatusCode, res.Header.Get("Location"), body)
			}
		}
		for _, next := range []string{"%2Faudit%3Fentity%3Dorder%3APO-1", "/station/ST-L1"} {
			res, body := e.do(c, "GET", "/login?next="+next, nil)
			if res.StatusCode != 200 || !strings.Contains(string(body), `id="login"`) {
				t.Errorf("next=%s: %d", next, res.StatusCode)
			}
		}
		for _, p := range []string{"/", "/%2F", "/a//b", "/audit?x=//y"} {
			if !LocalPath(p) {
				t.Errorf("LocalPath(%q) = false", p)
			}
		}
		for _, p := range []string{"/\t/evil", "//evil", "/\\evil", "http://evil", "evil", "/\u2028/evil", "/ /evil"} {
			if LocalPath(p) {
				t.Errorf("LocalPath(%q) = true", p)
			}
		}
	})
}

// token creates a token as the admin and returns its secret.
func (e *env) token(kind, role, line string, expires ...time.Time) string {
	e.t.Helper()
	req := map[string]any{"name": "t" + strings.ReplaceAll(e.now.Format("150405.000000000"), ".", "") + kind + role, "kind": kind, "role": role, "line": line}
	if len(expires) > 0 {
		req["expires_at"] = expires[0]
	}
	e.now = e.now.Add(time.Nanosecond) // unique names
	res, body := e.do(e.as[domain.RoleAdmin], "POST", "/api/v1/tokens", req)
	if res.StatusCode != 201 {
		e.t.Fatalf("create token: %d %s", res.StatusCode, body)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		e.t.Fatalf("token: %s", body)
	}
	return out.Token
}

// TestTokensLifecycle: admins create tokens with a role, an existing line
// and an expiry, list them without secrets and revoke them (audited);
// expired and revoked tokens are 401 everywhere; nobody else may touch
// tokens.
func TestTokensLifecycle(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		admin := e.as[domain.RoleAdmin]
		res, body := e.do(admin, "POST", "/api/v1/tokens", map[string]any{"name": "scanner", "role": "operator", "line": "L9"})
		e.problem(res, body, 400, "line")
		res, body = e.do(admin, "POST", "/api/v1/tokens", map[string]any{"name": "scanner", "role": "operator", "expires_at": e.now.Add(-time.Hour)})
		e.problem(res, body, 400, "expires_at")
		res, body = e.do(admin, "POST", "/api/v1/tokens", map[string]any{"name": "wall", "kind": "kiosk", "role": "admin"})
		e.problem(res, body, 400, "role")
		res, body = e.do(admin, "POST", "/api/v1/tokens", map[string]any{"name": "x", "kind": "root", "role": "admin"})
		e.problem(res, body, 400, "kind")
		res, body = e.do(admin, "POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "operator", "lines": []string{"L1", "L9"}})
		e.problem(res, body, 400, "line")
		res, body = e.do(admin, "POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "operator", "lines": []string{"L1", "L1"}})
		e.problem(res, body, 400, "lines")

		// A scanner token of several lines acts at their stations only.
		n := e.draft("P") // on L1
		e.force(n, domain.StatusReleased)
		wo := domain.WorkOrderID(n, 10)
		for _, tc := range []struct {
			lines  []string
			status int
		}{{[]string{"L2"}, 403}, {[]string{"L2", "L1"}, 200}} {
			res, body := e.do(admin, "POST", "/api/v1/tokens", map[string]any{"name": "scanner-" + strings.Join(tc.lines, "-"), "role": "operator", "lines": tc.lines})
			var tok struct {
				Token string   `json:"token"`
				Lines []string `json:"lines"`
			}
			if res.StatusCode != 201 || json.Unmarshal(body, &tok) != nil || !slices.Equal(tok.Lines, tc.lines) {
				t.Fatalf("token of %v: %d %s", tc.lines, res.StatusCode, body)
			}
			res, body = e.do(nil, "POST", "/api/v1/stations/ST-L1/scan", map[string]string{"code": wo}, "Authorization", "Bearer "+tok.Token, "Origin", "")
			if res.StatusCode != tc.status {
				t.Errorf("scan at ST-L1 with a token of %v: %d %s", tc.lines, res.StatusCode, body)
			}
		}

		expiring := e.token(domain.TokenAPI, "supervisor", "L1", e.now.Add(time.Hour))
		revoked := e.token(domain.TokenAPI, "planner", "")
		for _, tok := range []string{expiring, revoked} {
			if res, body := e.do(nil, "GET", "/api/v1/orders", nil, "Authorization", "Bearer "+tok); res.StatusCode != 200 {
				t.Fatalf("fresh token: %d %s", res.StatusCode, body)
			}
		}
		res, body = e.do(admin, "GET", "/api/v1/tokens", nil)
		var list []struct {
			ID, Name, Kind, Role, Line, Status string
			Token                              *string `json:"token"`
		}
		if res.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list) != 4 {
			t.Fatalf("list: %d %s", res.StatusCode, body)
		}
		if strings.Contains(string(body), expiring) || strings.Contains(string(body), revoked) || strings.Contains(string(body), domain.HashToken(revoked)) {
			t.Fatalf("the list shows a secret: %s", body)
		}
		var revokedID string
		for _, x := range list {
			if x.Role == "planner" {
				revokedID = x.ID
			}
			if x.Token != nil {
				t.Errorf("the list shows token %s's secret", x.ID)
			}
			if x.Status != "active" {
				t.Errorf("token %+v not active", x)
			}
		}
		res, body = e.do(admin, "DELETE", "/api/v1/tokens/"+revokedID, nil)
		if res.StatusCode != 200 || !strings.Contains(string(body), `"status":"revoked"`) {
			t.Fatalf("revoke: %d %s", res.StatusCode, body)
		}
		res, body = e.do(admin, "DELETE", "/api/v1/tokens/tok-nope", nil)
		e.problem(res, body, 404, "id")
		e.now = e.now.Add(2 * time.Hour)
		for _, tok := range []string{expiring, revoked} {
			for _, p := range []string{"/api/v1/orders", "/healthz", "/api/v1/me"} {
				res, body := e.do(nil, "GET", p, nil, "Authorization", "Bearer "+tok)
				e.problem(res, body, 401, "Authorization")
			}
		}
		res, body = e.do(admin, "GET", "/api/v1/tokens", nil)
		if !strings.Contains(string(body), `"status":"expired"`) || !strings.Contains(string(body), `"status":"revoked"`) {
			t.Errorf("list after: %s", body)
		}
		res, body = e.do(admin, "GET", "/api/v1/audit?entity=api_token", nil)
		if res.StatusCode != 200 || strings.Count(string(body), `"action":"create"`) != 4 || strings.Count(string(body), `"action":"revoke"`) != 1 {
			t.Errorf("audit: %s", body)
		}
		// Only admins.
		for _, role := range domain.Roles() {
			if role == domain.RoleAdmin {
				continue
			}
			for _, c := range []struct{ method, path string }{{"GET", "/api/v1/tokens"}, {"POST", "/api/v1/tokens"}, {"DELETE", "/api/v1/tokens/" + revokedID}} {
				res, body := e.do(e.as[role], c.method, c.path, map[string]any{})
				e.problem(res, body, 403, "role")
			}
		}
	})
}

// TestKioskToken: a wall screen opens /?kiosk=TOKEN once; the token moves
// into a cookie (and out of the address); the screen then reads the
// dashboard, lines, exceptions, line OEE and the stream, and nothing else.
func TestKioskToken(t *testing.T) {
	onBothStores(t, func(t *testing.T, e *env) {
		tok := e.token(domain.TokenKiosk, "", "")
		wall := noRedirects(e.client())
		res, _ := e.do(wall, "GET", "/?kiosk="+url.QueryEscape(tok), nil, "Accept", "text/html")
		if res.StatusCode != 303 || res.Header.Get("Location") != "/" {
			t.Fatalf("kiosk sign-in: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		res, body := e.do(wall, "GET", "/?kiosk=wrong", nil)
		e.problem(res, body, 401, "kiosk")
		for _, p := range []string{"/", "/api/v1/lines", "/api/v1/exceptions"} {
			if res, body := e.do(wall, "GET", p, nil); res.StatusCode != 200 {
				t.Errorf("kiosk GET %s: %d %s", p, res.StatusCode, body)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/stream", nil)
		sres, err := wall.Do(req)
		if err != nil || sres.StatusCode != 200 || sres.Header.Get("Content-Type") != "text/event-stream" {
			t.Errorf("kiosk stream: %v %v", err, sres)
		}
		cancel()
		if sres != nil {
			sres.Body.Close()
		}
		for _, p := range []string{"/api/v1/orders", "/api/v1/me", "/api/v1/events?line=L1", "/api/v1/users", "/api/v1/audit", "/api/v1/stations/ST-L1"} {
			res, body := e.do(wall, "GET", p, nil)
			e.problem(res, body, 401, "")
			res, body = e.do(nil, "GET", p, nil, "Authorization", "Bearer "+tok)
			e.problem(res, body, 401, "")
		}
		res, body = e.do(wall, "POST", "/api/v1/exceptions", map[string]any{"line": "L1", "kind": "material_short"})
		e.problem(res, body, 401, "")
	})
}

// TestAnonymousReads walks every registered route: without credentials
// only the sign-in surfaces, liveness and the API description answer; a
// kiosk token reads exactly the kiosk routes; a badge session reaches
// exactly the station routes.
func TestAnonymousReads(t *testing.T) {
	onBothStores(t, testAnonymousReads)
}

func testAnonymousReads(t *testing.T, e *env) {
	open := []string{"GET /login", "GET /healthz", "GET /api/openapi.json", "GET /assets/session.js", "GET /assets/bell.js", "GET /station/:id", "GET /i18n/:file", "GET /assets/i18n.js"}
	kiosk := []string{"GET /", "GET /api/v1/lines", "GET /api/v1/stream", "GET /api/v1/exceptions", "GET /api/v1/lines/:id/oee"}
	tok := e.token(domain.TokenKiosk, "", "")
	badge := e.badgeAt("ST-L1", "B-1001")
	fill := strings.NewReplacer(":id", "ST-L1", ":number", "NOPE", ":sku", "NOPE", ":line", "L1", ":username", "nope", ":kind", "products")
	n := 0
	for _, r := range e.api.Routes() {
		key := r.Method + " " + r.Path
		if r.Path == "/api/v1/stream" {
			continue // streams; TestKioskToken covers it
		}
		path := fill.Replace(r.Path)
		var body any
		if isWrite(r.Method) {
			body = map[string]any{}
		}
		if r.Method == http.MethodGet {
			n++
			res, b := e.do(nil, r.Method, path, body)
			switch {
			case slices.Contains(open, key):
				if r.Access != Open || res.StatusCode == 401 || res.StatusCode == 403 {
					t.Errorf("%s anonymous: %d; it is one of the open ones", key, res.StatusCode)
				}
			case r.Access != Authenticated || res.StatusCode != 401:
				t.Errorf("%s anonymous: access %v, %d %s; want 401", key, r.Access, res.StatusCode, b)
			}
		}
		res, b := e.do(nil, r.Method, path, body, "Authorization", "Bearer "+tok)
		switch {
		case slices.Contains(kiosk, key):
			if !r.Kiosk || res.StatusCode == 401 || res.StatusCode == 403 {
				t.Errorf("%s with a kiosk token: %d %s", key, res.StatusCode, b)
			}
		case r.Kiosk:
			t.Errorf("%s admits kiosk tokens but is not a dashboard read", key)
		case r.Access == Authenticated && res.StatusCode != 401:
			t.Errorf("%s with a kiosk token: %d %s; want 401", key, res.StatusCode, b)
		}
		if r.Access == Authenticated {
			res, b := e.do(badge, r.Method, path, body)
			station := r.Station || r.LineScoped
			if station != (res.StatusCode != 403 || !strings.Contains(string(b), "signed in by badge")) {
				t.Errorf("%s with a badge session: %d %s (station route: %v)", key, res.StatusCode, b, station)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d reads walked", n)
	}
}

// TestSecurityHeaders: every response, pages, JSON, errors and 404s,
// carries the CSP, framing, sniffing and referrer headers; the pages'
// inline scripts carry the response's nonce; behind TLS cookies are
// Secure and HSTS is sent.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	sup := e.as[domain.RoleSupervisor]
	nonceRE := regexp.MustCompile(`script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'`)
	for _, p := range []string{"/", "/login", "/audit", "/station/ST-L1", "/api/v1/lines", "/api/v1/nowhere", "/healthz"} {
		res, body := e.do(sup, "GET", p, nil)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "object-src 'none'") || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" || h.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s: headers %v", p, h)
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			continue
		}
		m := nonceRE.FindStringSubmatch(csp)
		if m == nil {
			t.Fatalf("GET %s: CSP %q has no nonce", p, csp)
		}
		scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(string(body), -1)
		if len(scripts) == 0 {
			t.Errorf("GET %s: no scripts", p)
		}
		for _, s := range scripts {
			if !strings.Contains(s, `nonce="`+m[1]+`"`) {
				t.Errorf("GET %s: %s lacks the nonce", p, s)
			}
		}
		if regexp.MustCompile(`\son[a-z]+="`).Match(body) {
			t.Errorf("GET %s: an inline event handler (blocked by the CSP)", p)
		}
	}
	// Behind TLS.
	e.api.opts.SecureCookies = true
	c := e.client()
	res, body := e.do(c, "POST", "/api/v1/login", map[string]string{"username": "planner", "password": "planner-password"}, "Origin", "")
	if res.StatusCode != 200 || res.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("login behind TLS: %d %v %s", res.StatusCode, res.Header, body)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == SessionCookie && !ck.Secure {
			t.Errorf("session cookie behind TLS is not Secure")
		}
	}
	// A page served over https sends an https Origin.
	res, body = e.do(sup, "POST", "/api/v1/logout", nil, "Origin", strings.Replace(e.srv.URL, "http:", "https:", 1))
	if res.StatusCode != 204 {
		t.Errorf("logout with an https origin behind TLS: %d %s", res.StatusCode, body)
	}
}

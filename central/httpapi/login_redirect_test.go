package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/linewise/linewise/central/domain"
)

// What a browser sends when it follows a link or loads a typed URL, and
// what fetch() and curl send.
var (
	chromeNavigation = []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
		"Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}
	oldBrowserNavigation = []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	fetchFromPage        = []string{"Accept", "*/*", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty"}
	fetchJSON            = []string{"Accept", "application/json", "Sec-Fetch-Mode", "same-origin"}
	curl                 = []string{"Accept", "*/*"}
	htmlButJSONToo       = []string{"Accept", "application/json, text/html"}
	navigationWithToken  = append([]string{"Authorization", "Bearer not-a-token"}, chromeNavigation...)
)

// TestBrowserWithoutSessionGoesToLogin: a page load that needs a session
// (an export link on the dashboard, a bookmarked API URL, the audit page)
// is sent to /login?next=<where it was going>; scripts and API clients
// still get a 401 problem.
func TestBrowserWithoutSessionGoesToLogin(t *testing.T) {
	e := newEnv(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	const export = "/api/v1/exports/orders.xlsx?status=released,in_progress&line=L1"
	const exportNext = "/login?next=%2Fapi%2Fv1%2Fexports%2Forders.xlsx%3Fstatus%3Dreleased%2Cin_progress%26line%3DL1"
	for _, tt := range []struct {
		name, method, path string
		header             []string
		location           string // "" means a 401 problem
	}{
		{"export link in a browser", "GET", export, chromeNavigation, exportNext},
		{"export link, browser without fetch metadata", "GET", export, oldBrowserNavigation, exportNext},
		{"audit page", "GET", "/audit", chromeNavigation, "/login?next=%2Faudit"},
		{"audit page with a filter", "GET", "/audit?entity=order:PO-1", oldBrowserNavigation, "/login?next=%2Faudit%3Fentity%3Dorder%3APO-1"},
		{"audit page by curl", "GET", "/audit", curl, ""},
		{"audit API in the address bar", "GET", "/api/v1/audit", chromeNavigation, "/login?next=%2Fapi%2Fv1%2Faudit"},
		{"export by fetch", "GET", export, fetchFromPage, ""},
		{"me by fetch, JSON", "GET", "/api/v1/me", fetchJSON, ""},
		{"export by curl", "GET", export, curl, ""},
		{"no Accept at all", "GET", export, nil, ""},
		{"Accept prefers JSON", "GET", "/api/v1/audit", htmlButJSONToo, ""},
		{"a bad token is a 401 even from a browser", "GET", export, navigationWithToken, ""},
		{"a form post is not a page load", "POST", "/api/v1/orders", chromeNavigation, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.method == "POST" {
				body = map[string]any{}
			}
			res, b := e.do(noFollow, tt.method, tt.path, body, tt.header...)
			if tt.location == "" {
				field := ""
				if strings.Contains(strings.Join(tt.header, " "), "Bearer") {
					field = "Authorization" // the token is refused as such
				}
				e.problem(res, b, 401, field)
				if res.Header.Get("Location") != "" {
					t.Errorf("a 401 with Location %q", res.Header.Get("Location"))
				}
				return
			}
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tt.location {
				t.Fatalf("%d Location %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), tt.location)
			}
		})
	}

	// Signed in, the same links serve what they point at.
	signedIn := e.as[domain.RoleSupervisor]
	signedIn.CheckRedirect = noFollow.CheckRedirect
	for _, path := range []string{export, "/audit", "/api/v1/audit"} {
		if res, b := e.do(signedIn, "GET", path, nil, chromeNavigation...); res.StatusCode != 200 {
			t.Errorf("GET %s signed in: %d %s", path, res.StatusCode, b)
		}
	}
	// A signed-in role that may not is told so, not sent to sign in again.
	if res, b := e.do(e.as[domain.RoleOperator], "GET", "/api/v1/audit", nil, chromeNavigation...); res.StatusCode != 403 {
		t.Errorf("operator opening the audit API: %d %s", res.StatusCode, b)
	}
}

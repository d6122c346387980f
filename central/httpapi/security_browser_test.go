package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/linewise/linewise/central/domain"
)

// TestBadgeCannotOpenAdminPagesInChromium: an operator's badge, and an
// admin's badge, scanned at a station sign in a station session; with it
// the browser opens the station but not the audit trail, the dashboard
// or any admin page: it is sent to sign in with a password. Signing in
// from a link whose next= hides a tab before a second slash stays on
// this site.
func TestBadgeCannotOpenAdminPagesInChromium(t *testing.T) {
	e := newPlannerEnv(t)
	h, _ := domain.HashPassword("boss-password", 4)
	if err := e.st.CreateUser(context.Background(), domain.User{Username: "boss", DisplayName: "Big Boss", Role: domain.RoleAdmin,
		PasswordHash: h, Badge: "B-9001"}, domain.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1024, 768)
	for _, badge := range []struct{ code, name string }{{"B-1001", "Olga Operator"}, {"B-9001", "Big Boss"}} {
		b.do("load station", chromedp.Navigate(e.srv.URL+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("scan")))
		b.waitFor("input focused", `document.activeElement && document.activeElement.id === "scan"`)
		b.do("scan "+badge.code, chromedp.KeyEvent(badge.code+"\r"))
		b.waitFor("signed in by "+badge.code, `document.getElementById("who").textContent.includes(`+jsString(badge.name)+`)`)

		for _, page := range []string{"/audit", "/", "/admin"} {
			b.do("open "+page, chromedp.Navigate(e.srv.URL+page))
			switch page {
			case "/admin":
				// There is no admin page; whatever answers shows no admin content.
				b.waitFor("no admin page", `document.body.textContent.includes("Not Found")`)
			default:
				b.waitFor(page+" sends to sign in", `location.pathname === "/login"`)
				if b.eval(`document.getElementById("rows") === null && document.getElementById("user") !== null ? 1 : 0`) != 1 {
					t.Errorf("%s with %s's badge shows more than the login form", page, badge.code)
				}
			}
		}
		// The API refuses the same session (a script on the station page).
		b.do("fetch users", chromedp.Navigate(e.srv.URL+"/api/v1/users"))
		b.waitFor("users refused", `location.pathname === "/login" || document.body.textContent.includes("signed in by badge")`)
		b.do("station again", chromedp.Navigate(e.srv.URL+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("scan")))
		b.waitFor("still the station session", `document.getElementById("who").textContent.includes(`+jsString(badge.name)+`)`)
		b.do("sign out", chromedp.Click(chromedp.ID("logout")))
		b.waitFor("signed out", `document.getElementById("who").textContent.includes("not signed in")`)
	}

	// Open redirect: /login?next=/%09/evil.example signs in and stays here.
	b.do("login with a tab in next", chromedp.Navigate(e.srv.URL+"/login?next=/%09/evil.example"), chromedp.WaitVisible(chromedp.ID("user")))
	b.do("sign in", chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	host := strings.TrimPrefix(e.srv.URL, "http://")
	b.waitFor("stayed on this site", `location.host === `+jsString(host)+` && location.pathname === "/"`)
	b.waitFor("dashboard tiles under the CSP", `document.querySelector('section.tile[data-line="L1"]') !== null`)
}

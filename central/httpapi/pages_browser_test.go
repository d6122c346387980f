package httpapi_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLoginAndAuditPagesInChromium signs in through /login from the station
// page's "sign in with password" link, checks that a wrong password says so,
// that ?next= never leaves the site, that the audit page refuses an
// operator and shows the trail to a supervisor, and that the dashboard's nav
// links the pages.
func TestLoginAndAuditPagesInChromium(t *testing.T) {
	e := newPlannerEnv(t)
	b := newBrowser(t, 1200, 900)
	signIn := func(user, pass string) {
		t.Helper()
		b.do("login form", chromedp.WaitVisible(chromedp.ID("user")))
		b.evalString(`document.getElementById("user").value = document.getElementById("pass").value = ""`)
		b.do("sign in as "+user, chromedp.SendKeys(chromedp.ID("user"), user), chromedp.SendKeys(chromedp.ID("pass"), pass+"\r"))
	}

	// Station → login page → back to the station, signed in.
	b.do("load station", chromedp.Navigate(e.srv.URL+"/station/ST-L1"), chromedp.WaitVisible(chromedp.ID("pwlogin")))
	b.do("password link", chromedp.Click(chromedp.ID("pwlogin")))
	b.waitFor("login page", `location.pathname === "/login" && location.search === "?next=%2Fstation%2FST-L1"`)
	signIn("op1", "not-the-password")
	b.waitFor("wrong password", `document.getElementById("err").textContent.includes("wrong username or password")`)
	if p := b.evalString(`location.pathname`); p != "/login" {
		t.Fatalf("a wrong password left the login page for %s", p)
	}
	signIn("op1", "op1-demo")
	b.waitFor("back at the station", `location.pathname === "/station/ST-L1"`)
	b.waitFor("station corner", `document.getElementById("who").textContent === "signed in as Olga Operator"`)
	b.waitFor("password link hidden", `document.getElementById("pwlogin").hidden`)

	// An operator may not read the audit trail: the page says so.
	b.do("audit as operator", chromedp.Navigate(e.srv.URL+"/audit"))
	b.waitFor("refused", `document.getElementById("msg").textContent.includes("operator")`)
	b.waitFor("corner", `(document.querySelector("#session .who") || {}).textContent === "signed in as Olga Operator (operator)"`)
	b.do("sign out", chromedp.Click(chromedp.CSS("#session button.signout")))
	b.waitFor("signed out", `document.querySelector("#session a.signin") !== null`)

	// next= pointing at another origin lands on the dashboard instead.
	b.do("login with foreign next", chromedp.Navigate(e.srv.URL+"/login?next=//evil.example/x"))
	signIn("super", "super-demo")
	b.waitFor("dashboard", `location.pathname === "/" && location.host === `+jsString(strings.TrimPrefix(e.srv.URL, "http://")))
	for _, href := range []string{"/planner", "/audit", "/api/v1/exports/orders.xlsx", "/api/v1/exports/work-orders.xlsx"} {
		b.waitFor("nav link "+href, `document.querySelector('#nav a[href="`+href+`"]') !== null`)
	}
	b.waitFor("dashboard corner", `(document.querySelector("#session .who") || {}).textContent === "signed in as Sam Supervisor (supervisor)"`)

	// The supervisor sees the demo's review trail of PO-1004, and can filter it.
	b.do("nav to audit", chromedp.Click(chromedp.CSS(`#nav a[href="/audit"]`)))
	b.waitFor("audit rows", `location.pathname === "/audit" && document.getElementById("rows").textContent.includes("PO-1004")`)
	b.do("filter", chromedp.SendKeys(chromedp.ID("entity"), "order:PO-9999\r"))
	b.waitFor("filtered", `document.getElementById("rows").textContent === "nothing recorded"`)
	if m := b.text("#msg"); m != "" {
		t.Errorf("audit page message %q", m)
	}
	b.shoot("/tmp/audit.png", true)
}

package httpapi_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSignedOutLinksGoToLoginInChromium: what a real browser sends when it
// opens the audit page or an API URL without a session lands on /login with
// next= set, and signing in returns there.
func TestSignedOutLinksGoToLoginInChromium(t *testing.T) {
	e := newPlannerEnv(t)
	b := newBrowser(t, 1000, 700)

	b.do("audit signed out", chromedp.Navigate(e.srv.URL+"/audit?entity=order:PO-1004"))
	b.waitFor("login page", `location.pathname === "/login" && location.search === "?next=%2Faudit%3Fentity%3Dorder%3APO-1004"`)
	b.do("sign in", chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.waitFor("back at the audit page", `location.pathname === "/audit" && location.search === "?entity=order:PO-1004"`)
	b.waitFor("audit rows", `document.getElementById("rows").textContent.includes("PO-1004")`)

	b.do("sign out", chromedp.Click(chromedp.CSS("#session button.signout")))
	b.waitFor("signed out", `document.querySelector("#session a.signin") !== null`)
	b.do("API URL signed out", chromedp.Navigate(e.srv.URL+"/api/v1/me"))
	b.waitFor("login page for the API URL", `location.pathname === "/login" && location.search === "?next=%2Fapi%2Fv1%2Fme"`)

	// The dashboard, signed out, needs a sign-in too (reads need a user).
	b.do("dashboard", chromedp.Navigate(e.srv.URL+"/"))
	b.waitFor("login page for the dashboard", `location.pathname === "/login" && location.search === "?next=%2F"`)
	// An export link followed signed out: sign in, and the login page says
	// the download starts instead of showing its form again.
	b.do("export link", chromedp.Navigate(e.srv.URL+"/api/v1/exports/orders.xlsx"))
	b.waitFor("login page for the export", `location.pathname === "/login" && location.search === "?next=%2Fapi%2Fv1%2Fexports%2Forders.xlsx"`)
	b.do("sign in again", chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "super"), chromedp.SendKeys(chromedp.ID("pass"), "super-demo\r"))
	b.waitFor("download message", `!document.getElementById("done").hidden && document.getElementById("done").textContent.includes("Your download starts")`)
}

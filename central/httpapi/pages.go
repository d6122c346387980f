package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

var (
	//go:embed web/login.html
	loginPage []byte
	//go:embed web/audit.html
	auditPage []byte
	//go:embed web/session.js
	sessionJS []byte
	//go:embed web/bell.js
	bellJS []byte
)

// registerPages adds the login page, the audit page and the script that
// draws the "signed in as … / sign out" corner on every page. The pages
// themselves are open (the audit page sends a browser without a session to
// /login); what they read or write is checked by the API, and a browser
// navigating to an API route without a session is sent to /login too
// (isPageNavigation).
func (s *Server) registerPages() {
	get := http.MethodGet
	s.handle(get, "/login", s.loginPage, Open,
		"sign-in page (HTML); ?next=/path returns there after signing in (a local path only: anything else is dropped)")
	// The trail is for signed-in roles only; the page itself also sends a
	// session that expires while it is open to /login.
	s.handle(get, "/audit", func(c echo.Context) error { return htmlPage(c, auditPage) }, Authenticated,
		"audit trail page (HTML); sends to /login without a session", anyRole...)
	s.handle(get, "/assets/session.js", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", sessionJS)
	}, Open, "script for the signed-in corner of the pages")
	s.handle(get, "/assets/bell.js", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", bellJS)
	}, Open, "script for the notification bell in the pages' header (unread count, latest notifications, mark read)")
}

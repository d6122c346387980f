package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// KioskCookie holds a kiosk token on a wall screen's browser once it has
// opened /?kiosk=TOKEN; it admits only the kiosk routes (Route.Kiosk).
const KioskCookie = "lw_kiosk"

const nonceKey = "linewise.csp-nonce"

// securityHeaders sets, on every response (errors and 404s too): a
// Content-Security-Policy whose scripts must come from this origin or carry
// the response's nonce (htmlPage adds it to the pages' inline scripts;
// inline style attributes stay allowed: the pages use them, and a style
// cannot run code), no framing, no MIME sniffing, no Referer to other
// sites, and behind TLS (Options.SecureCookies) HSTS.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		nonce := base64.StdEncoding.EncodeToString(b[:])
		c.Set(nonceKey, nonce)
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; "+
			"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if s.opts.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// htmlPage serves a page with its inline scripts given this response's
// CSP nonce. The pages are ours (embedded), so a plain replace is exact.
func htmlPage(c echo.Context, page []byte) error {
	nonce, _ := c.Get(nonceKey).(string)
	page = localisePage(c, page) // i18n.go
	page = bytes.ReplaceAll(page, []byte("<script"), []byte(`<script nonce="`+nonce+`"`))
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, page)
}

// LocalPath reports whether next, as the browser will read it (already
// percent-decoded), is a path on this site: it starts with one '/', holds
// no backslash (browsers read it as '/'), no control character or
// whitespace browsers strip (a tab or newline can hide a second '/'), and
// parses to no scheme or host.
func LocalPath(next string) bool {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return false
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == ' ' || r == '\u00a0' || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return false
		}
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// loginPage serves /login. A next= that is not a local path is dropped
// (the browser is sent to /login without it), so no link to this site can
// send someone elsewhere after signing in; the page checks it again.
func (s *Server) loginPage(c echo.Context) error {
	if vs, ok := c.QueryParams()["next"]; ok && (len(vs) != 1 || !LocalPath(vs[0])) {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return htmlPage(c, loginPage)
}

// sameOrigin refuses cross-site writes made with a browser's cookies
// (CSRF). It applies to writes without an Authorization header (a bearer
// token is never sent by a browser on its own) that carry a session or
// kiosk cookie or come from a browser (Origin or Sec-Fetch-Site set):
//   - Sec-Fetch-Site, when sent, must be same-origin;
//   - Origin, when sent, must name this host (Host or X-Forwarded-Host, and
//     https behind TLS);
//   - a cookie write with neither is refused (every browser sends one);
//   - a body must be application/json (a form or text/plain cannot be
//     sent cross-site with it without a CORS preflight, which central
//     never grants) or a type the route declares (Route.Bodies).
func (s *Server) sameOrigin(c echo.Context, r Route) error {
	req := c.Request()
	if req.Header.Get(echo.HeaderAuthorization) != "" {
		return nil
	}
	site, origin := req.Header.Get("Sec-Fetch-Site"), req.Header.Get(echo.HeaderOrigin)
	cookie := hasCookie(req, SessionCookie) || hasCookie(req, KioskCookie)
	if !cookie && site == "" && origin == "" {
		return nil // not a browser: a script signing in, a scanner
	}
	refuse := func(detail string) error {
		return &Problem{Status: http.StatusForbidden, Field: "Origin", Detail: detail}
	}
	switch {
	case site != "" && site != "same-origin":
		return refuse("cross-site request refused (Sec-Fetch-Site: " + site + ")")
	case origin != "" && !s.ownOrigin(req, origin):
		return refuse("cross-origin request refused (Origin: " + origin + ")")
	case site == "" && origin == "":
		return refuse("a write with a session cookie must carry its Origin header")
	}
	if req.ContentLength == 0 && len(req.TransferEncoding) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if mt == "application/json" || slices.Contains(r.Bodies, mt) {
		return nil
	}
	want := "application/json"
	if len(r.Bodies) > 0 {
		want += " or " + strings.Join(r.Bodies, ", ")
	}
	return &Problem{Status: http.StatusUnsupportedMediaType, Field: "Content-Type",
		Detail: "send the body as " + want + ", not " + strings.TrimSpace(req.Header.Get(echo.HeaderContentType))}
}

func hasCookie(r *http.Request, name string) bool {
	ck, err := r.Cookie(name)
	return err == nil && ck.Value != ""
}

// ownOrigin reports whether origin (scheme://host[:port]) is this site.
func (s *Server) ownOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if s.opts.SecureCookies && u.Scheme != "https" {
		return false
	}
	hosts := []string{r.Host}
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
		// Behind a proxy that rewrites Host. A cross-site page cannot set
		// this header on a browser's request without a CORS preflight.
		hosts = append(hosts, strings.TrimSpace(strings.Split(fh, ",")[0]))
	}
	for _, h := range hosts {
		if strings.EqualFold(u.Host, h) {
			return true
		}
	}
	return false
}

// kioskSignIn serves /?kiosk=TOKEN: a valid kiosk token is kept in an
// HttpOnly cookie and the browser is sent on to the dashboard without the
// token in its address bar or history; anything else is 401.
func (s *Server) kioskSignIn(c echo.Context) error {
	tok := strings.TrimSpace(c.QueryParam("kiosk"))
	p, err := s.opts.Store.TokenPrincipal(c.Request().Context(), domain.HashToken(tok), s.opts.Now())
	if errors.Is(err, domain.ErrNotFound) || (err == nil && !p.Kiosk) {
		return &Problem{Status: http.StatusUnauthorized, Field: "kiosk", Detail: "kiosk token unknown, expired or revoked"}
	}
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: KioskCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.opts.SecureCookies,
		// Lax, not Strict: a wall screen opens the address from a bookmark or
		// a script, and the cookie only reads.
		SameSite: http.SameSiteLaxMode, MaxAge: int((400 * 24 * time.Hour) / time.Second)})
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	q := c.QueryParams()
	q.Del("kiosk")
	to := c.Request().URL.Path
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	return c.Redirect(http.StatusSeeOther, to)
}

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/throttle"
)

// AccessStore is what authentication needs.
type AccessStore interface {
	GetUser(ctx context.Context, username string) (domain.User, error)
	UserByBadge(ctx context.Context, badge string) (domain.User, error)
	ListUsers(ctx context.Context) ([]domain.User, error)
	CreateUser(ctx context.Context, u domain.User, actor domain.Actor) error
	SetPassword(ctx context.Context, username, hash string, actor domain.Actor) error
	SetUserLang(ctx context.Context, username, lang string, actor domain.Actor) error // i18n.go
	CreateSession(ctx context.Context, se domain.Session) error
	DeleteSession(ctx context.Context, tokenHash string) error
	SessionPrincipal(ctx context.Context, tokenHash string, now time.Time) (domain.Principal, error)
	CreateAPIToken(ctx context.Context, t domain.APIToken, actor domain.Actor) error
	TokenPrincipal(ctx context.Context, tokenHash string, now time.Time) (domain.Principal, error)
	TokenStore // tokens.go
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "lw_session"

const principalKey = "linewise.principal"

// resolve finds who calls: an API token in Authorization: Bearer, else the
// session cookie, else a kiosk cookie. A bearer token that is unknown,
// expired or revoked is a 401 whatever the route (its holder should know);
// an unknown or expired cookie is anonymous (nil).
func (s *Server) resolve(c echo.Context) (*domain.Principal, error) {
	ctx := c.Request().Context()
	now := s.opts.Now()
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="linewise"`)
			return nil, &Problem{Status: http.StatusUnauthorized, Field: "Authorization", Detail: "send Authorization: Bearer TOKEN"}
		}
		p, err := s.opts.Store.TokenPrincipal(ctx, domain.HashToken(strings.TrimSpace(tok)), now)
		if errors.Is(err, domain.ErrNotFound) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="linewise", error="invalid_token"`)
			return nil, &Problem{Status: http.StatusUnauthorized, Field: "Authorization", Detail: "token unknown, expired or revoked"}
		}
		return &p, err
	}
	if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
		p, err := s.opts.Store.SessionPrincipal(ctx, domain.HashToken(ck.Value), now)
		if err == nil {
			return &p, nil
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
	}
	if ck, err := c.Cookie(KioskCookie); err == nil && ck.Value != "" {
		p, err := s.opts.Store.TokenPrincipal(ctx, domain.HashToken(ck.Value), now)
		if err == nil && p.Kiosk {
			return &p, nil
		}
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
	}
	return nil, nil
}

// authenticate enforces each route's Access. Unregistered paths pass through
// to echo's 404/405 handlers.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, ok := s.routeIndex[c.Request().Method+" "+c.Path()]
		if !ok {
			return next(c)
		}
		if isWrite(r.Method) {
			if err := s.sameOrigin(c, r); err != nil { // security.go
				return err
			}
		}
		if r.Kiosk && c.QueryParam("kiosk") != "" {
			return s.kioskSignIn(c)
		}
		p, err := s.resolve(c)
		if err != nil {
			return err
		}
		if p != nil && p.Kiosk && !r.Kiosk {
			p = nil // a kiosk token opens the dashboard and nothing else
		}
		if p != nil && p.StationID != "" && r.Access == Authenticated && !r.Station && !r.LineScoped {
			// A badge is a weak credential: it only works at stations, for
			// the station's reads and actions, never for admin pages.
			if isPageNavigation(c.Request()) {
				return toLogin(c)
			}
			return &Problem{Status: http.StatusForbidden, Field: "role",
				Detail: "signed in by badge at station " + p.StationID + "; sign in with a password for this"}
		}
		if p != nil {
			c.Set(principalKey, *p)
		}
		if r.Access != Authenticated {
			return next(c)
		}
		if p == nil {
			if isPageNavigation(c.Request()) {
				return toLogin(c)
			}
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="linewise"`)
			return &Problem{Status: http.StatusUnauthorized, Detail: "sign in first (POST /api/v1/login) or send an API token"}
		}
		if p.Kiosk {
			return next(c) // a kiosk route, and every kiosk route is a read
		}
		if len(r.Roles) > 0 && !slices.Contains(r.Roles, p.Role) {
			return &Problem{Status: http.StatusForbidden, Field: "role",
				Detail: "role " + string(p.Role) + " may not do this; needs one of: " + roleNames(r.Roles)}
		}
		if isWrite(r.Method) && p.LineScope != "" && !r.LineScoped {
			return &Problem{Status: http.StatusForbidden, Field: "line",
				Detail: "this token is limited to line " + p.LineScope + " and may only act at its stations"}
		}
		return next(c)
	}
}

// isPageNavigation reports whether r is a browser loading a page (typing
// a URL, following a link such as the dashboard's export downloads), which
// should land on the sign-in page rather than on a 401 problem. Scripts and
// API clients keep their 401: fetch and XHR say Sec-Fetch-Mode cors or
// same-origin, curl and most clients accept */* or JSON rather than HTML,
// and a request that carries a token meant to authenticate by it. The path
// alone cannot decide: the export links are /api/ routes a browser opens.
func isPageNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.Header.Get(echo.HeaderAuthorization) != "" {
		return false
	}
	if mode := r.Header.Get("Sec-Fetch-Mode"); mode != "" && mode != "navigate" {
		return false
	}
	accept := strings.ToLower(strings.Join(r.Header.Values(echo.HeaderAccept), ","))
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "json")
}

// toLogin sends the browser to the sign-in page, which returns it to the
// path it asked for (query included) once signed in.
func toLogin(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
}

// principal is who calls, or nil.
func principal(c echo.Context) *domain.Principal {
	if p, ok := c.Get(principalKey).(domain.Principal); ok {
		return &p
	}
	return nil
}

func (s *Server) setSessionCookie(c echo.Context, token string, expires time.Time) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.opts.SecureCookies,
		SameSite: http.SameSiteStrictMode, Expires: expires, MaxAge: int(s.opts.SessionTTL / time.Second)})
}

// startSession creates a session for u and sets its cookie.
func (s *Server) startSession(c echo.Context, u domain.User, station string) (domain.Principal, error) {
	token, hash, err := domain.NewToken()
	if err != nil {
		return domain.Principal{}, err
	}
	now := s.opts.Now()
	exp := now.Add(s.opts.SessionTTL)
	if err := s.opts.Store.CreateSession(c.Request().Context(), domain.Session{TokenHash: hash, Username: u.Username,
		StationID: station, CreatedAt: now, ExpiresAt: exp}); err != nil {
		return domain.Principal{}, err
	}
	s.setSessionCookie(c, token, exp)
	return domain.Principal{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, StationID: station, Via: "session"}, nil
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if req.Username == "" {
		return invalid("username", "username is required")
	}
	if req.Password == "" {
		return invalid("password", "password is required")
	}
	// Checked before the password, so a locked-out guesser gets no answer
	// about it and costs no bcrypt comparison (throttle.go).
	keys := []throttle.Key{throttle.User(req.Username), throttle.IP(clientIP(c))}
	if err := s.throttled(c, keys...); err != nil {
		return err
	}
	u, err := s.opts.Store.GetUser(c.Request().Context(), req.Username)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		domain.CheckPassword(s.dummyHash(), req.Password) // same time as a wrong password
		s.failed(c, "sign-ins", keys...)
		return &Problem{Status: http.StatusUnauthorized, Field: "password", Detail: "wrong username or password"}
	case err != nil:
		return err
	}
	if !domain.CheckPassword(u.PasswordHash, req.Password) || u.Disabled {
		s.failed(c, "sign-ins", keys...)
		return &Problem{Status: http.StatusUnauthorized, Field: "password", Detail: "wrong username or password"}
	}
	s.opts.Throttle.Succeed(keys[0])
	p, err := s.startSession(c, u, "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
		if err := s.opts.Store.DeleteSession(c.Request().Context(), domain.HashToken(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.opts.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) me(c echo.Context) error { return c.JSON(http.StatusOK, principal(c)) }

func (s *Server) listUsers(c echo.Context) error {
	us, err := s.opts.Store.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, us)
}

type userRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Password    string `json:"password"`
	Badge       string `json:"badge"`
}

func (s *Server) createUser(c echo.Context) error {
	var req userRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := domain.ValidNumber("username", req.Username); err != nil {
		return apiError(err)
	}
	role := domain.Role(req.Role)
	if !role.Valid() {
		return invalid("role", "role must be one of: "+roleNames(domain.Roles()))
	}
	if req.Badge != "" {
		if err := domain.ValidNumber("badge", req.Badge); err != nil {
			return apiError(err)
		}
	}
	if err := domain.ValidPassword(req.Password); err != nil {
		return apiError(err)
	}
	hash, err := domain.HashPassword(req.Password, s.opts.PasswordCost)
	if err != nil {
		return apiError(err)
	}
	u := domain.User{Username: req.Username, DisplayName: req.DisplayName, Role: role, PasswordHash: hash, Badge: req.Badge, HasBadge: req.Badge != ""}
	if err := s.opts.Store.CreateUser(c.Request().Context(), u, principal(c).Actor()); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return &Problem{Status: http.StatusConflict, Field: "username", Detail: "username or badge is already taken"}
		}
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

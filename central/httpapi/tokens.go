package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// TokenStore is what the token routes need.
type TokenStore interface {
	ListAPITokens(ctx context.Context) ([]domain.APIToken, error)
	RevokeAPIToken(ctx context.Context, id string, at time.Time, actor domain.Actor) (domain.APIToken, error)
}

func (s *Server) registerTokens() {
	s.handle(http.MethodGet, "/api/v1/tokens", s.listTokens, Authenticated,
		"list API and kiosk tokens with their scope, expiry and status (never the secret)", adminOnly...)
	s.handle(http.MethodPost, "/api/v1/tokens", s.createToken, Authenticated,
		"create an API token (kind api: role, optional line or lines, optional expires_at) or a kiosk token (kind kiosk: the dashboard only); the secret is shown once (audited)", adminOnly...)
	s.handle(http.MethodDelete, "/api/v1/tokens/:id", s.revokeToken, Authenticated,
		"revoke a token for good; it is refused with 401 from then on (audited)", adminOnly...)
}

// tokenJSON is a token as listed: never its secret or hash.
type tokenJSON struct {
	domain.APIToken
	Lines  []string `json:"lines,omitempty"` // the lines it may act on; none: every line
	Status string   `json:"status"`          // active, expired or revoked
}

func tokenOut(t domain.APIToken, now time.Time) tokenJSON {
	out := tokenJSON{APIToken: t, Status: t.Status(now)}
	if t.LineID != "" {
		out.Lines = strings.Split(t.LineID, ",")
	}
	return out
}

type tokenRequest struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Role      string     `json:"role"`
	Line      string     `json:"line"`  // one line
	Lines     []string   `json:"lines"` // or several
	ExpiresAt *time.Time `json:"expires_at"`
}

func (s *Server) createToken(c echo.Context) error {
	var req tokenRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if err := domain.ValidNumber("name", req.Name); err != nil {
		return apiError(err)
	}
	now := s.opts.Now()
	kind := req.Kind
	if kind == "" {
		kind = domain.TokenAPI
	}
	lines := req.Lines
	if req.Line != "" {
		lines = append([]string{req.Line}, lines...)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if err := wire.ValidID(l); err != nil {
			return invalid("lines", "line "+strconv.Quote(l)+": "+err.Error())
		}
		if seen[l] {
			return invalid("lines", "line "+l+" is listed twice")
		}
		seen[l] = true
	}
	role := domain.Role(req.Role)
	switch kind {
	case domain.TokenAPI:
		if !role.Valid() {
			return invalid("role", "role must be one of: "+roleNames(domain.Roles()))
		}
	case domain.TokenKiosk:
		if req.Role != "" {
			return invalid("role", "a kiosk token has no role: it reads the dashboard only")
		}
		if len(lines) > 0 {
			return invalid("line", "a kiosk token shows every line; leave line and lines empty")
		}
	default:
		return invalid("kind", "kind must be api or kiosk")
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(now) {
		return invalid("expires_at", "expires_at must be in the future")
	}
	tok, hash, err := domain.NewToken()
	if err != nil {
		return err
	}
	actor := principal(c).Actor()
	t := domain.APIToken{ID: "tok-" + hash[:12], Name: req.Name, Kind: kind, Role: role, LineID: strings.Join(lines, ","), TokenHash: hash,
		CreatedAt: now, CreatedBy: actor.Name, ExpiresAt: req.ExpiresAt}
	if err := s.opts.Store.CreateAPIToken(c.Request().Context(), t, actor); err != nil {
		return apiError(err)
	}
	out := struct {
		tokenJSON
		Token string `json:"token"`
		URL   string `json:"url,omitempty"` // for a kiosk: the path a wall screen opens
	}{tokenOut(t, now), tok, ""}
	if kind == domain.TokenKiosk {
		out.URL = "/?kiosk=" + tok
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) listTokens(c echo.Context) error {
	ts, err := s.opts.Store.ListAPITokens(c.Request().Context())
	if err != nil {
		return err
	}
	now := s.opts.Now()
	out := make([]tokenJSON, len(ts))
	for i, t := range ts {
		out[i] = tokenOut(t, now)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) revokeToken(c echo.Context) error {
	id := strings.TrimSpace(c.Param("id"))
	t, err := s.opts.Store.RevokeAPIToken(c.Request().Context(), id, s.opts.Now(), principal(c).Actor())
	if errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "token " + id + " does not exist"}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tokenOut(t, s.opts.Now()))
}

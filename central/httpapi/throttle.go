package httpapi

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/throttle"
)

// Sign-in throttling (central/throttle): a wrong password at
// POST /api/v1/login, a wrong current_password at POST /api/v1/me/password
// and a scan at a station that is neither a badge nor a usable work order
// count as failures against the username (when there is one) and the
// client's address. Once a key is locked out, those routes answer 429 with
// Retry-After for it, before any password is checked. The lockout is
// audited (entity user or client, action lockout). Counts are per replica.

// throttledRoutes answer 429 while locked out (in the OpenAPI document).
var throttledRoutes = map[string]bool{
	"POST /api/v1/login":             true,
	"POST /api/v1/me/password":       true,
	"POST /api/v1/stations/:id/scan": true,
}

// clientIP is the request's TCP peer address. Headers such as
// X-Forwarded-For are the client's to write, so they are not believed;
// behind a reverse proxy every client has the proxy's address (raise or
// turn off sign_in.ip_max_failures there).
func clientIP(c echo.Context) string {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}

// throttled is a 429 problem with Retry-After while any of keys is locked
// out, else nil.
func (s *Server) throttled(c echo.Context, keys ...throttle.Key) error {
	retry, key, blocked := s.opts.Throttle.Blocked(keys...)
	if !blocked {
		return nil
	}
	secs := int64(math.Ceil(retry.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	p := &Problem{Status: http.StatusTooManyRequests}
	wait := (time.Duration(secs) * time.Second).String()
	if key.Kind == throttle.KindUser {
		p.Field = "username"
		p.Detail = "too many failed attempts for user " + key.ID + "; try again in " + wait
	} else {
		p.Detail = "too many failed attempts from " + key.ID + "; try again in " + wait
	}
	return p
}

// failed counts a failure (what: "sign-ins", "password checks", "scans")
// against keys, and logs and audits each lockout it starts. An audit that
// cannot be written is logged; the request's answer does not change.
func (s *Server) failed(c echo.Context, what string, keys ...throttle.Key) {
	for _, lo := range s.opts.Throttle.Fail(keys...) {
		entity := "user"
		if lo.Key.Kind == throttle.KindIP {
			entity = "client"
		}
		e := domain.AuditEntry{At: s.opts.Now(), Actor: domain.SystemActor, Entity: entity, EntityID: lo.Key.ID, Action: "lockout",
			Reason: fmt.Sprintf("%d failed %s within %s, the last from %s at %s %s; refused until %s",
				lo.Failures, what, lo.Window, clientIP(c), c.Request().Method, c.Path(), lo.Until.UTC().Format(time.RFC3339))}
		s.opts.Log.Warn("sign-in lockout", "kind", string(lo.Key.Kind), "id", lo.Key.ID, "failures", lo.Failures,
			"client", clientIP(c), "until", lo.Until)
		// Not the request's context: a client that hangs up must not skip the record.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
		if err := s.opts.Store.RecordAudit(ctx, e); err != nil {
			s.opts.Log.Warn("sign-in lockout: writing the audit entry", "id", lo.Key.ID, "err", err)
		}
		cancel()
	}
}

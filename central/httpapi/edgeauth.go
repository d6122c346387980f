package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// Edge token throttling (central/throttle.EdgeGuard): a wrong bearer token
// at POST /api/v1/ingest or POST /api/v1/edges/:id/heartbeat counts as a
// failure against the client's address and the edge id the request claims
// (the heartbeat's path, the batch's edge_id). While either is locked out
// the request is answered 429 with Retry-After before the token is
// checked; an edge's own address (one it authenticated from before) is
// not locked out by failures under its name from elsewhere. Each lockout
// is logged once and counted on linewise_edge_auth_lockouts_total{via="https"}.

// edgeLockedOut is a 429 problem while the client's address, or claimed
// as seen from it, is locked out; else nil.
func (s *Server) edgeLockedOut(c echo.Context, claimed string) error {
	retry, blocked := s.opts.EdgeGuard.Blocked(claimed, clientIP(c))
	if !blocked {
		return nil
	}
	secs := int64(math.Ceil(retry.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return &Problem{Status: http.StatusTooManyRequests,
		Detail: "too many failed edge credentials from " + clientIP(c) + " or for this edge; try again in " + (time.Duration(secs) * time.Second).String()}
}

// edgeToken returns the edge whose token this is, or the problem to answer:
// 429 while locked out, 401 for a token that is no edge's (counted).
func (s *Server) edgeToken(c echo.Context, token, claimed string) (string, error) {
	if err := s.edgeLockedOut(c, claimed); err != nil {
		return "", err
	}
	edge, ok := s.opts.Ingest.Identify(token)
	if !ok {
		s.opts.EdgeGuard.Fail("https", claimed, clientIP(c))
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="linewise", error="invalid_token"`)
		return "", &Problem{Status: http.StatusUnauthorized, Detail: "the edge token is not valid"}
	}
	if claimed != edge {
		// The right token under another name: the lockout that counts is
		// the token's edge's.
		if err := s.edgeLockedOut(c, edge); err != nil {
			return "", err
		}
	}
	s.opts.EdgeGuard.Succeed(edge, clientIP(c))
	return edge, nil
}

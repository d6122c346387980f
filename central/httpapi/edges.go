package httpapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/central/ingest"
)

// EdgeLister is central's view of its edges' liveness (central/liveness).
type EdgeLister interface {
	List() []domain.EdgeStatus
}

// registerEdges adds the edge list for supervisors and admins, and, with
// ingest, the HTTPS edges' heartbeat (authenticated by the edge's token,
// like ingest, outside the role table).
func (s *Server) registerEdges() {
	s.handle(http.MethodGet, "/api/v1/edges", s.listEdges, Authenticated,
		"configured edges with their lines and liveness: online, last_seen (any batch, heartbeat or status), offline_since, version, started_at; stalled and stall (heartbeats arrive but the backlog waits while nothing new commits), outbox_depth and oldest_unacked_s (its last heartbeat), last_commit",
		domain.RoleSupervisor, domain.RoleAdmin)
	if s.opts.Ingest != nil {
		s.echo.POST("/api/v1/edges/:id/heartbeat", s.edgeHeartbeat)
	}
}

func (s *Server) listEdges(c echo.Context) error {
	if s.opts.Edges == nil {
		return c.JSON(http.StatusOK, []domain.EdgeStatus{})
	}
	return c.JSON(http.StatusOK, s.opts.Edges.List())
}

// edgeHeartbeat takes a wire.Status from an edge over HTTPS: "online"
// every central.heartbeat, "offline" when it shuts down. An edge speaks
// only for itself: the path, the body and the token must name one edge.
func (s *Server) edgeHeartbeat(c echo.Context) error {
	token, ok := bearer(c.Request().Header.Get(echo.HeaderAuthorization))
	if !ok {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="linewise"`)
		return &Problem{Status: http.StatusUnauthorized, Detail: "an edge token is required: Authorization: Bearer <token>"}
	}
	edge, err := s.edgeToken(c, token, c.Param("id"))
	if err != nil {
		return err
	}
	if id := c.Param("id"); id != edge {
		return &Problem{Status: http.StatusForbidden, Field: "id", Detail: "the token is edge " + edge + "'s, not " + id + "'s"}
	}
	body, err := readBody(c, 4096) // a longer status is a 413, not a truncated 400
	if err != nil {
		return err
	}
	if err := s.opts.Ingest.Status(edge, body); err != nil {
		if errors.Is(err, ingest.ErrMalformed) {
			return &Problem{Status: http.StatusBadRequest, Detail: err.Error()}
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

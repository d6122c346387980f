package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// AuditStore reads the audit trail, and records what no store change
// records by itself (a sign-in lockout).
type AuditStore interface {
	ListAudit(ctx context.Context, f domain.AuditFilter) ([]domain.AuditEntry, error)
	RecordAudit(ctx context.Context, entries ...domain.AuditEntry) error
}

// audit serves GET /api/v1/audit?entity=order[:PO-1001]&actor=&from=&to=&limit=.
func (s *Server) audit(c echo.Context) error {
	var f domain.AuditFilter
	if v := c.QueryParam("entity"); v != "" {
		f.Entity, f.EntityID, _ = strings.Cut(v, ":")
	}
	if v := c.QueryParam("entity_id"); v != "" {
		f.EntityID = v
	}
	f.Actor = c.QueryParam("actor")
	var err error
	if v := c.QueryParam("from"); v != "" {
		if f.From, err = parseTime("from", v); err != nil {
			return err
		}
	}
	if v := c.QueryParam("to"); v != "" {
		if f.To, err = parseTime("to", v); err != nil {
			return err
		}
	}
	f.Limit = 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return invalid("limit", "limit must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	list, err := s.opts.Store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	// Users by their display names (the page shows "Sam Supervisor", not "super").
	names := map[string]string{}
	if us, err := s.opts.Store.ListUsers(c.Request().Context()); err == nil {
		for _, u := range us {
			names[u.Username] = u.DisplayName
		}
	}
	out := make([]auditJSON, len(list))
	for i, a := range list {
		out[i] = auditJSON{AuditEntry: a, ActorName: names[a.Actor]}
	}
	return c.JSON(http.StatusOK, out)
}

// auditJSON is an audit entry with its actor's display name ("" for
// tokens, the system and removed users).
type auditJSON struct {
	domain.AuditEntry
	ActorName string `json:"actor_name,omitempty"`
}

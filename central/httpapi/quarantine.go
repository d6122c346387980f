package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// QuarantineStore is what the quarantine route reads: the events ingest
// refused one by one (issue #10).
type QuarantineStore interface {
	ListQuarantine(ctx context.Context, f domain.QuarantineFilter) ([]domain.QuarantinedEvent, error)
}

// quarantineReaders are those who judge refused events: the people who read
// the audit trail.
var quarantineReaders = auditReaders

func (s *Server) registerQuarantine() {
	s.handle(http.MethodGet, "/api/v1/quarantine", s.listQuarantine, Authenticated,
		"events central refused (count above the ceiling or negative, time outside the window, oversized or invalid text, a line the edge does not own), newest first, with reason and raw event; they changed no count (filters: line, edge; paging: limit 1-1000 (100), offset)",
		quarantineReaders...)
}

func (s *Server) listQuarantine(c echo.Context) error {
	f := domain.QuarantineFilter{Line: c.QueryParam("line"), Edge: c.QueryParam("edge"), Limit: 100}
	if f.Line != "" {
		if err := wire.ValidID(f.Line); err != nil {
			return invalid("line", "line "+err.Error())
		}
	}
	if f.Edge != "" {
		if err := wire.ValidID(f.Edge); err != nil {
			return invalid("edge", "edge "+err.Error())
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return invalid("limit", "limit must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalid("offset", "offset must be a whole number, 0 or more")
		}
		f.Offset = n
	}
	list, err := s.opts.Store.ListQuarantine(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if len(list) == f.Limit {
		q := c.QueryParams()
		q.Set("offset", strconv.Itoa(f.Offset+f.Limit))
		c.Response().Header().Set("Link", `<`+c.Request().URL.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	return c.JSON(http.StatusOK, list)
}

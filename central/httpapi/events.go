package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
	"github.com/linewise/linewise/edge/wire"
)

// EventQueryStore lists stored events by line, time range, type and work
// order, a page at a time.
type EventQueryStore interface {
	QueryEvents(ctx context.Context, q domain.EventQuery) ([]domain.EventRecord, error)
}

// eventsSummary is GET /api/v1/events in the route table.
const eventsSummary = "raw events of a line, newest source time first: ?line= (required) &type=count|state|scan|qc &work_order= &from= &to= (RFC 3339, source time) &limit= (1-1000, default 100) &cursor=; when more remain, the Link header (rel=\"next\") and X-Next-Cursor give the next page (a scan shows the operator's name, never a badge code)"

// listEvents serves GET /api/v1/events.
func (s *Server) listEvents(c echo.Context) error {
	q := domain.EventQuery{Line: c.QueryParam("line"), Type: c.QueryParam("type"), WorkOrder: c.QueryParam("work_order"), Limit: 100}
	if q.Line == "" {
		return invalid("line", "query parameter line is required")
	}
	if err := wire.ValidID(q.Line); err != nil {
		return invalid("line", "line "+err.Error())
	}
	switch q.Type {
	case "", wire.TypeCount, wire.TypeState, wire.TypeScan, wire.TypeQC:
	default:
		return invalid("type", "type must be count, state, scan or qc, got "+quoteShort(q.Type))
	}
	if q.WorkOrder != "" {
		if err := domain.ValidNumber("work_order", q.WorkOrder); err != nil {
			return err
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return invalid("limit", "limit must be a whole number from 1 to 1000")
		}
		q.Limit = n
	}
	for _, p := range []struct {
		field string
		t     *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		v := c.QueryParam(p.field)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return invalid(p.field, p.field+" must be an RFC 3339 time like 2026-03-02T06:00:00Z, got "+quoteShort(v))
		}
		*p.t = t
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return invalid("to", "to must be after from")
	}
	if v := c.QueryParam("cursor"); v != "" {
		cur, err := domain.DecodeCursor(v)
		if err != nil {
			return invalid("cursor", "cursor is "+err.Error()+"; take it from X-Next-Cursor or the Link header")
		}
		q.After = &cur
	}
	// One more than the page tells whether another page follows.
	want := q.Limit
	q.Limit++
	evs, err := s.opts.Store.QueryEvents(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if len(evs) > want {
		evs = evs[:want]
		next := domain.CursorOf(evs[want-1]).Encode()
		params := url.Values{}
		for k, v := range c.QueryParams() {
			params[k] = v
		}
		params.Set("cursor", next)
		h := c.Response().Header()
		h.Set("X-Next-Cursor", next)
		h.Set("Link", `<`+c.Request().URL.Path+`?`+params.Encode()+`>; rel="next"`)
	}
	return c.JSON(http.StatusOK, evs)
}

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linewise/linewise/central/domain"
)

// TotalsStore sums a line's stored count events over a time range.
type TotalsStore interface {
	LineTotals(ctx context.Context, line string, from, to time.Time) (domain.LineTotals, error)
}

const (
	// totalsDefault is the range when neither from nor to is given: the
	// last 24 hours (a time zone-free "today" for any plant).
	totalsDefault = 24 * time.Hour
	// totalsMax bounds a range, so one call cannot scan years of events.
	totalsMax = 31 * 24 * time.Hour
)

func (s *Server) registerTotals() {
	s.handle(http.MethodGet, "/api/v1/lines/:id/totals", s.lineTotals, Authenticated,
		"a line's good, reject, unattributed good/reject and per-work-order counts over from..to (RFC 3339; default the 24 h before now; at most 31 days), summed from its count events by source time", anyRole...)
}

func (s *Server) lineTotals(c echo.Context) error {
	parse := func(field string) (time.Time, bool, error) {
		v := c.QueryParam(field)
		if v == "" {
			return time.Time{}, false, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, false, invalid(field, field+" must be an RFC 3339 time like 2026-03-02T06:00:00Z or 2026-03-02T07:00:00+01:00, got "+quoteShort(v))
		}
		return t, true, nil
	}
	from, hasFrom, err := parse("from")
	if err != nil {
		return err
	}
	to, hasTo, err := parse("to")
	if err != nil {
		return err
	}
	switch {
	case !hasFrom && !hasTo:
		to = s.opts.Now()
		from = to.Add(-totalsDefault)
	case !hasTo:
		to = s.opts.Now()
	case !hasFrom:
		from = to.Add(-totalsDefault)
	}
	if !to.After(from) {
		return invalid("to", "to must be after from ("+from.UTC().Format(time.RFC3339)+")")
	}
	if to.Sub(from) > totalsMax {
		field := "to"
		if !hasTo {
			field = "from" // to is now: it is from that reaches too far back
		}
		return invalid(field, "the range from..to must be at most 31 days")
	}
	line := c.Param("id")
	ctx := c.Request().Context()
	if _, err := s.opts.Store.GetLine(ctx, line); errors.Is(err, domain.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Field: "id", Detail: "line " + line + " does not exist"}
	} else if err != nil {
		return err
	}
	t, err := s.opts.Store.LineTotals(ctx, line, from.UTC(), to.UTC())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// quoteShort quotes a user's value for a message, cut to 40 characters.
func quoteShort(v string) string {
	if r := []rune(v); len(r) > 40 {
		v = string(r[:40]) + "…"
	}
	return `"` + v + `"`
}
